"""The StateStore port: everything the engine remembers between cycles.

All work happens inside `StateStore.transaction()`: the calls made on the `StateTx` it
yields commit together when the block ends without an exception, and roll back otherwise.
This is what lets the engine record "written" and its audit event atomically.

A *pair* is one ServiceTitan tenant linked to one Sage 100 company (`PairId`, a name from
the config such as "main"). Timestamps are UTC-aware datetimes.

Implementation: `SqlStateStore` (SQLAlchemy; SQLite with WAL, or PostgreSQL).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NewType, Protocol

PairId = NewType("PairId", str)


class DocKind(enum.StrEnum):
    AP_BILL = "ap_bill"
    INVOICE = "invoice"


class LedgerStatus(enum.StrEnum):
    INTENT = "intent"  # about to write; the Sage key is reserved for this document
    WRITTEN = "written"  # in Sage, written by us
    ALREADY_IN_SAGE = "already_in_sage"  # same division + vendor + number found before we wrote
    REVIEW = "review"  # waiting for a person (see the review item)
    REJECTED = "rejected"  # cannot be written as it stands (reason in last_error)
    SKIPPED = "skipped"  # nothing to write (canceled bill, routing said no)


FINAL_STATUSES = frozenset(
    {
        LedgerStatus.WRITTEN,
        LedgerStatus.ALREADY_IN_SAGE,
        LedgerStatus.REVIEW,
        LedgerStatus.REJECTED,
        LedgerStatus.SKIPPED,
    }
)


@dataclass(frozen=True, slots=True)
class SageKeyRef:
    division_no: str
    vendor_no: str
    invoice_no: str


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    pair: PairId
    kind: DocKind
    doc_id: int
    fingerprint: str  # revision fingerprint of the source document
    status: LedgerStatus
    sage_key: SageKeyRef | None = None
    amount: Decimal | None = None
    reference: str = ""  # the full ServiceTitan reference number
    attempts: int = 0
    last_error: str = ""
    written_fingerprint: str = ""  # the fingerprint that reached Sage
    updated_at: datetime | None = None
    vendor_name: str = ""  # the ServiceTitan vendor's name, as last read (for searching)
    document_date: date | None = None  # the document's own date, as last read


@dataclass(frozen=True, slots=True)
class VendorLink:
    pair: PairId
    st_vendor_id: int
    division_no: str
    vendor_no: str
    # how the link was made: "code", "external_data", "name_exact", "fuzzy",
    # "created_in_sage", "created_in_st", "manual"
    method: str
    score: float | None = None
    created_at: datetime | None = None
    created_by: str = "ml-connector"


class ReviewKind(enum.StrEnum):
    AMBIGUOUS_VENDOR = "ambiguous_vendor"
    UNKNOWN_VENDOR = "unknown_vendor"
    UNMAPPED_GL = "unmapped_gl"
    UNMAPPED_JOB_COST = "unmapped_job_cost"  # a line's Sage job / cost code is not valid
    SAGE_VENDOR_SETUP = "sage_vendor_setup"  # the Sage vendor's setup forbids the write
    SUSPECTED_DUPLICATE = "suspected_duplicate"
    CHANGED_AFTER_EXPORT = "changed_after_export"
    SAGE_REJECTED = "sage_rejected"
    INVALID_DOCUMENT = "invalid_document"
    EXPORT_MARK_FAILED = "export_mark_failed"


class ReviewStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"  # a person fixed the cause; the document is re-queued
    RETRY = "retry"  # re-queue as is
    IGNORED = "ignored"  # a person decided it needs nothing


@dataclass(frozen=True, slots=True)
class ReviewItem:
    pair: PairId
    kind: ReviewKind
    doc_kind: DocKind | None
    doc_id: int | None
    reason: str  # what happened and why, in words a clerk reads
    suggestion: str  # what the person can do
    details: Mapping[str, Any] = field(default_factory=dict)  # candidates, scores, amounts
    status: ReviewStatus = ReviewStatus.OPEN
    id: int | None = None
    created_at: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: str = ""
    note: str = ""
    # what the item is about when it is not a document, e.g. "st_vendor:4711"; part of the
    # dedupe key, so two open vendor reviews without a document stay two items
    subject: str = ""


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One decision. Append-only."""

    at: datetime
    pair: PairId
    action: str  # e.g. "written", "already_in_sage", "vendor_matched", "vendor_created", ...
    actor: str = "ml-connector"  # or the person's name for review actions
    doc_kind: DocKind | None = None
    doc_id: int | None = None
    run_id: int | None = None
    message: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass(frozen=True, slots=True)
