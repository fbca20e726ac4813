"""A written invoice whose read-back could not run is read back again by a later cycle, not
sent to a person (sync/documents/readback.py).

Found by scripts/soak_kill.py: under 1 % COM faults per BOI call, 9 of 3,408 bills were in
Sage and correct but waited in review ("it could not be read back"). Here the read-back
fails inside the real BOI adapter, as a COM fault does (`ComCallError`: the runner drops the
session, the adapter tries again on a new one, 3 times), over the Sage sandbox."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from engine_bills import ap_bill
from engine_world import PAIR, World

from ml_connector.sage100 import boi_verify
from ml_connector.sage100.boi_calls import ComCallError
from ml_connector.sandbox.sage100 import post_register
from ml_connector.store.port import (
    AuditEvent,
    DocKind,
    LedgerEntry,
    LedgerStatus,
    ReviewItem,
    ReviewStatus,
)
from ml_connector.sync.review import ReviewQueue
from ml_connector.sync.state import WRITING
from ml_connector.sync.summary import CycleSummary, Outcome

BILL = 9_500_001
REF = "RB-1"


@pytest.fixture
def read_back_down(monkeypatch: pytest.MonkeyPatch) -> Callable[[bool], list[int]]:
    """Switch: every read-back of invoice REF fails in COM (the adapter's `_verify` retries
    it on new sessions and then gives up). Returns the list counting the failed read-backs."""
    real = boi_verify.verify_invoice
    down = [False]
    failed: list[int] = []

    def verify_invoice(s: Any, inv: Any) -> None:
        if down[0] and inv.key.invoice_no == REF:
            failed.append(1)
            raise ComCallError("simulated: COM fault while reading the invoice back")
        real(s, inv)

    monkeypatch.setattr(boi_verify, "verify_invoice", verify_invoice)

    def switch(value: bool) -> list[int]:
        down[0] = value
        return failed

    return switch


def _ledger(world: World, doc_id: int = BILL) -> LedgerEntry:
    with world.store.transaction() as tx:
        entry = tx.get_ledger(PAIR, DocKind.AP_BILL, doc_id)
    assert entry is not None
    return entry


def _events(world: World, action: str, doc_id: int = BILL) -> list[AuditEvent]:
    with world.store.transaction() as tx:
        return [e for e in tx.iter_audit() if e.doc_id == doc_id and e.action == action]


def _reviews(world: World, doc_id: int = BILL) -> list[ReviewItem]:
    with world.store.transaction() as tx:
        return [r for r in tx.list_reviews(PAIR, ReviewStatus.OPEN) if r.doc_id == doc_id]


def _outcome(summary: CycleSummary, doc_id: int = BILL) -> Outcome | None:
    mine = [o.outcome for o in summary.outcomes if o.doc_id == doc_id]
    return mine[-1] if mine else None


def _in_sage(world: World) -> list[tuple[str, str]]:
    return sorted(k for rows in world.sage_all().values() for k in rows if k[1] == REF)


def _written_unread(world: World, read_back_down: Callable[[bool], list[int]]) -> None:
    """Cycle 1: the bill is written, every read-back of it fails."""
    world.st.upsert("ap-bills", [ap_bill(BILL, reference=REF, amount="123.45")])
    failed = read_back_down(True)
    summary = world.cycle()
    read_back_down(False)
    assert len(failed) == 3  # the adapter's tries, each on a new session
    assert summary.stopped  # a session that cannot read is likely down: the cycle ends
    assert _outcome(summary) is Outcome.RETRY
    assert any("could not be read back" in e for e in summary.errors), summary.errors
    entry = _ledger(world)
    assert (entry.status, entry.last_error, entry.attempts) == (LedgerStatus.INTENT, WRITING, 1)
    assert entry.sage_key is not None
    assert entry.sage_key.invoice_no == REF
    assert _reviews(world) == []
    assert world.sage_entry()[("FERGUS", REF)][0] == Decimal("123.45")
    [event] = _events(world, "read_back_failed")
    assert event.details["read_back_ran"] is False
    assert event.details["sent"]["amount"] == "123.45"


def test_a_read_back_that_could_not_run_is_done_by_the_next_cycle(
    world: World, read_back_down: Callable[[bool], list[int]]
) -> None:
    _written_unread(world, read_back_down)

    second = world.cycle()
    assert not second.stopped, second.errors
    assert _outcome(second) is Outcome.RECOVERED
    entry = _ledger(world)
    assert entry.status is LedgerStatus.WRITTEN
    assert entry.written_fingerprint == entry.fingerprint
    assert _reviews(world) == []
    assert _in_sage(world) == [("FERGUS", REF)]  # one invoice, written once
    [written] = _events(world, "written")
    assert written.details["verified_later"].startswith("read back in full")
    assert "verified later" in written.message
    # nothing more to do
    third = world.cycle()
    assert _outcome(third) in (None, Outcome.UNCHANGED)
    assert _in_sage(world) == [("FERGUS", REF)]
    assert len(_events(world, "written")) == 1


def test_an_unread_invoice_changed_by_hand_goes_to_review_and_is_never_written_again(
    world: World, read_back_down: Callable[[bool], list[int]]
) -> None:
    _written_unread(world, read_back_down)
    with sqlite3.connect(world.sage_root / "ABC.sqlite") as conn:  # a clerk edits the line
        conn.execute(
            "UPDATE AP_InvoiceDetail SET DistributionAmt = 100.00 WHERE InvoiceNo = ?", (REF,)
        )
        conn.execute("UPDATE AP_InvoiceHeader SET InvoiceAmt = 100.00 WHERE InvoiceNo = ?", (REF,))

    second = world.cycle()
    assert _outcome(second) is Outcome.REVIEW
    entry = _ledger(world)
    assert entry.status is LedgerStatus.REVIEW
    assert "written to Sage, but it read back differently" in entry.last_error
    assert "amount 100.00 instead of 123.45" in entry.last_error
    assert entry.sage_key is not None
    assert entry.sage_key.invoice_no == REF
    [item] = _reviews(world)
    assert _in_sage(world) == [("FERGUS", REF)]
    assert world.sage_entry()[("FERGUS", REF)][0] == Decimal("100.00")  # as the clerk left it

    # a person retries it without correcting Sage: read back again, review again
    ReviewQueue(PAIR, world.store, world.clock).retry(item.id or 0, by="maria")
    third = world.cycle()
    assert _outcome(third) is Outcome.REVIEW
    assert "read back differently" in _ledger(world).last_error
    assert _in_sage(world) == [("FERGUS", REF)]
    assert world.sage_entry()[("FERGUS", REF)][0] == Decimal("100.00")
    assert _events(world, "written") == []


def test_a_read_back_that_never_runs_goes_to_review_after_max_attempts(
    world: World, read_back_down: Callable[[bool], list[int]]
) -> None:
    settings = replace(world.settings, max_attempts=3)
    world.st.upsert("ap-bills", [ap_bill(BILL, reference=REF, amount="123.45")])
    read_back_down(True)
    seen = [_outcome(world.cycle(settings=settings)) for _ in range(4)]
    read_back_down(False)
    assert seen == [Outcome.RETRY, Outcome.RETRY, Outcome.REVIEW, None]
    entry = _ledger(world)
    assert entry.status is LedgerStatus.REVIEW
    assert "failed 3 times: written to Sage, but it could not be read back" in entry.last_error
    assert entry.sage_key is not None
    assert entry.amount == Decimal("123.45")
    assert _in_sage(world) == [("FERGUS", REF)]

    # once Sage reads again, a person's retry records it as written, not written again
    [item] = _reviews(world)
    ReviewQueue(PAIR, world.store, world.clock).retry(item.id or 0, by="maria")
    last = world.cycle(settings=settings)
    assert _outcome(last) is Outcome.RECOVERED, last.errors
    assert _ledger(world).status is LedgerStatus.WRITTEN
    assert _in_sage(world) == [("FERGUS", REF)]


def test_an_unread_invoice_posted_before_the_next_cycle_is_checked_by_its_header(
    world: World, read_back_down: Callable[[bool], list[int]]
) -> None:
    _written_unread(world, read_back_down)
    with sqlite3.connect(world.sage_root / "ABC.sqlite") as conn:
        conn.row_factory = sqlite3.Row
        post_register(
            conn, posting_date="20260121", stamp=("20260121", "9.00000"), user_key="0000000002"
        )
    assert ("FERGUS", REF) in world.sage_rows("open")

    second = world.cycle()
    assert _outcome(second) is Outcome.RECOVERED, second.errors
    assert _ledger(world).status is LedgerStatus.WRITTEN
    [written] = _events(world, "written")
    assert written.details["verified_later"].startswith("header only")
    assert _reviews(world) == []


def test_an_unread_invoice_removed_from_sage_is_not_written_again(
    world: World, read_back_down: Callable[[bool], list[int]]
) -> None:
    _written_unread(world, read_back_down)
    with sqlite3.connect(world.sage_root / "ABC.sqlite") as conn:  # a clerk deletes it
        conn.execute("DELETE FROM AP_InvoiceDetail WHERE InvoiceNo = ?", (REF,))
        conn.execute("DELETE FROM AP_InvoiceHeader WHERE InvoiceNo = ?", (REF,))

    second = world.cycle()
    assert _outcome(second) is Outcome.REVIEW
    entry = _ledger(world)
    assert "no longer in A/P Invoice Data Entry, open invoices or history" in entry.last_error
    assert entry.sage_key is not None
    assert _in_sage(world) == []  # not written again
    third = world.cycle()
    assert _outcome(third) in (None, Outcome.UNCHANGED)
    assert _in_sage(world) == []
