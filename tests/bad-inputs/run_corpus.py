#!/usr/bin/env python3
"""Run every case of the bad-input corpus (MANIFEST.tsv) against the real complycli binary.

Each case runs in a fresh copy of a prepared workspace folder and must: exit with its expected status,
print a message matching its pattern, finish within the time limit, never die of a signal or exit 128+,
never print a sanitizer report, a C++ "terminate called" / "what():" or an internal error, leave the
input unchanged and leave no new file behind (no partial output, no temporary file). See
docs/robustness.md, "Bad-input corpus", for the manifest format and how to add a case.
"""

import argparse
import concurrent.futures
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# Each case must finish within 5 s of processor time (user + system: a busy CI machine does not make a
# case fail), and is killed as hung after 30 s of wall-clock time.
TIME_LIMIT_SECONDS = 5.0
WALL_LIMIT_SECONDS = 30.0

# Text that must never appear on stdout or stderr, whatever the case.
FORBIDDEN = [
    ("sanitizer report", re.compile(r"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:")),
    ("uncaught C++ exception", re.compile(r"terminate called|what\(\):")),
    ("stack trace", re.compile(r"^\s*#\d+ 0x[0-9a-f]+|Traceback \(most recent call last\)|stack trace", re.M)),
    ("internal error (a bug)", re.compile(r"internal error|this is a bug")),
    ("signal message", re.compile(r"Segmentation fault|Aborted \(core dumped\)|stack-overflow")),
]


class CaseFailure(Exception):
    pass


# ----------------------------------------------------------------------------------------------------
# Generated inputs: too big to commit, or needing the test's own workspace (ciphertext, symlinks).
# Each takes the case folder and returns the name of the input it made there (relative to the folder).

