#!/usr/bin/env python3
"""Golden-file tests for the document commands: every command x format on the fixture company
(tests/data/documents/profile.yaml + results-pass.json) with a fixed --date, compared byte for byte
with tests/data/documents/golden/.

Regenerate after an intended change to a template or the data:
    COMPLYCLI_UPDATE_GOLDEN=1 ctest -R documents.golden      (or: tests/documents/golden.py --update ...)
then review `git diff tests/data/documents/golden/`.
"""
import argparse
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DATE = "2026-11-26"


def cases(data: Path, examples: Path):
    profile = ["--profile", str(data / "profile.yaml"), "--date", DATE]
    results = ["--results", str(data / "results-pass.json")]
    questionnaire = ["--questionnaire", str(examples / "northwind-legal" / "questionnaire.csv")]
    out = []
    for fmt in ("md", "html", "csv", "json"):
        out.append((f"register.{fmt}", ["register", *profile, "--format", fmt, "-o", "OUT"], None))
    for fmt in ("md", "json"):
        out.append((f"register-diff.{fmt}",
                    ["register", "diff", str(data / "profile-old.yaml"), str(data / "profile.yaml"),
                     "--date", DATE, "--format", fmt, "-o", "OUT"], None))
    for fmt in ("md", "html"):
        out.append((f"dpa.{fmt}", ["dpa", *profile, *results, "--customer", "Acme Legal LLP",
                                   "--customer-address", "1 Fleet Street\nLondon EC4Y 1AA\nUnited Kingdom",
                                   "--format", fmt, "-o", "OUT"], None))
    for fmt in ("html", "md"):
        out.append((f"trust-page.{fmt}", ["trust-page", *profile, *results, "--format", fmt, "-o", "DIR"],
                    [f"index.{fmt}", "security.txt"]))
    for fmt in ("csv", "md", "json"):
        out.append((f"answers.{fmt}", ["answer", *profile, *results, *questionnaire, "--format", fmt, "-o", "OUT"], None))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--update", action="store_true", help="rewrite the golden files")
    args = parser.parse_args()
    args.binary = str(Path(args.binary).resolve())
    update = args.update or os.environ.get("COMPLYCLI_UPDATE_GOLDEN") == "1"
    source = Path(args.source).resolve()
    data = source / "tests" / "data" / "documents"
    golden = data / "golden"
    golden.mkdir(exist_ok=True)
    failures = 0
    env = dict(os.environ)
    env.pop("SOURCE_DATE_EPOCH", None)
    env.pop("COMPLYCLI_DATA_DIR", None)
    with tempfile.TemporaryDirectory() as work:
        env["COMPLYCLI_HOME"] = str(Path(work) / "no-workspace")
        for name, argv, files in cases(data, source / "examples"):
            target = Path(work) / name
            argv = [str(target) if a == "OUT" else a for a in argv]
            argv = [str(target) if a == "DIR" else a for a in argv]
            proc = subprocess.run([args.binary, *argv], cwd=work, env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                print(f"FAIL {name}: exit {proc.returncode}\n{proc.stderr}")
                failures += 1
                continue
            produced = [(target / f, f"{name}.{f}") for f in files] if files else [(target, name)]
            for path, golden_name in produced:
                expected_path = golden / golden_name
                actual = path.read_text()
                if update:
                    expected_path.write_text(actual)
                    print(f"updated {expected_path.relative_to(source)}")
                    continue
                if not expected_path.exists():
                    print(f"FAIL {golden_name}: no golden file (run with COMPLYCLI_UPDATE_GOLDEN=1)")
                    failures += 1
                    continue
                expected = expected_path.read_text()
                if actual != expected:
                    failures += 1
                    print(f"FAIL {golden_name}: differs from {expected_path.relative_to(source)}")
                    sys.stdout.writelines(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                                               "golden", "actual"))
                else:
                    print(f"ok   {golden_name}")
    if failures:
        print(f"{failures} golden comparison(s) failed; if the change is intended: COMPLYCLI_UPDATE_GOLDEN=1")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
