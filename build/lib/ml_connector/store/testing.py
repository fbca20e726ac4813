"""Test switches for the state database, shipped so that every area's tests can use them.

`running_postgres()` starts a throwaway PostgreSQL server from the distribution's packages
(Debian/Ubuntu install them under /usr/lib/postgresql/<version>/bin), listening only on a
unix socket in a fresh temporary folder, and stops and deletes it afterwards:

    with running_postgres() as pg:
        store = SqlStateStore.open(pg.create_database("engine_test"))

Run as root (CI containers are), the server runs as the `postgres` system user, since
PostgreSQL refuses to run as root. `ML_CONNECTOR_TEST_POSTGRES_URL` (an admin URL such as
`postgresql+psycopg://postgres@127.0.0.1:5432/postgres`) uses an existing server instead.
`postgres_unavailable()` says why no server can be had, for `pytest.skip`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

ENV_URL = "ML_CONNECTOR_TEST_POSTGRES_URL"
NOT_INSTALLED = "PostgreSQL not installed: apt-get install postgresql"
_SUPERUSER = "mlc"
_SAFE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def find_postgres_bin() -> Path | None:
    """The newest folder holding both `initdb` and `pg_ctl`, or None."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def postgres_unavailable() -> str | None:
    """Why `running_postgres()` cannot start a server here, or None when it can."""
    if os.environ.get(ENV_URL):
        return None
    if find_postgres_bin() is None:
        return NOT_INSTALLED
    if _is_root():
        if shutil.which("runuser") is None:
            return "running as root and runuser is missing: cannot start PostgreSQL as postgres"
        try:
            import pwd  # POSIX only, and only needed as root

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run PostgreSQL as"
    return None


@dataclass(frozen=True, slots=True)
class PostgresServer:
    """A PostgreSQL server reachable through `admin_url` (a superuser, database postgres)."""

    admin_url: str

    def url(self, database: str) -> str:
        return make_url(self.admin_url).set(database=database).render_as_string(False)

    def create_database(self, name: str) -> str:
        """Create an empty database `name` (lower case letters, digits, _); its URL."""
        if not _SAFE_NAME.match(name):
            raise ValueError(f"not a safe database name: {name!r}")
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        return self.url(name)


def _as_server_user(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if _is_root() else argv


def _run(argv: list[str], what: str) -> None:
    done = subprocess.run(  # noqa: S603 - fixed program paths, no shell
        _as_server_user(argv), capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}): {done.stderr or done.stdout}")


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """A throwaway server for the duration of the block (see the module docstring)."""
    existing = os.environ.get(ENV_URL)
    if existing:
        yield PostgresServer(existing)
        return
    reason = postgres_unavailable()
    bindir = find_postgres_bin()
    if reason or bindir is None:
        raise RuntimeError(reason or NOT_INSTALLED)
    # short path: a unix socket path must stay under ~100 characters
    root = Path(tempfile.mkdtemp(prefix="mlc-pg-", dir="/tmp"))
    data, log = root / "data", root / "server.log"
    if _is_root():
        shutil.chown(root, user="postgres", group="postgres")
    started = False
    try:
        _run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                _SUPERUSER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            "initdb",
        )
        options = (
            f"-c listen_addresses='' -c unix_socket_directories={root} -c port=5432"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c max_connections=50"
        )
        _run(
            [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-o", options, "start"],
            "pg_ctl start",
        )
        started = True
        yield PostgresServer(f"postgresql+psycopg://{_SUPERUSER}@/postgres?host={root}&port=5432")
    finally:
        if started:
            _run(
                [str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                "pg_ctl stop",
            )
        shutil.rmtree(root, ignore_errors=True)
