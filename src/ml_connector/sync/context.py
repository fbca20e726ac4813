"""The state of one cycle, shared by its steps: the ports, the run, the counters, and the
few ways a step records a decision (audit event, review item, ledger entry).

The store is a batch (`StateStore.batch`): its transactions become durable together at
`commit()`, which the write path calls where DESIGN §5 needs durability (the intent before
the Sage write, the outcome after it) and the vendor steps call after an external write.
Everything else (reads, decisions that write nothing, cursor moves) rides along.

In a dry run nothing is stored: `audit`, `review` and `put_ledger` become no-ops and only
the outcomes are collected, so that the caller can report what would happen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ml_connector.clock import Clock
from ml_connector.sage100.port import AccountKey, ApDivision, GlAccount, Sage100, SageVendor
from ml_connector.servicetitan.port import ServiceTitanSource
from ml_connector.store.port import (
    AuditEvent,
    DocKind,
    LedgerEntry,
    LedgerStatus,
    PairId,
    ReviewItem,
    ReviewKind,
    SageKeyRef,
    StateBatch,
    StateTx,
)
from ml_connector.sync import state
from ml_connector.sync.documents.source import SourceDocument
from ml_connector.sync.settings import SyncSettings
from ml_connector.sync.shared_loads import shared_load
from ml_connector.sync.summary import MAX_HELD_OUTCOMES, DocumentOutcome, Outcome

OUTCOME_COUNTER = {
    Outcome.WRITTEN: "written",
    Outcome.RECOVERED: "written",
    Outcome.WOULD_WRITE: "written",
    Outcome.ALREADY_IN_SAGE: "already_in_sage",
    Outcome.SUSPECTED_DUPLICATE: "suspected_duplicates",
    Outcome.CHANGED_AFTER_EXPORT: "sent_to_review",
    Outcome.REVIEW: "sent_to_review",
    Outcome.RETRY: "failed",
    Outcome.SKIPPED: "skipped",
    Outcome.UNCHANGED: "unchanged",
}


def jsonable(details: Mapping[str, Any]) -> dict[str, Any]:
    """Details as plain JSON values (Decimal and dates as strings)."""
    out: dict[str, Any] = {}
    for key, value in details.items():
        if isinstance(value, Decimal | datetime):
            out[key] = str(value)
        elif isinstance(value, Mapping):
            out[key] = jsonable(value)
        elif isinstance(value, list | tuple):
            out[key] = [jsonable(v) if isinstance(v, Mapping) else _plain(v) for v in value]
        else:
            out[key] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


@dataclass(slots=True)
class SageReference:
    """Sage reference data, read once per cycle when first needed."""

    gl_accounts: list[GlAccount]
    divisions: list[ApDivision]

    def account_key(self, wanted: str) -> AccountKey | None:
        """An active account given as AccountKey, formatted or raw account number."""
        text = wanted.strip()
        for acct in self.gl_accounts:
            if acct.is_active and text in (acct.account_key, acct.account, acct.raw_account):
                return acct.account_key
        return None

    def division(self, division_no: str) -> ApDivision | None:
        for div in self.divisions:
            if div.division_no == division_no:
                return div
        return None


@dataclass(slots=True)
class CycleContext:
    pair: PairId
    source: ServiceTitanSource
    sage: Sage100
    store: StateBatch
    settings: SyncSettings
    clock: Clock
    run_id: int
    dry_run: bool
    counters: dict[str, int] = field(default_factory=dict)
    outcomes: list[DocumentOutcome] = field(default_factory=list)  # the first few thousand
    outcomes_left_out: int = 0
    last_outcome: DocumentOutcome | None = None
    errors: list[str] = field(default_factory=list)
    interruptions: list[str] = field(default_factory=list)  # requested stops (also in errors)
    on_outcome: Callable[[DocumentOutcome], None] | None = None  # progress display
    _sage_ref: SageReference | None = None
    _sage_vendors: list[SageVendor] | None = None
    _batch_no: str | None = None
    # dry run: Sage keys claimed so far -> (kind, id, reference, amount)
    dry_claims: dict[tuple[str, str, str], tuple[DocKind, int, str, Decimal | None]] = field(
        default_factory=dict
    )

    # reference data -----------------------------------------------------------------
    # (shared by every document: a failure to read them ends the cycle and is charged to
    # no document, `shared_loads`)
    def sage_ref(self) -> SageReference:
        if self._sage_ref is None:
            self._sage_ref = SageReference(
                gl_accounts=shared_load("Sage GL accounts", self.sage.gl_accounts),
                divisions=shared_load("Sage AP divisions", self.sage.divisions),
            )
        return self._sage_ref

    def sage_vendors(self) -> list[SageVendor]:
        if self._sage_vendors is None:
            self._sage_vendors = shared_load("Sage vendors", lambda: list(self.sage.vendors()))
        return self._sage_vendors

    def sage_ready(self, *, invoice_index: bool = False) -> None:
        """The Sage session open (and its invoice index built or refreshed), before a
        document's own Sage calls, so that they are the only ones charged to it."""
        shared_load(
            "the Sage session and its invoice index" if invoice_index else "a Sage session",
            lambda: self.sage.prepare_session(invoice_index=invoice_index),
            verb="read" if invoice_index else "opened",
        )

    def add_sage_vendor(self, vendor: SageVendor) -> None:
        self.sage_vendors().append(vendor)

    def batch_no(self) -> str:
        """The cycle's AP invoice batch, opened on the first write ("" without batches)."""
        if self._batch_no is None:
            self._batch_no = shared_load(
                "the Sage AP batch",
                lambda: self.sage.open_batch(self.settings.batch_description),
            )
        return self._batch_no

    def commit(self) -> None:
        """A durable point: everything recorded so far survives a crash from here."""
        self.store.commit()

    # counting -------------------------------------------------------------------------
    def count(self, name: str, n: int = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + n

    def outcome(
        self,
        doc: SourceDocument,
        outcome: Outcome,
        reason: str = "",
        *,
        vendor: str = "",
        invoice_no: str = "",
    ) -> Outcome:
        self.count(OUTCOME_COUNTER[outcome])
        record = DocumentOutcome(
            kind=doc.kind,
            doc_id=doc.doc_id,
            reference=doc.reference,
            outcome=outcome,
            reason=reason,
            vendor=vendor,
            invoice_no=invoice_no,
            amount=doc.total,
            stream=doc.stream,
        )
        self.last_outcome = record
        if len(self.outcomes) < MAX_HELD_OUTCOMES:
            self.outcomes.append(record)
        else:
            self.outcomes_left_out += 1
        if self.on_outcome is not None:
            self.on_outcome(record)
        return outcome

    # recording (no-ops in a dry run) -----------------------------------------------------
    def audit(
        self,
        tx: StateTx,
        action: str,
        message: str,
        *,
        doc: SourceDocument | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        if self.dry_run:
            return
        tx.append_audit(
            AuditEvent(
                at=self.clock.now(),
                pair=self.pair,
                action=action,
                actor=self.settings.actor,
                doc_kind=doc.kind if doc else None,
                doc_id=doc.doc_id if doc else None,
                run_id=self.run_id,
                message=message,
                details=jsonable(details or {}),
            )
        )

    def put_ledger(self, tx: StateTx, entry: LedgerEntry) -> None:
        if not self.dry_run:
            state.put(tx, entry)

    def entry(
        self,
        doc: SourceDocument,
        fingerprint: str,
        status: LedgerStatus,
        *,
        prior: LedgerEntry | None,
        sage_key: SageKeyRef | None = None,
        last_error: str = "",
        attempts: int | None = None,
        written_fingerprint: str | None = None,
        amount: Decimal | None = None,
    ) -> LedgerEntry:
        return LedgerEntry(
            pair=self.pair,
            kind=doc.kind,
            doc_id=doc.doc_id,
            fingerprint=fingerprint,
            status=status,
            sage_key=sage_key,
            amount=doc.total if amount is None else amount,
            reference=doc.reference,
            attempts=(prior.attempts if prior else 0) if attempts is None else attempts,
            last_error=last_error,
            written_fingerprint=(
                (prior.written_fingerprint if prior else "")
                if written_fingerprint is None
                else written_fingerprint
            ),
            updated_at=self.clock.now(),
            vendor_name=doc.vendor_name or (prior.vendor_name if prior else ""),
            document_date=doc.document_date or (prior.document_date if prior else None),
        )

    def send_to_review(
        self,
        doc: SourceDocument,
        fingerprint: str,
        kind: ReviewKind,
        reason: str,
        suggestion: str,
        *,
        prior: LedgerEntry | None,
        details: Mapping[str, Any] | None = None,
        sage_key: SageKeyRef | None = None,
        outcome: Outcome = Outcome.REVIEW,
        vendor: str = "",
        invoice_no: str = "",
        amount: Decimal | None = None,
    ) -> Outcome:
        """Ledger REVIEW + review item + audit event, in one transaction. `amount` (with
        `sage_key`): the amount of a started write, kept so that it can be recognised."""
        full = {"fingerprint": fingerprint, "reference": doc.reference, **(details or {})}
        if not self.dry_run:
            with self.store.transaction() as tx:
                state.put(
                    tx,
                    self.entry(
                        doc,
                        fingerprint,
                        LedgerStatus.REVIEW,
                        prior=prior,
                        sage_key=sage_key,
                        last_error=reason[:500],
                        amount=amount,
                    ),
                )
                review_id = tx.add_review(
                    ReviewItem(
                        pair=self.pair,
                        kind=kind,
                        doc_kind=doc.kind,
                        doc_id=doc.doc_id,
                        reason=reason,
                        suggestion=suggestion,
                        details=jsonable(full),
                        created_at=self.clock.now(),
                    )
                )
                self.audit(
                    tx,
                    str(kind) if outcome is not Outcome.REVIEW else "sent_to_review",
                    reason,
                    doc=doc,
                    details={"review_id": review_id, "review_kind": str(kind), **full},
                )
        return self.outcome(doc, outcome, reason, vendor=vendor, invoice_no=invoice_no)
