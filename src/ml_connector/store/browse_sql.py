"""`SqlBrowseTx`: the BrowseTx port (web app pages and users) as SQL on one connection.

Runs inside the transaction `SqlStateStore.browse()` opened. Text filters use
`lower(...) LIKE` with escaped wildcards, which both SQLite and PostgreSQL index-scan or
scan the same way; counts come from the same WHERE clause as the page, so the number a
page shows is the number of rows it can page through.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from ml_connector.store import rows, sessions_sql
from ml_connector.store.browse import AuditFilter, BillFilter, Page, Role, User, WebSession
from ml_connector.store.errors import StoreNotFoundError, UserExistsError
from ml_connector.store.port import (
    AuditEvent,
    DocKind,
    LedgerEntry,
    LedgerStatus,
    PairId,
    ReviewItem,
    RunRecord,
)
from ml_connector.store.schema import audit_events, ledger, review_items, runs, users
from ml_connector.store.translate import translated

_CHUNK = 500  # keys per IN (...) list


def _like(column: Any, text: str) -> ColumnElement[bool]:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


class SqlBrowseTx:
    """The queries of one browse transaction (see `ml_connector.store.browse.BrowseTx`)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def _page(self, stmt: Select[Any], offset: int, limit: int) -> tuple[list[Any], int]:
        total = self._conn.execute(
            select(func.count()).select_from(stmt.order_by(None).subquery())
        ).scalar_one()
        found = list(self._conn.execute(stmt.offset(max(offset, 0)).limit(max(limit, 1))))
        return found, int(total)

    # users ----------------------------------------------------------------------------

    def add_user(self, user: User) -> int:
        name = user.username.strip().lower()
        with translated("add_user", f"user {name}"):
            try:
                with self._conn.begin_nested():
                    stmt = users.insert().values(
                        username=name,
                        password_hash=user.password_hash,
                        role=user.role.value,
                        active=user.active,
                        created_at=user.created_at,
                        created_by=user.created_by,
                        updated_at=user.updated_at or user.created_at,
                    )
                    return int(self._conn.execute(stmt.returning(users.c.id)).scalar_one())
            except IntegrityError:
                raise UserExistsError(
                    f"there is already a user named {name!r}",
                    operation="add_user",
                    hint="choose another name, or change this user's password with "
                    "`ml-connector users password`",
                ) from None

    def get_user(self, username: str) -> User | None:
        stmt = select(users).where(users.c.username == username.strip().lower())
        with translated("get_user"):
            row = self._conn.execute(stmt).first()
        return None if row is None else rows.user(row)

    def list_users(self) -> list[User]:
        with translated("list_users"):
            return [
                rows.user(r) for r in self._conn.execute(select(users).order_by(users.c.username))
            ]

    def update_user(
        self,
        username: str,
        at: datetime,
        *,
        password_hash: str | None = None,
        role: Role | None = None,
        active: bool | None = None,
    ) -> None:
        name = username.strip().lower()
        values: dict[str, Any] = {"updated_at": at}
        if password_hash is not None:
            values["password_hash"] = password_hash
        if role is not None:
            values["role"] = role.value
        if active is not None:
            values["active"] = active
        with translated("update_user", f"user {name}"):
            result = self._conn.execute(
                update(users).where(users.c.username == name).values(**values)
            )
        if result.rowcount != 1:
            raise StoreNotFoundError(
                f"there is no user named {name!r}", operation="update_user", record=f"user {name}"
            )
        if password_hash is not None or active is False:
            sessions_sql.delete_of_user(self._conn, name)  # logged out everywhere

    def record_login(self, username: str, at: datetime) -> None:
        with translated("record_login"):
            self._conn.execute(
                update(users)
                .where(users.c.username == username.strip().lower())
                .values(last_login_at=at)
            )

    # web sessions (`ml_connector.store.sessions_sql`) ------------------------------------

    def add_session(self, session: WebSession) -> None:
        sessions_sql.add(self._conn, session)

    def get_session(self, id_hash: str) -> WebSession | None:
        return sessions_sql.get(self._conn, id_hash)

    def touch_session(self, id_hash: str, last_seen_at: datetime, expires_at: datetime) -> None:
        sessions_sql.touch(self._conn, id_hash, last_seen_at, expires_at)

    def set_session_flash(self, id_hash: str, flash: tuple[str, ...]) -> None:
        sessions_sql.set_flash(self._conn, id_hash, flash)

    def delete_session(self, id_hash: str) -> None:
        sessions_sql.delete_one(self._conn, id_hash)

    def purge_sessions(self, now: datetime, *, keep_anonymous: int) -> int:
        return sessions_sql.purge(self._conn, now, keep_anonymous)

    # bills ----------------------------------------------------------------------------

    def bills(self, where: BillFilter, *, offset: int, limit: int) -> Page[LedgerEntry]:
        stmt = select(ledger).order_by(ledger.c.updated_at.desc(), ledger.c.id.desc())
        if where.pair is not None:
            stmt = stmt.where(ledger.c.pair == where.pair)
        if where.status is not None:
            stmt = stmt.where(ledger.c.status == where.status.value)
        if where.amount is not None:
            stmt = stmt.where(ledger.c.amount == where.amount)
        if where.date_from is not None:
            stmt = stmt.where(ledger.c.document_date >= where.date_from)
        if where.date_to is not None:
            stmt = stmt.where(ledger.c.document_date <= where.date_to)
        text = where.text.strip()
        if text:
            matches = [
                _like(ledger.c.reference, text),
                _like(ledger.c.vendor_name, text),
                _like(ledger.c.sage_vendor_no, text),
                _like(ledger.c.sage_invoice_no, text),
            ]
            if text.isdigit():
                matches.append(ledger.c.doc_id == int(text))
            stmt = stmt.where(or_(*matches))
        with translated("bills"):
            found, total = self._page(stmt, offset, limit)
        return Page(tuple(rows.ledger_entry(r) for r in found), total, offset, limit)

    def ledger_counts(self, pair: PairId | None = None) -> dict[LedgerStatus, int]:
        stmt = select(ledger.c.status, func.count()).group_by(ledger.c.status)
        if pair is not None:
            stmt = stmt.where(ledger.c.pair == pair)
        counts = dict.fromkeys(LedgerStatus, 0)
        with translated("ledger_counts"):
            for status, n in self._conn.execute(stmt):
                counts[LedgerStatus(status)] = int(n)
        return counts

    def ledger_for(
        self, keys: Sequence[tuple[PairId, DocKind, int]]
    ) -> dict[tuple[PairId, DocKind, int], LedgerEntry]:
        out: dict[tuple[PairId, DocKind, int], LedgerEntry] = {}
        groups: dict[tuple[PairId, DocKind], list[int]] = {}
        for pair, kind, doc_id in keys:
            groups.setdefault((pair, kind), []).append(doc_id)
        with translated("ledger_for"):
            for (pair, kind), ids in groups.items():
                for start in range(0, len(ids), _CHUNK):
                    stmt = select(ledger).where(
                        ledger.c.pair == pair,
                        ledger.c.kind == kind.value,
                        ledger.c.doc_id.in_(ids[start : start + _CHUNK]),
                    )
                    for r in self._conn.execute(stmt):
                        entry = rows.ledger_entry(r)
                        out[(entry.pair, entry.kind, entry.doc_id)] = entry
        return out

    def reviews_of(self, pair: PairId, kind: DocKind, doc_id: int) -> list[ReviewItem]:
        stmt = (
            select(review_items)
            .where(
                review_items.c.pair == pair,
                review_items.c.doc_kind == kind.value,
                review_items.c.doc_id == doc_id,
            )
            .order_by(review_items.c.id)
        )
        with translated("reviews_of"):
            return [rows.review_item(r) for r in self._conn.execute(stmt)]

    # runs and audit -------------------------------------------------------------------

    def runs(self, pair: PairId | None, *, offset: int, limit: int) -> Page[RunRecord]:
        stmt = select(runs).order_by(runs.c.started_at.desc(), runs.c.id.desc())
        if pair is not None:
            stmt = stmt.where(runs.c.pair == pair)
        with translated("runs"):
            found, total = self._page(stmt, offset, limit)
        return Page(tuple(rows.run(r) for r in found), total, offset, limit)

    def _audit_stmt(self, where: AuditFilter) -> Select[Any]:
        stmt = select(audit_events)
        conditions: list[ColumnElement[bool]] = []
        if where.pair is not None:
            conditions.append(audit_events.c.pair == where.pair)
        if where.action:
            conditions.append(audit_events.c.action == where.action)
        if where.actor:
            conditions.append(_like(audit_events.c.actor, where.actor))
        if where.text:
            conditions.append(_like(audit_events.c.message, where.text))
        if where.since is not None:
            conditions.append(audit_events.c.at >= where.since)
        if where.until is not None:
            conditions.append(audit_events.c.at < where.until)
        if where.doc_kind is not None:
            conditions.append(audit_events.c.doc_kind == where.doc_kind.value)
        if where.doc_id is not None:
            conditions.append(audit_events.c.doc_id == where.doc_id)
        return stmt.where(and_(*conditions)) if conditions else stmt

    def audit(self, where: AuditFilter, *, offset: int, limit: int) -> Page[AuditEvent]:
        stmt = self._audit_stmt(where).order_by(audit_events.c.id.desc())
        with translated("audit"):
            found, total = self._page(stmt, offset, limit)
        return Page(tuple(rows.audit_event(r) for r in found), total, offset, limit)

    def iter_audit_matching(self, where: AuditFilter) -> Iterator[AuditEvent]:
        stmt = self._audit_stmt(where).order_by(audit_events.c.id)
        with translated("iter_audit_matching"):
            events = [rows.audit_event(r) for r in self._conn.execute(stmt)]
        return iter(events)

    def audit_actions(self) -> list[str]:
        stmt = select(audit_events.c.action).distinct().order_by(audit_events.c.action)
        with translated("audit_actions"):
            return [str(a) for a in self._conn.execute(stmt).scalars()]
