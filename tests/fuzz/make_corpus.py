#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, from the test fixtures.

Usage: make_corpus.py SOURCE_DIR OUT_DIR

Writes OUT_DIR/<target>/<name> for every fixture that is an input of that target: files under
tests/data, examples/ and checks/, the files embedded in the CLI scripts (tests/cli/*.txt, txtar
`-- name --` sections), the shipped templates, and the hand-picked seeds and reproducers under
tests/fuzz/seeds/<target>/ and tests/fuzz/regressions/<target>/. Files are named by content hash, so
running it again adds nothing twice.
"""
import hashlib
import pathlib
import re
import sys

TARGETS = ["apache", "audit_import", "check", "headers", "matter_file", "nginx", "pg_hba", "postgres",
           "profile", "questionnaire", "sshd", "template", "terraform", "waivers", "yaml"]
MAX_SIZE = 256 * 1024


def targets_for(name: str, parent: str, text: bytes) -> list:
    """Which targets a fixture named `name` (in folder `parent`) with content `text` seeds."""
    ext = pathlib.PurePath(name).suffix
    head = text.lstrip()[:4096]
    out = []
    if name == "nginx.conf" or (ext == ".conf" and re.search(rb"(^|\n)\s*(server|http|location)\b[^;\n{]*\{", text)):
        out.append("nginx")
    if name in ("httpd.conf", "apache2.conf") or re.search(rb"(?i)(^|\n)\s*(<VirtualHost|SSLProtocol\s|SSLEngine\s)", text):
        out.append("apache")
    if name.startswith("sshd_config") or parent == "sshd_config.d":
        out.append("sshd")
    if name in ("postgresql.conf", "postgresql.auto.conf"):
        out.append("postgres")
    if name == "pg_hba.conf":
        out.append("pg_hba")
    if text.startswith(b"HTTP/"):
        out.append("headers")
    if ext == ".json" and b'"format_version"' in head:
        out.append("terraform")
    if ext in (".yaml", ".yml", ".json") and re.search(rb'(^|\n)\s*"?organisation"?\s*:', text):
        out.append("profile")
    if ext in (".yaml", ".yml") and re.search(rb"(^|\n)query:", text) and re.search(rb"(^|\n)id:", text):
        out.append("check")
    if ext in (".yaml", ".yml") and (b"waiver" in name.encode() or re.search(rb"(^|\n)waivers:", text)):
        out.append("waivers")
    if ext in (".yaml", ".yml"):
        out.append("yaml")
    if ext in (".jsonl", ".ndjson") or (name.endswith(".log") and head.startswith(b"{")):
        out.append("audit_import")
    if ext == ".csv":
        out.append("questionnaire")
    if ext == ".mustache":
        out.append("template")
    return out


def txtar_files(script: pathlib.Path):
    """(name, content) of every `-- name --` section of a CLI script."""
    text = script.read_bytes()
    parts = re.split(rb"(?m)^-- (.+?) --\n", text)
    for i in range(1, len(parts) - 1, 2):
        yield parts[i].decode(errors="replace"), parts[i + 1]


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    source, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    counts = {t: 0 for t in TARGETS}

    def add(target: str, content: bytes):
        if len(content) > MAX_SIZE:
            return
        folder = out / target
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / hashlib.sha1(content).hexdigest()
        if not path.exists():
            path.write_bytes(content)
            counts[target] += 1

    for root in ("tests/data", "examples", "checks", "templates"):
        for path in sorted((source / root).rglob("*")):
            if path.is_file() and "wycheproof" not in path.parts:
                content = path.read_bytes()
                for target in targets_for(path.name, path.parent.name, content):
                    add(target, content)
    for script in sorted((source / "tests/cli").glob("*.txt")):
        for name, content in txtar_files(script):
            p = pathlib.PurePath(name)
            for target in targets_for(p.name, p.parent.name, content):
                add(target, content)
    for kind in ("seeds", "regressions"):
        for target in TARGETS:
            for path in sorted((source / "tests/fuzz" / kind / target).glob("*")):
                if path.is_file():
                    add(target, path.read_bytes())
    for target in TARGETS:
        (out / target).mkdir(parents=True, exist_ok=True)
    print("seed corpus:", ", ".join(f"{t} {n}" for t, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
