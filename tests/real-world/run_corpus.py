#!/usr/bin/env python3
"""Run `complycli check` over the real-world corpus and compare with the expected verdicts.

tests/real-world/ holds configuration files taken byte for byte from public repositories
(PROVENANCE.tsv says where each one comes from, at which commit, under which licence). expected.tsv
says, for a fixture (a file or folder of the corpus), what a check must report, and why: the reason
cites what the server or the standard documents, not what complycli printed. See README.md.

expected.tsv: one row a line, tab-separated, `#` starts a comment line:
  fixture   a path under tests/real-world/ given to `complycli check` (the run's working folder is
            tests/real-world/, so finding files are relative to it)
  args      more arguments for `complycli check` (`-` for none), e.g. `--root nginx/debian`
  check     the check id
  where     which findings: `*` = the check's own status (fail > error > unknown > pass > skip);
            `resource=GLOB` or `file=GLOB` = the findings whose resource (file) matches the glob
            (`*` and `?` only; brackets are literal): they must all have the expected status, and `none` means that no finding matches
  expected  pass | fail | skip | error | unknown | none
  xfail     `-`, or why complycli does not give the right verdict yet (the row is then expected to
            mismatch: a row marked xfail that matches is an error, so that the mark is removed)
  reason    the documented behaviour the expected verdict follows

Every fixture is run once (with all its rows); the output ends with per-kind counts and
`N passed, N failed`. Exit status 0 when every row is as expected, 1 otherwise.
"""

import argparse
import collections
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OWN_FILES = {"PROVENANCE.tsv", "expected.tsv", "run_corpus.py", "README.md"}
STATUSES = {"pass", "fail", "skip", "error", "unknown", "none"}
# A fixed date: certificate ages and other age checks must not change with the calendar.
DATE = "2026-12-07"
MIN_FILES = 150
MIN_KINDS = 8


def kind_of(path):
    """The kind of a corpus file: its top folder, except pg_hba files (read by another loader)."""
    top = path.split("/", 1)[0]
    if os.path.basename(path).startswith("pg_hba"):
        return "pg_hba"
    return top


def read_tsv(name):
    rows = []
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            rows.append((number, line.split("\t")))
    return rows


SYNTHETIC = "complycli (written for this corpus)"


def check_provenance(problems):
    """Every corpus file is listed, every listed file exists; returns (public files, written files)."""
    listed = {}
    for number, fields in read_tsv("PROVENANCE.tsv"):
        if len(fields) != 5 or not all(fields):
            problems.append(f"PROVENANCE.tsv:{number}: expected 5 non-empty fields (file, repository, path, commit, licence)")
            continue
        listed[fields[0]] = fields
    present = set()
    for root, _dirs, files in os.walk(HERE):
        for name in files:
            rel = os.path.relpath(os.path.join(root, name), HERE).replace(os.sep, "/")
            if rel in OWN_FILES or "__pycache__" in rel:
                continue
            present.add(rel)
    for rel in sorted(present - set(listed)):
        problems.append(f"{rel}: not listed in PROVENANCE.tsv")
    for rel in sorted(set(listed) - present):
        problems.append(f"PROVENANCE.tsv lists {rel}, which is not in the corpus")
    public = sorted(rel for rel in present if rel in listed and listed[rel][1] != SYNTHETIC)
    written = sorted(rel for rel in present if rel in listed and listed[rel][1] == SYNTHETIC)
    return public, written


