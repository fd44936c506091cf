#!/usr/bin/env python3
"""complycli witness serve (C2SP tlog-witness over HTTP) and audit checkpoint --witness URL: starts the
server on a free port, collects cosignatures (checked by tlog_verifier.py), and shows that the protocol's
refusals come back: 409 with the recorded size, 404 for an unknown log, 422 for a split view, 4xx for
bad requests, and that a forked log's checkpoint is refused (exit 1).
Usage: run_witness_http_test.py --binary COMPLYCLI"""
import argparse
import http.client
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tlog_verifier as tv  # noqa: E402
from harness import Cli, check, summary  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args = parser.parse_args()
    cli = Cli(args.binary, "complycli-witness-http.")
    binary, work, env, run = cli.binary, cli.work, cli.env, cli.run
    server = None


    try:
        run("init")
        vkey = run("audit", "pubkey").stdout.strip()
        witness = os.path.join(work, "witness")
        wkey = run("witness", "init", witness, "--name", "test.example/w1", "--log", vkey, home="nowhere").stdout.strip()
        server = subprocess.Popen([binary, "witness", "serve", witness, "--listen", "127.0.0.1:0"], cwd=work, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = server.stdout.readline().strip()
        check(line.startswith("listening on http://127.0.0.1:"), f"first stdout line: {line!r}")
        url = line.split(" ")[-1]
        host, port = url[len("http://"):].split(":")

        def post(body, path="/add-checkpoint", method="POST"):
            conn = http.client.HTTPConnection(host, int(port), timeout=10)
            conn.request(method, path, body=body.encode() if body is not None else None)
            response = conn.getresponse()
            out = response.status, response.read().decode(), response.getheader("Content-Type")
            conn.close()
            return out

        # a cosignature over HTTP, first contact (old size 0)
        for i in range(5):
            run("audit", "append", "--action", "test.a", "--target", f"t{i}")
        cp1 = os.path.join(work, "cp1.txt")
        run("audit", "checkpoint", "--witness", url, "-o", cp1)
        note1 = open(cp1).read()
        try:
            tv.verify_cosignature(note1, wkey)
            _, size1, root1, _ = tv.open_checkpoint(note1, vkey)
        except tv.Invalid as e:
            check(False, f"first cosigned checkpoint: {e}")
        run("audit", "verify", "--anchor", cp1, "--witness-key", wkey)
        # the next one goes through a 409 (the client starts from 0) and a consistency proof
        shutil.copytree(os.path.join(work, "ws"), os.path.join(work, "fork"))
        run("audit", "append", "--action", "view.a", "--target", "a")
        cp2 = os.path.join(work, "cp2.txt")
        run("audit", "checkpoint", "--witness", url + "/", "-o", cp2)
        note2 = open(cp2).read()
        try:
            tv.verify_cosignature(note2, wkey)
        except tv.Invalid as e:
            check(False, f"second cosigned checkpoint: {e}")
        _, size2, root2, _ = tv.open_checkpoint(note2, vkey)
        check(size2 == size1 + 1, f"second checkpoint has size {size2}")

        # protocol answers
        status, body, ctype = post("old 0\n\n" + note2)
        check(status == 409 and body == f"{size2}\n" and ctype == "text/x.tlog.size",
              f"wrong old size: {status} {body!r} {ctype}")
        run("init", home="other")
        other_cp = run("audit", "checkpoint", home="other").stdout
        status, body, _ = post("old 0\n\n" + other_cp)
        check(status == 404, f"unknown log: {status} {body!r}")
        status, body, _ = post("old 1\nnot base64!\n\n" + note2)
        check(status == 400, f"bad proof line: {status}")
        status, _, _ = post(None, method="GET")
        check(status == 405, f"GET: {status}")
        status, _, _ = post("x", path="/other")
        check(status == 404, f"other path: {status}")
        status, _, _ = post("old 0\n\n" + note2.replace("\n\n", "\n\n— test.example/w1 AAAA\n", 1)[:-1] + "x")
        check(status in (400, 403), f"a tampered note: {status}")

        # split view: the fork has another entry at the same size; the witness refuses it
        run("audit", "append", "--action", "view.b", "--target", "b", home="fork")
        fork_cp = run("audit", "checkpoint", home="fork").stdout
        _, fork_size, fork_root, _ = tv.open_checkpoint(fork_cp, vkey)
        check(fork_size == size2 and fork_root != root2, "the fork is not a split view")
        status, body, _ = post(f"old {size2}\n\n" + fork_cp)
        check(status == 422 and "split view" in body, f"split view (same size): {status} {body!r}")
        p = run("audit", "checkpoint", "--witness", url, home="fork", expect=None)
        check(p.returncode == 1 and "refuses" in p.stderr, f"forked checkpoint --witness URL: exit {p.returncode}: "
                                                            f"{p.stderr.strip()}")
        run("audit", "append", "--action", "view.b2", "--target", "b", home="fork")
        p = run("audit", "checkpoint", "--witness", url, home="fork", expect=None)
        check(p.returncode == 1, f"forked log one entry later: exit {p.returncode}")
        # the witness state is still the honest log's: it cosigns its next checkpoint
        run("audit", "append", "--action", "view.a2", "--target", "a")
        note3 = run("audit", "checkpoint", "--witness", url).stdout
        try:
            tv.verify_cosignature(note3, wkey)
        except tv.Invalid as e:
            check(False, f"third cosigned checkpoint: {e}")
        # a witness that is not listening, a URL that is not http
        p = run("audit", "checkpoint", "--witness", "http://127.0.0.1:1", expect=None)
        check(p.returncode == 3, f"nothing listening: exit {p.returncode}")
        p = run("audit", "checkpoint", "--witness", "https://127.0.0.1:1", expect=None)
        check(p.returncode == 2, f"https URL: exit {p.returncode}")
        check(server.poll() is None, "the server stopped")
        print("witness serve: cosignatures collected over HTTP; 409, 404, 400, 405, 422 and a split view refused")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        cli.remove()
    return summary()


if __name__ == "__main__":
    sys.exit(main())
