"""What the tlog test scripts share: soft checks that are counted, and a runner for the complycli binary
in a throwaway folder (HOME there, actor "tester", workspaces as sub-folders)."""
import os
import shutil
import subprocess
import sys
import tempfile

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message, file=sys.stderr)


def summary():
    """The script's exit status: 1 when a check failed."""
    if failures:
        print(f"{len(failures)} failures", file=sys.stderr)
        return 1
    print("ok")
    return 0


class Cli:
    def __init__(self, binary, prefix):
        self.binary = os.path.abspath(binary)
        self.work = tempfile.mkdtemp(prefix=prefix)
        self.env = dict(os.environ, HOME=self.work, COMPLYCLI_ACTOR="tester")

    def run(self, *argv, home="ws", expect=0, stdin=None):
        """Run `complycli -q --home WORK/HOME ARGV`; stop the script when the exit status is not `expect`
        (None accepts any)."""
        p = subprocess.run([self.binary, "-q", "--home", os.path.join(self.work, home), *argv], cwd=self.work,
                           env=self.env, capture_output=True, text=True, input=stdin)
        if expect is not None and p.returncode != expect:
            raise SystemExit(f"{' '.join(argv)}: exit {p.returncode}, expected {expect}\n{p.stderr}")
        return p

    def remove(self):
        shutil.rmtree(self.work, ignore_errors=True)
