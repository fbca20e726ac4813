"""One document through the engine: ledger check, canceled, validity, vendor, GL lines, the
write; and what happens when that fails (by the error's `action`).

- RETRY: the document stays non-final (INTENT, with what an interrupted write recorded), is
  fetched again next cycle, and goes to review after `max_attempts`. Five in a row end the
  cycle (Sage or ServiceTitan is down: no point hammering it).
- SKIP: review (SAGE_REJECTED for Sage's refusals, INVALID_DOCUMENT otherwise).
- STOP: `CycleStoppedError`, which ends the cycle for the pair. A written invoice whose
  read-back could not run is not sent to review: it counts as an attempt (RETRY's ledger)
  and the next cycle reads it back (`readback`); one that read back differently is.

Only the document's own work can fail it: the reads every document shares (reference data,
the session and its invoice index, the batch) go through `shared_loads` first, and when
they keep failing `SharedLoadError` ends the cycle without charging the document in hand.
Any other exception is recorded against the document as a retryable failure: one bad
document never stops the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Protocol

from ml_connector.errors import Action, ConnectorError, Sage100Error
from ml_connector.money import ZERO
from ml_connector.sage100.errors import SageVerifyError
from ml_connector.store.port import DocKind, LedgerEntry, LedgerStatus, ReviewKind
from ml_connector.sync import state
from ml_connector.sync.context import CycleContext
from ml_connector.sync.documents import readback
from ml_connector.sync.documents.changes import changed_after_export
from ml_connector.sync.documents.fingerprint import fingerprint
from ml_connector.sync.documents.lines import LineMapper, Unmapped
from ml_connector.sync.documents.resolve import VendorResolver, VendorReview
from ml_connector.sync.documents.sage_setup import setup_review
from ml_connector.sync.documents.source import SourceDocument, problems
from ml_connector.sync.documents.writer import InvoiceWriter
from ml_connector.sync.errors import SharedLoadError
from ml_connector.sync.state import WRITING, write_started
from ml_connector.sync.summary import Outcome

RETRY_BREAKER = 5  # transient failures in a row that end the cycle (Sage or ST is down)
# Outcomes remembered for any document; beyond this many, only those a second handling
# would repeat (RETRY: an attempt counted twice) and the re-queued documents are kept, and a
# document seen again (a page shifted under the read) is answered by the ledger: final,
# same revision -> UNCHANGED. Keeps a backfill's memory flat.
HELD_DONE = 5000


class ForAPerson(Protocol):
    """What a check before the write found that a person must settle (an invalid document,
    a vendor to choose, a Sage vendor set up against this write, a line with no account)."""

    @property
    def kind(self) -> ReviewKind: ...
    @property
    def reason(self) -> str: ...
    @property
    def suggestion(self) -> str: ...
    @property
    def details(self) -> Mapping[str, Any]: ...


class CycleStoppedError(ConnectorError):
    """A STOP error (or a run of transient ones) ended the cycle for this pair."""


class DocumentProcessor:
    """Handles the documents of one cycle, each at most once."""

    def __init__(self, ctx: CycleContext) -> None:
        self.ctx = ctx
        self.resolver = VendorResolver(ctx, ctx.settings.invoice_routes)
        self.lines = LineMapper(ctx)
        self.writer = InvoiceWriter(ctx)
        self.done: dict[tuple[DocKind, int], Outcome] = {}
        self.retries_in_a_row = 0

    def handle(self, doc: SourceDocument, *, remember: bool = False) -> Outcome:
        """Process one document; every failure is recorded against it (STOP excepted).
        `remember`: whatever the outcome, the document is not handled again this cycle
        (the re-queued documents, which the streams may deliver again)."""
        key = (doc.kind, doc.doc_id)
        if key in self.done:
            return self.done[key]  # already handled in this cycle
        outcome = self._handle_once(doc)
        if (
            remember
            or outcome is Outcome.RETRY
            or self.ctx.dry_run  # nothing in the ledger to answer a second time
            or len(self.done) < HELD_DONE
        ):
            self.done[key] = outcome
        if outcome is Outcome.RETRY:
            self.retries_in_a_row += 1
            if self.retries_in_a_row >= RETRY_BREAKER:
                last = self.ctx.last_outcome
                raise CycleStoppedError(
                    f"{RETRY_BREAKER} documents in a row failed with a transient error "
                    f"(last: {doc.label}: {last.reason if last else ''}); the cycle ended "
                    "early and the rest waits for the next cycle",
                    hint="check that Sage and ServiceTitan are reachable",
                )
        elif outcome is not Outcome.UNCHANGED:
            self.retries_in_a_row = 0
        return outcome

    def _handle_once(self, doc: SourceDocument) -> Outcome:
        ctx = self.ctx
        with ctx.store.transaction() as tx:
            prior = tx.get_ledger(ctx.pair, doc.kind, doc.doc_id)
        fp = fingerprint(doc)
        try:
            return self._process(doc, fp, prior)
        except ConnectorError as exc:
            if isinstance(exc, SharedLoadError):
                raise  # the cycle's failure, not this document's: no attempt is charged
            if exc.action is Action.STOP:
                if isinstance(exc, SageVerifyError) and readback.could_not_run(exc):
                    # Written, and its read-back could not run: nothing was found wrong. The
                    # write stays started; the next cycle reads it back (`readback`).
                    self._read_back_later(doc, fp, prior, exc)
                elif isinstance(exc, SageVerifyError):
                    # Written, but read back differently: never let a later cycle take it
                    # for ours (or for someone else's); a person compares the two.
                    readback.review_unverified(ctx, doc, fp, prior, exc, read_back_ran=True)
                raise CycleStoppedError(
                    f"{doc.label}: {exc.message}", record=exc.record, hint=exc.hint
                ) from exc
            if exc.action is Action.RETRY:
                return self._retry(doc, fp, prior, exc.describe(), exc)
            kind = (
                ReviewKind.SAGE_REJECTED
                if isinstance(exc, Sage100Error)
                else ReviewKind.INVALID_DOCUMENT
            )
            started = self._started_write(doc)
            return ctx.send_to_review(
                doc,
                started.fingerprint if started else fp,  # the revision sent to Sage
                kind,
                f"{doc.label}: {exc.describe()}",
                "correct the cause (in ServiceTitan or Sage), then resolve this item",
                prior=started or prior,
                details={"error": type(exc).__name__},
                sage_key=started.sage_key if started else None,
                amount=started.amount if started else None,
            )
        except Exception as exc:  # noqa: BLE001 -- the per-document path records any failure
            return self._retry(doc, fp, prior, f"unexpected {type(exc).__name__}: {exc}", None)

    def _read_back_later(
        self, doc: SourceDocument, fp: str, prior: LedgerEntry | None, exc: SageVerifyError
    ) -> None:
        """One more attempt of the document: the started write (key, "writing" mark) is
        kept for the read-back of the next cycle; after `max_attempts`, review."""
        why = f"written to Sage, but it could not be read back: {exc.describe()}"
        self._retry(doc, fp, prior, why, exc)

    def _retry(
        self,
        doc: SourceDocument,
        fp: str,
        prior: LedgerEntry | None,
        why: str,
        exc: ConnectorError | None,
    ) -> Outcome:
        """Leave the document non-final (INTENT) for the next cycle, keeping what an
        interrupted write recorded (its key and the "writing" mark) for recovery."""
        ctx = self.ctx
        with ctx.store.transaction() as tx:
            current = tx.get_ledger(ctx.pair, doc.kind, doc.doc_id)
        if current is not None and current.status is LedgerStatus.WRITTEN:
            ctx.errors.append(f"{doc.label}: {why}")
            return Outcome.UNCHANGED  # it is in Sage and recorded: nothing to retry
        attempts = (current.attempts if current else 0) + 1
        if current is not None and current.attempts > (prior.attempts if prior else 0):
            # the writer counted this attempt when it marked the write started: one failed
            # write is one attempt (it counted twice, sending documents to review after
            # half their retries; found by scripts/soak_kill.py)
            attempts = current.attempts
        if attempts >= ctx.settings.max_attempts:
            started = current if write_started(current) else None
            return ctx.send_to_review(
                doc,
                started.fingerprint if started else fp,  # the revision sent to Sage
                ReviewKind.SAGE_REJECTED,
                f"{doc.label} failed {attempts} times: {why}",
                "check Sage and ServiceTitan, then retry this item",
                prior=current,
                sage_key=started.sage_key if started else None,
                amount=started.amount if started else None,
            )
        if current is not None and current.status is LedgerStatus.INTENT:
            entry = replace(
                current,
                attempts=attempts,
                last_error=current.last_error if current.last_error == WRITING else why[:500],
                updated_at=ctx.clock.now(),
            )
        else:
            entry = ctx.entry(
                doc, fp, LedgerStatus.INTENT, prior=current, last_error=why[:500], attempts=attempts
            )
        if not ctx.dry_run:
            with ctx.store.transaction() as tx:
                state.put(tx, entry)
                ctx.audit(
                    tx,
                    "retry_scheduled",
                    f"{doc.label}: {why}; trying again next cycle",
                    doc=doc,
                    details={
                        "attempts": attempts,
                        "error": type(exc).__name__ if exc else "unexpected",
                    },
                )
        return ctx.outcome(doc, Outcome.RETRY, why)

    def _started_write(self, doc: SourceDocument) -> LedgerEntry | None:
        """The ledger entry of a write that was started (and may have reached Sage)."""
        with self.ctx.store.transaction() as tx:
            current = tx.get_ledger(self.ctx.pair, doc.kind, doc.doc_id)
        return current if write_started(current) else None

    def _process(self, doc: SourceDocument, fp: str, prior: LedgerEntry | None) -> Outcome:
        ctx = self.ctx
        if prior is not None and prior.status is not LedgerStatus.INTENT:
            if prior.status is LedgerStatus.WRITTEN:
                if fp == prior.fingerprint:
                    ctx.count("unchanged")
                    return Outcome.UNCHANGED
                return changed_after_export(ctx, doc, fp, prior)
            if fp == prior.fingerprint:
                ctx.count("unchanged")
                return Outcome.UNCHANGED
            # a new revision of a document that was not written: look at it again (a review
            # that keeps the key of a started write may be in Sage: recognise it first)
            if prior.status is LedgerStatus.REVIEW and prior.sage_key is not None:
                ctx.sage_ready(invoice_index=True)
                recovered = self.writer.recover(doc, fp, prior)
                if recovered is not None:
                    return recovered
        elif prior is not None:
            ctx.sage_ready(invoice_index=True)
            recovered = self.writer.recover(doc, fp, prior)
            if recovered is not None:
                return recovered
        if doc.canceled:
            return self._skip(
                doc,
                fp,
                prior,
                "skipped_canceled",
                f"{doc.label} is canceled in ServiceTitan: not written",
            )
        if doc.total == ZERO and all(line.amount == ZERO for line in doc.lines):
            return self._skip(
                doc, fp, prior, "skipped_zero", f"{doc.label} has a zero amount: nothing to write"
            )
        problem = problems(doc)
        if problem is not None:
            return self._hold(doc, fp, prior, problem)
        ctx.sage_ready()  # shared, before the document's own Sage calls (`shared_loads`)
        vendor = self.resolver.resolve(doc)
        if isinstance(vendor, VendorReview):
            return self._hold(doc, fp, prior, vendor)
        setup = setup_review(ctx, doc, vendor)
        if setup is not None:
            return self._hold(doc, fp, prior, setup, vendor=vendor.label)
        dist = self.lines.distribute(doc, fp)
        if isinstance(dist, Unmapped):
            return self._hold(doc, fp, prior, dist, vendor=vendor.label)
        return self.writer.write(doc, fp, prior, vendor, dist)

    def _hold(
        self,
        doc: SourceDocument,
        fp: str,
        prior: LedgerEntry | None,
        why: ForAPerson,
        *,
        vendor: str = "",
    ) -> Outcome:
        """The document waits in the review queue until a person acts on `why`."""
        return self.ctx.send_to_review(
            doc,
            fp,
            why.kind,
            why.reason,
            why.suggestion,
            prior=prior,
            details=why.details,
            vendor=vendor,
        )

    def _skip(
        self, doc: SourceDocument, fp: str, prior: LedgerEntry | None, action: str, reason: str
    ) -> Outcome:
        ctx = self.ctx
        if not ctx.dry_run:
            with ctx.store.transaction() as tx:
                state.put(
                    tx, ctx.entry(doc, fp, LedgerStatus.SKIPPED, prior=prior, last_error=reason)
                )
                ctx.audit(tx, action, reason, doc=doc)
        return ctx.outcome(doc, Outcome.SKIPPED, reason)
