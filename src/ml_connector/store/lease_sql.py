"""The pair lease as SQL: one row per pair in `pair_leases`, read and written inside one
write transaction (BEGIN IMMEDIATE on SQLite, a row lock on PostgreSQL).

Why a row and not a PostgreSQL advisory lock: an advisory lock lives as long as the
database session that took it, so a cycle would have to keep one connection open for its
whole length, a connection pooler in transaction mode would lose it, a holder cut off by
the network keeps it until the server's TCP keepalive notices (two hours by default),
and nobody could say who holds it. The row says who holds it (host, pid, since when) on
both databases, and its expiry frees the pair after any crash, whatever the network did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection, Row, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ml_connector.store.port import PairId, PairLease
from ml_connector.store.schema import pair_leases


def _lease(row: Row[object]) -> PairLease:
    m = row._mapping
    return PairLease(
        pair=PairId(str(m["pair"])),
        holder=str(m["holder"]),
        host=str(m["host"]),
        pid=int(str(m["pid"])),
        command=str(m["command"]),
        acquired_at=m["acquired_at"],
        expires_at=m["expires_at"],
    )


def _current(conn: Connection, pair: PairId, *, for_update: bool) -> PairLease | None:
    stmt = select(pair_leases).where(pair_leases.c.pair == pair)
    if for_update:  # PostgreSQL row lock; SQLite already holds the write lock (IMMEDIATE)
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    return None if row is None else _lease(row)


def _values(lease: PairLease) -> dict[str, object]:
    return {
        "pair": lease.pair,
        "holder": lease.holder,
        "host": lease.host,
        "pid": lease.pid,
        "command": lease.command,
        "acquired_at": lease.acquired_at,
        "expires_at": lease.expires_at,
    }


def take(conn: Connection, lease: PairLease, holder_gone: Callable[[PairLease], bool]) -> PairLease:
    """See `StateStore.take_lease`; runs inside the caller's transaction."""
    current = _current(conn, lease.pair, for_update=True)
    if current is None:
        # Two PostgreSQL sessions may both see no row: the second INSERT waits for the
        # first to commit, then does nothing, and the row is read again below.
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        done = conn.execute(
            insert(pair_leases).values(**_values(lease)).on_conflict_do_nothing()
        ).rowcount
        if done == 1:
            return lease
        current = _current(conn, lease.pair, for_update=True)
        if current is None:  # pragma: no cover - released between the two statements
            return take(conn, lease, holder_gone)
    if current.holder == lease.holder:
        lease = replace(lease, acquired_at=current.acquired_at)  # a renewal keeps "since"
    elif current.expires_at > lease.acquired_at and not holder_gone(current):
        return current
    conn.execute(
        update(pair_leases).where(pair_leases.c.pair == lease.pair).values(**_values(lease))
    )
    return lease


def renew(conn: Connection, pair: PairId, holder: str, expires_at: datetime) -> bool:
    result = conn.execute(
        update(pair_leases)
        .where(pair_leases.c.pair == pair, pair_leases.c.holder == holder)
        .values(expires_at=expires_at)
    )
    return result.rowcount == 1


def release(conn: Connection, pair: PairId, holder: str) -> None:
    conn.execute(
        delete(pair_leases).where(pair_leases.c.pair == pair, pair_leases.c.holder == holder)
    )


def get(conn: Connection, pair: PairId) -> PairLease | None:
    return _current(conn, pair, for_update=False)
