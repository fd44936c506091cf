#!/usr/bin/env python3
"""complycli against a real PostgreSQL 15 server (tests/pg/pg_server.py starts a throwaway one).

Usage: run_pg_tests.py --binary build/complycli [--only NAME]
Exit 0 when every test passed, 1 on a failure, 77 (ctest's SKIP_RETURN_CODE) when PostgreSQL 15 is not
installed, with the install command on stderr.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pg_server import SUPERUSER_PASSWORD, PgServer, Skip  # noqa: E402

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def server_runs(ctx):
    out = ctx.pg.psql("SHOW server_version_num").stdout.strip()
    assert out.startswith("15"), out
    assert ctx.pg.psql("SELECT current_user").stdout.strip() == "postgres"


def run(ctx, home, *args, env_extra=None, check=True, stdin=None):
    env = dict(os.environ, HOME=ctx.work, COMPLYCLI_ACTOR="tester", PGPASSWORD=SUPERUSER_PASSWORD,
               PGCONNECT_TIMEOUT="10")
    env.pop("COMPLYCLI_HOME", None)
    env.update(env_extra or {})
    p = subprocess.run([ctx.binary, "--home", home, *args], capture_output=True, text=True, env=env, input=stdin)
    if check and p.returncode != 0:
        raise AssertionError(f"{args} exited {p.returncode}: {p.stderr}")
    return p


def fresh_database(ctx, name):
    ctx.pg.psql(f"DROP DATABASE IF EXISTS {name}", database="postgres")
    ctx.pg.psql(f"CREATE DATABASE {name}", database="postgres")
    return ctx.pg.url(database=name)


def export(ctx, home):
    out = run(ctx, home, "audit", "export", "--format", "jsonl").stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


@test
def init_creates_then_joins(ctx):
    url = fresh_database(ctx, "t_join")
    a, b = os.path.join(ctx.work, "join-a"), os.path.join(ctx.work, "join-b")
    p = run(ctx, a, "init", "--store", url)
    assert "Created" in p.stderr, p.stderr
    assert os.path.exists(os.path.join(a, "log.key"))
    assert not os.path.exists(os.path.join(a, "audit.db"))
    settings = json.load(open(os.path.join(a, "settings.json")))
    assert settings["store"] == url, settings
    assert SUPERUSER_PASSWORD not in open(os.path.join(a, "settings.json")).read()
    p = run(ctx, b, "init", "--store", url)
    assert "Joined" in p.stderr, p.stderr
    assert not os.path.exists(os.path.join(b, "log.key"))
    # the schema, its append-only triggers
    tables = ctx.pg.psql("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables "
                         "WHERE schemaname = 'complycli'", database="t_join").stdout.strip()
    assert tables == ("chain_wraps,checkpoints,entries,key_versions,matters,merkle,meta,passphrase_slots,records,"
                      "retired_versions,version_public_keys,wraps"), tables
    entries = export(ctx, b)
    assert [e["action"] for e in entries] == ["workspace.init", "workspace.join"], entries
    run(ctx, a, "audit", "append", "--action", "matter.open", "--target", "m1")
    run(ctx, b, "audit", "append", "--action", "matter.read", "--target", "m1")
    for home in (a, b):
        v = run(ctx, home, "audit", "verify")
        assert "4 entries" in v.stdout or "4" in v.stdout, v.stdout
    assert len(export(ctx, a)) == 4
    # a password in the URL is refused before anything is created
    p = run(ctx, os.path.join(ctx.work, "join-c"), "init", "--store",
            url.replace("postgres@", f"postgres:{SUPERUSER_PASSWORD}@"), check=False)
    assert p.returncode == 2, p
    assert SUPERUSER_PASSWORD not in p.stderr + p.stdout
    assert not os.path.exists(os.path.join(ctx.work, "join-c"))


@test
def bad_connections_exit_3(ctx):
    fresh_database(ctx, "t_bad")
    cases = {
        "refused password": (ctx.pg.url(database="t_bad"), {"PGPASSWORD": "wrong-password-xyz"},
                             "password authentication failed"),
        "missing database": (ctx.pg.url(database="no_such_db"), {}, 'database "no_such_db" does not exist'),
        "nothing listening": (f"postgresql://postgres@127.0.0.1:1/t_bad", {}, "Connection refused"),
    }
    for name, (url, env, reason) in cases.items():
        home = os.path.join(ctx.work, "bad-" + name.replace(" ", "-"))
        p = run(ctx, home, "init", "--store", url, env_extra=env, check=False)
        assert p.returncode == 3, (name, p)
        assert reason in p.stderr, (name, p.stderr)
        assert "hint:" in p.stderr, (name, p.stderr)
        assert "wrong-password-xyz" not in p.stderr and SUPERUSER_PASSWORD not in p.stderr
        assert p.stdout == ""
        assert not os.path.exists(home), name


@test
def concurrent_appends_one_chain(ctx):
    url = fresh_database(ctx, "t_conc")
    homes = [os.path.join(ctx.work, f"conc-{i}") for i in range(2)]
    for home in homes:
        run(ctx, home, "init", "--store", url)
    per_process = ctx.appends
    total = 8 * per_process
    script = (f'for i in $(seq 1 {per_process}); do "$BIN" --home "$H" audit append --action load.test '
              '--target "$W-$i" || exit 1; done')
    procs = []
    start = time.monotonic()
    for w, home in enumerate(homes):
        for k in range(4):
            env = dict(os.environ, BIN=ctx.binary, H=home, W=f"w{w}p{k}", HOME=ctx.work,
                       COMPLYCLI_ACTOR="tester", PGPASSWORD=SUPERUSER_PASSWORD)
            procs.append(subprocess.Popen(["bash", "-c", script], env=env, stderr=subprocess.PIPE, text=True))
    for p in procs:
        _, err = p.communicate()
        assert p.returncode == 0, err
    elapsed = time.monotonic() - start
    print(f"     {total} appends from 8 processes in {elapsed:.1f} s")
    entries = export(ctx, homes[1])
    loads = [e for e in entries if e["action"] == "load.test"]
    assert len(loads) == total, len(loads)
    assert [e["seq"] for e in entries] == list(range(1, total + 3))
    assert len({e["target"] for e in loads}) == total
    for home in homes:
        v = run(ctx, home, "audit", "verify", "--format", "json")
        report = json.loads(v.stdout)
        assert report.get("entries") == total + 2, report


@test
def tamper_refused_and_detected(ctx):
    url = fresh_database(ctx, "t_tamper")
    home = os.path.join(ctx.work, "tamper")
    run(ctx, home, "init", "--store", url)
    for i in range(5):
        run(ctx, home, "audit", "append", "--action", "doc.sign", "--target", f"d{i}")
    run(ctx, home, "audit", "verify")
    for sql in ("UPDATE complycli.entries SET actor = 'mallory' WHERE seq = 3",
                "DELETE FROM complycli.entries WHERE seq = 6",
                "TRUNCATE complycli.checkpoints",
                "UPDATE complycli.meta SET value = 'x' WHERE key = 'public_key'"):
        p = ctx.pg.psql(sql, database="t_tamper", check=False)
        assert p.returncode != 0 and "append-only" in p.stderr, (sql, p.stderr)
    # a superuser can switch the triggers off: verify still finds the edit
    ctx.pg.psql("SET session_replication_role = replica; "
                "UPDATE complycli.entries SET actor = 'mallory' WHERE seq = 3", database="t_tamper")
    p = run(ctx, home, "audit", "verify", check=False)
    assert p.returncode == 1, p
    assert "entry 3" in p.stdout + p.stderr, p


@test
def kill_9_loses_no_committed_entry(ctx):
    url = fresh_database(ctx, "t_kill")
    home = os.path.join(ctx.work, "kill")
    run(ctx, home, "init", "--store", url)
    env = dict(os.environ, HOME=ctx.work, COMPLYCLI_ACTOR="tester", PGPASSWORD=SUPERUSER_PASSWORD)
    committed = []
    killed = 0
    for round_ in range(40):
        procs = []
        for k in range(4):
            target = f"r{round_}k{k}"
            procs.append((target, subprocess.Popen([ctx.binary, "--home", home, "audit", "append", "--action",
                                                    "kill.test", "--target", target], env=env,
                                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
        time.sleep(0.002 * (round_ % 8))
        victim = procs[round_ % 4][1]
        victim.send_signal(signal.SIGKILL)
        for target, p in procs:
            p.wait()
            if p.returncode == 0:
                committed.append(target)
            elif p.returncode == -signal.SIGKILL:
                killed += 1
    assert killed > 0
    targets = {e["target"] for e in export(ctx, home)}
    missing = [t for t in committed if t not in targets]
    assert not missing, missing
    run(ctx, home, "audit", "verify")


@test
def roles_owner_and_append_only_app(ctx):
    """The role layout of docs/postgresql.md: the owner creates, the application role joins and appends,
    and cannot change a row even with the triggers gone."""
    fresh_database(ctx, "t_roles")
    for sql in ("DROP ROLE IF EXISTS complycli_owner", "DROP ROLE IF EXISTS complycli_app",
                "CREATE ROLE complycli_owner LOGIN PASSWORD 'owner-pw'",
                "CREATE ROLE complycli_app LOGIN PASSWORD 'app-pw'",
                "GRANT CREATE ON DATABASE t_roles TO complycli_owner"):
        ctx.pg.psql(sql, database="postgres")
    owner, app = os.path.join(ctx.work, "roles-owner"), os.path.join(ctx.work, "roles-app")
    run(ctx, owner, "init", "--store", ctx.pg.url("complycli_owner", "t_roles"), env_extra={"PGPASSWORD": "owner-pw"})
    for sql in ("GRANT USAGE ON SCHEMA complycli TO complycli_app",
                "GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA complycli TO complycli_app",
                "GRANT USAGE ON ALL SEQUENCES IN SCHEMA complycli TO complycli_app"):
        ctx.pg.psql(sql, database="t_roles", user="complycli_owner")
    app_env = {"PGPASSWORD": "app-pw"}
    run(ctx, app, "init", "--store", ctx.pg.url("complycli_app", "t_roles"), env_extra=app_env)
    run(ctx, app, "audit", "append", "--action", "ci.run", "--target", "build-1", env_extra=app_env)
    run(ctx, app, "audit", "verify", env_extra=app_env)
    p = ctx.pg.psql("ALTER TABLE complycli.entries DISABLE TRIGGER entries_append_only", database="t_roles",
                    user="complycli_app", check=False)
    assert p.returncode != 0, p
    p = ctx.pg.psql("UPDATE complycli.entries SET actor = 'x'", database="t_roles", user="complycli_app", check=False)
    assert p.returncode != 0 and "permission denied" in p.stderr, p.stderr
    # the keystore grants of docs/postgresql.md: matter create, rotate, rewrap, retire and shred work
    for sql in ("GRANT UPDATE, DELETE ON complycli.key_versions, complycli.passphrase_slots, complycli.wraps, "
                "complycli.chain_wraps, complycli.records, complycli.version_public_keys TO complycli_app",
                "GRANT UPDATE (shredded_at) ON complycli.matters TO complycli_app"):
        ctx.pg.psql(sql, database="t_roles", user="complycli_owner")
    env = dict(app_env, COMPLYCLI_PASSPHRASE="pw", COMPLYCLI_KDF_PROFILE="interactive", COMPLYCLI_TEST_WEAK_KDF="1")
    pub = run(ctx, app, "identity", "new", "-o", os.path.join(ctx.work, "roles-id.key")).stdout.strip()
    run(ctx, app, "matter", "create", "acme", env_extra=env)
    run(ctx, app, "matter", "rotate", "acme", env_extra=env)
    run(ctx, app, "matter", "rotate", "acme", env_extra=env)
    run(ctx, app, "matter", "rewrap", "acme", "--add-recipient", pub, env_extra=env)
    run(ctx, app, "matter", "retire", "acme", "1", "--force", env_extra=env)
    run(ctx, app, "matter", "shred", "acme", "--yes", env_extra=env)
    p = ctx.pg.psql("DELETE FROM complycli.matters", database="t_roles", user="complycli_app", check=False)
    assert p.returncode != 0 and "permission denied" in p.stderr, p.stderr


@test
def import_stats_checkpoint(ctx):
    url = fresh_database(ctx, "t_import")
    holder, member = os.path.join(ctx.work, "imp-holder"), os.path.join(ctx.work, "imp-member")
    run(ctx, holder, "init", "--store", url)
    run(ctx, member, "init", "--store", url)
    lines = "".join(json.dumps({"action": "bulk.load", "target": f"t{i}", "details": {"i": i, "s": "a\tb\\c\nd"}})
                    + "\n" for i in range(5000))
    run(ctx, holder, "audit", "import", "-", stdin=lines)
    # a bad line: nothing of the import is kept
    p = run(ctx, member, "audit", "import", "-", stdin='{"action": "x", "target": "y"}\n{"action": \n', check=False)
    assert p.returncode == 2, p
    stats = json.loads(run(ctx, member, "audit", "stats", "--format", "json").stdout)
    assert stats["entries"] == 5002, stats
    assert stats["checkpoints"] == 5, stats  # automatic, at 1000 .. 5000, signed by the key holder
    entries = export(ctx, member)
    assert entries[-1]["details"]["s"] == "a\tb\\c\nd", entries[-1]
    # filters are quoted for the server: a value that tries to widen the query matches nothing
    def listed(*filters):
        return json.loads(run(ctx, member, "audit", "log", "--format", "json", *filters).stdout)["entries"]
    assert [e["seq"] for e in listed("--target", "t42")] == [45]  # after init's and join's entries
    assert listed("--target", "t42' OR 'a'='a") == []
    assert [e["target"] for e in listed("--action", "bulk.load", "--limit", "2")] == ["t4998", "t4999"]
    run(ctx, member, "audit", "verify")
    # the member holds no signing key: it cannot sign a checkpoint, the holder can
    p = run(ctx, member, "audit", "checkpoint", check=False)
    assert p.returncode == 3 and "log key" in p.stderr, p
    run(ctx, holder, "audit", "checkpoint", "-o", os.path.join(ctx.work, "anchor.txt"))
    run(ctx, member, "audit", "verify", "--anchor", os.path.join(ctx.work, "anchor.txt"))
    # the tail truncated by a superuser: the anchor catches it
    ctx.pg.psql("SET session_replication_role = replica; DELETE FROM complycli.entries WHERE seq > 5000",
                database="t_import")
    p = run(ctx, member, "audit", "verify", "--anchor", os.path.join(ctx.work, "anchor.txt"), check=False)
    assert p.returncode == 1, p


@test
def long_log_verified_in_two_halves(ctx):
    # 200,001 entries: verify reads the two halves (split at entry 99,840, a tile boundary) through two
    # connections, each a COPY stream; an edit in either half, or at the seam, is found and named.
    db = "t_long"
    url = fresh_database(ctx, db)
    home = os.path.join(ctx.work, "long")
    run(ctx, home, "init", "--store", url)
    lines = "".join(json.dumps({"action": "bulk.load", "target": f"t{i}", "details": {"i": i}}) + "\n"
                    for i in range(200000))
    run(ctx, home, "audit", "import", "-", stdin=lines)
    assert "verified 200001 entries" in run(ctx, home, "audit", "verify").stdout
    off = "SET session_replication_role = replica; "
    edits = [
        ("UPDATE complycli.entries SET details = '{\"i\":0}' WHERE seq = 50000", "entry 50000: hash mismatch"),
        ("UPDATE complycli.entries SET actor = 'mallory' WHERE seq = 150000", "entry 150000: hash mismatch"),
        ("UPDATE complycli.entries SET prev_hash = hash WHERE seq = 99841", "entry 99841: broken link"),
        ("DELETE FROM complycli.entries WHERE seq = 180000", "entry 180000: gap"),
        ("DELETE FROM complycli.entries WHERE seq = 99840", "entry 99840: gap"),
    ]
    for sql, expected in edits:
        seq = sql.rsplit("= ", 1)[1]
        ctx.pg.psql(f"CREATE TABLE saved AS SELECT * FROM complycli.entries WHERE seq = {seq}", database=db)
        ctx.pg.psql(off + sql, database=db)
        p = run(ctx, home, "audit", "verify", check=False)
        assert p.returncode == 1 and expected in p.stdout + p.stderr, (sql, p.stdout, p.stderr)
        ctx.pg.psql(off + f"DELETE FROM complycli.entries WHERE seq = {seq}; "
                    "INSERT INTO complycli.entries SELECT * FROM saved; DROP TABLE saved", database=db)
        assert "verified 200001 entries" in run(ctx, home, "audit", "verify").stdout, sql


@test
def server_restart_during_appends(ctx):
    url = fresh_database(ctx, "t_restart")
    home = os.path.join(ctx.work, "restart")
    run(ctx, home, "init", "--store", url)
    script = ('for i in $(seq 1 60); do if "$BIN" --home "$H" audit append --action restart.test '
              '--target "$W-$i" 2>/dev/null; then echo "$W-$i"; fi; sleep 0.01; done')
    procs = []
    for k in range(3):
        env = dict(os.environ, BIN=ctx.binary, H=home, W=f"p{k}", HOME=ctx.work, COMPLYCLI_ACTOR="tester",
                   PGPASSWORD=SUPERUSER_PASSWORD)
        procs.append(subprocess.Popen(["bash", "-c", script], env=env, stdout=subprocess.PIPE, text=True))
    time.sleep(0.5)
    ctx.pg.stop("immediate")  # a crash, as far as the clients can tell
    time.sleep(0.3)
    ctx.pg.start()
    committed = []
    for p in procs:
        out, _ = p.communicate()
        committed += out.split()
    targets = [e["target"] for e in export(ctx, home)]
    missing = [t for t in committed if t not in targets]
    assert not missing, missing
    assert len(targets) == len(set(targets))
    run(ctx, home, "audit", "verify")
    print(f"     {len(committed)} of 180 appends succeeded across the restart, all of them kept")


KDF_ENV = {"COMPLYCLI_KDF_PROFILE": "interactive", "COMPLYCLI_TEST_WEAK_KDF": "1"}


def keystore_pair(ctx, name):
    """Two workspaces (machine A creates the store, machine B joins it) on a fresh database."""
    url = fresh_database(ctx, name)
    a, b = os.path.join(ctx.work, name + "-a"), os.path.join(ctx.work, name + "-b")
    run(ctx, a, "init", "--store", url)
    run(ctx, b, "init", "--store", url)
    return url, a, b


def encrypt_file(ctx, home, matter, name, text, env=None):
    path = os.path.join(ctx.work, name)
    with open(path, "w") as f:
        f.write(text)
    run(ctx, home, "encrypt", "--matter", matter, path, env_extra=env)
    return path + ".cmply"


def decrypt_text(ctx, home, sealed, env=None, check=True, *extra):
    out = sealed + ".out-" + os.path.basename(home)
    if os.path.exists(out):
        os.remove(out)
    p = run(ctx, home, "decrypt", *extra, "-o", out, sealed, env_extra=env, check=check)
    if p.returncode != 0:
        return p
    return open(out).read()


@test
def keystore_shared_between_workspaces(ctx):
    """A matter created on machine A is usable on machine B by the passphrase or an identity; a rotation
    on B is seen on A; a shred on A makes B fail."""
    url, a, b = keystore_pair(ctx, "t_keys")
    pw = dict(KDF_ENV, COMPLYCLI_PASSPHRASE="correct horse")
    bob_key = os.path.join(ctx.work, "keys-bob.key")
    bob_pub = run(ctx, a, "identity", "new", "-o", bob_key).stdout.strip()
    run(ctx, a, "matter", "create", "acme", "--recipient", bob_pub, env_extra=pw)
    assert not os.path.exists(os.path.join(a, "keystore.db")) and not os.path.exists(os.path.join(b, "keystore.db"))
    listed = run(ctx, b, "matter", "list").stdout
    assert "acme" in listed, listed
    sealed = encrypt_file(ctx, a, "acme", "keys-note.txt", "privileged\n")
    assert decrypt_text(ctx, b, sealed, pw) == "privileged\n"
    no_pass = dict(KDF_ENV)
    assert decrypt_text(ctx, b, sealed, no_pass, True, "--identity", bob_key) == "privileged\n"
    p = decrypt_text(ctx, b, sealed, dict(KDF_ENV, COMPLYCLI_PASSPHRASE="wrong"), False)
    assert p.returncode == 1 and "wrong passphrase" in p.stderr, p.stderr
    # rotate on B, decrypt on A (a file sealed with version 2)
    run(ctx, b, "matter", "rotate", "acme", env_extra=pw)
    sealed2 = encrypt_file(ctx, b, "acme", "keys-note2.txt", "after rotation\n")
    assert decrypt_text(ctx, a, sealed2, pw) == "after rotation\n"
    assert decrypt_text(ctx, a, sealed2, no_pass, True, "--identity", bob_key) == "after rotation\n"
    versions = ctx.pg.psql("SELECT count(*) FROM complycli.key_versions", database="t_keys").stdout.strip()
    assert versions == "2", versions
    # every change is in the one shared audit log
    actions = [e["action"] for e in export(ctx, a)]
    assert "matter.create" in actions and "matter.rotate" in actions, actions
    # shred on A: B can no longer decrypt, and no wrap is left on the server
    run(ctx, a, "matter", "shred", "acme", "--yes", env_extra=pw)
    p = decrypt_text(ctx, b, sealed, pw, False)
    assert p.returncode == 1 and "destroyed" in p.stderr, p.stderr
    left = ctx.pg.psql("SELECT (SELECT count(*) FROM complycli.wraps) + (SELECT count(*) FROM complycli.key_versions)"
                       " + (SELECT count(*) FROM complycli.passphrase_slots)", database="t_keys").stdout.strip()
    assert left == "0", left


@test
def keystore_tamper_in_database_refused(ctx):
    """Rows edited by a superuser are refused by the record MAC, as in a SQLite keystore (exit 1)."""
    url, a, b = keystore_pair(ctx, "t_keys_tamper")
    pw = dict(KDF_ENV, COMPLYCLI_PASSPHRASE="pw")
    run(ctx, a, "matter", "create", "acme", env_extra=pw)
    run(ctx, a, "matter", "rotate", "acme", env_extra=pw)
    sealed = encrypt_file(ctx, a, "acme", "tamper-note.txt", "x\n")
    assert decrypt_text(ctx, b, sealed, pw) == "x\n"
    db = "t_keys_tamper"
    # a version's created time changed
    ctx.pg.psql("UPDATE complycli.key_versions SET created = '2020-01-01T00:00:00Z' WHERE version = 2", database=db)
    p = decrypt_text(ctx, b, sealed, pw, False)
    assert p.returncode == 1 and "keystore record of matter acme was modified" in p.stderr, p.stderr
    p = run(ctx, a, "matter", "rotate", "acme", env_extra=pw, check=False)
    assert p.returncode == 1 and "was modified" in p.stderr, p.stderr
    # a recipient wrap added by someone who cannot unlock the matter: the record refuses it
    url2, a2, b2 = keystore_pair(ctx, "t_keys_tamper2")
    db2 = "t_keys_tamper2"
    run(ctx, a2, "matter", "create", "acme", env_extra=pw)
    run(ctx, a2, "matter", "create", "other", env_extra=pw)
    sealed = encrypt_file(ctx, a2, "acme", "tamper-note2.txt", "y\n")
    ctx.pg.psql("INSERT INTO complycli.wraps (matter_id, version, kind, recipient, wrapped) SELECT w.matter_id, "
                "w.version, 'recipient', 'mallory', w.wrapped FROM complycli.wraps w JOIN complycli.matters m "
                "ON m.id = w.matter_id WHERE m.name = 'acme'", database=db2)
    p = decrypt_text(ctx, b2, sealed, pw, False)
    assert p.returncode == 1 and "keystore record of matter acme was modified" in p.stderr, p.stderr
    # a wrap overwritten with garbage: refused too; the other matter is untouched
    ctx.pg.psql("UPDATE complycli.wraps SET wrapped = decode(md5('x') || md5('y') || md5('z'), 'hex') "
                "WHERE matter_id = (SELECT id FROM complycli.matters WHERE name = 'acme')", database=db2)
    p = decrypt_text(ctx, b2, sealed, pw, False)
    assert p.returncode == 1, p.stderr
    assert decrypt_text(ctx, b2, encrypt_file(ctx, a2, "other", "tamper-other.txt", "z\n"), pw) == "z\n"


@test
def keystore_bad_connection_exit_3(ctx):
    """A matter command on a workspace whose server refuses the password, or is gone, is exit 3."""
    url, a, b = keystore_pair(ctx, "t_keys_bad")
    pw = dict(KDF_ENV, COMPLYCLI_PASSPHRASE="pw")
    run(ctx, a, "matter", "create", "acme", env_extra=pw)
    p = run(ctx, b, "matter", "list", env_extra={"PGPASSWORD": "wrong-password-xyz"}, check=False)
    assert p.returncode == 3 and "password authentication failed" in p.stderr, p.stderr
    assert "hint:" in p.stderr and "wrong-password-xyz" not in p.stderr
    settings_path = os.path.join(b, "settings.json")
    settings = json.load(open(settings_path))
    settings["store"] = "postgresql://postgres@127.0.0.1:1/t_keys_bad"
    json.dump(settings, open(settings_path, "w"))
    p = run(ctx, b, "matter", "rotate", "acme", env_extra=pw, check=False)
    assert p.returncode == 3 and "Connection refused" in p.stderr, p.stderr


@test
def keystore_concurrent_rotations(ctx):
    """Rotations from two workspaces at once: each one either commits or writes nothing (exit 3, run it
    again); the record stays sound and every committed version decrypts."""
    url, a, b = keystore_pair(ctx, "t_keys_conc")
    pw = dict(KDF_ENV, COMPLYCLI_PASSPHRASE="pw")
    run(ctx, a, "matter", "create", "acme", env_extra=pw)
    env = dict(os.environ, HOME=ctx.work, COMPLYCLI_ACTOR="tester", PGPASSWORD=SUPERUSER_PASSWORD, **pw)
    procs = [subprocess.Popen([ctx.binary, "--home", home, "matter", "rotate", "acme"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for home in (a, b, a, b, a, b)]
    committed = 0
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        if proc.returncode == 0:
            committed += 1
        else:
            assert proc.returncode == 3 and "changed by another command" in err, (proc.returncode, err)
    assert committed >= 1
    versions = ctx.pg.psql("SELECT count(*) FROM complycli.key_versions", database="t_keys_conc").stdout.strip()
    assert versions == str(1 + committed), (versions, committed)
    sealed = encrypt_file(ctx, b, "acme", "conc-note.txt", "after the race\n")
    assert decrypt_text(ctx, a, sealed, pw) == "after the race\n"
    run(ctx, a, "matter", "rotate", "acme", env_extra=pw)
    print(f"     {committed} of 6 concurrent rotations committed, the others wrote nothing")


def stats(ctx, home):
    return json.loads(run(ctx, home, "audit", "stats", "--format", "json").stdout)


def entry_count(ctx, database):
    p = ctx.pg.psql("SELECT count(*) FROM complycli.entries", database=database, check=False)
    return p.stdout.strip() if p.returncode == 0 else None


@test
def migrate_to_postgres_and_back(ctx):
    url = fresh_database(ctx, "t_migrate")
    home = os.path.join(ctx.work, "migrate")
    run(ctx, home, "init")
    lines = "".join(json.dumps({"action": "bulk.load", "target": f"t{i}", "details": {"s": "a\tb\\c\nd"}}) + "\n"
                    for i in range(2500))
    run(ctx, home, "audit", "import", "-", stdin=lines)
    # the keystore moves in the same transaction: a matter made before opens its file after each move
    pw = dict(KDF_ENV, COMPLYCLI_PASSPHRASE="migrate pass")
    run(ctx, home, "matter", "create", "acme", env_extra=pw)
    sealed = encrypt_file(ctx, home, "acme", "migrate-note.txt", "before the move\n")
    run(ctx, home, "audit", "checkpoint")
    before, stats_before = export(ctx, home), stats(ctx, home)
    assert stats_before["checkpoints"] == 3, stats_before  # at 1000, 2000 and the one asked for
    p = run(ctx, home, "store", "migrate", "--to", url)
    assert "keystore rows of 1 matter(s)" in p.stderr, p.stderr
    assert not os.path.exists(os.path.join(home, "keystore.db"))
    kept_keys = [f for f in os.listdir(home) if f.startswith("keystore.db.migrated-") and f[-4:] not in ("-wal", "-shm")]
    assert len(kept_keys) == 1 and kept_keys[0] in p.stderr, (kept_keys, p.stderr)
    assert ctx.pg.psql("SELECT name FROM complycli.matters", database="t_migrate").stdout.split() == ["acme"]

    assert SUPERUSER_PASSWORD not in p.stderr + p.stdout
    assert p.stdout == "", p.stdout
    assert f"Copied {len(before)} entries, 3 checkpoints" in p.stderr, p.stderr
    settings = json.load(open(os.path.join(home, "settings.json")))
    assert settings["store"] == url, settings
    assert not os.path.exists(os.path.join(home, "audit.db"))
    kept = [f for f in os.listdir(home) if f.startswith("audit.db.migrated-") and f[-4:] not in ("-wal", "-shm")]
    assert kept == [kept[0]] and kept[0] in p.stderr, (kept, p.stderr)
    run(ctx, home, "audit", "verify")
    after, stats_after = export(ctx, home), stats(ctx, home)
    assert after[:len(before)] == before  # every entry, with its hashes
    assert after[-1]["action"] == "store.migrate" and after[-1]["prev_hash"] == before[-1]["hash"], after[-1]
    assert stats_after["entries"] == stats_before["entries"] + 1
    assert stats_after["checkpoints"] == stats_before["checkpoints"]
    assert entry_count(ctx, "t_migrate") == str(len(before) + 1)
    assert decrypt_text(ctx, home, sealed, pw) == "before the move\n"
    assert decrypt_text(ctx, home, sealed, dict(KDF_ENV, COMPLYCLI_PASSPHRASE="wrong"), False).returncode == 1
    # appends continue, on the server, and the holder signs the automatic checkpoint at 3000
    run(ctx, home, "audit", "import", "-", stdin="".join(lines.splitlines(keepends=True)[:600]))
    run(ctx, home, "audit", "append", "--action", "after.move", "--target", "pg")
    run(ctx, home, "audit", "verify")
    on_server = export(ctx, home)
    # back into a new audit.db
    p = run(ctx, home, "store", "migrate", "--to", "sqlite")
    assert f"Copied {len(on_server)} entries" in p.stderr, p.stderr
    assert "store" not in json.load(open(os.path.join(home, "settings.json")))
    assert os.path.exists(os.path.join(home, "audit.db"))
    assert not os.path.exists(os.path.join(home, "audit.db.migrating"))
    assert not os.path.exists(os.path.join(home, "keystore.db.migrating"))
    run(ctx, home, "audit", "verify")
    back = export(ctx, home)
    assert back[:len(on_server)] == on_server and back[-1]["action"] == "store.migrate", back[-1]
    assert decrypt_text(ctx, home, sealed, pw) == "before the move\n"  # from keystore.db again
    run(ctx, home, "audit", "append", "--action", "after.return", "--target", "sqlite")
    run(ctx, home, "audit", "verify")
    assert entry_count(ctx, "t_migrate") == str(len(on_server))  # the server's log is left as it was


@test
def migrate_refusals_change_nothing(ctx):
    full = fresh_database(ctx, "t_mig_full")
    run(ctx, os.path.join(ctx.work, "mig-other"), "init", "--store", full)
    home = os.path.join(ctx.work, "mig-refused")
    run(ctx, home, "init")
    for i in range(3):
        run(ctx, home, "audit", "append", "--action", "doc.sign", "--target", f"d{i}")
    settings_path = os.path.join(home, "settings.json")
    settings = open(settings_path, "rb").read()
    before = export(ctx, home)

    def unchanged(p, code, words):
        assert p.returncode == code, p
        assert words in p.stderr and "hint:" in p.stderr, p.stderr
        assert p.stdout == ""
        assert open(settings_path, "rb").read() == settings
        assert export(ctx, home) == before

    # a database that holds a log
    p = run(ctx, home, "store", "migrate", "--to", full, check=False)
    unchanged(p, 3, "is not empty")
    assert entry_count(ctx, "t_mig_full") == "1"
    # an empty log of another origin (its entries deleted by a superuser)
    other = fresh_database(ctx, "t_mig_other")
    run(ctx, os.path.join(ctx.work, "mig-other2"), "init", "--store", other)
    ctx.pg.psql("SET session_replication_role = replica; DELETE FROM complycli.entries", database="t_mig_other")
    p = run(ctx, home, "store", "migrate", "--to", other, check=False)
    unchanged(p, 3, "holds another audit log")
    # nothing listening: exit 3, nothing changed
    p = run(ctx, home, "store", "migrate", "--to", f"postgresql://postgres@127.0.0.1:1/x", check=False)
    unchanged(p, 3, "Connection refused")
    # a password in the URL: exit 2, never printed
    empty = fresh_database(ctx, "t_mig_empty")
    p = run(ctx, home, "store", "migrate", "--to", empty.replace("postgres@", f"postgres:{SUPERUSER_PASSWORD}@"),
            check=False)
    assert SUPERUSER_PASSWORD not in p.stderr
    unchanged(p, 2, "password")
    # --to sqlite on a SQLite workspace
    p = run(ctx, home, "store", "migrate", "--to", "sqlite", check=False)
    unchanged(p, 2, "already in SQLite")
    # a tampered source: refused before anything is copied
    subprocess.run(["sqlite3", os.path.join(home, "audit.db"),
                    "DROP TRIGGER entries_no_update; UPDATE entries SET actor = 'mallory' WHERE seq = 2"], check=True)
    settings = open(settings_path, "rb").read()
    p = run(ctx, home, "store", "migrate", "--to", empty, check=False)
    assert p.returncode == 1 and "entry 2" in p.stderr and "hint:" in p.stderr, p
    assert open(settings_path, "rb").read() == settings
    assert entry_count(ctx, "t_mig_empty") is None  # no schema was created
    assert os.path.exists(os.path.join(home, "audit.db"))
    # back to SQLite over an audit.db that is not empty: refused
    moved = os.path.join(ctx.work, "mig-back")
    run(ctx, moved, "init")
    run(ctx, moved, "store", "migrate", "--to", empty)
    with open(os.path.join(moved, "audit.db"), "w") as f:
        f.write("not mine")
    settings = open(os.path.join(moved, "settings.json"), "rb").read()
    p = run(ctx, moved, "store", "migrate", "--to", "sqlite", check=False)
    assert p.returncode == 3 and "not empty" in p.stderr, p
    assert open(os.path.join(moved, "settings.json"), "rb").read() == settings
    assert open(os.path.join(moved, "audit.db")).read() == "not mine"
    # a member without the log key cannot move the shared log into its own SQLite file
    member = os.path.join(ctx.work, "mig-member")
    run(ctx, member, "init", "--store", empty)
    p = run(ctx, member, "store", "migrate", "--to", "sqlite", check=False)
    assert p.returncode == 3 and "log.key" in p.stderr, p


class Context:
    def __init__(self, binary, pg, work, appends):
        self.binary = binary
        self.pg = pg
        self.work = work
        self.appends = appends  # per process in the concurrency test (2 workspaces x 4 processes)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--only")
    ap.add_argument("--appends", type=int, default=250,
                    help="appends per process in the 2 x 4 process concurrency test")
    args = ap.parse_args()
    try:
        server = PgServer()
    except Skip as e:
        print(f"SKIPPED: {e}", file=sys.stderr)
        return 77
    failures = 0
    with server as pg, tempfile.TemporaryDirectory(prefix="complycli-pgtest-") as work:
        ctx = Context(os.path.abspath(args.binary), pg, work, args.appends)
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
