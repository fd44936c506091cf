#!/usr/bin/env python3
"""bench/postgres.sh BINARY: the audit log on PostgreSQL against its targets (issue 16), on a throwaway
PostgreSQL 15 (tests/pg/pg_server.py; fsync=off, so these are CPU and round-trip costs, not disk).
  1. one `complycli audit append` process vs one bare `psql -c "INSERT ..."` of one row (target: <= 2x)
  2. audit import of POSTGRES_BENCH_ENTRIES JSON Lines entries (default 200,000; target: >= 200,000/s),
     POSTGRES_BENCH_REPEAT times (default 7), each into a fresh database
  3. audit verify of those entries (target: >= 1,000,000/s), as many times, and its peer: psql reading the same
     rows with one binary COPY (no hashing), as many times
Prints the append mean and ratio, and the medians of import and verify with every run. Exits 0 with a note when PostgreSQL 15 is not installed.
"""

import json
import statistics
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "pg"))
from pg_server import SUPERUSER_PASSWORD, PgServer, Skip  # noqa: E402


def main():
    binary = os.path.abspath(sys.argv[1])
    entries = int(os.environ.get("POSTGRES_BENCH_ENTRIES", "200000"))
    runs = int(os.environ.get("POSTGRES_BENCH_RUNS", "100"))
    repeat = int(os.environ.get("POSTGRES_BENCH_REPEAT", "7"))
    try:
        server = PgServer()
    except Skip as e:
        print(f"bench/postgres: skipped: {e}")
        return 0
    with server as pg, tempfile.TemporaryDirectory(prefix="complycli-bench-pg-") as work:
        env = dict(os.environ, HOME=work, PGPASSWORD=SUPERUSER_PASSWORD, COMPLYCLI_ACTOR="bench")
        home = os.path.join(work, "ws")
        quiet = dict(env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run([binary, "--home", home, "init", "--store", pg.url()], **quiet)
        pg.psql("CREATE TABLE bare(id serial PRIMARY KEY, v text)")
        start = time.monotonic()
        for i in range(runs):
            subprocess.run([binary, "--home", home, "audit", "append", "--action", "bench.append", "--target",
                            str(i)], **quiet)
        append = (time.monotonic() - start) / runs
        start = time.monotonic()
        for i in range(runs):
            subprocess.run(["psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-d",
                            "complycli", "-c", f"INSERT INTO bare(v) VALUES ('{i}')"], **quiet)
        insert = (time.monotonic() - start) / runs
        print(f"append {append * 1000:.1f} ms, psql INSERT {insert * 1000:.1f} ms: ratio {append / insert:.2f} "
              "(target <= 2)")
        path = os.path.join(work, "in.jsonl")
        with open(path, "w") as f:
            for i in range(entries):
                f.write(json.dumps({"action": "bench.import", "target": f"t{i}", "details": {"i": i}}) + "\n")
        # Each import goes into a fresh database (same size every time); verify runs on the last one.
        imports = []
        for r in range(repeat):
            database = f"bench_import_{r}"
            pg.psql(f"CREATE DATABASE {database}", database="postgres")
            ws = os.path.join(work, f"imp{r}")
            subprocess.run([binary, "--home", ws, "init", "--store", pg.url(database=database)], **quiet)
            start = time.monotonic()
            subprocess.run([binary, "--home", ws, "audit", "import", path], **quiet)
            imports.append(time.monotonic() - start)
        took = statistics.median(imports)
        print(f"import {entries} entries: median of {repeat} {took:.3f} s, {entries / took:,.0f} entries/s "
              f"(runs: {', '.join(f'{t:.3f}' for t in imports)}; target >= 200,000)")
        total = entries + 1
        # The server's own housekeeping after a bulk load (autovacuum's VACUUM and ANALYZE of the new rows,
        # and the rows' hint bits) is done now, not during the timed verifies.
        pg.psql("VACUUM ANALYZE complycli.entries", database=database)
        verifies = []
        for r in range(repeat):
            start = time.monotonic()
            subprocess.run([binary, "--home", ws, "audit", "verify"], **quiet)
            verifies.append(time.monotonic() - start)
        took = statistics.median(verifies)
        print(f"verify {total} entries: median of {repeat} {took:.3f} s, {total / took:,.0f} entries/s "
              f"(runs: {', '.join(f'{t:.3f}' for t in verifies)}; target >= 1,000,000)")
        # The peer: psql reading the same rows, in seq order, in the same binary format, and hashing none.
        copy = ("COPY (SELECT seq, time, actor, action, target, outcome, details, prev_hash, hash "
                "FROM complycli.entries ORDER BY seq) TO STDOUT (FORMAT binary)")
        reads = []
        for r in range(repeat):
            start = time.monotonic()
            subprocess.run(["psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-d",
                            database, "-c", copy], **quiet)
            reads.append(time.monotonic() - start)
        read = statistics.median(reads)
        print(f"psql reading the same rows (COPY TO STDOUT): median of {repeat} {read:.3f} s; verify / psql read = "
              f"{took / read:.2f} (runs: {', '.join(f'{t:.3f}' for t in reads)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
