"""What one cycle did: `CycleSummary`, with one `DocumentOutcome` per document handled.

The summary is what the CLI prints and the demo reports, and (as `as_dict()`) what the run
record keeps. Counters count documents, except `vendors_linked` / `vendors_created` and
`exports_marked`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ml_connector.store.port import DocKind, PairId

MAX_KEPT_OUTCOMES = 1000  # per run record; the audit log holds every decision
# per cycle in memory: a backfill of 100,000 bills must not hold 100,000 outcomes (the
# review queue, the ledger and the audit log hold every one; the counters count them all)
MAX_HELD_OUTCOMES = 5000


class Outcome(enum.StrEnum):
    WRITTEN = "written"
    WOULD_WRITE = "would_write"  # dry run
    RECOVERED = "recovered"  # found in Sage, written by us before a crash: marked written
    ALREADY_IN_SAGE = "already_in_sage"
    SUSPECTED_DUPLICATE = "suspected_duplicate"
    CHANGED_AFTER_EXPORT = "changed_after_export"
    REVIEW = "review"  # vendor, GL, invalid document, Sage rejected it
    RETRY = "retry"  # transient failure; tried again next cycle
    SKIPPED = "skipped"  # canceled, nothing to write
    UNCHANGED = "unchanged"  # re-read, already final for this revision (not listed)


@dataclass(frozen=True, slots=True)
class DocumentOutcome:
    kind: DocKind
    doc_id: int
    reference: str
    outcome: Outcome
    reason: str = ""  # in words a clerk reads
    vendor: str = ""  # "00-FERGUSO" when known
    invoice_no: str = ""
    amount: Decimal | None = None
    stream: str = ""

    @property
    def label(self) -> str:
        what = "AP bill" if self.kind is DocKind.AP_BILL else "invoice"
        ref = f" ref {self.reference}" if self.reference else ""
        return f"{what} {self.doc_id}{ref}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "doc_id": self.doc_id,
            "reference": self.reference,
            "outcome": str(self.outcome),
            "reason": self.reason,
            "vendor": self.vendor,
            "invoice_no": self.invoice_no,
            "amount": None if self.amount is None else str(self.amount),
            "stream": self.stream,
        }


@dataclass(frozen=True, slots=True)
class CycleSummary:
    pair: PairId
    run_id: int
    dry_run: bool
    started_at: datetime
    finished_at: datetime
    written: int = 0  # includes documents recovered after a crash
    already_in_sage: int = 0
    suspected_duplicates: int = 0
    sent_to_review: int = 0  # every review outcome, duplicates and changed-after-export too
    failed: int = 0  # retryable failures: left for the next cycle
    skipped: int = 0
    unchanged: int = 0  # re-read, already final, same revision: nothing to do
    vendors_linked: int = 0
    vendors_created: int = 0
    exports_marked: int = 0
    outcomes: tuple[DocumentOutcome, ...] = ()  # the first MAX_HELD_OUTCOMES
    outcomes_left_out: int = 0  # handled after those (counted, not listed)
    errors: tuple[str, ...] = ()  # stream or cycle errors, in words
    stopped: bool = False  # a STOP error ended the cycle early
    interruptions: tuple[str, ...] = ()  # requested stops; their notes are in `errors` too
    cursors: tuple[tuple[str, str], ...] = field(default=())  # (stream, new cursor)

    @property
    def ok(self) -> bool:
        return not self.stopped and not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "written": self.written,
            "already_in_sage": self.already_in_sage,
            "suspected_duplicates": self.suspected_duplicates,
            "sent_to_review": self.sent_to_review,
            "failed": self.failed,
            "skipped": self.skipped,
            "unchanged": self.unchanged,
            "vendors_linked": self.vendors_linked,
            "vendors_created": self.vendors_created,
            "exports_marked": self.exports_marked,
            "errors": list(self.errors),
            "stopped": self.stopped,
            "interrupted": bool(self.interruptions),
            "cursors": dict(self.cursors),
            "outcomes": [o.as_dict() for o in self.outcomes[:MAX_KEPT_OUTCOMES]],
            "outcomes_left_out": self.outcomes_left_out
            + max(0, len(self.outcomes) - MAX_KEPT_OUTCOMES),
        }
