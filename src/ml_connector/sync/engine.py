"""`SyncEngine.run_cycle`: one poll cycle for one pair (DESIGN §4).

1. Documents the ledger holds as non-final (INTENT: a retry, a re-queued review item, or
   an attempt cut short by a crash) are fetched by id, whatever the cursors say.
2. Each stream (AP bills per bill type; routed invoices) is read over its window
   (`streams`), and every document goes through: ledger check -> canceled? -> balance and
   validity -> vendor -> GL lines -> the exactly-once write (`writer`).
3. Cursors move (`streams.CursorTracker`), then the mark-as-exported outbox is drained.

Errors are handled per document by their `action`: RETRY leaves the document non-final
(the cursor does not pass it; it is fetched again next cycle), SKIP sends it to review,
STOP ends the cycle for this pair. One bad document never stops the rest.

A dry run does all the reading and deciding and none of the writing: no Sage write, no
ServiceTitan write, no ledger, link, review, audit or cursor change; only a run record
marked dry-run is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

from ml_connector.clock import Clock
from ml_connector.errors import Action, ConnectorError, Sage100Error, ServiceTitanError
from ml_connector.money import ZERO
from ml_connector.sage100.port import Sage100
from ml_connector.servicetitan.port import ServiceTitanSource
from ml_connector.store.port import (
    DocKind,
    LedgerEntry,
    LedgerStatus,
    PairId,
    ReviewKind,
    StateStore,
)
from ml_connector.sync.changes import changed_after_export
from ml_connector.sync.context import CycleContext
from ml_connector.sync.documents import SourceDocument, from_ap_bill, from_invoice, problems
from ml_connector.sync.fingerprint import fingerprint
from ml_connector.sync.lines import LineMapper, Unmapped
from ml_connector.sync.ours import WRITING
from ml_connector.sync.outbox import drain_outbox
from ml_connector.sync.resolve import VendorResolver, VendorReview
from ml_connector.sync.settings import SyncSettings, route_for
from ml_connector.sync.streams import (
    INVOICE_STREAM,
    CursorTracker,
    bill_stream,
    decode_cursor,
    encode_cursor,
    signpost,
    window_for,
)
from ml_connector.sync.summary import CycleSummary, Outcome
from ml_connector.sync.writer import InvoiceWriter

STALE_RUN = timedelta(hours=1)
RETRY_BREAKER = 5  # transient failures in a row that end the cycle (Sage or ST is down)


class CycleStoppedError(ConnectorError):
    """A STOP error ended the cycle for this pair."""


class SyncEngine:
    """Moves ServiceTitan AP bills (and routed invoices) of one pair into Sage 100 AP."""

    def __init__(
        self,
        pair: PairId,
        source: ServiceTitanSource,
        sage: Sage100,
        store: StateStore,
        settings: SyncSettings,
        clock: Clock,
    ) -> None:
        self.pair = pair
        self.source = source
        self.sage = sage
        self.store = store
        self.settings = settings
        self.clock = clock

    def run_cycle(self, *, dry_run: bool = False) -> CycleSummary:
        started = self.clock.now()
        with self.store.transaction() as tx:
            for run in tx.last_runs(self.pair, limit=20):
                if run.status == "running" and started - run.started_at > STALE_RUN:
                    # its process died mid-cycle: say so
                    tx.finish_run(run.id, started, "interrupted", dict(run.summary))
            run_id = tx.start_run(self.pair, started, dry_run=dry_run)
        ctx = CycleContext(
            pair=self.pair,
            source=self.source,
            sage=self.sage,
            store=self.store,
            settings=self.settings,
            clock=self.clock,
            run_id=run_id,
            dry_run=dry_run,
        )
        cycle = _Cycle(ctx)
        stopped = False
        status = "completed"
        try:
            cycle.run(started)
        except ConnectorError as exc:
            if exc.action is not Action.STOP:
                raise
            stopped = True
            status = "failed"
            ctx.errors.append(exc.describe())
        except BaseException:
            self._finish(ctx, started, "failed", cycle, stopped=True)
            raise
        if ctx.errors and status == "completed":
            status = "completed_with_errors"
        return self._finish(ctx, started, status, cycle, stopped=stopped)

    def _finish(
        self, ctx: CycleContext, started: datetime, status: str, cycle: _Cycle, *, stopped: bool
    ) -> CycleSummary:
        c = ctx.counters
        summary = CycleSummary(
            pair=self.pair,
            run_id=ctx.run_id,
            dry_run=ctx.dry_run,
            started_at=started,
            finished_at=self.clock.now(),
            written=c.get("written", 0),
            already_in_sage=c.get("already_in_sage", 0),
            suspected_duplicates=c.get("suspected_duplicates", 0),
            sent_to_review=c.get("sent_to_review", 0) + c.get("suspected_duplicates", 0),
            failed=c.get("failed", 0),
            skipped=c.get("skipped", 0),
            unchanged=c.get("unchanged", 0),
            vendors_linked=c.get("vendors_linked", 0),
            vendors_created=c.get("vendors_created", 0),
            exports_marked=c.get("exports_marked", 0),
            outcomes=tuple(ctx.outcomes),
            errors=tuple(ctx.errors),
            stopped=stopped,
            cursors=tuple(cycle.new_cursors),
        )
        with self.store.transaction() as tx:
            tx.finish_run(ctx.run_id, summary.finished_at, status, summary.as_dict())
        return summary


class _Cycle:
    def __init__(self, ctx: CycleContext) -> None:
        self.ctx = ctx
        self.resolver = VendorResolver(ctx, ctx.settings.invoice_routes)
        self.lines = LineMapper(ctx)
        self.writer = InvoiceWriter(ctx)
        self.done: dict[tuple[DocKind, int], Outcome] = {}
        self.new_cursors: list[tuple[str, str]] = []
        self.retries_in_a_row = 0

    # --- the cycle ---------------------------------------------------------------------
    def run(self, now: datetime) -> None:
        ctx = self.ctx
        end = signpost(now, ctx.settings.signpost_safety)
        self._pending()
        trackers: list[CursorTracker] = []
        for bill_type in ctx.settings.bill_types:
            stream = bill_stream(bill_type)
            tracker = self._tracker(stream, end)
            trackers.append(tracker)
            w = tracker.window
            self._read_stream(
                tracker,
                (
                    from_ap_bill(b, stream=stream)
                    for b in ctx.source.ap_bills(
                        bill_type=bill_type, modified_on_or_after=w.start, modified_before=w.end
                    )
                ),
            )
        if ctx.settings.invoice_routes:
            tracker = self._tracker(INVOICE_STREAM, end)
            trackers.append(tracker)
            self._read_stream(tracker, self._routed_invoices(tracker))
        for tracker in trackers:
            new = tracker.new_cursor()
            if new is None or ctx.dry_run:
                continue
            with ctx.store.transaction() as tx:
                tx.set_cursor(ctx.pair, tracker.window.stream, encode_cursor(new), ctx.clock.now())
            self.new_cursors.append((tracker.window.stream, encode_cursor(new)))
        if not ctx.dry_run:
            drain_outbox(ctx)

    def _tracker(self, stream: str, end: datetime) -> CursorTracker:
        with self.ctx.store.transaction() as tx:
            cursor = decode_cursor(tx.get_cursor(self.ctx.pair, stream))
        s = self.ctx.settings
        return CursorTracker(
            window_for(stream, cursor, end, look_back=s.look_back, start_at=s.start_at)
        )

    def _routed_invoices(self, tracker: CursorTracker) -> Iterator[SourceDocument]:
        routes = self.ctx.settings.invoice_routes
        w = tracker.window
        for inv in self.ctx.source.invoices(modified_on_or_after=w.start, modified_before=w.end):
            route = route_for(routes, inv)
            if route is not None:
                yield from_invoice(inv, stream=INVOICE_STREAM, route=route.name)

    def _read_stream(self, tracker: CursorTracker, docs: Iterator[SourceDocument]) -> None:
        try:
            for doc in docs:
                outcome = self._handle(doc)
                if outcome is Outcome.RETRY:
                    tracker.not_final(doc.modified_on)
        except ServiceTitanError as exc:
            # the window is not finished: its cursor stays (a 403 skips only this stream)
            self.ctx.errors.append(f"stream {tracker.window.stream}: {exc.describe()}")
            return
        tracker.finish()

    def _pending(self) -> None:
        """Fetch and handle every document the ledger holds as non-final."""
        ctx = self.ctx
        with ctx.store.transaction() as tx:
            pending = list(tx.iter_ledger(ctx.pair, frozenset({LedgerStatus.INTENT})))
        bills = sorted(e.doc_id for e in pending if e.kind is DocKind.AP_BILL)
        invoices = sorted(e.doc_id for e in pending if e.kind is DocKind.INVOICE)
        try:
            for i in range(0, len(bills), 50):
                chunk = bills[i : i + 50]
                for bill_type in ("Procurement", "ApBill"):
                    for bill in ctx.source.ap_bills(bill_type=bill_type, ids=chunk):
                        self._handle(from_ap_bill(bill, stream=bill_stream(bill_type)))
            routes = ctx.settings.invoice_routes
            for i in range(0, len(invoices), 50):
                for inv in ctx.source.invoices(ids=invoices[i : i + 50]):
                    route = route_for(routes, inv)
                    if route is not None:
                        self._handle(from_invoice(inv, stream=INVOICE_STREAM, route=route.name))
        except ServiceTitanError as exc:
            if exc.action is Action.STOP:
                raise
            ctx.errors.append(f"re-queued documents: {exc.describe()}")

    # --- one document ------------------------------------------------------------------
    def _handle(self, doc: SourceDocument) -> Outcome:
        """Process one document; every failure is recorded against it (STOP excepted)."""
        key = (doc.kind, doc.doc_id)
        if key in self.done:
            return self.done[key]  # already handled in this cycle
        outcome = self._handle_once(doc)
        self.done[key] = outcome
        if outcome is Outcome.RETRY:
            self.retries_in_a_row += 1
            if self.retries_in_a_row >= RETRY_BREAKER:
                raise CycleStoppedError(
                    f"{RETRY_BREAKER} documents in a row failed with a transient error "
                    f"(last: {doc.label}: {self.ctx.outcomes[-1].reason}); the cycle ended "
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
            if exc.action is Action.STOP:
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
            return ctx.send_to_review(
                doc,
                fp,
                kind,
                f"{doc.label}: {exc.describe()}",
                "correct the cause (in ServiceTitan or Sage), then resolve this item",
                prior=prior,
                details={"error": type(exc).__name__},
            )
        except Exception as exc:  # noqa: BLE001 -- the per-document path records any failure
            return self._retry(doc, fp, prior, f"unexpected {type(exc).__name__}: {exc}", None)

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
        if attempts >= ctx.settings.max_attempts:
            return ctx.send_to_review(
                doc,
                fp,
                ReviewKind.SAGE_REJECTED,
                f"{doc.label} failed {attempts} times: {why}",
                "check Sage and ServiceTitan, then retry this item",
                prior=current,
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
                tx.put_ledger(entry)
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
            # a new revision of a document that was not written: look at it again
        elif prior is not None:
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
            return ctx.send_to_review(
                doc,
                fp,
                ReviewKind.INVALID_DOCUMENT,
                problem.reason,
                "correct the bill in ServiceTitan; it is picked up again when it changes",
                prior=prior,
                details=problem.details,
            )
        vendor = self.resolver.resolve(doc)
        if isinstance(vendor, VendorReview):
            return ctx.send_to_review(
                doc,
                fp,
                vendor.kind,
                vendor.reason,
                vendor.suggestion,
                prior=prior,
                details=vendor.details,
            )
        dist = self.lines.distribute(doc)
        if isinstance(dist, Unmapped):
            return ctx.send_to_review(
                doc,
                fp,
                ReviewKind.UNMAPPED_GL,
                dist.reason,
                "add a GL rule (or a fallback account), then resolve this item",
                prior=prior,
                details=dist.details,
                vendor=vendor.label,
            )
        return self.writer.write(doc, fp, prior, vendor, dist)

    def _skip(
        self, doc: SourceDocument, fp: str, prior: LedgerEntry | None, action: str, reason: str
    ) -> Outcome:
        ctx = self.ctx
        if not ctx.dry_run:
            with ctx.store.transaction() as tx:
                tx.put_ledger(
                    ctx.entry(doc, fp, LedgerStatus.SKIPPED, prior=prior, last_error=reason)
                )
                ctx.audit(tx, action, reason, doc=doc)
        return ctx.outcome(doc, Outcome.SKIPPED, reason)
