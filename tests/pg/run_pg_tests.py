#!/usr/bin/env python3
"""complycli against a real PostgreSQL 15 server (tests/pg/pg_server.py starts a throwaway one).

Usage: run_pg_tests.py --binary build/complycli [--only NAME]
Exit 0 when every test passed, 1 on a failure, 77 (ctest's SKIP_RETURN_CODE) when PostgreSQL 15 is not
installed, with the install command on stderr.
"""

import argparse
import os
import sys
import tempfile
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pg_server import PgServer, Skip  # noqa: E402

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def server_runs(ctx):
    out = ctx.pg.psql("SHOW server_version_num").stdout.strip()
    assert out.startswith("15"), out
    assert ctx.pg.psql("SELECT current_user").stdout.strip() == "postgres"


class Context:
    def __init__(self, binary, pg, work):
        self.binary = binary
        self.pg = pg
        self.work = work


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--only")
    args = ap.parse_args()
    try:
        server = PgServer()
    except Skip as e:
        print(f"SKIPPED: {e}", file=sys.stderr)
        return 77
    failures = 0
    with server as pg, tempfile.TemporaryDirectory(prefix="complycli-pgtest-") as work:
        ctx = Context(os.path.abspath(args.binary), pg, work)
        for fn in TESTS:
            if args.only and fn.__name__ != args.only:
                continue
            try:
                fn(ctx)
                print(f"ok   {fn.__name__}")
            except Exception:
                failures += 1
                print(f"FAIL {fn.__name__}")
                traceback.print_exc()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
