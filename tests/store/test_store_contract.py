"""The StateStore contract: every method of the port, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ml_connector.clock import ManualClock
from ml_connector.store.errors import StoreNotFoundError, VendorLinkTakenError
from ml_connector.store.port import (
    FINAL_STATUSES,
    AuditEvent,
    DocKind,
    LedgerEntry,
    LedgerStatus,
    OutboxItem,
    PairId,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
    SageKeyRef,
    StateStore,
    VendorLink,
)
from ml_connector.store.sql import SqlStateStore

MAIN = PairId("main")
WEST = PairId("west")
T0 = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)


def test_sql_store_satisfies_the_port(store: SqlStateStore) -> None:
    port: StateStore = store  # mypy-checked shape; runtime: the calls below
    with port.transaction() as tx:
        assert tx.get_cursor(MAIN, "ap_bills") is None


def test_runs_start_finish_and_list_newest_first(store: SqlStateStore) -> None:
    with store.transaction() as tx:
        first = tx.start_run(MAIN, T0, dry_run=False)
        second = tx.start_run(MAIN, T0 + timedelta(minutes=5), dry_run=True)
        other = tx.start_run(WEST, T0 + timedelta(minutes=1), dry_run=False)
        tx.finish_run(first, T0 + timedelta(minutes=2), "completed", {"written": 3})
    with store.transaction() as tx:
        runs = tx.last_runs(MAIN)
        everything = tx.last_runs()
        newest = tx.last_runs(limit=1)
    assert [r.id for r in runs] == [second, first]
    assert [r.id for r in everything] == [second, other, first]
    assert [r.id for r in newest] == [second]
    done = runs[1]
    assert done.pair == MAIN
    assert done.status == "completed"
    assert done.finished_at == T0 + timedelta(minutes=2)
    assert done.summary == {"written": 3}
    assert done.dry_run is False
    assert runs[0].status == "running"
    assert runs[0].finished_at is None
    assert runs[0].dry_run is True
    assert runs[0].summary == {}


def test_finish_run_of_an_unknown_run_is_an_error(store: SqlStateStore) -> None:
    with pytest.raises(StoreNotFoundError, match="run 999"), store.transaction() as tx:
        tx.finish_run(999, T0, "completed", {})


def test_cursors_per_pair_and_stream(store: SqlStateStore) -> None:
    with store.transaction() as tx:
        tx.set_cursor(MAIN, "ap_bills", "2026-01-05T13:00:00Z", T0)
        tx.set_cursor(MAIN, "invoices", "a", T0)
        tx.set_cursor(WEST, "ap_bills", "b", T0)
    with store.transaction() as tx:
        tx.set_cursor(MAIN, "ap_bills", "2026-01-05T14:00:00Z", T0 + timedelta(minutes=1))
    with store.transaction() as tx:
        assert tx.get_cursor(MAIN, "ap_bills") == "2026-01-05T14:00:00Z"
        assert tx.get_cursor(MAIN, "invoices") == "a"
        assert tx.get_cursor(WEST, "ap_bills") == "b"
        assert tx.get_cursor(WEST, "invoices") is None


def _entry(doc_id: int, **changes: object) -> LedgerEntry:
    fields: dict[str, object] = {
        "pair": MAIN,
        "kind": DocKind.AP_BILL,
        "doc_id": doc_id,
        "fingerprint": f"fp-{doc_id}",
        "status": LedgerStatus.INTENT,
        "sage_key": SageKeyRef("00", "FERGUSO", f"INV{doc_id}"),
        "amount": Decimal("1234.56"),
        "reference": f"REF-{doc_id}/A",
        "attempts": 1,
    }
    fields.update(changes)
    return LedgerEntry(**fields)  # type: ignore[arg-type]


def test_ledger_put_get_and_replace(store: SqlStateStore, clock: ManualClock) -> None:
    entry = _entry(101)
    with store.transaction() as tx:
        tx.put_ledger(entry)
    with store.transaction() as tx:
        got = tx.get_ledger(MAIN, DocKind.AP_BILL, 101)
    assert got is not None
    assert got.updated_at == clock.now()  # filled in from the store's clock
    assert got == LedgerEntry(**{**_fields(entry), "updated_at": clock.now()})

    written = _entry(
        101,
        status=LedgerStatus.WRITTEN,
        written_fingerprint="fp-101",
        attempts=2,
        last_error="",
        updated_at=T0 + timedelta(hours=1),
    )
    with store.transaction() as tx:
        tx.put_ledger(written)
    with store.transaction() as tx:
        assert tx.get_ledger(MAIN, DocKind.AP_BILL, 101) == written
        assert tx.get_ledger(MAIN, DocKind.INVOICE, 101) is None
        assert tx.get_ledger(WEST, DocKind.AP_BILL, 101) is None
        assert len(list(tx.iter_ledger(MAIN))) == 1


def _fields(entry: LedgerEntry) -> dict[str, object]:
    return {name: getattr(entry, name) for name in LedgerEntry.__slots__}


def test_ledger_entry_without_a_sage_key_or_amount(store: SqlStateStore) -> None:
    skipped = _entry(
        7, status=LedgerStatus.SKIPPED, sage_key=None, amount=None, updated_at=T0, attempts=0
    )
    with store.transaction() as tx:
        tx.put_ledger(skipped)
        tx.put_ledger(_entry(8, status=LedgerStatus.SKIPPED, sage_key=None, updated_at=T0))
    with store.transaction() as tx:
        assert tx.get_ledger(MAIN, DocKind.AP_BILL, 7) == skipped


def test_ledger_find_by_sage_key(store: SqlStateStore) -> None:
    with store.transaction() as tx:
        tx.put_ledger(_entry(1, updated_at=T0))
        tx.put_ledger(_entry(2, updated_at=T0, sage_key=SageKeyRef("01", "FERGUSO", "INV1")))
    with store.transaction() as tx:
        found = tx.find_ledger_by_sage_key(MAIN, SageKeyRef("00", "FERGUSO", "INV1"))
        other_division = tx.find_ledger_by_sage_key(MAIN, SageKeyRef("01", "FERGUSO", "INV1"))
        nothing = tx.find_ledger_by_sage_key(MAIN, SageKeyRef("00", "FERGUSO", "INV9"))
        other_pair = tx.find_ledger_by_sage_key(WEST, SageKeyRef("00", "FERGUSO", "INV1"))
    assert found is not None
    assert found.doc_id == 1
    assert other_division is not None
    assert other_division.doc_id == 2
    assert nothing is None
    assert other_pair is None


def test_ledger_iterates_by_pair_and_status(store: SqlStateStore) -> None:
    statuses = list(LedgerStatus)
    with store.transaction() as tx:
        for i, status in enumerate(statuses):
            tx.put_ledger(_entry(i, status=status, updated_at=T0))
        tx.put_ledger(_entry(99, pair=WEST, updated_at=T0))
    with store.transaction() as tx:
        everything = list(tx.iter_ledger(MAIN))
        final = list(tx.iter_ledger(MAIN, FINAL_STATUSES))
        intents = list(tx.iter_ledger(MAIN, frozenset({LedgerStatus.INTENT})))
        none = list(tx.iter_ledger(MAIN, frozenset()))
    assert [e.doc_id for e in everything] == list(range(len(statuses)))
    assert {e.status for e in final} == FINAL_STATUSES
    assert [e.status for e in intents] == [LedgerStatus.INTENT]
    assert none == []


def test_ledger_iterator_outlives_its_transaction(store: SqlStateStore) -> None:
    with store.transaction() as tx:
        tx.put_ledger(_entry(1, updated_at=T0))
        tx.put_ledger(_entry(2, updated_at=T0))
    with store.transaction() as tx:
        entries = tx.iter_ledger(MAIN)
    assert [e.doc_id for e in entries] == [1, 2]


def _link(st_id: int, vendor_no: str, **changes: object) -> VendorLink:
    fields: dict[str, object] = {
        "pair": MAIN,
        "st_vendor_id": st_id,
        "division_no": "00",
        "vendor_no": vendor_no,
        "method": "fuzzy",
        "score": 0.93,
    }
    fields.update(changes)
    return VendorLink(**fields)  # type: ignore[arg-type]


def test_vendor_links(store: SqlStateStore, clock: ManualClock) -> None:
    manual = _link(2, "ABCPLUM", method="manual", score=None, created_at=T0, created_by="Jo Ng")
    with store.transaction() as tx:
        tx.add_link(_link(1, "FERGUSO"))
        tx.add_link(manual)
        tx.add_link(_link(1, "FERGUSO", pair=WEST))
    with store.transaction() as tx:
        by_st = tx.get_link_by_st(MAIN, 1)
        by_sage = tx.get_link_by_sage(MAIN, "00", "ABCPLUM")
        assert tx.get_link_by_st(MAIN, 3) is None
        assert tx.get_link_by_sage(MAIN, "01", "ABCPLUM") is None
        links = list(tx.iter_links(MAIN))
    assert by_st == _link(1, "FERGUSO", created_at=clock.now())
    assert by_sage == manual
    assert [link.st_vendor_id for link in links] == [1, 2]

    with store.transaction() as tx:
        tx.remove_link(MAIN, 1)
        tx.remove_link(MAIN, 12345)  # nothing to remove is not an error
    with store.transaction() as tx:
        assert tx.get_link_by_st(MAIN, 1) is None
        assert tx.get_link_by_st(WEST, 1) is not None
        assert [link.st_vendor_id for link in tx.iter_links(MAIN)] == [2]


@pytest.mark.parametrize(
    ("st_id", "vendor_no"),
    [(1, "OTHERVN"), (2, "FERGUSO")],
    ids=["servicetitan-vendor-taken", "sage-vendor-taken"],
)
def test_a_link_is_never_replaced(store: SqlStateStore, st_id: int, vendor_no: str) -> None:
    with store.transaction() as tx:
        tx.add_link(_link(1, "FERGUSO"))
    with store.transaction() as tx:
        with pytest.raises(VendorLinkTakenError, match="already linked to Sage vendor 00-FERGUSO"):
            tx.add_link(_link(st_id, vendor_no))
        tx.set_cursor(MAIN, "after", "the transaction is still usable", T0)
    with store.transaction() as tx:
        assert [link.vendor_no for link in tx.iter_links(MAIN)] == ["FERGUSO"]
        assert tx.get_cursor(MAIN, "after") is not None


def _review(doc_id: int | None = 10, **changes: object) -> ReviewItem:
    fields: dict[str, object] = {
        "pair": MAIN,
        "kind": ReviewKind.UNMAPPED_GL,
        "doc_kind": DocKind.AP_BILL if doc_id is not None else None,
        "doc_id": doc_id,
        "reason": "line 2: no Sage account for ServiceTitan GL 5010",
        "suggestion": "add a rule for 5010 to the GL rules file",
        "details": {"lines": [2], "amount": "120.00"},
    }
    fields.update(changes)
    return ReviewItem(**fields)  # type: ignore[arg-type]


def test_review_add_get_and_list(store: SqlStateStore, clock: ManualClock) -> None:
    with store.transaction() as tx:
        first = tx.add_review(_review(10))
        second = tx.add_review(_review(11, kind=ReviewKind.SAGE_REJECTED, pair=WEST))
        vendor = tx.add_review(
            _review(None, kind=ReviewKind.AMBIGUOUS_VENDOR, subject="st_vendor:77")
        )
    with store.transaction() as tx:
        item = tx.get_review(first)
        assert tx.get_review(first + second + vendor + 100) is None
        main_open = tx.list_reviews(MAIN)
        all_open = tx.list_reviews()
    assert item == _review(10, id=first, created_at=clock.now())
    assert [i.id for i in main_open] == [first, vendor]
    assert [i.id for i in all_open] == [first, second, vendor]
    assert main_open[1].subject == "st_vendor:77"
    assert main_open[1].doc_kind is None


def test_review_status_changes(store: SqlStateStore) -> None:
    at = T0 + timedelta(hours=3)
    with store.transaction() as tx:
        a = tx.add_review(_review(10))
        b = tx.add_review(_review(11))
        c = tx.add_review(_review(12))
    with store.transaction() as tx:
        tx.set_review_status(a, ReviewStatus.RESOLVED, by="Jo Ng", at=at, note="rule added")
        tx.set_review_status(b, ReviewStatus.IGNORED, by="Jo Ng", at=at)
    with store.transaction() as tx:
        resolved = tx.get_review(a)
        assert [i.id for i in tx.list_reviews(MAIN)] == [c]
        assert [i.id for i in tx.list_reviews(MAIN, ReviewStatus.IGNORED)] == [b]
        assert [i.id for i in tx.list_reviews(status=None)] == [a, b, c]
    assert resolved is not None
    assert resolved.status is ReviewStatus.RESOLVED
    assert resolved.resolved_at == at
    assert resolved.resolved_by == "Jo Ng"
    assert resolved.note == "rule added"


def test_review_status_of_an_unknown_item_is_an_error(store: SqlStateStore) -> None:
    with pytest.raises(StoreNotFoundError, match="review item 404"), store.transaction() as tx:
        tx.set_review_status(404, ReviewStatus.RESOLVED, by="x", at=T0)


def test_last_audit_is_the_newest_event_of_one_action_of_one_document(
    store: SqlStateStore,
) -> None:
    def event(minute: int, action: str, doc_id: int, pair: PairId = MAIN) -> AuditEvent:
        return AuditEvent(
            at=T0 + timedelta(minutes=minute),
            pair=pair,
            action=action,
            doc_kind=DocKind.AP_BILL,
            doc_id=doc_id,
            details={"n": minute},
        )

    with store.transaction() as tx:
        tx.append_audit(event(1, "read_back_failed", 5))
        newest = tx.append_audit(event(2, "read_back_failed", 5))
        tx.append_audit(event(3, "written", 5))
        tx.append_audit(event(4, "read_back_failed", 6))
        tx.append_audit(event(5, "read_back_failed", 5, WEST))
    with store.transaction() as tx:
        found = tx.last_audit(MAIN, DocKind.AP_BILL, 5, "read_back_failed")
        assert found is not None
        assert (found.id, found.details) == (newest, {"n": 2})
        assert tx.last_audit(MAIN, DocKind.AP_BILL, 7, "read_back_failed") is None
        assert tx.last_audit(MAIN, DocKind.INVOICE, 5, "read_back_failed") is None


def test_audit_append_and_iterate(store: SqlStateStore) -> None:
    with store.transaction() as tx:
        run_id = tx.start_run(MAIN, T0, dry_run=False)
        first = AuditEvent(
            at=T0,
            pair=MAIN,
            action="written",
            doc_kind=DocKind.AP_BILL,
            doc_id=5,
            run_id=run_id,
            message="AP bill 5 written as 00-FERGUSO INV5",
            details={"amount": "12.50", "lines": 2},
        )
        first_id = tx.append_audit(first)
        second_id = tx.append_audit(
            AuditEvent(at=T0 + timedelta(minutes=1), pair=WEST, action="vendor_matched")
        )
        third_id = tx.append_audit(
            AuditEvent(at=T0 + timedelta(minutes=2), pair=MAIN, action="review", actor="Jo Ng")
        )
    with store.transaction() as tx:
        everything = list(tx.iter_audit())
        main = list(tx.iter_audit(pair=MAIN))
        later = list(tx.iter_audit(since=T0 + timedelta(minutes=1)))
        later_main = list(tx.iter_audit(since=T0 + timedelta(seconds=1), pair=MAIN))
    assert first_id < second_id < third_id
    assert everything[0] == AuditEvent(**{**_audit_fields(first), "id": first_id})
    assert [e.id for e in everything] == [first_id, second_id, third_id]
    assert [e.id for e in main] == [first_id, third_id]
    assert [e.id for e in later] == [second_id, third_id]
    assert [e.id for e in later_main] == [third_id]
    assert everything[2].actor == "Jo Ng"


def _audit_fields(event: AuditEvent) -> dict[str, object]:
    return {name: getattr(event, name) for name in AuditEvent.__slots__}


def test_outbox_pending_complete_and_fail(store: SqlStateStore, clock: ManualClock) -> None:
    payload = {"ids": [5, 6], "when": "2026-01-05"}
    with store.transaction() as tx:
        a = tx.add_outbox(OutboxItem(MAIN, "mark_ap_bill_exported", payload))
        b = tx.add_outbox(OutboxItem(MAIN, "mark_invoice_exported", {"ids": [9]}))
        c = tx.add_outbox(OutboxItem(WEST, "mark_ap_bill_exported", {"ids": [1]}))
    with store.transaction() as tx:
        pending = tx.pending_outbox(MAIN)
    assert pending[0] == OutboxItem(
        MAIN, "mark_ap_bill_exported", payload, id=a, created_at=clock.now()
    )
    assert [i.id for i in pending] == [a, b]

    with store.transaction() as tx:
        tx.fail_outbox(a, "ServiceTitan 503", T0 + timedelta(minutes=1))
        tx.fail_outbox(a, "ServiceTitan 429", T0 + timedelta(minutes=2))
        tx.complete_outbox(b, T0 + timedelta(minutes=3))
    with store.transaction() as tx:
        pending = tx.pending_outbox(MAIN)
        assert [i.id for i in tx.pending_outbox(WEST)] == [c]
    assert [i.id for i in pending] == [a]
    assert pending[0].attempts == 2
    assert pending[0].last_error == "ServiceTitan 429"
    assert pending[0].done_at is None


def test_outbox_unknown_items_are_errors(store: SqlStateStore) -> None:
    with pytest.raises(StoreNotFoundError, match="outbox item 77"), store.transaction() as tx:
        tx.complete_outbox(77, T0)
    with pytest.raises(StoreNotFoundError, match="outbox item 78"), store.transaction() as tx:
        tx.fail_outbox(78, "x", T0)
