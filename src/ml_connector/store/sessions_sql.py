"""The web app's sessions as SQL (`web_sessions`), for `SqlBrowseTx`.

A session row is found by the SHA-256 of the session id (the id is only in the cookie);
its role is read from the user's account at the same time (join on `users`), so a role
changed or an account disabled counts at the next request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from ml_connector.store.browse import Role, WebSession
from ml_connector.store.schema import users, web_sessions
from ml_connector.store.translate import translated

_T = web_sessions.c


def add(conn: Connection, s: WebSession) -> None:
    with translated("add_session"):
        conn.execute(
            web_sessions.insert().values(
                id_hash=s.id_hash,
                csrf=s.csrf,
                username=s.username,
                created_at=s.created_at,
                last_seen_at=s.last_seen_at,
                expires_at=s.expires_at,
                flash={"messages": list(s.flash)},
            )
        )


def get(conn: Connection, id_hash: str) -> WebSession | None:
    stmt = (
        select(web_sessions, users.c.role, users.c.active)
        .select_from(web_sessions.outerjoin(users, users.c.username == _T.username))
        .where(_T.id_hash == id_hash)
    )
    with translated("get_session"):
        row = conn.execute(stmt).first()
    if row is None:
        return None
    role = Role(row.role) if row.username and row.role and row.active else None
    return WebSession(
        id_hash=row.id_hash,
        csrf=row.csrf,
        username=row.username,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        expires_at=row.expires_at,
        flash=tuple(str(m) for m in (row.flash or {}).get("messages", ())),
        role=role,
    )


def _update(conn: Connection, id_hash: str, **values: Any) -> None:
    with translated("update_session"):
        conn.execute(update(web_sessions).where(_T.id_hash == id_hash).values(**values))


def touch(conn: Connection, id_hash: str, last_seen_at: datetime, expires_at: datetime) -> None:
    _update(conn, id_hash, last_seen_at=last_seen_at, expires_at=expires_at)


def set_flash(conn: Connection, id_hash: str, flash: tuple[str, ...]) -> None:
    _update(conn, id_hash, flash={"messages": list(flash)})


def delete_one(conn: Connection, id_hash: str) -> None:
    with translated("delete_session"):
        conn.execute(delete(web_sessions).where(_T.id_hash == id_hash))


def delete_of_user(conn: Connection, username: str) -> None:
    with translated("delete_sessions_of_user"):
        conn.execute(delete(web_sessions).where(_T.username == username))


def purge(conn: Connection, now: datetime, keep_anonymous: int) -> int:
    with translated("purge_sessions"):
        gone = conn.execute(delete(web_sessions).where(_T.expires_at <= now)).rowcount
        anonymous = conn.execute(
            select(func.count()).select_from(web_sessions).where(_T.username.is_(None))
        ).scalar_one()
        if anonymous > keep_anonymous:
            oldest = (
                select(_T.id_hash)
                .where(_T.username.is_(None))
                .order_by(_T.last_seen_at)
                .limit(int(anonymous) - keep_anonymous)
            )
            gone += conn.execute(
                delete(web_sessions).where(_T.id_hash.in_(oldest.scalar_subquery()))
            ).rowcount
    return int(gone)
