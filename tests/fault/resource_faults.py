#!/usr/bin/env python3
"""A full disk and a read-only workspace: every write path gives a clear error, exit status 3, and
nothing is lost (docs/robustness.md, "Fault injection").

--case enospc   needs root: mounts a 2 MiB tmpfs in a temporary folder and puts an output, or the
                workspace itself, on it (encrypt, encrypt -r, decrypt, audit import, matter rotate).
                Exits 77 (skipped) when not root or when the mount fails.
--case readonly the workspace read-only: a read-only bind mount when root (chmod does not stop root),
                chmod a-w otherwise. Every state-changing command must fail with exit status 3, and
                decrypt too (it cannot record the decryption: it fails closed); every command that only
                reads (audit verify, log, show, stats, pubkey, export -o elsewhere, matter list, show,
                inspect) must work; every workspace file, SQLite's -wal and -shm too, stays byte-identical.
"""

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
SQLITE_RECOVERY = re.compile(r"^(keystore|audit)\.db-(wal|shm)$")


class Failed(Exception):
    pass


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def write_random(path, size, rng):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(rng.randbytes(size))


def run(argv, check=True):
    if shutil.which(argv[0]) is None:  # no mount(8): as if the mount failed
        if check:
            raise Failed(f"{argv[0]} is not installed")
        return subprocess.CompletedProcess(argv, 127, b"", b"")
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if check and proc.returncode != 0:
        raise Failed(f"{' '.join(argv)}: {proc.stderr.decode(errors='replace')}")
    return proc


