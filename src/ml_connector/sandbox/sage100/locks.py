"""Holding a record as another user would (the `lock` command and tests).

    with held_record(root, "ABC", "AP_Vendor", "00FERGUS", seconds=30):
        ...   # sessions get 0 + "The record is in use by another user." on that record

The key is the record's key columns concatenated, each padded to its Sage length
(`AP_Vendor`: division 2 + vendor 7, so "00FERGUS"; `AP_InvoiceHeader`: "00FERGUS 1187-5021");
trailing spaces do not matter. The lock also expires on its own after `seconds`, so a
killed holder frees it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ml_connector.clock import Clock, SystemClock
from ml_connector.sandbox.sage100 import database as db
from ml_connector.sandbox.sage100 import schema

LOCK_HOLDER = "lock-command"
LOCK_USER = "jsmith"  # the "other user" at another workstation

LOCKABLE = {*schema.COMPANY_TABLES, "GL_CompanyActiveBatch"}


def lock_record(
    root: Path,
    company: str,
    table: str,
    key: str,
    *,
    seconds: float,
    clock: Clock | None = None,
    holder: str = LOCK_HOLDER,
) -> None:
    """Take the lock (until `seconds` from now); raises ValueError when someone holds it."""
    if table not in LOCKABLE:
        raise ValueError(f"unknown table {table!r}")
    clock = clock or SystemClock()
    now = clock.now().timestamp()
    conn = db.connect(db.company_db_path(root, company))
    try:
        db.ensure_lock_table(conn)
        other = db.try_lock(
            conn,
            table,
            key.rstrip(),
            holder=holder,
            user=LOCK_USER,
            expires_at=now + seconds,
            now=now,
        )
    finally:
        conn.close()
    if other is not None:
        raise ValueError(f"{table} {key!r} is already held by {other}")


def unlock_record(
    root: Path, company: str, table: str, key: str, *, holder: str = LOCK_HOLDER
) -> None:
    conn = db.connect(db.company_db_path(root, company))
    try:
        db.unlock(conn, table, key.rstrip(), holder=holder)
    finally:
        conn.close()


@contextmanager
def held_record(
    root: Path, company: str, table: str, key: str, *, seconds: float, clock: Clock | None = None
) -> Iterator[None]:
    lock_record(root, company, table, key, seconds=seconds, clock=clock)
    try:
        yield
    finally:
        unlock_record(root, company, table, key)
