"""`SqlStateTx`: the StateTx port as SQL over one open connection and transaction.

Every method runs its statements inside the transaction `SqlStateStore.transaction()`
opened, and translates SQLAlchemy errors into `StoreError`s (`ml_connector.store.sql`
owns the translation). Writes that can hit a unique index (`put_ledger`, `add_link`,
`add_review`) run in a SAVEPOINT, so a refused write leaves the transaction usable on
PostgreSQL too (which otherwise aborts the whole transaction on the first error).

Iterators are read into memory before they are returned: a caller may iterate after the
`with` block ends without touching a closed connection.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Set
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Insert, Row, bindparam, delete, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from ml_connector.clock import Clock
from ml_connector.store import rows
from ml_connector.store.errors import SageKeyTakenError, StoreNotFoundError, VendorLinkTakenError
from ml_connector.store.port import (
    AuditEvent,
    DocKind,
    GlOverride,
    LedgerEntry,
    LedgerStatus,
    OutboxItem,
    PairId,
    ReviewItem,
    ReviewStatus,
    RunRecord,
    SageKeyRef,
    VendorLink,
)
from ml_connector.store.schema import (
    audit_events,
    cursors,
    gl_overrides,
    ledger,
    outbox,
    review_items,
    runs,
    vendor_links,
)
from ml_connector.store.translate import translated, violated

_UPSERTS: dict[tuple[str, str, tuple[str, ...], frozenset[str] | None], Insert] = {}
_AUDIT_INSERT = audit_events.insert().returning(audit_events.c.id)
_REVIEW_INSERT = review_items.insert().returning(review_items.c.id)
_REVIEW_OPENS: dict[str, Insert] = {}


def _review_open(dialect: str) -> Insert:
    """An open review item, or the same one again (its pair and open key) with the new
    reason, suggestion and details, in one statement answering the item's id; built once
    per dialect."""
    stmt = _REVIEW_OPENS.get(dialect)
    if stmt is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        base = insert(review_items)
        stmt = base.on_conflict_do_update(
            index_elements=["pair", "open_key"],
            set_={
                "reason": base.excluded.reason,
                "suggestion": base.excluded.suggestion,
                "details": base.excluded.details,
                "updated_at": bindparam("reopened_at"),
            },
        ).returning(review_items.c.id)
        _REVIEW_OPENS[dialect] = stmt
    return stmt


# the two lookups of every document, built once (run with parameters)
_GET_LEDGER = select(ledger).where(
    ledger.c.pair == bindparam("pair"),
    ledger.c.kind == bindparam("kind"),
    ledger.c.doc_id == bindparam("doc_id"),
)
_LEDGER_BY_KEY = select(ledger).where(
    ledger.c.pair == bindparam("pair"),
    ledger.c.sage_division_no == bindparam("division"),
    ledger.c.sage_vendor_no == bindparam("vendor"),
    ledger.c.sage_invoice_no == bindparam("invoice"),
)


def _status_in(table: Any, statuses: Set[str]) -> Any:
    """`status IN (...)` with the statuses written into the statement: they are the state
    table's own names, and an IN of bound values is rewritten on every execution."""
    if not all(s.isidentifier() for s in statuses):
        raise ValueError(f"not a set of status names: {sorted(statuses)!r}")
    if not statuses:  # an existing entry never moves (None alone: insert only)
        return text("1 = 0")
    listed = ", ".join(f"'{s}'" for s in sorted(statuses))
    return text(f"{table.name}.status IN ({listed})")


_LEDGER_KEYS = ("pair", "kind", "doc_id")
_LEDGER_UPDATES: dict[tuple[str, tuple[str, ...], frozenset[LedgerStatus | None]], Any] = {}


def _ledger_update(
    dialect: str, columns: tuple[str, ...], from_statuses: frozenset[LedgerStatus | None]
) -> Any:
    """UPDATE of the entry's columns while its status is one of `from_statuses`; built once
    per dialect, set of columns and statuses (parameters named `v_<column>`)."""
    cache_key = (dialect, columns, from_statuses)
    stmt = _LEDGER_UPDATES.get(cache_key)
    if stmt is None:
        stmt = (
            update(ledger)
            .where(
                *(ledger.c[k] == bindparam(f"v_{k}") for k in _LEDGER_KEYS),
                _status_in(ledger, {s.value for s in from_statuses if s is not None}),
            )
            .values({k: bindparam(f"v_{k}") for k in columns if k not in _LEDGER_KEYS})
            .returning(ledger.c.id)
        )
        _LEDGER_UPDATES[cache_key] = stmt
    return stmt


