"""A real PostgreSQL server (Debian's package) that a test session starts in a temporary folder.

initdb refuses to run as root, so under root the cluster belongs to the `postgres` user that
Debian's package creates. The server listens on a free loopback port only, with password
(SCRAM) authentication over TCP, and without fsync: its data are thrown away.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from tests.smtp_server import free_port

SUPERUSER = "ccpulse_admin"


def postgres_bindir() -> Path:
    """Where initdb and pg_ctl are: PATH first, then Debian's versioned folders (newest first)."""
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]), reverse=True)
    if not found:
        raise RuntimeError("PostgreSQL's server is not installed: run `make setup` (installs Debian's postgresql)")
    return Path(found[0]).parent


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    password: str
    bindir: Path
    run_as: str | None

    def uri(self, database: str = "postgres", user: str = SUPERUSER, password: str | None = None) -> str:
        secret = quote(self.password if password is None else password, safe="")
        return f"postgresql://{user}:{secret}@{self.host}:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL as the superuser (ON_ERROR_STOP), returning psql's unaligned output."""
        result = subprocess.run(
            [str(self.bindir / "psql"), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", self.uri(database), "-c", sql],
            capture_output=True, text=True, check=False)
        if result.returncode:
            raise RuntimeError(f"psql failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def create_database(self, name: str, owner: str | None = None, password: str | None = None) -> None:
        """A database, and its owner as a login role when `owner` is given."""
        if owner:
            self.psql(f"CREATE ROLE {owner} LOGIN PASSWORD '{password}'")
        self.psql(f"CREATE DATABASE {name}" + (f" OWNER {owner}" if owner else ""))


def _run(command: list[str], run_as: str | None) -> None:
    result = subprocess.run(command, capture_output=True, text=True, user=run_as, check=False)
    if result.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")


@contextmanager
def postgres_server():
    """Start a throw-away server; stop it and delete its files on exit."""
    bindir = postgres_bindir()
    run_as = "postgres" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="ccpulse-pg-"))
    data, password_file = folder / "data", folder / "password"
    password = "pg-" + os.urandom(8).hex()
    password_file.write_text(password + "\n")
    if run_as:
        owner = pwd.getpwnam(run_as)
        for path in (folder, password_file):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    port = free_port()
    try:
        _run([str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, f"--pwfile={password_file}",
              "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
              "--no-sync"], run_as)
        options = f"-h 127.0.0.1 -p {port} -k {folder} -F -c fsync=off -c full_page_writes=off"
        _run([str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "server.log"), "-w",
              "start"], run_as)
        try:
            yield PostgresServer("127.0.0.1", port, password, bindir, run_as)
        finally:
            _run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], run_as)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
