#!/usr/bin/env python3
"""Run every ```sh block of README.md, in order, as one bash script in a fresh folder.

The folder holds a copy of examples/, and `complycli` on PATH is the binary under test, so the
README's examples run exactly as a reader would type them from the project root. Blocks fenced as
```console or ```text are shown, not run (the Quick start's make commands are such a block).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source", required=True)
    options = parser.parse_args()

    with open(os.path.join(options.source, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    blocks = re.findall(r"^```sh\n(.*?)^```", readme, re.MULTILINE | re.DOTALL)
    if not blocks:
        print("README.md has no ```sh blocks to run", file=sys.stderr)
        return 1

    work = tempfile.mkdtemp(prefix="complycli-readme-")
    try:
        shutil.copytree(os.path.join(options.source, "examples"), os.path.join(work, "examples"), symlinks=True)
        bin_dir = os.path.join(work, ".bin")
        os.makedirs(bin_dir)
        os.symlink(os.path.abspath(options.binary), os.path.join(bin_dir, "complycli"))
        env = {
            "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": work,
            "LANG": "C.UTF-8",
            "TERM": "dumb",
            "COMPLYCLI_ACTOR": "readme",
        }
        for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if name in os.environ:
                env[name] = os.environ[name]
        script = "set -euo pipefail\n" + "\n".join(
            f"echo '--- README block {i + 1}' >&2\n{block}" for i, block in enumerate(blocks))
        proc = subprocess.run(["bash", "-c", script], cwd=work, env=env, capture_output=True, text=True,
                              timeout=600)
        if proc.returncode != 0:
            print(f"README example failed with exit code {proc.returncode}", file=sys.stderr)
            print(f"--- stdout ---\n{proc.stdout}--- stderr ---\n{proc.stderr}", file=sys.stderr)
            return 1
        print(f"ran {len(blocks)} README blocks")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
