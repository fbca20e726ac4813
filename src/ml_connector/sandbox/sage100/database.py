"""SQLite plumbing for the sandbox: connections, Sage time stamps, record locks, passwords.

One database per company (`ROOT/<COMPANY>.sqlite`) and one system database
(`ROOT/SYSTEM.sqlite`, Sage's MAS_SYSTEM). Connections run in autocommit mode; writers open
`BEGIN IMMEDIATE` themselves so that a header and its lines land together.

Record locks live in the company database (`SY_SandboxLock`): a row per held record, with
the holder (a session id, or `lock-command`), its process id and an expiry. A lock whose
process is gone (POSIX) or whose expiry passed is free, as a killed ProvideX process's file
locks are freed by the operating system.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from ml_connector.sandbox.sage100.schema import LOCK_DDL, TableSpec

SYSTEM_DB = "SYSTEM.sqlite"
_PBKDF2_ROUNDS = 20_000  # a sandbox: slow enough to be a real hash, fast enough for tests


def company_db_path(root: Path, company: str) -> Path:
    return root / f"{company.upper()}.sqlite"


def connect(path: Path) -> sqlite3.Connection:
    """Open a database in autocommit mode with WAL and a busy timeout."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=10.0, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=10000")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def server_local(now_utc: datetime, tz: tzinfo | None) -> datetime:
    """The Sage server's wall time: `tz` when given, else the machine's local zone."""
    return now_utc.astimezone(tz) if tz is not None else now_utc.astimezone()


def sage_stamp(local: datetime) -> tuple[str, str]:
    """("YYYYMMDD", "HH.HHHHH"): Sage's DateUpdated/TimeUpdated for a local wall time.

    Hours are decimal, truncated (never rounded) to five places so that 23:59:59.9 stays
    "23.99999" on its own day instead of rounding up to "24.00000". Zero-padded to eight
    characters, so string order is time order.
    """
    seconds = Decimal(local.hour * 3600 + local.minute * 60 + local.second) + Decimal(
        local.microsecond
    ) / Decimal(1_000_000)
    hours = (seconds / Decimal(3600)).quantize(Decimal("0.00001"), rounding=ROUND_DOWN)
    return local.strftime("%Y%m%d"), f"{hours:08.5f}"


def insert_row(conn: sqlite3.Connection, spec: TableSpec, row: dict[str, object]) -> None:
    """INSERT OR REPLACE one row; missing columns take their defaults."""
    names = [c.name for c in spec.columns]
    conn.execute(
        f"INSERT OR REPLACE INTO {spec.name} ({', '.join(names)}) "  # noqa: S608  # schema names
        f"VALUES ({', '.join('?' for _ in names)})",
        [row.get(n, c.default()) for n, c in zip(names, spec.columns, strict=True)],
    )


# ---- record locks -------------------------------------------------------------------


def ensure_lock_table(conn: sqlite3.Connection) -> None:
    """Create SY_SandboxLock, or add HolderPid to one made by an older sandbox."""
    conn.execute(LOCK_DDL)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(SY_SandboxLock)")}
    if "HolderPid" not in columns:
        conn.execute("ALTER TABLE SY_SandboxLock ADD COLUMN HolderPid INTEGER NOT NULL DEFAULT 0")


def _process_alive(pid: int) -> bool:
    """Whether the holding process still runs (POSIX; elsewhere only the expiry counts)."""
    if pid <= 0 or os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _other_holder(row: sqlite3.Row | None, holder: str, now: float) -> str | None:
    """The user of a live lock held by someone else, or None.

    A lock is dead once it expires, or at once when the process that took it is gone (as
    the operating system frees a killed ProvideX process's file locks).
    """
    if row is None or row["HolderId"] == holder or row["ExpiresAt"] <= now:
        return None
    if not _process_alive(int(row["HolderPid"])):
        return None
    return str(row["UserLogon"])


_LOCK_ROW = (
    "SELECT HolderId, UserLogon, ExpiresAt, HolderPid FROM SY_SandboxLock "
    "WHERE TableName = ? AND KeyValue = ?"
)


def try_lock(
    conn: sqlite3.Connection,
    table: str,
    key: str,
    *,
    holder: str,
    user: str,
    expires_at: float,
    now: float,
) -> str | None:
    """Take (or refresh) the lock on a record; returns the other holder's user when held."""
    with transaction(conn):
        other = _other_holder(conn.execute(_LOCK_ROW, (table, key)).fetchone(), holder, now)
        if other is not None:
            return other
        conn.execute(
            "INSERT OR REPLACE INTO SY_SandboxLock (TableName, KeyValue, HolderId, UserLogon, "
            "ExpiresAt, HolderPid) VALUES (?, ?, ?, ?, ?, ?)",
            (table, key, holder, user, expires_at, os.getpid()),
        )
    return None


def held_by_other(
    conn: sqlite3.Connection, table: str, key: str, *, holder: str, now: float
) -> str | None:
    """The user holding this record when it is someone else (alive and not expired)."""
    return _other_holder(conn.execute(_LOCK_ROW, (table, key)).fetchone(), holder, now)


def unlock(conn: sqlite3.Connection, table: str, key: str, *, holder: str) -> None:
    conn.execute(
        "DELETE FROM SY_SandboxLock WHERE TableName = ? AND KeyValue = ? AND HolderId = ?",
        (table, key, holder),
    )


def unlock_all(conn: sqlite3.Connection, *, holder: str) -> None:
    conn.execute("DELETE FROM SY_SandboxLock WHERE HolderId = ?", (holder,))


# ---- passwords ----------------------------------------------------------------------


def hash_password(password: str, salt: str | None = None) -> tuple[str, str]:
    """(hash hex, salt hex) with PBKDF2-SHA256."""
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), _PBKDF2_ROUNDS)
    return digest.hex(), salt


def check_password(password: str, digest: str, salt: str) -> bool:
    return secrets.compare_digest(hash_password(password, salt)[0], digest)
