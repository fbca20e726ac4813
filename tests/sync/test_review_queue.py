"""Review queue operations on a real SQLite state file: re-queue, accept, ignore, audit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from ml_connector.clock import ManualClock
from ml_connector.store.port import (
    DocKind,
    LedgerEntry,
    LedgerStatus,
    PairId,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
    SageKeyRef,
    VendorLink,
)
from ml_connector.store.sql import SqlStateStore
from ml_connector.sync.review import ReviewError, ReviewQueue

PAIR = PairId("main")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStateStore]:
    s = SqlStateStore.open(f"sqlite:///{tmp_path / 'state.sqlite'}")
    yield s
    s.close()


def seed(
    store: SqlStateStore, doc_id: int, kind: ReviewKind, status: LedgerStatus, **details: object
) -> int:
    with store.transaction() as tx:
        tx.put_ledger(
            LedgerEntry(
                pair=PAIR,
                kind=DocKind.AP_BILL,
                doc_id=doc_id,
                fingerprint="v1:old",
                status=status,
                amount=Decimal("10.00"),
                reference=f"R{doc_id}",
                sage_key=SageKeyRef("00", "FERGUS", f"R{doc_id}")
                if status is LedgerStatus.WRITTEN
                else None,
                written_fingerprint="v1:old" if status is LedgerStatus.WRITTEN else "",
            )
        )
        return tx.add_review(
            ReviewItem(
                pair=PAIR,
                kind=kind,
                doc_kind=DocKind.AP_BILL,
                doc_id=doc_id,
                reason="because",
                suggestion="do something",
                details={"fingerprint": "v1:new", **details},
            )
        )


def ledger(store: SqlStateStore, doc_id: int) -> LedgerEntry:
    with store.transaction() as tx:
        entry = tx.get_ledger(PAIR, DocKind.AP_BILL, doc_id)
    assert entry is not None
    return entry


def test_resolve_requeues_and_audits(store: SqlStateStore) -> None:
    clock = ManualClock(datetime(2026, 1, 5, tzinfo=UTC))
    queue = ReviewQueue(PAIR, store, clock)
    rid = seed(store, 1, ReviewKind.UNMAPPED_GL, LedgerStatus.REVIEW)
    item = queue.resolve(rid, by="maria", note="rule added")
    assert item.status is ReviewStatus.RESOLVED
    assert item.resolved_by == "maria"
    assert ledger(store, 1).status is LedgerStatus.INTENT  # the next cycle fetches it by id
    with store.transaction() as tx:
        events = [(e.action, e.actor) for e in tx.iter_audit(pair=PAIR)]
    assert events == [("review_resolved_requeued", "maria")]
    with pytest.raises(ReviewError):
        queue.resolve(rid, by="maria")  # already resolved


def test_resolving_changed_after_export_accepts_the_revision_without_rewriting(
    store: SqlStateStore,
) -> None:
    queue = ReviewQueue(PAIR, store, ManualClock())
    rid = seed(store, 2, ReviewKind.CHANGED_AFTER_EXPORT, LedgerStatus.WRITTEN)
    with pytest.raises(ReviewError):
        queue.retry(rid, by="maria")  # never written again
    queue.resolve(rid, by="maria")
    entry = ledger(store, 2)
    assert entry.status is LedgerStatus.WRITTEN
    assert entry.fingerprint == "v1:new"
    assert entry.written_fingerprint == "v1:old"


def test_ignore_skips_a_document_that_was_not_written(store: SqlStateStore) -> None:
    queue = ReviewQueue(PAIR, store, ManualClock())
    rid = seed(store, 3, ReviewKind.SUSPECTED_DUPLICATE, LedgerStatus.REVIEW)
    queue.ignore(rid, by="maria", note="real duplicate")
    assert ledger(store, 3).status is LedgerStatus.SKIPPED
    assert queue.items() == []


def test_manual_vendor_link_resolves_every_item_of_that_vendor(store: SqlStateStore) -> None:
    queue = ReviewQueue(PAIR, store, ManualClock())
    first = seed(store, 4, ReviewKind.AMBIGUOUS_VENDOR, LedgerStatus.REVIEW, st_vendor_id=601)
    seed(store, 5, ReviewKind.AMBIGUOUS_VENDOR, LedgerStatus.REVIEW, st_vendor_id=601)
    other = seed(store, 6, ReviewKind.AMBIGUOUS_VENDOR, LedgerStatus.REVIEW, st_vendor_id=602)
    queue.resolve(first, by="maria", vendor="fergus")
    with store.transaction() as tx:
        link = tx.get_link_by_st(PAIR, 601)
    assert link is not None
    assert (link.division_no, link.vendor_no, link.method) == ("00", "FERGUS", "manual")
    assert ledger(store, 5).status is LedgerStatus.INTENT
    assert [i.id for i in queue.items()] == [other]
    with pytest.raises(ReviewError):
        queue.resolve(other, by="maria", vendor="FERGUS")  # that Sage vendor is taken


def test_a_vendor_item_resolved_without_a_vendor_is_refused_until_linked(
    store: SqlStateStore,
) -> None:
    queue = ReviewQueue(PAIR, store, ManualClock())
    candidate = {"division_no": "00", "vendor_no": "FERGUS", "score": 100.0}
    rid = seed(
        store,
        7,
        ReviewKind.AMBIGUOUS_VENDOR,
        LedgerStatus.REVIEW,
        st_vendor_id=601,
        st_vendor_name="Ferguson Enterprises LLC",
        candidates=[candidate],
    )
    with pytest.raises(ReviewError) as refused:
        queue.resolve(rid, by="maria")
    text = refused.value.describe()
    assert f"review item {rid}" in text
    assert "'Ferguson Enterprises LLC' (601)" in text
    assert f"review resolve {rid} --vendor 00-FERGUS" in text  # what to pass, ready to copy
    assert [i.id for i in queue.items()] == [rid]  # still open, nothing changed
    assert ledger(store, 7).status is LedgerStatus.REVIEW
    with store.transaction() as tx:
        assert list(tx.iter_audit(pair=PAIR)) == []

    # Linked meanwhile (`vendors link`): resolving without --vendor re-queues the bill.
    with store.transaction() as tx:
        tx.add_link(VendorLink(PAIR, 601, "00", "FERGUS", "manual"))
    queue.resolve(rid, by="maria")
    assert ledger(store, 7).status is LedgerStatus.INTENT