def _gl_override(r: Row[Any]) -> GlOverride:
    return GlOverride(
        pair=PairId(r.pair),
        kind=DocKind(r.kind),
        doc_id=int(r.doc_id),
        fingerprint=r.fingerprint,
        account=r.account,
        set_by=r.set_by,
        set_at=r.set_at,
        note=r.note,
        lines=tuple(str(x) for x in (r.lines or {}).get("lines", ())),
    )


class SqlStateTx:
    """The operations of one transaction (see `ml_connector.store.port.StateTx`)."""

    def __init__(self, conn: Connection, clock: Clock) -> None:
        self._conn = conn
        self._clock = clock

    @property
    def connection(self) -> Connection:
        """The open connection (for `SqlBrowseTx` in the same transaction)."""
        return self._conn

    def _upsert(
        self,
        table_values: Mapping[str, Any],
        *,
        table: Any,
        keys: list[str],
        only_from: frozenset[str] | None = None,
    ) -> Insert:
        """INSERT ... ON CONFLICT (keys) DO UPDATE, in the dialect's own spelling; built once
        per dialect, table, set of columns and `only_from`, and executed with `table_values`
        as its parameters (building a statement per row cost more than running it).
        `only_from`: an existing row is updated only while its status is one of these."""
        dialect = self._conn.dialect.name
        cache_key = (dialect, table.name, tuple(table_values), only_from)
        stmt = _UPSERTS.get(cache_key)
        if stmt is None:
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            base = insert(table)
            stmt = base.on_conflict_do_update(
                index_elements=keys,
                set_={k: base.excluded[k] for k in table_values if k not in keys},
                where=None if only_from is None else _status_in(table, only_from),
            )
            if only_from is not None:  # a row back when it was written (rowcount is -1 on
                stmt = stmt.returning(table.c.id)  # PostgreSQL through SQLAlchemy here)
            _UPSERTS[cache_key] = stmt
        return stmt

    def _one_row(self, stmt: Any) -> Row[Any] | None:
        return self._conn.execute(stmt).first()

    def _atomic(self) -> AbstractContextManager[Any]:
        """What makes one write statement fail on its own, leaving the transaction usable
        for the caller that handles the error: a SAVEPOINT on PostgreSQL (an error there
        aborts the whole transaction), nothing on SQLite (a statement that fails is undone
        by itself; earlier statements and the transaction stay). Two statements a write
        fewer on SQLite, where a cycle's bookkeeping is most of its work."""
        if self._conn.dialect.name == "sqlite":
            return nullcontext()
        return self._conn.begin_nested()

    # runs -----------------------------------------------------------------------------

    def start_run(self, pair: PairId, started_at: datetime, *, dry_run: bool) -> int:
        with translated("start_run", f"pair {pair}"):
            stmt = runs.insert().values(
                pair=pair, started_at=started_at, status="running", dry_run=dry_run, summary={}
            )
            return int(self._conn.execute(stmt.returning(runs.c.id)).scalar_one())

    def finish_run(
        self, run_id: int, finished_at: datetime, status: str, summary: Mapping[str, Any]
    ) -> None:
        with translated("finish_run", f"run {run_id}"):
            result = self._conn.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(finished_at=finished_at, status=status, summary=summary)
            )
        if result.rowcount != 1:
            raise StoreNotFoundError(
                f"run {run_id} does not exist", operation="finish_run", record=f"run {run_id}"
            )

    def last_runs(self, pair: PairId | None = None, limit: int = 10) -> list[RunRecord]:
        stmt = select(runs).order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(limit)
        if pair is not None:
            stmt = stmt.where(runs.c.pair == pair)
        with translated("last_runs", f"pair {pair}" if pair else None):
            return [rows.run(r) for r in self._conn.execute(stmt)]

    # cursors --------------------------------------------------------------------------

    def get_cursor(self, pair: PairId, stream: str) -> str | None:
        stmt = select(cursors.c.value).where(cursors.c.pair == pair, cursors.c.stream == stream)
        with translated("get_cursor", f"pair {pair} stream {stream}"):
            value = self._conn.execute(stmt).scalar_one_or_none()
        return None if value is None else str(value)

    def set_cursor(self, pair: PairId, stream: str, value: str, updated_at: datetime) -> None:
        values = {"pair": pair, "stream": stream, "value": value, "updated_at": updated_at}
        with translated("set_cursor", f"pair {pair} stream {stream}"):
            self._conn.execute(self._upsert(values, table=cursors, keys=["pair", "stream"]), values)

    # ledger ---------------------------------------------------------------------------

    def get_ledger(self, pair: PairId, kind: DocKind, doc_id: int) -> LedgerEntry | None:
        params = {"pair": pair, "kind": kind.value, "doc_id": doc_id}
        with translated("get_ledger", f"{kind.value} {doc_id}"):
            row = self._conn.execute(_GET_LEDGER, params).first()
        return None if row is None else rows.ledger_entry(row)

    def find_ledger_by_sage_key(self, pair: PairId, key: SageKeyRef) -> LedgerEntry | None:
        params = {
            "pair": pair,
            "division": key.division_no,
            "vendor": key.vendor_no,
            "invoice": key.invoice_no,
        }
        with translated("find_ledger_by_sage_key", rows.describe_key(key)):
            row = self._conn.execute(_LEDGER_BY_KEY, params).first()
        return None if row is None else rows.ledger_entry(row)

    def put_ledger(
        self, entry: LedgerEntry, *, from_statuses: frozenset[LedgerStatus | None] | None = None
    ) -> bool:
        claimant = f"{entry.kind.value} {entry.doc_id}"
        key = entry.sage_key
        values = rows.ledger_values(entry, self._clock.now())
        if from_statuses is None or None in from_statuses:
            only_from = (
                None
                if from_statuses is None
                else frozenset(s.value for s in from_statuses if s is not None)
            )
            stmt: Any = self._upsert(
                values, table=ledger, keys=["pair", "kind", "doc_id"], only_from=only_from
            )
            params = values
        else:  # only an existing entry may move: never inserted
            stmt = _ledger_update(self._conn.dialect.name, tuple(values), from_statuses)
            params = {f"v_{k}": v for k, v in values.items()}
        with translated("put_ledger", claimant):
            try:
                with self._atomic():
                    result = self._conn.execute(stmt, params)
                    written = from_statuses is None or result.first() is not None
            except IntegrityError as exc:
                if key is None or not violated(exc, "uq_ledger_sage_key", "sage_invoice_no"):
                    raise
                # the unique index refused the key: name its holder (the refused statement
                # is undone, so the transaction can still read)
                holder = self.find_ledger_by_sage_key(entry.pair, key)
                raise SageKeyTakenError(
                    key,
                    claimant=claimant,
                    holder=f"{holder.kind.value} {holder.doc_id}" if holder else "",
                ) from exc
        return written

    def iter_ledger(
        self, pair: PairId, statuses: frozenset[LedgerStatus] | None = None
    ) -> Iterator[LedgerEntry]:
        stmt = select(ledger).where(ledger.c.pair == pair).order_by(ledger.c.id)
        if statuses is not None:
            stmt = stmt.where(ledger.c.status.in_(sorted(s.value for s in statuses)))
        with translated("iter_ledger", f"pair {pair}"):
            entries = [rows.ledger_entry(r) for r in self._conn.execute(stmt)]
        return iter(entries)

    # vendor links ---------------------------------------------------------------------

    def get_link_by_st(self, pair: PairId, st_vendor_id: int) -> VendorLink | None:
        stmt = select(vendor_links).where(
            vendor_links.c.pair == pair, vendor_links.c.st_vendor_id == st_vendor_id
        )
        with translated("get_link_by_st", f"ServiceTitan vendor {st_vendor_id}"):
            row = self._one_row(stmt)
        return None if row is None else rows.vendor_link(row)

    def get_link_by_sage(self, pair: PairId, division_no: str, vendor_no: str) -> VendorLink | None:
        stmt = select(vendor_links).where(
            vendor_links.c.pair == pair,
            vendor_links.c.division_no == division_no,
            vendor_links.c.vendor_no == vendor_no,
        )
        with translated("get_link_by_sage", f"Sage vendor {division_no}-{vendor_no}"):
            row = self._one_row(stmt)
        return None if row is None else rows.vendor_link(row)

    def add_link(self, link: VendorLink) -> None:
        record = (
            f"ServiceTitan vendor {link.st_vendor_id} -> "
            f"Sage vendor {link.division_no}-{link.vendor_no}"
        )
        by_st = self.get_link_by_st(link.pair, link.st_vendor_id)
        by_sage = self.get_link_by_sage(link.pair, link.division_no, link.vendor_no)
        for existing in (by_st, by_sage):
            if existing is not None:
                raise VendorLinkTakenError(
                    f"cannot link: ServiceTitan vendor {existing.st_vendor_id} is already linked"
                    f" to Sage vendor {existing.division_no}-{existing.vendor_no}"
                    f" ({existing.method})",
                    operation="add_link",
                    record=record,
                    hint="a link is never changed automatically: remove the old one first",
                )
        values = rows.link_values(link, self._clock.now())
        with translated("add_link", record):
            try:
                with self._atomic():
                    self._conn.execute(vendor_links.insert().values(**values))
            except IntegrityError as exc:  # a concurrent writer linked it first
                if not violated(exc, "uq_vendor_links_st", "st_vendor_id") and not violated(
                    exc, "uq_vendor_links_sage", "vendor_no"
                ):
                    raise
                raise VendorLinkTakenError(
                    "cannot link: the vendor was linked by another writer meanwhile",
                    operation="add_link",
                    record=record,
                ) from exc

    def remove_link(self, pair: PairId, st_vendor_id: int) -> None:
        stmt = delete(vendor_links).where(
            vendor_links.c.pair == pair, vendor_links.c.st_vendor_id == st_vendor_id
        )
        with translated("remove_link", f"ServiceTitan vendor {st_vendor_id}"):
            self._conn.execute(stmt)

    def iter_links(self, pair: PairId) -> Iterator[VendorLink]:
        stmt = select(vendor_links).where(vendor_links.c.pair == pair).order_by(vendor_links.c.id)
        with translated("iter_links", f"pair {pair}"):
            links = [rows.vendor_link(r) for r in self._conn.execute(stmt)]
        return iter(links)

    # review queue ---------------------------------------------------------------------

    def add_review(self, item: ReviewItem) -> int:
        now = self._clock.now()
        record = rows.describe_review(item)
        # statements built once, run with parameters: a review item per document the cycle
        # cannot decide, and building a statement cost more than running it. An open item
        # of the same pair and open key is the same item, seen again (the unique index on
        # them decides, in the insert itself)
        values = rows.review_values(item, now)
        with translated("add_review", record), self._atomic():
            if item.status is not ReviewStatus.OPEN:
                return int(self._conn.execute(_REVIEW_INSERT, values).scalar_one())
            stmt = _review_open(self._conn.dialect.name)
            return int(self._conn.execute(stmt, {**values, "reopened_at": now}).scalar_one())

    def get_review(self, review_id: int) -> ReviewItem | None:
        stmt = select(review_items).where(review_items.c.id == review_id)
        with translated("get_review", f"review item {review_id}"):
            row = self._one_row(stmt)
        return None if row is None else rows.review_item(row)

    def list_reviews(
        self, pair: PairId | None = None, status: ReviewStatus | None = ReviewStatus.OPEN
    ) -> list[ReviewItem]:
        stmt = select(review_items).order_by(review_items.c.id)
        if pair is not None:
            stmt = stmt.where(review_items.c.pair == pair)
        if status is not None:
            stmt = stmt.where(review_items.c.status == status.value)
        with translated("list_reviews", f"pair {pair}" if pair else None):
            return [rows.review_item(r) for r in self._conn.execute(stmt)]

    def set_review_status(
        self, review_id: int, status: ReviewStatus, *, by: str, at: datetime, note: str = ""
    ) -> None:
        record = f"review item {review_id}"
        current = self.get_review(review_id)
        if current is None:
            raise StoreNotFoundError(
                f"{record} does not exist", operation="set_review_status", record=record
            )
        reopened = status is ReviewStatus.OPEN
        values: dict[str, Any] = {
            "status": status.value,
            "open_key": rows.review_open_key(current) if reopened else None,
            "resolved_at": None if reopened else at,
            "resolved_by": by,
            "note": note,
            "updated_at": at,
        }
        with translated("set_review_status", record), self._atomic():
            self._conn.execute(
                update(review_items).where(review_items.c.id == review_id).values(**values)
            )

    # audit log ------------------------------------------------------------------------

    # one-off GL accounts -------------------------------------------------------------

    def set_gl_override(self, override: GlOverride) -> None:
        values = {
            "pair": override.pair,
            "kind": str(override.kind),
            "doc_id": override.doc_id,
            "fingerprint": override.fingerprint,
            "account": override.account,
            "set_by": override.set_by[:128],
            "set_at": override.set_at,
            "note": override.note,
            "lines": {"lines": list(override.lines)},
        }
        record = f"{override.kind} {override.doc_id}"
        with translated("set_gl_override", record):
            stmt = self._upsert(values, table=gl_overrides, keys=["pair", "kind", "doc_id"])
            self._conn.execute(stmt, values)

    def get_gl_override(self, pair: PairId, kind: DocKind, doc_id: int) -> GlOverride | None:
        t = gl_overrides.c
        with translated("get_gl_override", f"{kind} {doc_id}"):
            r = self._one_row(
                select(gl_overrides).where(t.pair == pair, t.kind == str(kind), t.doc_id == doc_id)
            )
        return None if r is None else _gl_override(r)

    def gl_overrides(self, pair: PairId) -> list[GlOverride]:
        with translated("gl_overrides", f"pair {pair}"):
            found = self._conn.execute(select(gl_overrides).where(gl_overrides.c.pair == pair))
            return [_gl_override(r) for r in found]

    def append_audit(self, event: AuditEvent) -> int:
        record = f"audit {event.action}" + (
            f" {event.doc_kind.value} {event.doc_id}" if event.doc_kind else ""
        )
        with translated("append_audit", record):
            return int(self._conn.execute(_AUDIT_INSERT, rows.audit_values(event)).scalar_one())

    def iter_audit(
        self, *, since: datetime | None = None, pair: PairId | None = None
    ) -> Iterator[AuditEvent]:
        stmt = select(audit_events).order_by(audit_events.c.id)
        if since is not None:
            stmt = stmt.where(audit_events.c.at >= since)
        if pair is not None:
            stmt = stmt.where(audit_events.c.pair == pair)
        with translated("iter_audit", f"pair {pair}" if pair else None):
            events = [rows.audit_event(r) for r in self._conn.execute(stmt)]
        return iter(events)

    def last_audit(
        self, pair: PairId, kind: DocKind, doc_id: int, action: str
    ) -> AuditEvent | None:
        stmt = (
            select(audit_events)
            .where(
                audit_events.c.pair == pair,
                audit_events.c.doc_kind == kind.value,
                audit_events.c.doc_id == doc_id,
                audit_events.c.action == action,
            )
            .order_by(audit_events.c.id.desc())
            .limit(1)
        )
        with translated("last_audit", f"{kind.value} {doc_id}"):
            row = self._conn.execute(stmt).first()
        return None if row is None else rows.audit_event(row)

    # outbox ---------------------------------------------------------------------------

    def add_outbox(self, item: OutboxItem) -> int:
        values = rows.outbox_values(item, self._clock.now())
        with translated("add_outbox", f"outbox {item.operation}"):
            stmt = outbox.insert().values(**values)
            return int(self._conn.execute(stmt.returning(outbox.c.id)).scalar_one())

    def pending_outbox(self, pair: PairId) -> list[OutboxItem]:
        stmt = (
            select(outbox)
            .where(outbox.c.pair == pair, outbox.c.done_at.is_(None))
            .order_by(outbox.c.id)
        )
        with translated("pending_outbox", f"pair {pair}"):
            return [rows.outbox_item(r) for r in self._conn.execute(stmt)]

    def complete_outbox(self, item_id: int, at: datetime) -> None:
        self._outbox_update("complete_outbox", item_id, done_at=at, last_attempt_at=at)

    def fail_outbox(self, item_id: int, error: str, at: datetime) -> None:
        self._outbox_update(
            "fail_outbox",
            item_id,
            attempts=outbox.c.attempts + 1,
            last_error=error,
            last_attempt_at=at,
        )

    def _outbox_update(self, operation: str, item_id: int, **values: Any) -> None:
        record = f"outbox item {item_id}"
        with translated(operation, record):
            result = self._conn.execute(
                update(outbox).where(outbox.c.id == item_id).values(**values)
            )
        if result.rowcount != 1:
            raise StoreNotFoundError(f"{record} does not exist", operation=operation, record=record)
