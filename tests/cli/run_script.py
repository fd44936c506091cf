#!/usr/bin/env python3
"""Run one CLI test script against the real complycli binary (see tests/cli/README.md)."""

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

# One script line may run for this long (a hang fails the test, not CI's job). Sanitizer builds run every
# process several times slower, and set COMPLYCLI_TEST_LINE_TIMEOUT (tests/CMakeLists.txt).
TIMEOUT_SECONDS = int(os.environ.get("COMPLYCLI_TEST_LINE_TIMEOUT", "120"))


class ScriptFailure(Exception):
    pass


def split_txtar(text):
    """Return (script lines, {name: content}) from a txtar-shaped file."""
    files = {}
    script = []
    current = None
    for line in text.splitlines(keepends=True):
        m = re.match(r"^-- (.+) --\s*$", line)
        if m:
            current = m.group(1).strip()
            files[current] = ""
            continue
        if current is None:
            script.append(line.rstrip("\n"))
        else:
            files[current] += line
    return script, files


class Runner:
    def __init__(self, binary, source, work):
        self.binary = binary
        self.work = work
        self.cwd = work
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": work,
            "LANG": "C.UTF-8",
            "TERM": "dumb",
            "COMPLYCLI_ACTOR": "tester",
            "WORK": work,
            "SRC": source,
            "EXAMPLES": os.path.join(source, "examples"),
            "COMPLYCLI": binary,
            # Scripts may use COMPLYCLI_KDF_PROFILE=interactive: below the Argon2id floor, for tests only.
            "COMPLYCLI_TEST_WEAK_KDF": "1",
        }
        for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TMPDIR", "COMPLYCLI_SIGN_FIXTURE"):
            if name in os.environ:
                self.env[name] = os.environ[name]
        self.stdin_file = None
        self.stdout = ""
        self.stderr = ""
        self.last = ""

    def expand(self, text):
        return re.sub(r"\$\{?([A-Z_][A-Z0-9_]*)\}?", lambda m: self.env.get(m.group(1), m.group(0)), text)

    def run(self, args, expected_code):
        if args and args[0] == "complycli":
            args = [self.binary] + args[1:]
        stdin = subprocess.DEVNULL
        if self.stdin_file is not None:
            stdin = open(os.path.join(self.cwd, self.stdin_file), "rb")
            self.stdin_file = None
        try:
            proc = subprocess.run(args, cwd=self.cwd, env=self.env, stdin=stdin, capture_output=True,
                                  timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            raise ScriptFailure(f"timed out after {TIMEOUT_SECONDS}s")
        finally:
            if stdin is not subprocess.DEVNULL:
                stdin.close()
        self.stdout = proc.stdout.decode("utf-8", "replace")
        self.stderr = proc.stderr.decode("utf-8", "replace")
        if proc.returncode != expected_code:
            raise ScriptFailure(f"exit code {proc.returncode}, expected {expected_code}\n"
                                f"--- stdout ---\n{self.stdout}--- stderr ---\n{self.stderr}")
        for marker in ("AddressSanitizer", "runtime error:", "LeakSanitizer"):
            if marker in self.stderr:
                raise ScriptFailure(f"sanitizer report:\n{self.stderr}")

    def match(self, stream_name, pattern, negate):
        text = self.stdout if stream_name == "stdout" else self.stderr
        found = re.search(pattern, text, re.MULTILINE) is not None
        if found == negate:
            raise ScriptFailure(f"{stream_name} {'matches' if negate else 'does not match'} {pattern!r}\n"
                                f"--- {stream_name} ---\n{text}")

    def path(self, name):
        return os.path.join(self.cwd, name)

    def step(self, line):
        negate = False
        words = shlex.split(self.expand(line))
        if words[0] == "!":
            negate = True
            words = words[1:]
        verb, args = words[0], words[1:]
        if verb == "exec":
            self.run(args, 0)
        elif verb == "fail":
            self.run(args[1:], int(args[0]))
        elif verb in ("stdout", "stderr"):
            self.match(verb, args[0], negate)
        elif verb == "env":
            name, _, value = args[0].partition("=")
            if value == "" and "=" not in args[0]:
                self.env.pop(name, None)
            else:
                self.env[name] = value
        elif verb == "unenv":
            self.env.pop(args[0], None)
        elif verb == "cd":
            self.cwd = os.path.join(self.cwd, args[0])
        elif verb == "stdin":
            self.stdin_file = args[0]
        elif verb == "exists":
            for name in args:
                if os.path.lexists(self.path(name)) == negate:
                    raise ScriptFailure(f"{name} {'exists' if negate else 'does not exist'}")
        elif verb == "cmp":
            with open(self.path(args[0]), "rb") as a, open(self.path(args[1]), "rb") as b:
                same = a.read() == b.read()
            if same == negate:
                raise ScriptFailure(f"{args[0]} and {args[1]} {'are the same' if negate else 'differ'}")
        elif verb == "mode":
            actual = os.stat(self.path(args[1])).st_mode & 0o7777
            if actual != int(args[0], 8):
                raise ScriptFailure(f"{args[1]} has mode {actual:o}, expected {args[0]}")
        elif verb == "sh":
            command = line.split(None, 1)[1]
            proc = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=self.cwd, env=self.env,
                                  capture_output=True, timeout=TIMEOUT_SECONDS)
            self.stdout = proc.stdout.decode("utf-8", "replace")
            self.stderr = proc.stderr.decode("utf-8", "replace")
            if proc.returncode != 0:
                raise ScriptFailure(f"sh failed ({proc.returncode}): {self.stderr}")
        else:
            raise ScriptFailure(f"unknown verb {verb!r}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("script")
    options = parser.parse_args()

    with open(options.script, encoding="utf-8") as f:
        lines, files = split_txtar(f.read())
    work = tempfile.mkdtemp(prefix="complycli-cli-")
    try:
        for name, content in files.items():
            target = os.path.join(work, name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "w", encoding="utf-8") as out:
                out.write(content)
        runner = Runner(os.path.abspath(options.binary), os.path.abspath(options.source), work)
        for number, line in enumerate(lines, start=1):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            try:
                runner.step(stripped)
            except ScriptFailure as failure:
                print(f"{options.script}:{number}: {stripped}\n{failure}", file=sys.stderr)
                return 1
            except (OSError, ValueError, IndexError) as error:
                print(f"{options.script}:{number}: {stripped}\nscript error: {error}", file=sys.stderr)
                return 1
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
