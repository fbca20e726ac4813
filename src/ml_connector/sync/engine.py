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

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from ml_connector.clock import Clock
from ml_connector.errors import Action, ConnectorError, ServiceTitanError
from ml_connector.sage100.port import Sage100
from ml_connector.servicetitan.port import ServiceTitanSource
from ml_connector.store.port import (
    DocKind,
    LedgerStatus,
    PairId,
    StateStore,
)
from ml_connector.sync.context import CycleContext
from ml_connector.sync.documents.invalid import record_invalid
from ml_connector.sync.documents.lines import LineMapper
from ml_connector.sync.documents.outbox import drain_outbox
from ml_connector.sync.documents.process import DocumentProcessor
from ml_connector.sync.documents.source import SourceDocument, from_ap_bill, from_invoice
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
from ml_connector.sync.summary import CycleSummary, DocumentOutcome, Outcome
from ml_connector.sync.vendors.run import vendor_step

STALE_RUN = timedelta(hours=1)


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

    def preflight(self) -> None:
        """What a cycle needs from Sage and the settings (the GL rules and the accounts
        they name, the tax, freight and fallback accounts), checked without starting a
        run: `ConfigError` before anything is read from ServiceTitan or written anywhere.
        `run_cycle` checks the same first thing."""
        with self.store.batch() as batch:  # records nothing: the batch stays empty
            ctx = CycleContext(
                pair=self.pair,
                source=self.source,
                sage=self.sage,
                store=batch,
                settings=self.settings,
                clock=self.clock,
                run_id=0,  # no run: nothing is recorded
                dry_run=True,
            )
            LineMapper(ctx).preflight()

    def run_cycle(
        self,
        *,
        dry_run: bool = False,
        should_stop: Callable[[], bool] | None = None,
        on_outcome: Callable[[DocumentOutcome], None] | None = None,
    ) -> CycleSummary:
        """One cycle. `should_stop` is asked between documents: when it answers True the
        document in flight is finished, the rest waits for the next cycle (cursors stay).
        `on_outcome` is told each document's outcome as it happens (progress displays)."""
        started = self.clock.now()
        with self.store.transaction() as tx:
            for run in tx.last_runs(self.pair, limit=20):
                if run.status == "running" and started - run.started_at > STALE_RUN:
                    # its process died mid-cycle: say so
                    tx.finish_run(run.id, started, "interrupted", dict(run.summary))
            run_id = tx.start_run(self.pair, started, dry_run=dry_run)
        # one batch for the cycle: the write path and the vendor steps commit where
        # durability matters; the rest rides along (committed when the block ends)
        with self.store.batch() as batch:
            ctx = CycleContext(
                pair=self.pair,
                source=self.source,
                sage=self.sage,
                store=batch,
                settings=self.settings,
                clock=self.clock,
                run_id=run_id,
                dry_run=dry_run,
                on_outcome=on_outcome,
            )
            cycle = _Cycle(ctx, should_stop or (lambda: False))
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
            outcomes_left_out=ctx.outcomes_left_out,
            errors=tuple(ctx.errors),
            stopped=stopped,
            interruptions=tuple(ctx.interruptions),
            cursors=tuple(cycle.new_cursors),
        )
        with ctx.store.transaction() as tx:
            tx.finish_run(ctx.run_id, summary.finished_at, status, summary.as_dict())
        return summary


class _Cycle:
    def __init__(self, ctx: CycleContext, should_stop: Callable[[], bool]) -> None:
        self.ctx = ctx
        self.should_stop = should_stop
        self.processor = DocumentProcessor(ctx)
        self.new_cursors: list[tuple[str, str]] = []

    # --- the cycle ---------------------------------------------------------------------
    def run(self, now: datetime) -> None:
        ctx = self.ctx
        end = signpost(now, ctx.settings.signpost_safety)
        self.processor.lines.preflight()  # a broken GL setup stops the pair before any write
        vendor_step(ctx)  # vendors both ways before documents (DESIGN §4 step 2)
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
        stream = tracker.window.stream
        try:
            for doc in docs:
                self._record_invalid(stream)
                if self.should_stop():
                    note = f"stream {stream}: stopped on request; the rest is read next cycle"
                    self.ctx.interruptions.append(note)
                    self.ctx.errors.append(note)
                    return
                outcome = self.processor.handle(doc)
                if outcome is Outcome.RETRY:
                    tracker.not_final(doc.modified_on)
        except ServiceTitanError as exc:
            # the window is not finished: its cursor stays (a 403 skips only this stream)
            self.ctx.errors.append(f"stream {stream}: {exc.describe()}")
            return
        finally:
            self._record_invalid(stream)
        tracker.finish()

    def _record_invalid(self, stream: str) -> None:
        """Records of the stream that did not validate are recorded against their
        documents before the cursor may pass them (`documents.invalid`)."""
        invalid = self.ctx.source.take_invalid_records()
        if invalid:
            record_invalid(self.ctx, invalid, stream)

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
                        self.processor.handle(
                            from_ap_bill(bill, stream=bill_stream(bill_type)), remember=True
                        )
                    self._record_invalid(bill_stream(bill_type))
            routes = ctx.settings.invoice_routes
            for i in range(0, len(invoices), 50):
                for inv in ctx.source.invoices(ids=invoices[i : i + 50]):
                    route = route_for(routes, inv)
                    if route is not None:
                        self.processor.handle(
                            from_invoice(inv, stream=INVOICE_STREAM, route=route.name),
                            remember=True,
                        )
                self._record_invalid(INVOICE_STREAM)
        except ServiceTitanError as exc:
            if exc.action is Action.STOP:
                raise
            ctx.errors.append(f"re-queued documents: {exc.describe()}")

    # --- one document ------------------------------------------------------------------
