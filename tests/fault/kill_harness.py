#!/usr/bin/env python3
"""Fault injection: kill complycli with SIGKILL at random moments and check that nothing was lost.

One operation per invocation (ctest runs each as `fault.<operation>`). The harness builds a workspace
with an identity and a few matters whose small files are encrypted before any kill (the fixed set),
times the operation's normal run, then runs it --runs times, each time sending SIGKILL after a delay
drawn uniformly from [0, 1.2 x the measured duration]. After every run (killed or not) it checks:

  - no partial or temporary file at any target path, and no stray file beside it (`.NAME.tmp-*`
    or anything else that was not there before, except SQLite's own -wal/-shm recovery files);
  - the source files are intact (SHA-256 compare); an output that exists is complete (it decrypts to
    the source's bytes, or equals the plaintext);
  - the keystore opens (`matter list`) and every non-shredded matter still decrypts its fixed files;
  - `audit verify` passes, and audit appends and imports are all or nothing.

Reproduce a failure with the printed command: the seed fixes every delay as a fraction of the
duration, and --duration fixes the duration itself (the timing of a kill is never exact).
Exit status: 0 all runs passed, 1 a check failed, 2 the harness could not set up.
"""

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

OPERATIONS = [
    "encrypt",
    "decrypt",
    "encrypt_r",
    "decrypt_folder",
    "reencrypt_r",
    "matter_rotate",
    "matter_rewrap",
    "matter_shred",
    "matter_import",
    "audit_append",
    "audit_import",
]

# SQLite's write-ahead log and shared-memory index may stay after a kill: they are how SQLite
# recovers (the next open replays or discards them), not temporary files of ours.
SQLITE_RECOVERY = re.compile(r"^(keystore|audit)\.db-(wal|shm)$")
TEMPORARY = re.compile(r"\.tmp-|~$|\.partial$")


class CheckFailed(Exception):
    pass


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_random(path, size, rng):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "wb") as f:
        f.write(rng.randbytes(size))


def listing(root):
    """Every file and folder under `root`, as paths relative to it."""
    found = set()
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            found.add(os.path.relpath(os.path.join(folder, name), root))
    return found


def work_base():
    """COMPLYCLI_FAULT_TMPDIR, else /dev/shm when it is writable with room, else the system temp folder.

    A kill is about what the process leaves behind, not about the disk: the page cache survives SIGKILL,
    so a tmpfs (where fsync costs nothing) checks the same thing several times faster."""
    chosen = os.environ.get("COMPLYCLI_FAULT_TMPDIR")
    if chosen:
        return chosen
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK | os.X_OK):
        free = os.statvfs("/dev/shm")
        if free.f_bavail * free.f_frsize >= 256 << 20:  # a container's default 64 MiB is too tight
            return "/dev/shm"
    return None


