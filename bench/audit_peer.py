#!/usr/bin/env python3
"""The peer for bench/audit.sh: a Python stdlib prototype of the same log (same schema and entry
encoding as docs/audit-log.md, no signatures). Usage: audit_peer.py import JSONL DB | verify DB"""

import hashlib
import json
import sqlite3
import struct
import sys
from datetime import datetime, timezone

DOMAIN = b"complycli-audit-entry-v1\0"


def entry_hash(seq, fields, prev):
    data = bytearray(DOMAIN)
    data += struct.pack(">Q", seq)
    for field in fields:
        raw = field.encode()
        data += struct.pack(">I", len(raw)) + raw
    data += prev
    return hashlib.sha256(data).digest()


def do_import(path, db_path):
    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE IF NOT EXISTS entries(seq INTEGER PRIMARY KEY, time TEXT, actor TEXT, action TEXT,"
               " target TEXT, outcome TEXT, details TEXT, prev_hash BLOB, hash BLOB)")
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    db.execute("BEGIN IMMEDIATE")
    row = db.execute("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = row if row else (0, bytes(32))
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            seq += 1
            fields = (now, r.get("actor", "peer"), r["action"], r["target"], r.get("outcome", "ok"),
                      json.dumps(r.get("details", {}), sort_keys=True, separators=(",", ":"), ensure_ascii=False))
            h = entry_hash(seq, fields, prev)
            rows.append((seq, *fields, prev, h))
            prev = h
    db.executemany("INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.execute("COMMIT")


def do_verify(db_path):
    db = sqlite3.connect(db_path)
    prev, expected = bytes(32), 1
    for seq, *fields, prev_hash, stored in db.execute(
            "SELECT seq, time, actor, action, target, outcome, details, prev_hash, hash FROM entries ORDER BY seq"):
        if seq != expected or prev_hash != prev or entry_hash(seq, fields, prev_hash) != stored:
            sys.exit(f"entry {expected}: bad")
        prev, expected = stored, expected + 1
    print(f"verified {expected - 1} entries")


if __name__ == "__main__":
    if sys.argv[1] == "import":
        do_import(sys.argv[2], sys.argv[3])
    else:
        do_verify(sys.argv[2])
