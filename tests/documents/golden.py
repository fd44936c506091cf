#!/usr/bin/env python3
"""Golden-file tests for the document commands: every command x format on the example company
(examples/northwind-legal/profile.yaml) with a fixture check results file in which every check passed
(tests/data/documents/results-pass.json), plus the trust page over the example's own check results
(examples/northwind-legal/results.json), with a fixed --date, compared byte for byte with
tests/data/documents/golden/. `register diff` compares the example with itself before Intercom was
added (and before Zendesk moved to Australia).

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


def profile_before(example: Path, work: Path) -> Path:
    """The example profile as it was before Intercom was added and Zendesk moved to `au`."""
    before = work / "before"
    before.mkdir()
    shutil.copy(example / "people.csv", before / "people.csv")
    lines = (example / "profile.yaml").read_text().splitlines(keepends=True)
    out, skipping, in_zendesk = [], False, False
    for line in lines:
        if line.startswith("  - name: Intercom"):
            skipping = True
        elif skipping and (line.strip() == "" or line.startswith("  - name:")):
            skipping = False
        if skipping:
            continue
        if line.startswith("  - name: "):
            in_zendesk = line.strip() == "- name: Zendesk"
        if in_zendesk and line.strip() == "locations: [us, au]":
            line = line.replace("[us, au]", "[us]")
        out.append(line)
    (before / "profile.yaml").write_text("".join(out))
    return before / "profile.yaml"


def sign_fixtures(data: Path, examples: Path, work: Path) -> dict:
    """Documents render only from signed results (docs/trust-chain.md): sign the hand-made fixtures with
    the test log key (tests/data/documents/test-log.key), bound to the example profile."""
    tool = os.environ.get("COMPLYCLI_SIGN_FIXTURE")
    if not tool:
        raise SystemExit("COMPLYCLI_SIGN_FIXTURE is not set (ctest sets it to the sign_results_fixture tool)")
    profile = examples / "northwind-legal" / "profile.yaml"
    signed = {}
    for name, source in (("pass", data / "results-pass.json"), ("example", examples / "northwind-legal" / "results.json")):
        out = work / f"signed-{name}.json"
        subprocess.run([tool, "sign", str(data / "test-log.key"), str(profile), str(source), str(out)], check=True)
        signed[name] = out
    return signed


def cases(data: Path, examples: Path, old_profile: Path, signed: dict):
    example = examples / "northwind-legal"
    profile = ["--profile", str(example / "profile.yaml"), "--date", DATE, "--pubkey", str(data / "test-log.pub")]
    register_profile = ["--profile", str(example / "profile.yaml"), "--date", DATE]
    results = ["--results", str(signed["pass"])]
    questionnaire = ["--questionnaire", str(examples / "northwind-legal" / "questionnaire.csv")]
    out = []
    for fmt in ("md", "html", "csv", "json"):
        out.append((f"register.{fmt}", ["register", *register_profile, "--format", fmt, "-o", "OUT"], None))
    for fmt in ("md", "json"):
        out.append((f"register-diff.{fmt}",
                    ["register", "diff", str(old_profile), str(example / "profile.yaml"),
                     "--date", DATE, "--format", fmt, "-o", "OUT"], None))
    for fmt in ("md", "html"):
        out.append((f"dpa.{fmt}", ["dpa", *profile, *results, "--customer", "Acme Legal LLP",
                                   "--customer-address", "1 Fleet Street\nLondon EC4Y 1AA\nUnited Kingdom",
                                   "--format", fmt, "-o", "OUT"], None))
    for fmt in ("html", "md"):
        out.append((f"trust-page.{fmt}", ["trust-page", *profile, *results, "--format", fmt, "-o", "DIR"],
                    [f"index.{fmt}", "security.txt"]))
    out.append(("trust-page.example-results", ["trust-page", *profile, "--results", str(signed["example"]),
                                               "--format", "md", "-o", "DIR"], ["index.md"]))
    for fmt in ("csv", "md", "json"):
        out.append((f"answers.{fmt}", ["answer", *profile, *results, *questionnaire, "--format", fmt, "-o", "OUT"], None))
    out.append(("answers.example-results.md", ["answer", *profile, "--results", str(signed["example"]),
                                               *questionnaire, "--format", "md", "-o", "OUT"], None))
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
        old_profile = profile_before(source / "examples" / "northwind-legal", Path(work))
        signed = sign_fixtures(data, source / "examples", Path(work))
        for name, argv, files in cases(data, source / "examples", old_profile, signed):
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