class Setup:
    def __init__(self, binary, work):
        self.binary = binary
        self.work = work
        self.rng = random.Random(7)
        self.env = dict(os.environ)
        for name in ("COMPLYCLI_HOME", "COMPLYCLI_PASSPHRASE", "COMPLYCLI_KEY_FILE"):
            self.env.pop(name, None)
        self.env.update(HOME=work, COMPLYCLI_ACTOR="fault", COMPLYCLI_KDF_PROFILE="interactive", COMPLYCLI_TEST_WEAK_KDF="1", NO_COLOR="1")
        self.project = os.path.join(work, "project")
        os.makedirs(self.project)
        self.identity = os.path.join(work, "id.key")
        self.pub = self.cli("identity", "new", "-o", self.identity).stdout.decode().strip()

    def cli(self, *args, expect=0, home=None):
        argv = [self.binary] + (["--home", home] if home else []) + list(args)
        proc = subprocess.run(argv, cwd=self.project, env=self.env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if expect is not None and proc.returncode != expect:
            raise Failed(f"`complycli {' '.join(args)}` exited {proc.returncode}, expected {expect}\n"
                         f"stdout: {proc.stdout.decode(errors='replace')[-1500:]}\n"
                         f"stderr: {proc.stderr.decode(errors='replace')[-1500:]}")
        return proc

    def expect_io_error(self, args, pattern, home=None):
        """The command fails with exit status 3, a one-line error matching `pattern`, nothing on stdout."""
        proc = self.cli(*args, expect=3, home=home)
        err = proc.stderr.decode(errors="replace")
        if proc.stdout:
            raise Failed(f"`complycli {' '.join(args)}` printed on stdout: {proc.stdout!r}")
        if not re.search(r"^complycli: error: ", err, re.M) or not re.search(pattern, err):
            raise Failed(f"`complycli {' '.join(args)}`: unclear error (want /{pattern}/):\n{err}")
        if "Traceback" in err or "terminate called" in err or "internal error" in err:
            raise Failed(f"`complycli {' '.join(args)}` crashed:\n{err}")
        print(f"  ok: complycli {' '.join(args)} -> exit 3: {err.strip().splitlines()[0]}")
        return err

    def workspace_files(self, home):
        """Every file of a workspace with its SHA-256 (SQLite's -wal/-shm left out: they may come and go)."""
        return {name: sha256_file(os.path.join(home, name)) for name in sorted(os.listdir(home))
                if not SQLITE_RECOVERY.match(name)}

    def check_workspace(self, home, matter_versions, fixed, entries=None):
        """The keystore opens with the expected key versions, the fixed files decrypt, the log verifies."""
        matters = {m["name"]: m for m in json.loads(self.cli("matter", "list", "--format", "json",
                                                             home=home).stdout)["matters"]}
        for name, count in matter_versions.items():
            if len(matters[name]["key_versions"]) != count:
                raise Failed(f"matter {name} has {len(matters[name]['key_versions'])} key versions, not {count}")
        for path, digest in fixed:
            out = self.cli("--quiet", "decrypt", "--identity", self.identity, "-o", "-", path, home=home).stdout
            if hashlib.sha256(out).hexdigest() != digest:
                raise Failed(f"{path} no longer decrypts to its plaintext")
        text = self.cli("audit", "verify", home=home).stdout.decode()
        count = int(re.search(r"verified (\d+) entries", text).group(1))
        if entries is not None and count != entries:
            raise Failed(f"the audit log has {count} entries, expected {entries}")
        return count

    def no_strays(self, folder, allowed=()):
        for name in os.listdir(folder):
            if name not in allowed and not SQLITE_RECOVERY.match(name):
                raise Failed(f"left behind in {folder}: {name}")


def mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    return run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", path], check=False).returncode == 0


def umount(path):
    if run(["umount", path], check=False).returncode != 0:
        run(["umount", "-l", path], check=False)


def fill(folder):
    """Write a file in `folder` until the file system is full."""
    path = os.path.join(folder, "filler")
    with open(path, "wb", buffering=0) as f:
        block = b"\0" * 4096
        try:
            while True:
                f.write(block)
        except OSError:
            pass
    return path


NO_SPACE = r"No space left on device|disk is full"


def case_enospc(s):
    full = os.path.join(s.work, "full")
    if not mount_tmpfs(full, "2m"):
        print("SKIP: cannot mount a tmpfs")
        return SKIP
    try:
        home = os.path.join(s.project, ".complycli")
        s.cli("init")
        s.cli("matter", "create", "t", "--no-passphrase", "--recipient", s.pub)
        src = os.path.join(s.project, "big.bin")
        write_random(src, 4 << 20, s.rng)
        digest = sha256_file(src)
        small = os.path.join(s.project, "small.txt")
        write_random(small, 4096, s.rng)
        s.cli("encrypt", "--matter", "t", "--identity", s.identity, small)
        fixed = [(small + ".cmply", sha256_file(small))]

        print("an output on a full disk:")
        # encrypt: 4 MiB into 2 MiB
        s.expect_io_error(["encrypt", "--matter", "t", "--identity", s.identity, src, "-o", f"{full}/big.bin.cmply"],
                          r"cannot write \S*full/big\.bin\.cmply: No space left on device")
        s.no_strays(full)
        # encrypt -r: the first files fit, one does not; the ones written are complete
        tree = os.path.join(s.project, "tree")
        for name, size in (("a.bin", 512 << 10), ("b.bin", 512 << 10), ("c.bin", 1536 << 10), ("d.bin", 1024)):
            write_random(os.path.join(tree, name), size, s.rng)
        tree_digests = {n: sha256_file(os.path.join(tree, n)) for n in os.listdir(tree)}
        s.expect_io_error(["encrypt", "-r", "--matter", "t", "--identity", s.identity, "tree", "-o", full], NO_SPACE)
        for name in os.listdir(full):
            if not name.endswith(".cmply") or name[: -len(".cmply")] not in tree_digests:
                raise Failed(f"left behind in {full}: {name}")
            out = s.cli("--quiet", "decrypt", "--identity", s.identity, "-o", "-", os.path.join(full, name)).stdout
            if hashlib.sha256(out).hexdigest() != tree_digests[name[: -len(".cmply")]]:
                raise Failed(f"{name} on the full disk is partial")
        for name, d in tree_digests.items():
            if sha256_file(os.path.join(tree, name)) != d:
                raise Failed(f"the source tree/{name} changed")
        for name in os.listdir(full):
            os.remove(os.path.join(full, name))
        # decrypt: 4 MiB of plaintext into 2 MiB
        s.cli("encrypt", "--matter", "t", "--identity", s.identity, src)
        os.remove(src)
        enc_digest = sha256_file(src + ".cmply")
        s.expect_io_error(["decrypt", "--identity", s.identity, src + ".cmply", "-o", f"{full}/big.bin"],
                          r"cannot write \S*full/big\.bin: No space left on device")
        s.no_strays(full)
        if sha256_file(src + ".cmply") != enc_digest:
            raise Failed("the matter file changed")
        fixed.append((src + ".cmply", digest))
        s.check_workspace(None, {"t": 1}, fixed)
        s.no_strays(home, ("settings.json", "keystore.db", "audit.db", "log.key"))

        print("the workspace on a full disk:")
        umount(full)
        if not mount_tmpfs(full, "2m"):
            raise Failed("cannot mount the tmpfs again")
        ws = os.path.join(full, "ws")
        s.cli("init", home=ws)
        s.cli("matter", "create", "w", "--no-passphrase", "--recipient", s.pub, home=ws)
        wsmall = os.path.join(s.project, "w-small.txt")
        write_random(wsmall, 4096, s.rng)
        s.cli("encrypt", "--matter", "w", "--identity", s.identity, wsmall, home=ws)
        wfixed = [(wsmall + ".cmply", sha256_file(wsmall))]
        before = s.check_workspace(ws, {"w": 1}, wfixed)
        ws_files = set(os.listdir(ws))
        # audit import: 3 MiB of records into what is left of 2 MiB, all or nothing
        bulk = os.path.join(s.project, "bulk.jsonl")
        with open(bulk, "w") as f:
            for n in range(15000):
                f.write(json.dumps({"action": "fault.bulk", "target": f"row-{n}",
                                    "details": {"n": n, "pad": "x" * 160}}) + "\n")
        s.expect_io_error(["audit", "import", bulk], NO_SPACE, home=ws)
        after = s.check_workspace(ws, {"w": 1}, wfixed)
        if after - before > 3:  # the failed import itself may be recorded; the decrypt above is
            raise Failed(f"a failed import added {after - before} entries")
        s.no_strays(ws, ws_files)
        # matter rotate on a disk with no byte left
        filler = fill(full)
        s.expect_io_error(["matter", "rotate", "w", "--identity", s.identity], NO_SPACE, home=ws)
        s.expect_io_error(["audit", "append", "--action", "fault.full", "--target", "x"], NO_SPACE, home=ws)
        os.remove(filler)
        s.check_workspace(ws, {"w": 1}, wfixed)
        s.no_strays(ws, ws_files)
        # and once there is room again, the same commands work
        s.cli("matter", "rotate", "w", "--identity", s.identity, home=ws)
        s.check_workspace(ws, {"w": 2}, wfixed)
        print("enospc: every case passed")
        return 0
    finally:
        umount(full)


def all_files(home):
    """Every file of a workspace, SQLite's -wal and -shm too: name -> (size, mtime, SHA-256)."""
    files = {}
    for name in sorted(os.listdir(home)):
        st = os.stat(os.path.join(home, name))
        files[name] = (st.st_size, st.st_mtime_ns, sha256_file(os.path.join(home, name)))
    return files


def read_only_commands(s, home, out, fixed, entries):
    """The commands that only read work on the read-only workspace (an auditor's copy on read-only media)."""
    def ok(*args):
        proc = s.cli(*args)
        err = proc.stderr.decode(errors="replace")
        if "warning" in err or "error" in err:
            raise Failed(f"`complycli {' '.join(args)}` complained:\n{err}")
        print(f"  ok: complycli {' '.join(args)} -> exit 0")
        return proc.stdout.decode(errors="replace")

    text = ok("audit", "verify")
    if f"verified {entries} entries" not in text:
        raise Failed(f"audit verify on the read-only workspace: {text}")
    lines = ok("audit", "log", "--format", "jsonl").splitlines()
    if len(lines) != entries:
        raise Failed(f"audit log printed {len(lines)} entries, not {entries}")
    if json.loads(ok("audit", "show", "1", "--format", "json"))["seq"] != 1:
        raise Failed("audit show 1 did not show entry 1")
    ok("audit", "stats")
    ok("audit", "pubkey")
    exported = os.path.join(out, "audit.jsonl")
    ok("audit", "export", "-o", exported)
    with open(exported) as f:
        if len(f.read().splitlines()) != entries:
            raise Failed("audit export did not write every entry")
    os.remove(exported)
    names = [m["name"] for m in json.loads(ok("matter", "list", "--format", "json"))["matters"]]
    if names != ["t"]:
        raise Failed(f"matter list on the read-only workspace: {names}")
    ok("matter", "show", "t")
    ok("inspect", fixed[0][0])

def case_readonly(s):
    s.cli("init")
    home = os.path.join(s.project, ".complycli")
    s.cli("matter", "create", "t", "--no-passphrase", "--recipient", s.pub)
    small = os.path.join(s.project, "small.txt")
    write_random(small, 4096, s.rng)
    s.cli("encrypt", "--matter", "t", "--identity", s.identity, small)
    fixed = [(small + ".cmply", sha256_file(small))]
    os.remove(small)
    pub2 = s.cli("identity", "new", "-o", os.path.join(s.work, "id2.key")).stdout.decode().strip()
    # an export from another workspace, to import
    other = os.path.join(s.work, "other")
    other_key = os.path.join(s.work, "other.key")
    other_pub = s.cli("identity", "new", "-o", other_key).stdout.decode().strip()
    s.cli("init", home=other)
    s.cli("matter", "create", "o", "--no-passphrase", "--recipient", other_pub, home=other)
    export = os.path.join(s.work, "o.keys")
    s.cli("matter", "export", "o", "--to", s.pub, "--identity", other_key, "-o", export, home=other)
    other_vkey = s.cli("audit", "pubkey", home=other).stdout.decode().strip()  # the export's signer
    bulk = os.path.join(s.work, "bulk.jsonl")
    with open(bulk, "w") as f:
        f.write('{"action":"fault.bulk","target":"row-1"}\n')
    plain = os.path.join(s.work, "plain.txt")
    write_random(plain, 4096, s.rng)
    plain_digest = sha256_file(plain)
    fixed_file_digest = sha256_file(fixed[0][0])
    out = os.path.join(s.work, "out")
    os.makedirs(out)
    entries = s.check_workspace(None, {"t": 1}, fixed)
    snapshot = s.workspace_files(home)
    every_file = all_files(home)

    root = os.geteuid() == 0
    if root:
        if run(["mount", "--bind", home, home], check=False).returncode != 0:
            print("SKIP: root, and cannot bind-mount the workspace read-only (chmod does not stop root)")
            return SKIP
        if run(["mount", "-o", "remount,bind,ro", home], check=False).returncode != 0:
            umount(home)
            print("SKIP: root, and cannot remount the workspace read-only")
            return SKIP
        how = "a read-only bind mount"
    else:
        for name in os.listdir(home):
            os.chmod(os.path.join(home, name), 0o400)
        os.chmod(home, 0o500)
        how = "chmod a-w"
    print(f"the workspace made read-only with {how}:")
    readonly = r"[Rr]ead-only|readonly|Permission denied|permission denied"
    try:
        commands = [
            ["matter", "create", "u", "--no-passphrase", "--recipient", s.pub],
            ["matter", "rotate", "t"],
            ["matter", "rewrap", "t", "--add-recipient", pub2, "--identity", s.identity],
            ["matter", "shred", "t", "--yes"],
            ["matter", "import", export, "--identity", s.identity, "--no-passphrase", "--trust", other_vkey],
            ["audit", "append", "--action", "fault.readonly", "--target", "x"],
            ["audit", "import", bulk],
            ["audit", "checkpoint"],
            ["encrypt", "--matter", "t", "--identity", s.identity, plain, "-o", os.path.join(out, "plain.txt.cmply")],
            ["reencrypt", "--identity", s.identity, fixed[0][0]],
        ]
        for args in commands:
            s.expect_io_error(args, readonly)
        # decrypt reads only, but records every decryption: with a log that cannot record it, it refuses
        # before decrypting anything (fails closed).
        s.expect_io_error(["decrypt", "--identity", s.identity, "-o", os.path.join(out, "small.txt"), fixed[0][0]],
                          r"refusing to decrypt: the audit log cannot record anything: .*(" + readonly + ")")
        s.no_strays(out)
        read_only_commands(s, home, out, fixed, entries)
        if sha256_file(plain) != plain_digest or sha256_file(fixed[0][0]) != fixed_file_digest:
            raise Failed("a source file changed")
        if all_files(home) != every_file:
            raise Failed("a workspace file (or SQLite's -wal or -shm file) changed while the workspace was read-only")
    finally:
        if root:
            umount(home)
        else:
            os.chmod(home, 0o700)
            for name in os.listdir(home):
                os.chmod(os.path.join(home, name), 0o600)
    if s.workspace_files(home) != snapshot:
        raise Failed("a workspace file changed while the workspace was read-only")
    s.check_workspace(None, {"t": 1}, fixed, entries + len(fixed))  # + the decrypt the check records
    print("readonly: every command that writes failed cleanly, every command that reads worked, nothing changed")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--case", required=True, choices=["enospc", "readonly"])
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    if args.case == "enospc" and os.geteuid() != 0:
        print("SKIP: mounting a small tmpfs needs root")
        sys.exit(SKIP)
    work = tempfile.mkdtemp(prefix=f"complycli-{args.case}-")
    os.chmod(work, 0o755)
    code = 1
    try:
        s = Setup(os.path.abspath(args.binary), work)
        code = case_enospc(s) if args.case == "enospc" else case_readonly(s)
    except Failed as e:
        print(f"fault.{args.case}: FAILED: {e}", file=sys.stderr)
        code = 1
    finally:
        if args.keep:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
