"""A cycle holds a bounded number of outcomes in memory: a backfill of 100,000 bills is
counted in full and listed from the store, not held."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ml_connector.clock import ManualClock
from ml_connector.store.port import DocKind, PairId
from ml_connector.sync.context import CycleContext
from ml_connector.sync.documents.source import SourceDocument
from ml_connector.sync.settings import SyncSettings
from ml_connector.sync.summary import MAX_HELD_OUTCOMES, Outcome


def test_outcomes_past_the_cap_are_counted_not_held() -> None:
    unused: Any = None  # outcome() touches no port
    ctx = CycleContext(
        pair=PairId("p"),
        source=unused,
        sage=unused,
        store=unused,
        settings=SyncSettings(),
        clock=ManualClock(),
        run_id=1,
        dry_run=False,
    )
    seen: list[int] = []
    ctx.on_outcome = lambda o: seen.append(o.doc_id)
    for n in range(MAX_HELD_OUTCOMES + 3):
        doc = SourceDocument(DocKind.AP_BILL, n, "s", f"R{n}", Decimal("1.00"), (), None)
        ctx.outcome(doc, Outcome.SKIPPED, "nothing to write")
    assert len(ctx.outcomes) == MAX_HELD_OUTCOMES
    assert ctx.outcomes_left_out == 3
    assert ctx.counters["skipped"] == MAX_HELD_OUTCOMES + 3
    assert ctx.last_outcome is not None
    assert ctx.last_outcome.doc_id == MAX_HELD_OUTCOMES + 2
    assert len(seen) == MAX_HELD_OUTCOMES + 3  # progress displays still see every one