def glob_match(pattern, text):
    """A glob where only * and ? are special: resources such as module.m["a"].aws_x.y hold brackets."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.S) is not None


def check_status(findings):
    statuses = {f.get("status") for f in findings if not f.get("waived")}
    for status in ("fail", "error", "unknown", "pass"):
        if status in statuses:
            return status
    return "skip"


def actual_verdict(report, check_id, where):
    checks = {c["id"]: c for c in report.get("checks", [])}
    check = checks.get(check_id)
    if check is None:
        return None, f"no check {check_id} in the report"
    if where == "*":
        return check.get("status"), ""
    key, _, pattern = where.partition("=")
    matched = [f for f in check.get("findings", []) if glob_match(pattern, str(f.get(key) or ""))]
    if not matched:
        return "none", ""
    statuses = sorted({f.get("status") for f in matched})
    if len(statuses) == 1:
        return statuses[0], ""
    detail = "; ".join(f"{f.get('resource')} {f.get('status')} ({f.get('file')}:{f.get('line')})" for f in matched)
    return "mixed:" + ",".join(statuses), detail


def run_fixture(binary, fixture, args, home):
    command = [binary, "check", fixture, *args, "--format", "json", "--date", DATE, "--fail-on", "critical"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLYCLI_") or k == "COMPLYCLI_DATA_DIR"}
    env["HOME"] = home
    proc = subprocess.run(command, cwd=HERE, env=env, capture_output=True, text=True, timeout=120)
    if proc.returncode not in (0, 1):
        return None, f"exit {proc.returncode}: {proc.stderr.strip()[:500]}"
    try:
        return json.loads(proc.stdout), ""
    except json.JSONDecodeError as error:
        return None, f"the JSON report does not parse: {error}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source", help="the project root (unused; for symmetry with the other runners)")
    parser.add_argument("-k", dest="only", help="only the rows whose fixture contains this text")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every row, not only the problems")
    parser.add_argument("--report-only", action="store_true",
                        help="exit 0 whatever the verdicts (to measure another binary, e.g. an older one)")
    parser.add_argument("--verdicts", metavar="FILE",
                        help="write each row's verdict to FILE (tab-separated: line, fixture, args, check, where, "
                             "expected, actual), to compare two binaries")
    options = parser.parse_args()

    problems = []
    files, written = check_provenance(problems)
    kinds = collections.Counter(kind_of(f) for f in files)
    if len(files) < MIN_FILES:
        problems.append(f"the corpus has {len(files)} files, fewer than {MIN_FILES}")
    if len(kinds) < MIN_KINDS:
        problems.append(f"the corpus has {len(kinds)} kinds, fewer than {MIN_KINDS}")

    rows = []
    for number, fields in read_tsv("expected.tsv"):
        if len(fields) != 7:
            problems.append(f"expected.tsv:{number}: expected 7 tab-separated fields, found {len(fields)}")
            continue
        fixture, args, check_id, where, expected, xfail, reason = fields
        if expected not in STATUSES:
            problems.append(f"expected.tsv:{number}: unknown status {expected!r}")
            continue
        if where != "*" and not (where.startswith("resource=") or where.startswith("file=")):
            problems.append(f"expected.tsv:{number}: `where` must be *, resource=GLOB or file=GLOB")
            continue
        if not os.path.exists(os.path.join(HERE, fixture)):
            problems.append(f"expected.tsv:{number}: no fixture {fixture}")
            continue
        if not reason.strip():
            problems.append(f"expected.tsv:{number}: a row needs the documented reason for its verdict")
        if options.only and options.only not in fixture:
            continue
        rows.append((number, fixture, [] if args == "-" else shlex.split(args), check_id, where, expected,
                     "" if xfail == "-" else xfail))

    reports = {}
    verdicts = []
    outcome = collections.Counter()
    per_kind = collections.defaultdict(collections.Counter)
    with tempfile.TemporaryDirectory(prefix="complycli-real-world-") as home:
        for number, fixture, args, check_id, where, expected, xfail in rows:
            key = (fixture, tuple(args))
            if key not in reports:
                reports[key] = run_fixture(options.binary, fixture, args, home)
            report, error = reports[key]
            label = f"expected.tsv:{number}: {fixture} {' '.join(args)} {check_id} [{where}]".replace("  ", " ")
            kind = kind_of(fixture if not fixture.endswith("/") else fixture[:-1])
            if report is None:
                actual, detail = None, error
            else:
                actual, detail = actual_verdict(report, check_id, where)
            verdicts.append((number, fixture, " ".join(args) or "-", check_id, where, expected, str(actual)))
            matches = actual == expected
            if matches and not xfail:
                result = "ok"
            elif not matches and xfail:
                result = "xfail"
            elif matches and xfail:
                result = "XPASS"
                detail = f"marked xfail ({xfail}) but now gives the expected verdict: remove the mark"
            else:
                result = "FAIL"
            outcome[result] += 1
            per_kind[kind][result] += 1
            if result in ("XPASS", "FAIL") or options.verbose:
                line = f"{result:5} {label}: expected {expected}, got {actual}"
                if detail:
                    line += f" ({detail})"
                print(line)

    print()
    print("corpus files per kind: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
          + f" ({len(files)} files from public repositories, {len(kinds)} kinds; and {len(written)} files written for the corpus)")
    print("expected verdicts per kind (rows: ok / xfail / failed):")
    for kind in sorted(per_kind):
        c = per_kind[kind]
        print(f"  {kind:12} {sum(c.values()):4}: {c['ok']} ok, {c['xfail']} xfail, {c['FAIL'] + c['XPASS']} failed")
    for problem in problems:
        print(f"corpus problem: {problem}")
    failed = outcome["FAIL"] + outcome["XPASS"] + len(problems)
    passed = outcome["ok"] + outcome["xfail"]
    print(f"{outcome['xfail']} of the passed rows are known failures marked xfail")
    print(f"{passed} passed, {failed} failed")
    if options.verdicts:
        with open(options.verdicts, "w", encoding="utf-8") as f:
            for row in verdicts:
                f.write("\t".join(str(x) for x in row) + "\n")
    if options.report_only:
        return 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
