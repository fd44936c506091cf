"""A throwaway PostgreSQL 15 server for the tests (tests/pg/README.md).

    with PgServer() as pg:        # raises Skip when PostgreSQL 15 is not installed
        url = pg.url("alice")     # postgresql://alice@127.0.0.1:PORT/complycli
        pg.psql("SELECT 1")       # as the superuser, over the unix socket

initdb and pg_ctl run in a fresh temporary folder, on a free port of 127.0.0.1, with the unix socket in
that folder. PostgreSQL refuses to run as root: when the tests run as root, the server runs as `nobody`
(through setpriv) and its folder belongs to nobody. Everything is stopped and removed on exit.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time

BIN = os.environ.get("COMPLYCLI_PG_BIN", "/usr/lib/postgresql/15/bin")
INSTALL = "scripts/install-deps (apt-get install postgresql-15 libpq-dev)"
SUPERUSER = "postgres"
SUPERUSER_PASSWORD = "super-secret-pw"
DATABASE = "complycli"


class Skip(Exception):
    """PostgreSQL cannot be run here; the message says why and how to fix it."""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self):
        for tool in ("initdb", "pg_ctl", "postgres"):
            if not os.access(os.path.join(BIN, tool), os.X_OK):
                raise Skip(f"PostgreSQL 15 is not installed ({BIN}/{tool} is missing): run {INSTALL}")
        if not shutil.which("psql"):
            raise Skip(f"psql is not installed: run {INSTALL}")
        self.prefix = []
        self.uid = None
        if os.geteuid() == 0:
            import pwd
            try:
                user = pwd.getpwnam("nobody")
            except KeyError:
                raise Skip("running as root and there is no user `nobody` to run PostgreSQL as")
            if not shutil.which("setpriv"):
                raise Skip("running as root and setpriv (util-linux) is missing to run PostgreSQL as nobody")
            self.uid, self.gid = user.pw_uid, user.pw_gid
            self.prefix = ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups", "--"]
        self.dir = tempfile.mkdtemp(prefix="complycli-pg-")
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.started = False

    def _run(self, args, **kw):
        return subprocess.run(self.prefix + args, check=True, capture_output=True, text=True, cwd=self.dir, **kw)

    def __enter__(self):
        try:
            pwfile = os.path.join(self.dir, "pw")
            with open(pwfile, "w") as f:
                f.write(SUPERUSER_PASSWORD + "\n")
            if self.uid is not None:
                os.chown(self.dir, self.uid, self.gid)
                os.chown(pwfile, self.uid, self.gid)
            self._run([f"{BIN}/initdb", "-D", self.data, "-U", SUPERUSER, "--pwfile", pwfile,
                       "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync"])
            os.unlink(pwfile)
            opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.dir} "
                    "-c fsync=off -c max_connections=60 -c shared_buffers=32MB")
            self._run([f"{BIN}/pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "log"), "-o", opts,
                       "-w", "-t", "60", "start"])
            self.started = True
            self.psql(f"CREATE DATABASE {DATABASE}", database="postgres")
        except subprocess.CalledProcessError as e:
            self.__exit__(None, None, None)
            raise RuntimeError(f"cannot start PostgreSQL: {e.cmd}: {e.stderr}")
        return self

    def __exit__(self, *exc):
        if self.started:
            subprocess.run(self.prefix + [f"{BIN}/pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"],
                           capture_output=True, cwd=self.dir)
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)

    def stop(self, mode="fast"):
        self._run([f"{BIN}/pg_ctl", "-D", self.data, "-m", mode, "-w", "stop"])
        self.started = False

    def start(self):
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.dir} "
                "-c fsync=off -c max_connections=60 -c shared_buffers=32MB")
        self._run([f"{BIN}/pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "log"), "-o", opts,
                   "-w", "-t", "60", "start"])
        self.started = True

    def url(self, user=SUPERUSER, database=DATABASE):
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql, database=DATABASE, user=SUPERUSER, check=True):
        """Run `sql` with psql over the unix socket (trust), returning the completed process."""
        return subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.dir,
                               "-p", str(self.port), "-U", user, "-d", database, "-c", sql],
                              capture_output=True, text=True, check=check)
