#!/usr/bin/env python3
"""complycli's Merkle proofs checked by an independent verifier (tlog_verifier.py, written from the RFCs):
every index of trees of size 1..64, consistency between all of their sizes, random indices of a
1,000,000-entry log; edited leaves, wrong indices, wrong keys and split views must fail.
Usage: run_tlog_test.py --binary COMPLYCLI [--large N]"""
import argparse
import json
import os
import random
import shutil
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tlog_verifier as tv  # noqa: E402
from harness import Cli, check, summary  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--every-index-up-to", type=int, default=64,
                        help="prove every index of trees up to this size, a spread of indices above")
    args = parser.parse_args()
    cli = Cli(args.binary, "complycli-tlog.")
    work, run = cli.work, cli.run

    try:
        # --- trees of size 1..64: a checkpoint at every size
        run("init")
        vkey = run("audit", "pubkey").stdout.strip()
        cps = {}

        def checkpoint(n, home="ws"):
            path = os.path.join(work, f"{home}-cp-{n}.txt")
            run("audit", "checkpoint", "-o", path, "--force", home=home)
            return path

        cps[1] = checkpoint(1)
        for n in range(2, 65):
            run("audit", "append", "--action", f"test.n{n}", "--target", f"t{n % 7}", "--details",
                json.dumps({"n": n, "s": "x" * (n % 5), "u": "é"}))
            cps[n] = checkpoint(n)
        entries = {}
        for seq in range(1, 65):
            entries[seq] = json.loads(run("audit", "show", str(seq), "--format", "json").stdout)
            check(tv.base64.b64decode(entries[seq]["leaf"]) == tv.entry_leaf(entries[seq]),
                  f"entry {seq}: the leaf shown is not the documented encoding")
        leaves = [tv.leaf_hash(tv.entry_leaf(entries[s])) for s in range(1, 65)]
        roots = {}
        for n in range(1, 65):
            origin, size, root, ext = tv.open_checkpoint(open(cps[n]).read(), vkey)
            check(size == n, f"checkpoint {n} has size {size}")
            check(root == tv.mth(leaves[:n]), f"checkpoint {n}: root is not RFC 6962 MTH of the leaves")
            roots[n] = root
        proofs = 0
        for n in range(1, 65):
            for seq in range(1, n + 1):
                if n > args.every_index_up_to and seq not in (1, 2, n // 2 + 1, n - 1, n):
                    continue  # sanitizer builds: every index of the small trees, a spread above
                text = run("audit", "prove", str(seq), "--checkpoint", cps[n]).stdout
                try:
                    check(tv.verify_tlog_proof(text, entries[seq], vkey) == n, f"proof {seq}/{n}: wrong size")
                except tv.Invalid as e:
                    check(False, f"proof of entry {seq} in tree {n}: {e}")
                proofs += 1
                if seq == n // 2 + 1 and n > 1:
                    # negative cases on one proof per size
                    # the path itself does not prove the leaf at another index
                    path = [tv.base64.b64decode(x) for x in text.split("\n\n")[0].split("\n")[2:]]
                    check(not tv.verify_inclusion(leaves[seq - 1], seq % n, n, path, roots[n]),
                          f"proof {seq}/{n}: verified at index {seq % n}")
                    edited = dict(entries[seq], actor="mallory")
                    for what, proof_text, entry, key in [
                            ("edited leaf", text, edited, vkey),
                            ("wrong index", text.replace(f"index {seq - 1}\n", f"index {seq % n}\n"), entries[seq], vkey),
                            ("other entry", text, entries[(seq % n) + 1], vkey),
                    ]:
                        try:
                            tv.verify_tlog_proof(proof_text, entry, key)
                            check(False, f"proof {seq}/{n}: {what} verified")
                        except tv.Invalid:
                            pass
        print(f"{proofs} inclusion proofs verified (trees of size 1..64, every index up to {args.every_index_up_to})")
        pairs = 0
        for n in range(1, 65):
            for m in range(1, n + 1):
                if n > 16 and m not in (1, 2, 3, n - 1, n) and (m * 7 + n) % 5 != 0:
                    continue  # every pair up to 16, a spread of pairs above (process starts are the cost)
                out = run("audit", "consistency", cps[m], cps[n]).stdout
                proof = [tv.base64.b64decode(x) for x in out.split()]
                check(tv.verify_consistency(m, n, roots[m], roots[n], proof), f"consistency {m} -> {n}")
                if m < n:
                    check(not tv.verify_consistency(m, n, roots[n - 1] if m != n - 1 else roots[m - 1] if m > 1
                                                    else tv.sha256(b"x"), roots[n], proof),
                          f"consistency {m} -> {n} verified with a wrong old root")
                pairs += 1
        print(f"{pairs} consistency proofs verified")

        # --- wrong key: another log's key
        run("init", home="other")
        other_vkey = run("audit", "pubkey", home="other").stdout.strip()
        text = run("audit", "prove", "5", "--checkpoint", cps[64]).stdout
        try:
            tv.verify_tlog_proof(text, entries[5], other_vkey)
            check(False, "a proof verified with another log's key")
        except tv.Invalid:
            pass
        open(os.path.join(work, "p5.tlog-proof"), "w").write(text)
        open(os.path.join(work, "e5.json"), "w").write(json.dumps(entries[5]))
        run("audit", "verify-proof", "p5.tlog-proof", "--entry", "e5.json", "--pubkey", vkey, home="nowhere")
        p = run("audit", "verify-proof", "p5.tlog-proof", "--entry", "e5.json", "--pubkey", other_vkey,
                home="nowhere", expect=1)
        open(os.path.join(work, "e5x.json"), "w").write(json.dumps(dict(entries[5], target="edited")))
        p = run("audit", "verify-proof", "p5.tlog-proof", "--entry", "e5x.json", "--pubkey", vkey, home="nowhere",
                expect=None)
        check(p.returncode != 0, "complycli verify-proof accepted an edited entry")

        # --- split view: two copies of the log (same key) that differ after entry 64
        shutil.copytree(os.path.join(work, "ws"), os.path.join(work, "fork"))
        run("audit", "append", "--action", "view.a", "--target", "a")
        run("audit", "append", "--action", "view.b", "--target", "b", home="fork")
        cp_a = checkpoint(65)
        cp_b = checkpoint(65, home="fork")
        _, _, root_a, _ = tv.open_checkpoint(open(cp_a).read(), vkey)
        _, _, root_b, _ = tv.open_checkpoint(open(cp_b).read(), vkey)
        check(root_a != root_b, "the two views have the same root")
        check(not tv.verify_consistency(65, 65, root_a, root_b, []), "split view: equal sizes verified")
        run("audit", "append", "--action", "view.b2", "--target", "b", home="fork")
        cp_b2 = checkpoint(66, home="fork")
        _, _, root_b2, _ = tv.open_checkpoint(open(cp_b2).read(), vkey)
        proof = [tv.base64.b64decode(x) for x in run("audit", "consistency", cp_b, cp_b2, home="fork").stdout.split()]
        check(tv.verify_consistency(65, 66, root_b, root_b2, proof), "fork: its own consistency proof")
        check(not tv.verify_consistency(65, 66, root_a, root_b2, proof), "split view: A -> B2 verified")
        p = run("audit", "consistency", cp_a, cp_b2, home="fork", expect=1)
        print("negative cases (edited leaf, wrong index, wrong key, split view) fail as they should")

        # --- static tiles (C2SP tlog-tiles): audit publish, checked by this verifier and by audit verify --tiles
        tiles_n = min(70_000, max(args.large, 600))  # 70,000: full and partial tiles at levels 0, 1 and 2

        def read_from(folder):
            def read(path):
                full = os.path.join(folder, path)
                return open(full, "rb").read() if os.path.isfile(full) else None
            return read

        def jsonl(path, start, count):
            with open(path, "w") as f:
                for i in range(start, start + count):
                    f.write(json.dumps({"actor": f"u{i % 9}", "action": "doc.read", "target": f"d/{i}",
                                        "details": {"i": i, "note": "x" * (i % 40)}}) + "\n")

        run("init", home="pub")
        pub_vkey = run("audit", "pubkey", home="pub").stdout.strip()
        jsonl(os.path.join(work, "pub1.jsonl"), 0, tiles_n - 1)
        run("audit", "import", "pub1.jsonl", home="pub")
        site = os.path.join(work, "site")
        run("audit", "publish", site, home="pub")
        try:
            check(tv.verify_tiles(read_from(site), pub_vkey) == tiles_n, "tiles: wrong size")
        except tv.Invalid as e:
            check(False, f"published tiles ({tiles_n} entries): {e}")
        run("audit", "verify", "--tiles", site, "--pubkey", pub_vkey, home="nowhere")
        # re-publish after more appends: the folder moves to the new tree, old partial tiles stay
        jsonl(os.path.join(work, "pub2.jsonl"), tiles_n, 300)
        run("audit", "import", "pub2.jsonl", home="pub")
        run("audit", "publish", site, home="pub")
        try:
            check(tv.verify_tiles(read_from(site), pub_vkey) == tiles_n + 300, "tiles after re-publish: wrong size")
        except tv.Invalid as e:
            check(False, f"re-published tiles ({tiles_n + 300} entries): {e}")
        run("audit", "verify", "--tiles", site, "--pubkey", pub_vkey, home="nowhere")
        check(os.path.isfile(os.path.join(site, tv.tile_path(0, tiles_n // 256, tiles_n % 256))),
              "the partial tile of the first publish was removed")
        # the 65-entry log too (a single partial tile), and another log may not publish over it
        small = os.path.join(work, "small-site")
        run("audit", "publish", small)
        try:
            tv.verify_tiles(read_from(small), vkey)
        except tv.Invalid as e:
            check(False, f"published 65-entry log: {e}")
        run("audit", "publish", small, home="pub", expect=2)
        # tampering: an edited bundle, an edited tile at levels 0 and 1, a missing tile, another key
        tampered = 0
        for what, path, edit in [
                ("bundle", tv.tile_path(-1, 1), lambda b: b[:100] + bytes([b[100] ^ 1]) + b[101:]),
                ("level 0 tile", tv.tile_path(0, 2), lambda b: b[:-1] + bytes([b[-1] ^ 0x80])),
                ("level 1 tile", tv.tile_path(1, 0, 0 if (tiles_n + 300) // 256 >= 256 else (tiles_n + 300) // 256),
                 lambda b: bytes(32) + b[32:]),
                ("missing tile", tv.tile_path(0, 1), None),
                ("truncated bundle", tv.tile_path(-1, 0), lambda b: b[:-1]),
        ]:
            copy = os.path.join(work, f"tampered-{tampered}")
            tampered += 1
            shutil.copytree(site, copy)
            target = os.path.join(copy, path)
            if edit is None:
                os.remove(target)
            else:
                data = open(target, "rb").read()
                open(target, "wb").write(edit(data))
            try:
                tv.verify_tiles(read_from(copy), pub_vkey)
                check(False, f"tiles: the independent verifier accepted a {what}")
            except (tv.Invalid, struct.error):
                pass
            p = run("audit", "verify", "--tiles", copy, "--pubkey", pub_vkey, home="nowhere", expect=None)
            check(p.returncode == 1, f"audit verify --tiles: a {what} gave exit {p.returncode}, not 1")
        p = run("audit", "verify", "--tiles", site, "--pubkey", other_vkey, home="nowhere", expect=None)
        check(p.returncode == 1, f"audit verify --tiles with another log's key: exit {p.returncode}")
        print(f"published tiles of {tiles_n} and {tiles_n + 300} entries verified; {tampered} tampered copies and "
              "a wrong key fail")

        # --- a large log: random indices
        if args.large > 0:
            big = os.path.join(work, "big.jsonl")
            with open(big, "w") as f:
                for i in range(args.large - 1):
                    f.write(json.dumps({"actor": f"u{i % 50}", "action": "matter.access", "target": f"m/{i % 1000}",
                                        "details": {"i": i}}) + "\n")
            run("init", home="big")
            big_vkey = run("audit", "pubkey", home="big").stdout.strip()
            run("audit", "import", big, home="big")
            cp = checkpoint(args.large, home="big")
            _, size, root, _ = tv.open_checkpoint(open(cp).read(), big_vkey)
            check(size == args.large, f"large log has {size} entries")
            rng = random.Random(17)
            for seq in [1, 2, 255, 256, 257, args.large] + [rng.randrange(1, args.large + 1) for _ in range(30)]:
                entry = json.loads(run("audit", "show", str(seq), "--format", "json", home="big").stdout)
                text = run("audit", "prove", str(seq), "--checkpoint", cp, home="big").stdout
                try:
                    tv.verify_tlog_proof(text, entry, big_vkey)
                except tv.Invalid as e:
                    check(False, f"large log, entry {seq}: {e}")
                try:
                    tv.verify_tlog_proof(text, dict(entry, details={"i": -1}), big_vkey)
                    check(False, f"large log, entry {seq}: an edited entry verified")
                except tv.Invalid:
                    pass
            print(f"36 random proofs of a {args.large}-entry log verified")
            run("audit", "verify", home="big")
    finally:
        cli.remove()
    return summary()


if __name__ == "__main__":
    sys.exit(main())