class Harness:
    def __init__(self, args):
        self.binary = os.path.abspath(args.binary)
        self.operation = args.operation
        self.runs = args.runs
        self.seed = args.seed
        self.fixed_duration = args.duration
        self.keep = args.keep
        self.verbose = args.verbose
        self.rng = random.Random(self.seed)
        self.data_rng = random.Random(self.seed ^ 0x5EED)
        self.work = tempfile.mkdtemp(prefix=f"complycli-fault-{self.operation}-", dir=work_base())
        self.env = dict(os.environ)
        for name in ("COMPLYCLI_HOME", "COMPLYCLI_PASSPHRASE", "COMPLYCLI_KEY_FILE", "NO_COLOR"):
            self.env.pop(name, None)
        self.env.update(HOME=self.work, COMPLYCLI_ACTOR="fault", COMPLYCLI_KDF_PROFILE="interactive", COMPLYCLI_TEST_WEAK_KDF="1",
                        NO_COLOR="1")
        self.project = os.path.join(self.work, "project")
        self.workspace = os.path.join(self.project, ".complycli")
        self.fixed = {}  # matter name -> [(matter file, sha256 of its plaintext)], checked after every run
        self.later = []  # (matter file, sha256) made during the runs: checked when made and after the last run
        self.audit_entries = None
        self.stats = {"killed": 0, "finished": 0}
        self.processes = 0

    # -- running the binary ------------------------------------------------------------------

    def cli(self, *args, cwd=None, expect=0, stdin=None):
        self.processes += 1
        proc = subprocess.run([self.binary, *args], cwd=cwd or self.project, env=self.env,
                              stdin=stdin if stdin is not None else subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if expect is not None and proc.returncode != expect:
            raise CheckFailed(
                f"`complycli {' '.join(args)}` exited {proc.returncode}, expected {expect}\n"
                f"stdout: {proc.stdout.decode(errors='replace')[-2000:]}\n"
                f"stderr: {proc.stderr.decode(errors='replace')[-2000:]}")
        return proc

    def timed(self, argv, cwd):
        start = time.monotonic()
        proc = subprocess.run([self.binary, *argv], cwd=cwd, env=self.env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = time.monotonic() - start
        self.processes += 1
        if proc.returncode != 0:
            raise CheckFailed(f"`complycli {' '.join(argv)}` exited {proc.returncode} in a normal run: "
                              f"{proc.stderr.decode(errors='replace')}")
        return elapsed

    def run_and_kill(self, argv, cwd, delay):
        """Start the command, SIGKILL it after `delay` seconds. Returns (killed, exit code, stderr)."""
        self.processes += 1
        start = time.monotonic()
        proc = subprocess.Popen([self.binary, *argv], cwd=cwd, env=self.env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while True:
            left = start + delay - time.monotonic()
            if left <= 0 or proc.poll() is not None:
                break
            time.sleep(min(left, 0.002))
        killed = False
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed = True
        _, err = proc.communicate()
        if killed and proc.returncode != -signal.SIGKILL:
            killed = False  # it exited on its own between poll() and kill()
        return killed, proc.returncode, err.decode(errors="replace")

    # -- the workspace and its fixed set ----------------------------------------------------------

    def setup(self):
        os.makedirs(self.project)
        self.cli("init")
        self.pub = self.cli("identity", "new", "-o", "id.key").stdout.decode().strip()
        self.identity = os.path.join(self.project, "id.key")
        for name in ("fixed-a", "fixed-b"):
            self.create_matter(name)
            self.add_fixed(name, 2)

    def create_matter(self, name, cwd=None, pub=None):
        self.cli("matter", "create", name, "--no-passphrase", "--recipient", pub or self.pub, cwd=cwd)

    def add_fixed(self, matter, count, size=16 << 10):
        """Encrypt `count` small files under `matter` (its newest key version) into fixed/."""
        folder = os.path.join(self.project, "fixed")
        os.makedirs(folder, exist_ok=True)
        paths = []
        for _ in range(count):
            index = sum(len(v) for v in self.fixed.values()) + len(paths)
            plain = os.path.join(folder, f"{matter}-{index}.txt")
            write_random(plain, size, self.data_rng)
            paths.append(plain)
        self.cli("encrypt", "--matter", matter, "--identity", self.identity, *paths)
        for plain in paths:
            self.fixed.setdefault(matter, []).append((plain + ".cmply", sha256_file(plain)))
            os.remove(plain)

    def matters(self):
        """The keystore's matters (this also proves it opens): name -> matter JSON."""
        proc = self.cli("matter", "list", "--format", "json")
        return {m["name"]: m for m in json.loads(proc.stdout)["matters"]}

    def decrypt_all(self, files, identity=None):
        """Decrypt every (matter file, sha256) in one run and compare the plaintexts."""
        if not files:
            return
        out = os.path.join(self.work, "check")
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        names = set()
        for path, _ in files:
            name = os.path.basename(path)[: -len(".cmply")]
            if name in names:
                raise CheckFailed(f"harness bug: two checked files are called {name}")
            names.add(name)
        self.cli("--quiet", "decrypt", "--identity", identity or self.identity, "-o", out,
                 *[p for p, _ in files])
        for path, digest in files:
            plain = os.path.join(out, os.path.basename(path)[: -len(".cmply")])
            if sha256_file(plain) != digest:
                raise CheckFailed(f"{path} decrypts to the wrong bytes")
        shutil.rmtree(out)

    def audit_count(self):
        proc = self.cli("audit", "verify")
        match = re.search(r"verified (\d+) entries", proc.stdout.decode() + proc.stderr.decode())
        if not match:
            raise CheckFailed(f"audit verify printed no count: {proc.stdout!r} {proc.stderr!r}")
        return int(match.group(1))

    def check_no_strays(self, folder, allowed):
        """Nothing under `folder` but `allowed` (relative paths) and SQLite recovery files."""
        for rel in sorted(listing(folder)):
            base = os.path.basename(rel)
            if rel in allowed or (SQLITE_RECOVERY.match(base) and os.path.dirname(rel) == ""):
                continue
            what = "temporary file" if TEMPORARY.search(base) else "unexpected file"
            raise CheckFailed(f"{what} left behind: {os.path.join(folder, rel)}")

    def check_common(self, extra_files=(), keystore_changed=True):
        """The checks every run ends with: workspace clean, keystore opens, fixed set decrypts, log verifies.

        When the operation does not write the keystore, decrypting the fixed set is what shows that it
        opens (the list of shredded matters cannot have changed)."""
        self.check_no_strays(self.workspace, self.workspace_baseline)
        files = list(extra_files)
        if keystore_changed:
            matters = self.matters()
            for name in self.fixed:
                if name not in matters:
                    raise CheckFailed(f"matter {name} disappeared from the keystore")
                if matters[name]["shredded_at"] is not None:
                    raise CheckFailed(f"harness bug: shredded matter {name} is still in the fixed set")
        for entries in self.fixed.values():
            files.extend(entries)
        self.decrypt_all(files)
        self.audit_entries = self.audit_count()

    # -- the loop --------------------------------------------------------------------------------

    def main(self):
        op = OPERATIONS_BY_NAME[self.operation](self)
        try:
            self.setup()
            op.setup()
            self.workspace_baseline = listing(self.workspace)
            self.check_common()
        except CheckFailed as e:
            print(f"fault.{self.operation}: setup failed: {e}", file=sys.stderr)
            return 2
        # The normal duration: the median of three runs (each followed by the operation's reset).
        durations = []
        for i in range(3):
            argv, cwd = op.prepare(-1 - i)
            durations.append(self.timed(argv, cwd))
            op.check(-1 - i, killed=False)
            self.check_common(op.extra_files(), op.keystore_changed)
            op.reset()
        duration = self.fixed_duration or sorted(durations)[1]
        print(f"fault.{self.operation}: seed {self.seed}, normal duration {duration * 1000:.1f} ms, "
              f"{self.runs} runs, delays uniform in [0, {1.2 * duration * 1000:.1f}] ms", flush=True)
        started = time.monotonic()
        for i in range(self.runs):
            fraction = self.rng.random()
            delay = fraction * 1.2 * duration
            argv, cwd = op.prepare(i)
            killed, code, err = self.run_and_kill(argv, cwd, delay)
            self.stats["killed" if killed else "finished"] += 1
            if self.verbose:
                print(f"  run {i}: delay {delay * 1000:.2f} ms, {'killed' if killed else f'exit {code}'}")
            try:
                if not killed and code != 0:
                    raise CheckFailed(f"`complycli {' '.join(argv)}` exited {code} without being killed: {err}")
                op.check(i, killed=killed)
                self.check_common(op.extra_files(), op.keystore_changed)
                op.reset()
            except CheckFailed as e:
                print(f"fault.{self.operation}: FAILED at run {i} of {self.runs} "
                      f"(delay {delay * 1000:.2f} ms = {fraction:.6f} x 1.2 x {duration * 1000:.1f} ms, "
                      f"{'killed' if killed else f'finished with exit {code}'})\n  {e}\n"
                      f"  command: complycli {' '.join(argv)}\n"
                      f"  reproduce: {sys.executable} {os.path.abspath(__file__)} --binary {self.binary} "
                      f"--operation {self.operation} --seed {self.seed} --duration {duration:.6f} "
                      f"--runs {i + 1} --keep\n"
                      f"  work folder: {self.work}{'' if self.keep else ' (removed; --keep keeps it)'}",
                      file=sys.stderr)
                return 1
        try:
            self.decrypt_all(self.later)
        except CheckFailed as e:
            print(f"fault.{self.operation}: FAILED after the last run: {e}", file=sys.stderr)
            return 1
        window = (f", {self.stats['window']} killed between link and rename (complete hidden copy left)"
                  if "window" in self.stats else "")
        print(f"fault.{self.operation}: {self.runs} runs passed ({self.stats['killed']} killed, "
              f"{self.stats['finished']} finished before the kill{window}), {self.processes} processes, "
              f"{time.monotonic() - started:.1f} s")
        return 0

    def cleanup(self):
        if self.keep:
            print(f"work folder kept: {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)


# -- the operations ----------------------------------------------------------------------------
# Each one: setup() once; prepare(i) -> (argv, cwd) for run i; check(i, killed) right after the run;
# extra_files() -> more (matter file, sha256) that must decrypt now; reset() to make the next run
# start from a state where the operation has work to do.

BIG = 4 << 20  # big enough that a kill often lands mid-write


class Operation:
    keystore_changed = False  # whether the operation writes the keystore

    def __init__(self, h):
        self.h = h

    def setup(self):
        pass

    def extra_files(self):
        return []

    def reset(self):
        pass


class Encrypt(Operation):
    """encrypt one 4 MiB file; every other run with --remove-source (verify, commit, then unlink)."""

    def setup(self):
        h = self.h
        h.create_matter("target")
        h.add_fixed("target", 1)
        self.src = os.path.join(h.project, "src", "big.bin")
        write_random(self.src, BIG, h.data_rng)
        self.digest = sha256_file(self.src)
        self.pristine = os.path.join(h.work, "big.bin.pristine")
        shutil.copyfile(self.src, self.pristine)
        self.out_dir = os.path.join(h.project, "out")
        os.makedirs(self.out_dir)
        self.out = os.path.join(self.out_dir, "big.bin.cmply")

    def prepare(self, i):
        self.remove_source = i % 2 == 1
        argv = ["encrypt", "--matter", "target", "--identity", self.h.identity, self.src, "-o", self.out]
        return argv + (["--remove-source"] if self.remove_source else []), self.h.project

    def check(self, i, killed):
        h = self.h
        produced = os.path.exists(self.out)
        h.check_no_strays(self.out_dir, {"big.bin.cmply"} if produced else set())
        h.check_no_strays(os.path.dirname(self.src), {"big.bin"} if os.path.exists(self.src) else set())
        if os.path.exists(self.src):
            if sha256_file(self.src) != self.digest:
                raise CheckFailed("the source changed")
        elif not self.remove_source:
            raise CheckFailed("the source disappeared without --remove-source")
        elif not produced:
            raise CheckFailed("the source was removed but there is no encrypted file: data lost")
        if not killed and not produced:
            raise CheckFailed("a finished encrypt left no output")

    def extra_files(self):
        return [(self.out, self.digest)] if os.path.exists(self.out) else []

    def reset(self):
        if os.path.exists(self.out):
            os.remove(self.out)
        if not os.path.exists(self.src):
            shutil.copyfile(self.pristine, self.src)


class Decrypt(Operation):
    """decrypt one 4 MiB matter file to -o."""

    def setup(self):
        h = self.h
        h.create_matter("target")
        plain = os.path.join(h.project, "src", "big.bin")
        write_random(plain, BIG, h.data_rng)
        self.digest = sha256_file(plain)
        h.cli("encrypt", "--matter", "target", "--identity", h.identity, plain)
        os.remove(plain)
        self.src = plain + ".cmply"
        self.src_digest = sha256_file(self.src)
        h.fixed["target"] = [(self.src, self.digest)]
        self.out_dir = os.path.join(h.project, "out")
        os.makedirs(self.out_dir)
        self.out = os.path.join(self.out_dir, "big.bin")

    def prepare(self, i):
        return ["decrypt", "--identity", self.h.identity, self.src, "-o", self.out], self.h.project

    def check(self, i, killed):
        h = self.h
        produced = os.path.exists(self.out)
        h.check_no_strays(self.out_dir, {"big.bin"} if produced else set())
        h.check_no_strays(os.path.dirname(self.src), {"big.bin.cmply"})
        if sha256_file(self.src) != self.src_digest:
            raise CheckFailed("the matter file changed")
        if produced and sha256_file(self.out) != self.digest:
            raise CheckFailed("the decrypted output is partial or wrong")
        if not killed and not produced:
            raise CheckFailed("a finished decrypt left no output")

    def reset(self):
        if os.path.exists(self.out):
            os.remove(self.out)


def make_tree(h, root, rng):
    """A folder tree of 6 files, 4 MiB in all. Returns {relative path: sha256}."""
    sizes = [1536 << 10, 1 << 20, 768 << 10, 512 << 10, 256 << 10, 1 << 10]
    names = ["a.bin", "b.bin", "sub/c.bin", "sub/d.bin", "sub/deeper/e.bin", "f.txt"]
    digests = {}
    for name, size in zip(names, sizes):
        path = os.path.join(root, name)
        write_random(path, size, rng)
        digests[name] = sha256_file(path)
    return digests


class EncryptRecursive(Operation):
    """encrypt -r over a folder tree into -o FOLDER (mirrors the tree)."""

    def setup(self):
        h = self.h
        h.create_matter("target")
        h.add_fixed("target", 1)
        self.src = os.path.join(h.project, "tree")
        self.digests = make_tree(h, self.src, h.data_rng)
        self.src_listing = listing(self.src)
        self.out = os.path.join(h.project, "enc")
        os.makedirs(self.out)

    def prepare(self, i):
        return ["encrypt", "-r", "--matter", "target", "--identity", self.h.identity, "tree", "-o", "enc"], \
            self.h.project

    def produced(self):
        return [name for name in self.digests if os.path.exists(os.path.join(self.out, name + ".cmply"))]

    def check(self, i, killed):
        h = self.h
        # The mirrored tree's folders are made before their first file, so they may exist empty.
        allowed = {name + ".cmply" for name in self.produced()}
        for name in self.digests:
            parent = os.path.dirname(name)
            while parent:
                allowed.add(parent)
                parent = os.path.dirname(parent)
        h.check_no_strays(self.out, allowed)
        h.check_no_strays(self.src, self.src_listing)
        for name, digest in self.digests.items():
            if sha256_file(os.path.join(self.src, name)) != digest:
                raise CheckFailed(f"the source tree/{name} changed")
        if not killed and len(self.produced()) != len(self.digests):
            raise CheckFailed("a finished encrypt -r did not encrypt every file")

    def extra_files(self):
        return [(os.path.join(self.out, name + ".cmply"), self.digests[name]) for name in self.produced()]

    def reset(self):
        shutil.rmtree(self.out)
        os.makedirs(self.out)


class DecryptFolder(Operation):
    """decrypt every matter file of a folder into -o FOLDER (decrypt has no -r: the files are listed)."""

    def setup(self):
        h = self.h
        h.create_matter("target")
        plain = os.path.join(h.work, "plain")
        digests = make_tree(h, plain, h.data_rng)
        self.src = os.path.join(h.project, "enc")
        os.makedirs(self.src)
        h.cli("encrypt", "-r", "--matter", "target", "--identity", h.identity, plain, "-o", self.src)
        shutil.rmtree(plain)
        # decrypt -o FOLDER writes FOLDER/NAME: flatten the names
        self.digests = {os.path.basename(name): d for name, d in digests.items()}
        self.inputs = sorted(os.path.join(self.src, name + ".cmply") for name in digests)
        self.src_digests = {p: sha256_file(p) for p in self.inputs}
        self.src_listing = listing(self.src)
        h.fixed["target"] = [(p, digests[os.path.relpath(p, self.src)[: -len(".cmply")]]) for p in self.inputs[:1]]
        self.out = os.path.join(h.project, "plain")
        os.makedirs(self.out)

    def prepare(self, i):
        return ["decrypt", "--identity", self.h.identity, "-o", self.out, *self.inputs], self.h.project

    def check(self, i, killed):
        h = self.h
        produced = set(os.listdir(self.out))
        h.check_no_strays(self.out, produced & set(self.digests))
        h.check_no_strays(self.src, self.src_listing)
        for path, digest in self.src_digests.items():
            if sha256_file(path) != digest:
                raise CheckFailed(f"the matter file {path} changed")
        for name in produced:
            if sha256_file(os.path.join(self.out, name)) != self.digests[name]:
                raise CheckFailed(f"the decrypted {name} is partial or wrong")
        if not killed and len(produced) != len(self.digests):
            raise CheckFailed("a finished decrypt did not decrypt every file")

    def reset(self):
        shutil.rmtree(self.out)
        os.makedirs(self.out)


class ReencryptRecursive(Operation):
    """reencrypt -r: files rewritten in place (temporary file renamed over each) after a rotate."""

    def setup(self):
        h = self.h
        h.create_matter("target")
        h.add_fixed("target", 1)
        plain = os.path.join(h.work, "plain")
        digests = make_tree(h, plain, h.data_rng)
        self.dir = os.path.join(h.project, "enc")
        os.makedirs(self.dir)
        h.cli("encrypt", "-r", "--matter", "target", "--identity", h.identity, plain, "-o", self.dir)
        shutil.rmtree(plain)
        h.cli("matter", "rotate", "target", "--identity", h.identity)
        self.digests = {name + ".cmply": d for name, d in digests.items()}
        self.pristine = os.path.join(h.work, "enc-v1")
        shutil.copytree(self.dir, self.pristine)
        self.v1 = {name: sha256_file(os.path.join(self.dir, name)) for name in self.digests}
        self.dir_listing = listing(self.dir)

    def prepare(self, i):
        return ["reencrypt", "-r", "--identity", self.h.identity, "enc"], self.h.project

    def check(self, i, killed):
        h = self.h
        self.replace_window(killed)
        h.check_no_strays(self.dir, self.dir_listing)
        unchanged = 0
        for name in self.digests:
            path = os.path.join(self.dir, name)
            if not os.path.exists(path):
                raise CheckFailed(f"enc/{name} disappeared")
            unchanged += sha256_file(path) == self.v1[name]
        if not killed and unchanged:
            raise CheckFailed(f"a finished reencrypt left {unchanged} files at the old key version")

    def extra_files(self):
        return [(os.path.join(self.dir, name), d) for name, d in self.digests.items()]

    def replace_window(self, killed):
        """Replacing a file is linkat(unnamed file -> .NAME.tmp-XXXXXX) then rename(-> NAME): Linux
        cannot rename an unnamed file over another. A kill between those two calls leaves the hidden
        name: allowed only in exactly that state (the hidden file is the complete new version, and
        the target is still the old one), counted, and removed before the next run."""
        # The tree has sub-folders: look in every one (names in self.digests are relative paths).
        hidden_files = [os.path.join(root, entry) for root, _, entries in os.walk(self.dir) for entry in entries]
        for hidden in hidden_files:
            match = re.fullmatch(r"\.(.+)\.tmp-[A-Za-z0-9]{6}", os.path.basename(hidden))
            name = match and os.path.relpath(os.path.join(os.path.dirname(hidden), match.group(1)), self.dir)
            if not killed or not match or name not in self.digests:
                continue
            if sha256_file(os.path.join(self.dir, name)) != self.v1[name]:
                raise CheckFailed(f"{hidden} was left behind, and {name} was replaced too")
            plain = self.h.cli("--quiet", "decrypt", "--identity", self.h.identity, "-o", "-", hidden).stdout
            if hashlib.sha256(plain).hexdigest() != self.digests[name]:
                raise CheckFailed(f"{hidden} was left behind, and it is not the complete new version")
            os.remove(hidden)
            self.h.stats["window"] = self.h.stats.get("window", 0) + 1

    def reset(self):
        shutil.rmtree(self.dir)
        shutil.copytree(self.pristine, self.dir)


class MatterRotate(Operation):
    """matter rotate: adds a key version; every version stays usable, versions stay 1..n."""

    keystore_changed = True

    def setup(self):
        self.h.create_matter("target")
        self.h.add_fixed("target", 1)
        self.small = os.path.join(self.h.work, "small.txt")
        write_random(self.small, 4096, self.h.data_rng)
        self.digest = sha256_file(self.small)

    def prepare(self, i):
        return ["matter", "rotate", "target", "--identity", self.h.identity], self.h.project

    def check(self, i, killed):
        h = self.h
        matter = h.matters()["target"]
        versions = [v["version"] for v in matter["key_versions"]]
        if versions != list(range(1, len(versions) + 1)):
            raise CheckFailed(f"key versions are not 1..n: {versions}")
        # The newest version encrypts and decrypts (a half-made version would fail here).
        self.out = os.path.join(h.work, "newest", f"small-{i}.txt.cmply")
        os.makedirs(os.path.dirname(self.out), exist_ok=True)
        h.cli("--quiet", "encrypt", "--matter", "target", "--identity", h.identity, self.small, "-o", self.out)

    def extra_files(self):
        return [(self.out, self.digest)]

    def reset(self):
        os.remove(self.out)


class MatterRewrap(Operation):
    """matter rewrap: add or remove a second recipient, across several key versions."""

    keystore_changed = True

    def setup(self):
        h = self.h
        h.create_matter("target")
        h.add_fixed("target", 1)
        for _ in range(3):
            h.cli("matter", "rotate", "target", "--identity", h.identity)
            h.add_fixed("target", 1)
        self.pub2 = h.cli("identity", "new", "-o", "id2.key").stdout.decode().strip()
        self.identity2 = os.path.join(h.project, "id2.key")

    def prepare(self, i):
        recipients = self.h.matters()["target"]["recipients"]
        flag = "--remove-recipient" if self.pub2 in recipients else "--add-recipient"
        return ["matter", "rewrap", "target", flag, self.pub2, "--identity", self.h.identity], self.h.project

    def check(self, i, killed):
        h = self.h
        recipients = h.matters()["target"]["recipients"]
        if h.pub not in recipients:
            raise CheckFailed(f"the first recipient was lost: {recipients}")
        if self.pub2 in recipients:
            # every key version must be wrapped to the second recipient too
            h.decrypt_all(h.fixed["target"], identity=self.identity2)
        else:
            h.cli("--quiet", "decrypt", "--identity", self.identity2, "-o", "-", h.fixed["target"][0][0], expect=1)


class MatterShred(Operation):
    """matter shred: a fresh matter with one file each run; shredded (file unreadable) or intact."""

    keystore_changed = True

    name = None

    def prepare(self, i):
        h = self.h
        if self.name not in h.fixed:  # the last one was shredded: make the next (else shred it again)
            self.name = f"shred-{i + 3}"
            h.create_matter(self.name)
            h.add_fixed(self.name, 1)
        return ["matter", "shred", self.name, "--yes"], h.project

    def check(self, i, killed):
        h = self.h
        matter = h.matters()[self.name]
        if matter["shredded_at"] is not None:
            if matter["key_versions"]:
                raise CheckFailed(f"shredded matter {self.name} still lists key versions")
            path = h.fixed.pop(self.name)[0][0]
            h.cli("--quiet", "decrypt", "--identity", h.identity, "-o", "-", path, expect=1)
        elif not killed:
            raise CheckFailed("a finished shred left the matter active")


class MatterImport(Operation):
    """matter import: matters exported from a second workspace, one per run."""

    keystore_changed = True

    def setup(self):
        h = self.h
        self.other = os.path.join(h.work, "other")
        os.makedirs(self.other)
        h.cli("init", cwd=self.other)
        self.other_pub = h.cli("identity", "new", "-o", "other.key", cwd=self.other).stdout.decode().strip()
        self.other_vkey = h.cli("audit", "pubkey", cwd=self.other).stdout.decode().strip()  # signs the exports
        # The signer trusted from the start, so that .complycli/trusted-signers is part of the baseline
        # (every run still passes --trust, which leaves the file as it is).
        with open(os.path.join(h.workspace, "trusted-signers"), "w") as f:
            f.write(self.other_vkey + "\n")
        os.chmod(os.path.join(h.workspace, "trusted-signers"), 0o600)
        self.small = os.path.join(h.work, "small.txt")
        write_random(self.small, 4096, h.data_rng)
        self.digest = sha256_file(self.small)

    def prepare(self, i):
        h = self.h
        self.name = f"imported-{i + 3}"
        h.create_matter(self.name, cwd=self.other, pub=self.other_pub)
        self.file = os.path.join(h.project, "fixed", f"{self.name}.txt.cmply")
        os.makedirs(os.path.dirname(self.file), exist_ok=True)
        h.cli("--quiet", "encrypt", "--matter", self.name, "--identity", "other.key", self.small, "-o", self.file,
              cwd=self.other)
        h.cli("--quiet", "matter", "export", self.name, "--to", h.pub, "--identity", "other.key",
              "-o", os.path.join(h.project, "export.keys"), "--force", cwd=self.other)
        return ["matter", "import", "export.keys", "--identity", h.identity, "--no-passphrase", "--trust",
                self.other_vkey], h.project

    def check(self, i, killed):
        h = self.h
        self.imported = self.name in h.matters()
        if self.imported:
            h.later.append((self.file, self.digest))
        elif not killed:
            raise CheckFailed("a finished import did not add the matter")
        else:
            os.remove(self.file)

    def extra_files(self):
        return [(self.file, self.digest)] if self.imported else []


class AuditAppend(Operation):
    """audit append: one entry, there completely or not at all."""

    def prepare(self, i):
        self.before = self.h.audit_entries
        return ["audit", "append", "--action", "fault.append", "--target", f"run-{i}",
                "--details", json.dumps({"run": i, "pad": "x" * 512})], self.h.project

    def check(self, i, killed):
        added = self.h.audit_count() - self.before
        if added not in ((0, 1) if killed else (1,)):
            raise CheckFailed(f"audit append added {added} entries")


class AuditImport(Operation):
    """audit import: 400 records in one transaction, all or nothing."""

    LINES = 400

    def setup(self):
        self.file = os.path.join(self.h.project, "bulk.jsonl")
        with open(self.file, "w") as f:
            for n in range(self.LINES):
                f.write(json.dumps({"action": "fault.import", "target": f"row-{n}", "details": {"n": n}}) + "\n")

    def prepare(self, i):
        self.before = self.h.audit_entries
        return ["audit", "import", "bulk.jsonl"], self.h.project

    def check(self, i, killed):
        added = self.h.audit_count() - self.before
        allowed = {self.LINES, self.LINES + 1}  # the records, and maybe an entry for the import itself
        if killed:
            allowed |= {0, 1}
        if added not in allowed:
            raise CheckFailed(f"audit import added {added} entries (all or nothing: 0 or {self.LINES})")


OPERATIONS_BY_NAME = {
    "encrypt": Encrypt,
    "decrypt": Decrypt,
    "encrypt_r": EncryptRecursive,
    "decrypt_folder": DecryptFolder,
    "reencrypt_r": ReencryptRecursive,
    "matter_rotate": MatterRotate,
    "matter_rewrap": MatterRewrap,
    "matter_shred": MatterShred,
    "matter_import": MatterImport,
    "audit_append": AuditAppend,
    "audit_import": AuditImport,
}
assert list(OPERATIONS_BY_NAME) == OPERATIONS


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True, help="the complycli binary")
    parser.add_argument("--operation", required=True, choices=OPERATIONS)
    parser.add_argument("--runs", type=int, default=int(os.environ.get("COMPLYCLI_FAULT_RUNS", "100")))
    parser.add_argument("--seed", type=int, default=None,
                        help="random seed (default: COMPLYCLI_FAULT_SEED, else a fresh one, printed)")
    parser.add_argument("--duration", type=float, default=None,
                        help="the normal duration in seconds (default: measured)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every run")
    args = parser.parse_args()
    if args.seed is None:
        env_seed = os.environ.get("COMPLYCLI_FAULT_SEED")
        args.seed = int(env_seed) if env_seed else random.SystemRandom().randrange(1 << 32)
    harness = Harness(args)
    try:
        code = harness.main()
    finally:
        harness.cleanup()
    sys.exit(code)


if __name__ == "__main__":
    main()