class GlOverride:
    """A person's Sage GL account for the lines of one document that the GL rules cannot
    place, valid only for the revision it was set for (`fingerprint`): a new revision of
    the document in ServiceTitan goes back to the rules."""

    pair: PairId
    kind: DocKind
    doc_id: int
    fingerprint: str
    account: str  # formatted, as Sage shows it ("6100-00-100")
    set_by: str
    set_at: datetime
    note: str = ""
    # the lines the person placed ("expense 4"), as the review listed them: these go to
    # `account` even if a rule for them appears meanwhile; empty: every line the rules
    # cannot place
    lines: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RunRecord:
    id: int
    pair: PairId
    started_at: datetime
    finished_at: datetime | None
    status: str  # "running", "completed", "failed"
    dry_run: bool
    summary: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A write to ServiceTitan owed after a Sage write (mark as exported)."""

    pair: PairId
    operation: str  # "mark_ap_bill_exported", "mark_invoice_exported"
    payload: Mapping[str, Any]
    id: int | None = None
    attempts: int = 0
    last_error: str = ""
    created_at: datetime | None = None
    done_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PairLease:
    """Who may write for a pair: one process at a time, until `expires_at` (renewed while
    a cycle runs). `holder` is a random token of one holding, so a process never mistakes
    another holding (its own earlier one included) for its own."""

    pair: PairId
    holder: str
    host: str
    pid: int
    command: str  # what holds it, e.g. "sync --once" or "run"
    acquired_at: datetime
    expires_at: datetime


class StateTx(Protocol):
    """The operations available inside one transaction."""

    # runs
    def start_run(self, pair: PairId, started_at: datetime, *, dry_run: bool) -> int: ...
    def finish_run(
        self, run_id: int, finished_at: datetime, status: str, summary: Mapping[str, Any]
    ) -> None: ...
    def last_runs(self, pair: PairId | None = None, limit: int = 10) -> list[RunRecord]: ...

    # cursors (opaque strings the engine encodes)
    def get_cursor(self, pair: PairId, stream: str) -> str | None: ...
    def set_cursor(self, pair: PairId, stream: str, value: str, updated_at: datetime) -> None: ...

    # ledger
    def get_ledger(self, pair: PairId, kind: DocKind, doc_id: int) -> LedgerEntry | None: ...
    def find_ledger_by_sage_key(self, pair: PairId, key: SageKeyRef) -> LedgerEntry | None: ...
    def put_ledger(
        self, entry: LedgerEntry, *, from_statuses: frozenset[LedgerStatus | None] | None = None
    ) -> bool:
        """Insert or replace the entry for (pair, kind, doc_id), refusing (`SageKeyTakenError`,
        naming the holder) a Sage key another document holds. The unique index on the key
        decides, so that no look-up before the write can be overtaken by another writer;
        the refusal leaves the transaction usable.

        `from_statuses`: write only while the ledger holds one of these statuses (None in
        it: or nothing) for the document, in the same statement; False when it held
        something else and nothing was written (`state.put` checks moves this way)."""
        ...

    def iter_ledger(
        self, pair: PairId, statuses: frozenset[LedgerStatus] | None = None
    ) -> Iterator[LedgerEntry]: ...

    # vendor links (one per ServiceTitan vendor and one per Sage vendor, per pair)
    def get_link_by_st(self, pair: PairId, st_vendor_id: int) -> VendorLink | None: ...
    def get_link_by_sage(
        self, pair: PairId, division_no: str, vendor_no: str
    ) -> VendorLink | None: ...
    def add_link(self, link: VendorLink) -> None: ...
    def remove_link(self, pair: PairId, st_vendor_id: int) -> None: ...
    def iter_links(self, pair: PairId) -> Iterator[VendorLink]: ...

    # review queue
    def add_review(self, item: ReviewItem) -> int:
        """Add an item; an OPEN item of the same (pair, kind, doc_kind, doc_id, subject) is
        updated in place (reason, suggestion, details) instead of duplicated. Returns the
        item id."""
        ...

    def get_review(self, review_id: int) -> ReviewItem | None: ...
    def list_reviews(
        self, pair: PairId | None = None, status: ReviewStatus | None = ReviewStatus.OPEN
    ) -> list[ReviewItem]: ...
    def set_review_status(
        self, review_id: int, status: ReviewStatus, *, by: str, at: datetime, note: str = ""
    ) -> None: ...

    # one-off GL accounts (one per document; a new one replaces the old)
    def set_gl_override(self, override: GlOverride) -> None: ...
    def get_gl_override(self, pair: PairId, kind: DocKind, doc_id: int) -> GlOverride | None: ...
    def gl_overrides(self, pair: PairId) -> list[GlOverride]: ...

    # audit log
    def append_audit(self, event: AuditEvent) -> int: ...
    def iter_audit(
        self, *, since: datetime | None = None, pair: PairId | None = None
    ) -> Iterator[AuditEvent]: ...
    def last_audit(
        self, pair: PairId, kind: DocKind, doc_id: int, action: str
    ) -> AuditEvent | None:
        """The newest event `action` of one document (a bill's history index), or None."""
        ...

    # outbox
    def add_outbox(self, item: OutboxItem) -> int: ...
    def pending_outbox(self, pair: PairId) -> list[OutboxItem]: ...
    def complete_outbox(self, item_id: int, at: datetime) -> None: ...
    def fail_outbox(self, item_id: int, error: str, at: datetime) -> None: ...


class StateBatch(Protocol):
    """Transactions that become durable together, at `commit()` (see `store.batch`)."""

    def transaction(self) -> AbstractContextManager[StateTx]: ...

    def commit(self) -> None: ...


class StateStore(Protocol):
    """The state database."""

    def transaction(self) -> AbstractContextManager[StateTx]: ...

    # the pair lease (one writer per pair across processes); each call is a transaction
    # of its own, taken with the database's write lock
    def take_lease(
        self, lease: PairLease, *, holder_gone: Callable[[PairLease], bool]
    ) -> PairLease:
        """Take the pair's lease for `lease.holder` when it is free, expired at
        `lease.acquired_at`, already ours, or `holder_gone(current)` says its holder is dead.
        Returns the lease as it stands afterwards: ours, or the other holder's."""
        ...

    def renew_lease(self, pair: PairId, holder: str, expires_at: datetime) -> bool:
        """Move our lease's expiry; False when it is no longer ours (it expired and another
        process took it)."""
        ...

    def release_lease(self, pair: PairId, holder: str) -> None:
        """Give the lease up (only ours: another holder's is left alone)."""
        ...

    def get_lease(self, pair: PairId) -> PairLease | None: ...

    def batch(self) -> AbstractContextManager[StateBatch]:
        """Transactions that commit together when the caller says (and when it ends)."""
        ...

    def close(self) -> None: ...