def write(folder, name, data):
    path = os.path.join(folder, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return name


MIB = 1024 * 1024
# A "huge" line: std::regex overflowed the stack from about 100 KiB (30 KiB under ASan); 1 MiB proves
# the point and keeps the corpus fast in the ASan build.
HUGE = MIB


def gen_deep_yaml_flow(folder):
    # A profile nested 100,000 levels deep, flow style: organisation: [[[[...]]]]
    depth = 100_000
    return write(folder, "deep-flow.yaml", b"schema_version: 1\norganisation: " + b"[" * depth + b"]" * depth + b"\n")


def gen_deep_yaml_block(folder):
    # 100,000 levels of block sequences on one line ("- - - ... x": each "- " opens a nested list).
    depth = 100_000
    return write(folder, "deep-block.yaml", b"schema_version: 1\norganisation:\n  " + b"- " * depth + b"x\n")


def gen_deep_json_profile(folder):
    depth = 100_000
    return write(folder, "deep.json", b'{"schema_version": 1, "organisation": ' + b"[" * depth + b"]" * depth + b"}\n")


def gen_deep_json_plan(folder):
    depth = 100_000
    body = b'{"format_version": "1.2", "planned_values": ' + b'{"a":' * depth + b"1" + b"}" * depth + b"}\n"
    return write(folder, "configs/plan.json", body)


def gen_deep_settings(folder):
    depth = 100_000
    body = b'{"schema_version": 1, "profile": ' + b"[" * depth + b"]" * depth + b"}\n"
    write(folder, ".complycli/settings.json", body)
    return ".complycli/settings.json"


def gen_deep_audit_line(folder):
    depth = 100_000
    line = b'{"action": "a.b", "target": "t", "details": ' + b'{"x":' * depth + b"1" + b"}" * depth + b"}\n"
    return write(folder, "deep.jsonl", line)


def gen_deep_export(folder):
    depth = 100_000
    body = b'{"format": "complycli-matter-export", "versions": ' + b"[" * depth + b"]" * depth + b"}\n"
    return write(folder, "deep.keys", body)


def gen_deep_waivers(folder):
    depth = 100_000
    return write(folder, "waivers.yaml", b"waivers: " + b"[" * depth + b"]" * depth + b"\n")


def gen_deep_check(folder):
    depth = 100_000
    return write(folder, "checks/deep.yaml", b"id: deep\nquery: " + b"{a: " * depth + b"1" + b"}" * depth + b"\n")


def gen_deep_template(folder):
    # 20,000 nested sections: {{#a}}{{#a}}...{{/a}}{{/a}}
    depth = 20_000
    return write(folder, "templates/register.md.mustache", b"{{#a}}" * depth + b"{{/a}}" * depth + b"\n")


def gen_huge_line_nginx(folder):
    # One 1 MiB line with no ';', '{' or newline in a *.conf file, which check sniffs by content:
    # regular expressions must not recurse once per character.
    return write(folder, "configs/conf.d/huge.conf", b"server " + b"a" * HUGE + b"\n")


def gen_huge_spaces_conf(folder):
    return write(folder, "configs/conf.d/spaces.conf", b"\n" + b" " * HUGE + b"listen 80;\n")


def gen_huge_nginx_conf(folder):
    # nginx.conf is read by name, whatever its size.
    return write(folder, "configs/nginx.conf", b"http {\n  server_tokens " + b"o" * HUGE + b";\n}\n")


def gen_deep_nginx(folder):
    depth = 100_000
    return write(folder, "configs/nginx.conf", b"http {\n" + b"location / {\n" * depth + b"}\n" * (depth + 1))


def gen_huge_status_line(folder):
    return write(folder, "configs/site.headers", b"HTTP/1.1 200 " + b"O" * HUGE + b"\r\n\r\n")


def gen_huge_header_name(folder):
    return write(folder, "configs/site.headers", b"HTTP/1.1 200 OK\r\n" + b"X" * HUGE + b"\r\n\r\n")


def gen_huge_number_profile(folder):
    return write(folder, "number.yaml", b"schema_version: 1\norganisation:\n  subprocessor_notice_days: "
                 + b"9" * HUGE + b"\n")


def gen_huge_email_profile(folder):
    profile = open(os.path.join(folder, "profile.yaml"), "rb").read()
    return write(folder, "email.yaml", profile.replace(b"email: dpo@", b"email: " + b"d" * HUGE + b"@", 1))


def gen_huge_template_line(folder):
    # A valid section with a 1 MiB name on lines of their own (standalone tag lines).
    name = b"s" * HUGE
    return write(folder, "templates/register.md.mustache", b"# Register\n{{#" + name + b"}}\nx\n{{/" + name + b"}}\n")


def gen_huge_unclosed_section(folder):
    # The parser's message quotes the 1 MiB section name.
    return write(folder, "templates/register.md.mustache", b"# Register\n{{#" + b"s" * HUGE + b"}}\nx\n")


def gen_huge_line_sshd(folder):
    return write(folder, "configs/sshd_config", b"PermitRootLogin " + b"n" * HUGE + b"\n")


def gen_huge_line_postgres(folder):
    return write(folder, "configs/postgresql.conf", b"ssl = '" + b"o" * HUGE + b"'\n")


def gen_huge_line_pg_hba(folder):
    return write(folder, "configs/pg_hba.conf", b"host all all " + b"1" * HUGE + b" trust\n")


def gen_huge_headers(folder):
    return write(folder, "configs/site.headers",
                 b"HTTP/1.1 200 OK\r\nContent-Security-Policy: " + b"x" * HUGE + b"\r\n\r\n")


def gen_huge_header_values(folder):
    # Header values the checks match with regular expressions: 1 MiB of blanks and of digits.
    return write(folder, "configs/site.headers", b"HTTP/1.1 200 OK\r\nX-Frame-Options: deny" + b" " * HUGE
                 + b"\r\nStrict-Transport-Security: max-age=" + b"9" * HUGE + b"\r\n\r\n")


def gen_huge_line_profile(folder):
    return write(folder, "huge.yaml", b"schema_version: 1\norganisation:\n  legal_name: " + b"N" * HUGE + b"\n")


def gen_huge_questionnaire(folder):
    return write(folder, "huge.csv", b"id,domain,question\nQ-1,General,\"" + b"q" * HUGE + b"\n")


def gen_huge_audit_line(folder):
    return write(folder, "huge.jsonl", b'{"action": "a.b", "target": "' + b"t" * HUGE + b'"\n')


def gen_huge_roster(folder):
    profile = open(os.path.join(folder, "profile.yaml"), "rb").read()
    write(folder, "people.csv", b"name,role,email\n\"" + b"n" * HUGE + b"\n")
    return write(folder, "profile-huge-roster.yaml", profile)


def truncated_matter(folder, size):
    data = open(os.path.join(folder, "good.txt.cmply"), "rb").read()
    return write(folder, f"cut-{size}.cmply", data[:size])


def gen_matter_cut_magic(folder):
    return truncated_matter(folder, 3)


def gen_matter_cut_header(folder):
    # 14 bytes into the Cobblestone payload's salt, after the 58-byte format 2 header (docs/format.md)
    return truncated_matter(folder, 72)


def gen_matter_cut_format_header(folder):
    # inside the format 2 header: after the key version, in the ephemeral public key
    return truncated_matter(folder, 40)


def gen_matter_cut_last_byte(folder):
    data = open(os.path.join(folder, "good.txt.cmply"), "rb").read()
    return truncated_matter(folder, len(data) - 1)


def gen_matter_appended(folder):
    data = open(os.path.join(folder, "good.txt.cmply"), "rb").read()
    return write(folder, "appended.cmply", data + b"\0" * 100)


def gen_export_truncated(folder):
    data = open(os.path.join(folder, "good.keys"), "rb").read()
    return write(folder, "cut.keys", data[: len(data) // 2])


def gen_identity_truncated(folder):
    data = open(os.path.join(folder, "id.key"), "rb").read()
    return write(folder, "cut.key", data[: len(data) // 2])


def symlink_loops(folder, name):
    """A folder with a real file, a link to itself, a link to its parent, a two-link cycle and a
    self-referencing link: walking it must end, and must not follow the links."""
    root = os.path.join(folder, name)
    os.makedirs(os.path.join(root, "sub"))
    with open(os.path.join(root, "sub", "real.txt"), "w") as f:
        f.write("real\n")
    os.symlink(".", os.path.join(root, "sub", "here"))
    os.symlink("..", os.path.join(root, "sub", "up"))
    os.symlink("b", os.path.join(root, "a"))
    os.symlink("a", os.path.join(root, "b"))
    os.symlink("self", os.path.join(root, "self"))
    return name


def gen_loop_folder(folder):
    return symlink_loops(folder, "loop")


def gen_loop_folder_matters(folder):
    # The same loops, next to a real matter file, for decrypt -r.
    name = symlink_loops(folder, "loop")
    shutil.copy(os.path.join(folder, "good.txt.cmply"), os.path.join(folder, name, "sub", "good.txt.cmply"))
    return name


def gen_loop_configs(folder):
    name = symlink_loops(folder, "loop")
    with open(os.path.join(folder, name, "sub", "sshd_config"), "w") as f:
        f.write("PermitRootLogin no\n")
    return name


def gen_self_loop_file(folder):
    os.symlink("selfloop", os.path.join(folder, "selfloop"))
    return "selfloop"


GENERATORS = {name[len("gen_"):]: fn for name, fn in globals().items() if name.startswith("gen_")}


# ----------------------------------------------------------------------------------------------------

def install_input(spec, folder):
    """Put a case's input into its folder; return (the input's path, its folder), relative to `folder`.

    gen:NAME      a generator above makes it
    -             no input
    TYPE/NAME     the file, copied to in/NAME
    TYPE/CASE/NAME  the whole folder TYPE/CASE (a file and its companions), copied to in/
    SOURCE>DEST   the file SOURCE installed at DEST (e.g. over the workspace's settings.json)
    """
    if spec == "-":
        return "", "."
    if spec.startswith("gen:"):
        name = GENERATORS[spec[4:]](folder)
        return name, os.path.dirname(name) or "."
    source, _, dest = spec.partition(">")
    if dest:
        os.makedirs(os.path.dirname(os.path.join(folder, dest)), exist_ok=True)
        shutil.copy(os.path.join(HERE, source), os.path.join(folder, dest))
        return dest, os.path.dirname(dest) or "."
    parts = source.split("/")
    if len(parts) == 3:
        shutil.copytree(os.path.join(HERE, parts[0], parts[1]), os.path.join(folder, "in"))
    else:
        os.makedirs(os.path.join(folder, "in"))
        shutil.copy(os.path.join(HERE, source), os.path.join(folder, "in", parts[-1]))
    return "in/" + parts[-1], "in"


class Case:
    def __init__(self, line_number, file, expected, pattern, command):
        self.line_number = line_number
        self.file = file
        self.expected = expected
        self.pattern = pattern
        self.command = command

    @property
    def name(self):
        return f"MANIFEST.tsv:{self.line_number}: {self.file}"


def read_manifest(path):
    cases = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) != 4:
                raise SystemExit(f"{path}:{number}: expected 4 tab-separated fields "
                                 f"(file, exit, pattern, command), found {len(fields)}")
            file, expected, pattern, command = fields
            if file.startswith("gen:") and file[4:] not in GENERATORS:
                raise SystemExit(f"{path}:{number}: unknown generator {file!r}")
            if not file.startswith("gen:") and file != "-" and not os.path.exists(os.path.join(HERE, file.split(">")[0])):
                raise SystemExit(f"{path}:{number}: no such corpus file {file!r}")
            try:
                re.compile(pattern)
            except re.error as error:
                raise SystemExit(f"{path}:{number}: bad pattern {pattern!r}: {error}")
            cases.append(Case(number, file, int(expected), pattern, command))
    return cases


def snapshot(folder):
    """Every path under `folder` (files, folders, links) with a digest of its content."""
    result = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, folder)
            if os.path.islink(path):
                result[rel] = "link:" + os.readlink(path)
            elif os.path.isfile(path):
                with open(path, "rb") as f:
                    result[rel] = hashlib.sha256(f.read()).hexdigest()
            else:
                result[rel] = "dir"
    return result


# The workspace's databases change on every run (the audit log records failed commands); SQLite's
# journal files come and go. Anything else new or changed is output the failed command left behind.
def is_workspace_database(rel):
    return re.match(r"^\.complycli/[^/]+\.(db|sqlite)(-wal|-shm|-journal)?$", rel) is not None


class Runner:
    def __init__(self, binary, source, work):
        self.binary = binary
        self.source = source
        self.work = work
        self.fixture = os.path.join(work, "fixture")
        self.report = False
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "TERM": "dumb",
            "NO_COLOR": "1",
            "COMPLYCLI_ACTOR": "corpus",
            "COMPLYCLI_KDF_PROFILE": "interactive",
            "COMPLYCLI_TEST_WEAK_KDF": "1",
            "COMPLYCLI_PASSPHRASE": "corpus passphrase",
            "SOURCE_DATE_EPOCH": "1780000000",
        }
        for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TMPDIR"):
            if name in os.environ:
                self.env[name] = os.environ[name]

    def setup(self, args, stdout_file=None, allowed=(0,)):
        env = dict(self.env, HOME=self.fixture)
        out = open(os.path.join(self.fixture, stdout_file), "wb") if stdout_file else subprocess.DEVNULL
        try:
            proc = subprocess.run([self.binary] + args, cwd=self.fixture, env=env, stdout=out,
                                  stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=120)
        finally:
            if stdout_file:
                out.close()
        if proc.returncode not in allowed:
            raise SystemExit(f"fixture set-up failed: complycli {' '.join(args)}: exit {proc.returncode}\n"
                             + proc.stderr.decode("utf-8", "replace"))

    def prepare_fixture(self):
        """A workspace with the example profile, an identity, a --no-passphrase matter with one
        encrypted file and an export of it, and a check results file."""
        os.makedirs(self.fixture)
        example = os.path.join(self.source, "examples", "northwind-legal")
        for name in ("profile.yaml", "people.csv", "questionnaire.csv"):
            shutil.copy(os.path.join(example, name), os.path.join(self.fixture, name))
        with open(os.path.join(self.fixture, "good.txt"), "w") as f:
            f.write("privileged and confidential\n")
        self.setup(["init", "--profile", "profile.yaml"])
        self.setup(["identity", "new", "-o", "id.key"], stdout_file="id.pub")
        with open(os.path.join(self.fixture, "id.pub")) as f:
            public_key = f.read().strip()
        self.setup(["matter", "create", "m", "--recipient", public_key, "--no-passphrase"])
        self.setup(["encrypt", "--matter", "m", "--identity", "id.key", "good.txt"])
        self.setup(["matter", "export", "m", "--to", public_key, "--identity", "id.key", "-o", "good.keys"])
        os.makedirs(os.path.join(self.fixture, "configs"))
        self.setup(["check", "configs", "--format", "json", "--results", "results.json"], stdout_file="check.json",
                   allowed=(0, 1))  # 1: the example profile has failing checks
        os.remove(os.path.join(self.fixture, "check.json"))

    def run_case(self, index, case):
        folder = os.path.join(self.work, f"case-{index:03d}")
        shutil.copytree(self.fixture, folder, symlinks=True)
        input_name, input_dir = install_input(case.file, folder)
        out_name = "never-written.out"
        replacements = {"{file}": input_name, "{dir}": input_dir, "{out}": out_name, "{src}": self.source}
        words = shlex.split(case.command)
        stdin_name = None
        if words and words[-1].startswith("<"):
            stdin_name = words.pop()[1:]
        args = []
        for word in words:
            for key, value in replacements.items():
                word = word.replace(key, value)
            args.append(word)
        if not args or args[0] != "complycli":
            raise CaseFailure("the command must start with complycli")
        args[0] = self.binary
        if stdin_name is not None:
            for key, value in replacements.items():
                stdin_name = stdin_name.replace(key, value)
        before = snapshot(folder)
        stdin = open(os.path.join(folder, stdin_name), "rb") if stdin_name else subprocess.DEVNULL
        # Output goes to files (outside the case folder) so that the child can be reaped with wait4,
        # which reports the processor time it used.
        out_path = os.path.join(self.work, f"case-{index:03d}.stdout")
        err_path = os.path.join(self.work, f"case-{index:03d}.stderr")
        started = time.monotonic()
        hung = threading.Event()
        try:
            with open(out_path, "wb") as out, open(err_path, "wb") as err:
                child = subprocess.Popen(args, cwd=folder, env=dict(self.env, HOME=folder), stdin=stdin, stdout=out,
                                         stderr=err)
                timer = threading.Timer(WALL_LIMIT_SECONDS, lambda: (hung.set(), child.kill()))
                timer.start()
                try:
                    _, status, usage = os.wait4(child.pid, 0)
                finally:
                    timer.cancel()
                child.returncode = os.waitstatus_to_exitcode(status)
        finally:
            if stdin is not subprocess.DEVNULL:
                stdin.close()
        if hung.is_set():
            raise CaseFailure(f"hung: still running after {WALL_LIMIT_SECONDS:.0f} s (killed)")
        elapsed = usage.ru_utime + usage.ru_stime
        wall = time.monotonic() - started
        with open(out_path, "rb") as f:
            stdout_bytes = f.read()
        with open(err_path, "rb") as f:
            stderr_bytes = f.read()
        os.remove(out_path)
        os.remove(err_path)
        proc = subprocess.CompletedProcess(args, child.returncode, stdout_bytes, stderr_bytes)
        stdout = proc.stdout.decode("utf-8", "replace")
        stderr = proc.stderr.decode("utf-8", "replace")
        shown = f"--- command ---\n{shlex.join(args)}\n--- stdout ---\n{stdout[:4000]}\n--- stderr ---\n{stderr[:4000]}"
        problems = []
        if proc.returncode < 0:
            problems.append(f"killed by signal {-proc.returncode}")
        elif proc.returncode >= 128:
            problems.append(f"exit status {proc.returncode} (a signal)")
        if proc.returncode != case.expected:
            problems.append(f"exit status {proc.returncode}, expected {case.expected}")
        if elapsed > TIME_LIMIT_SECONDS:
            problems.append(f"used {elapsed:.1f} s of processor time ({wall:.1f} s in all), the limit is "
                            f"{TIME_LIMIT_SECONDS:.0f} s")
        for what, pattern in FORBIDDEN:
            if pattern.search(stdout) or pattern.search(stderr):
                problems.append(f"printed a {what}")
        stream, pattern = ("stdout", case.pattern[7:]) if case.pattern.startswith("stdout:") else ("stderr", case.pattern)
        if not re.search(pattern, stdout if stream == "stdout" else stderr, re.M):
            problems.append(f"{stream} does not match {pattern!r}")
        if case.expected in (2, 3):
            if not re.search(r"^complycli: error: ", stderr, re.M):
                problems.append("no 'complycli: error: ' line on stderr")
            if stdout:
                problems.append("printed to stdout on an error")
        # A failed command leaves everything as it was; one that succeeds (encrypt -r over a folder with
        # symlink loops, say) writes its outputs.
        after = snapshot(folder) if case.expected != 0 else before
        for rel in sorted(set(after) - set(before)):
            if not is_workspace_database(rel):
                problems.append(f"left a new file behind: {rel}")
        for rel in sorted(set(before) - set(after)):
            problems.append(f"removed {rel}")
        for rel in sorted(set(before) & set(after)):
            if before[rel] != after[rel] and not is_workspace_database(rel):
                problems.append(f"changed {rel}")
        shutil.rmtree(folder, ignore_errors=True)
        if self.report:
            first = next((l for l in stderr.splitlines() if l.strip()), "")
            print(f"REPORT\t{case.line_number}\t{proc.returncode}\t{elapsed:.2f}\t{first[:300]}\t{'; '.join(problems)[:300]}", flush=True)
        if problems:
            raise CaseFailure("; ".join(problems) + "\n" + shown)
        return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--manifest", default=os.path.join(HERE, "MANIFEST.tsv"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", help="run only the cases whose file contains this text")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--report", action="store_true", help="print each case's exit status and first stderr line")
    options = parser.parse_args()

    cases = read_manifest(options.manifest)
    if options.only:
        cases = [c for c in cases if options.only in c.file or options.only in c.command]
    work = tempfile.mkdtemp(prefix="complycli-bad-inputs-")
    started = time.monotonic()
    failures = 0
    try:
        runner = Runner(os.path.abspath(options.binary), os.path.abspath(options.source), work)
        runner.report = options.report
        runner.prepare_fixture()
        with concurrent.futures.ThreadPoolExecutor(max_workers=options.jobs) as pool:
            futures = {pool.submit(runner.run_case, i, case): case for i, case in enumerate(cases)}
            for future in concurrent.futures.as_completed(futures):
                case = futures[future]
                try:
                    elapsed = future.result()
                    print(f"ok    {elapsed:5.2f}s  {case.name}", flush=True)
                except CaseFailure as failure:
                    failures += 1
                    print(f"FAIL         {case.name}\n{failure}\n", flush=True)
    finally:
        if options.keep:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{len(cases) - failures} of {len(cases)} cases passed in {time.monotonic() - started:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
