#!/usr/bin/env python3
"""The OSCAL outputs against NIST's published JSON schemas (tests/oscal/README.md says where they come from).

`check --format oscal` (assessment results) and `controls --format oscal` (component definition) over
the example company must validate, and their cross references must resolve. Exits 77 (skipped) when
python3-jsonschema is not installed (scripts/install-deps installs it).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

try:
    import jsonschema
except ImportError:
    print("oscal: python3-jsonschema is not installed; skipping (scripts/install-deps)")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))


def python_patterns(node):
    """NIST's patterns use ECMA-262 Unicode classes that Python's re lacks: \\p{L} (a letter) becomes
    [^\\W\\d_] and \\p{N} (a digit) becomes \\d, which match the same characters in Python 3."""
    if isinstance(node, dict):
        return {k: (v.replace(r"\p{L}", r"[^\W\d_]").replace(r"\p{N}", r"\d") if k == "pattern" and isinstance(v, str)
                    else python_patterns(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [python_patterns(v) for v in node]
    return node


def validate(document, schema_file):
    with open(os.path.join(HERE, schema_file)) as f:
        schema = python_patterns(json.load(f))
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    for e in errors[:10]:
        print(f"  {schema_file}: /{'/'.join(str(p) for p in e.path)}: {e.message[:300]}")
    return not errors


def run(binary, *args, expect=0):
    env = dict(os.environ, COMPLYCLI_HOME=os.path.join(tempfile.gettempdir(), "complycli-oscal-no-workspace"))
    p = subprocess.run([binary, *args], capture_output=True, text=True, env=env)
    if p.returncode != expect:
        sys.exit(f"complycli {' '.join(args)}: exit {p.returncode}, expected {expect}\n{p.stderr}")
    return json.loads(p.stdout)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source", required=True)
    args = parser.parse_args()
    example = os.path.join(args.source, "examples", "northwind-legal")
    ok = True

    ar = run(args.binary, "check", example, "--date", "2026-11-25", "--format", "oscal", expect=1)
    ok &= validate(ar, "oscal_assessment-results_schema.json")
    doc = ar["assessment-results"]
    assert doc["metadata"]["oscal-version"] == "1.1.2"
    result = doc["results"][0]
    observations = {o["uuid"]: o for o in result["observations"]}
    findings = result["findings"]
    for f in findings:
        for r in f.get("related-observations", []):
            assert r["observation-uuid"] in observations, r
    reviewed = {c["control-id"] for s in result["reviewed-controls"]["control-selections"] for c in s["include-controls"]}
    assert {f["target"]["target-id"] for f in findings} <= reviewed
    states = {f["target"]["target-id"]: f["target"]["status"]["state"] for f in findings}
    assert states["soc2-cc6.7"] == "not-satisfied", states["soc2-cc6.7"]  # legacy TLS on the example's server
    assert "hipaa-164.312.e.1" in reviewed or any(c.startswith("hipaa-") for c in reviewed)
    ssh = [o for o in observations.values() if o["title"] == "ssh-no-password-auth: sshd"]
    assert ssh and ssh[0]["relevant-evidence"][0]["description"].endswith("sshd_config:8"), ssh
    assert len({o["uuid"] for o in observations.values()}) == len(observations)

    cd = run(args.binary, "controls", "--format", "oscal")
    ok &= validate(cd, "oscal_component_schema.json")
    impls = cd["component-definition"]["components"][0]["control-implementations"]
    assert [p["value"] for i in impls for p in i["props"]] == ["soc2", "iso27001_2022", "gdpr", "hipaa", "eu_ai_act"]
    one = run(args.binary, "controls", "--format", "oscal", "--framework", "gdpr")
    ok &= validate(one, "oscal_component_schema.json")
    assert len(one["component-definition"]["components"][0]["control-implementations"]) == 1

    print("ok   OSCAL assessment results and component definition validate" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
