"""Each step of the exactly-once write on its own, against the sandboxes and a real
SQLite ledger (`writer` runs them in order; the engine tests run them together)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from engine_bills import ap_bill
from engine_world import PAIR, World

from ml_connector.sage100.errors import InvoiceExistsError
from ml_connector.sage100.port import ApInvoiceKey, DivisionNo, SageInvoiceNo, SageVendorNo
from ml_connector.store.port import (
    DocKind,
    LedgerEntry,
    LedgerStatus,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
    SageKeyRef,
)
from ml_connector.sync.context import CycleContext
from ml_connector.sync.documents import write_steps as step
from ml_connector.sync.documents.lines import Distribution, LineMapper
from ml_connector.sync.documents.resolve import ResolvedVendor
from ml_connector.sync.documents.source import SourceDocument, from_ap_bill
from ml_connector.sync.state import WRITING

FERGUS = ResolvedVendor("00", "FERGUS", "manual")


def _ctx(world: World, *, dry_run: bool = False) -> CycleContext:
    with world.store.transaction() as tx:
        run_id = tx.start_run(PAIR, world.clock.now(), dry_run=dry_run)
    return CycleContext(
        pair=PAIR,
        source=world.source,
        sage=world.sage,
        store=world.store,
        settings=world.settings,
        clock=world.clock,
        run_id=run_id,
        dry_run=dry_run,
    )


def _doc(world: World, bill_id: int, **kwargs: Any) -> SourceDocument:
    world.st.upsert("ap-bills", [ap_bill(bill_id, **kwargs)])
    (bill,) = world.source.ap_bills(bill_type="ApBill", ids=[bill_id])
    return from_ap_bill(bill, stream="ap_bills:ApBill")


def _key(invoice_no: str, vendor: str = "FERGUS") -> ApInvoiceKey:
    return ApInvoiceKey(DivisionNo("00"), SageVendorNo(vendor), SageInvoiceNo(invoice_no))


def _ledger(world: World, doc_id: int) -> LedgerEntry | None:
    with world.store.transaction() as tx:
        return tx.get_ledger(PAIR, DocKind.AP_BILL, doc_id)


def _dist(ctx: CycleContext, doc: SourceDocument) -> Distribution:
    dist = LineMapper(ctx).distribute(doc)
    assert isinstance(dist, Distribution)
    return dist


def test_choose_key_passes_over_a_number_held_with_another_reference(world: World) -> None:
    ctx = _ctx(world)
    doc = _doc(world, 8_100_001, reference="W-100", amount="10.00")
    assert step.choose_key(ctx, doc, FERGUS) == step.KeyChoice(_key("W-100"), None)
    other = _doc(world, 8_100_002, reference="W100", amount="11.00")  # another reference
    with world.store.transaction() as tx:
        tx.put_ledger(
            ctx.entry(
                other,
                "fp",
                LedgerStatus.INTENT,
                prior=None,
                sage_key=SageKeyRef("00", "FERGUS", "W-100"),
            )
        )
    chosen = step.choose_key(ctx, doc, FERGUS)
    assert chosen.invoice_no != "W-100"
    assert chosen.same_reference_holder is None


def test_choose_key_reports_a_holder_with_the_same_reference(world: World) -> None:
    ctx = _ctx(world)
    first = _doc(world, 8_100_011, reference="w-200", amount="10.00")
    doc = _doc(world, 8_100_012, reference="W-200", amount="12.00")
    with world.store.transaction() as tx:
        tx.put_ledger(
            ctx.entry(
                first,
                "fp",
                LedgerStatus.WRITTEN,
                prior=None,
                sage_key=SageKeyRef("00", "FERGUS", "W-200"),
            )
        )
    chosen = step.choose_key(ctx, doc, FERGUS)
    assert chosen.invoice_no == "W-200"
    assert chosen.same_reference_holder == step.Holder("W-200", "ap_bill 8100011", Decimal("10.00"))


def test_record_intent_holds_the_key_with_the_writing_mark_and_counts_the_attempt(
    world: World,
) -> None:
    ctx = _ctx(world)
    doc = _doc(world, 8_100_021, reference="W-300", amount="10.00")
    step.record_intent(ctx, doc, "fp1", None, _key("W-300"))
    entry = _ledger(world, doc.doc_id)
    assert entry is not None
    assert entry.status is LedgerStatus.INTENT
    assert entry.sage_key == SageKeyRef("00", "FERGUS", "W-300")
    assert (entry.last_error, entry.attempts) == (WRITING, 1)
    step.record_intent(ctx, doc, "fp1", entry, _key("W-300"))  # a second attempt
    entry = _ledger(world, doc.doc_id)
    assert entry is not None
    assert (entry.last_error, entry.attempts) == (WRITING, 2)


def test_a_dry_run_only_claims_the_key(world: World) -> None:
    ctx = _ctx(world, dry_run=True)
    doc = _doc(world, 8_100_031, reference="W-400", amount="10.00")
    step.claim_key(ctx, doc, _key("W-400"))
    assert _ledger(world, doc.doc_id) is None
    assert ctx.dry_claims[("00", "FERGUS", "W-400")][:2] == (DocKind.AP_BILL, doc.doc_id)
    other = _doc(world, 8_100_032, reference="W-400", amount="11.00")
    assert step.choose_key(ctx, other, FERGUS).same_reference_holder is not None


def test_look_up_sage_finds_the_exact_key_in_history_only(world: World) -> None:
    ctx = _ctx(world)
    world.hand_key("history", "FERGUS", "H-500", "75.00")
    found = step.look_up_sage(ctx, _key("H-500"))
    assert found is not None
    assert (found.where, found.amount) == ("history", Decimal("75.00"))
    assert step.look_up_sage(ctx, _key("H-50")) is None  # a prefix is not the key
    doc = _doc(world, 8_100_035, reference="H-500", amount="75.00")
    looked = step.look_before_write(ctx, doc, _key("H-500"), Decimal("75.00"))
    assert [(f.key, f.where) for f in looked.under_key] == [(_key("H-500"), "history")]
    assert step.look_before_write(ctx, doc, _key("H-50"), Decimal("75.00")).under_key == ()


def test_check_duplicates_same_reference_and_amount_under_another_vendor(world: World) -> None:
    ctx = _ctx(world)
    world.hand_key("open", "ABCSUPP", "D600", "42.00")
    doc = _doc(world, 8_100_041, reference="d-600", amount="42.00")

    def check(fp: str, amount: str) -> list[Any]:
        looked = step.look_before_write(ctx, doc, _key("D-600"), Decimal(amount))
        assert looked.under_key == ()
        return step.check_duplicates(ctx, doc, fp, _key("D-600"), Decimal(amount), looked)

    dups = check("fp1", "42.00")
    assert [d.invoice.key for d in dups] == [_key("D600", "ABCSUPP")]
    assert check("fp1", "42.01") == []
    # a person resolved the suspected duplicate of this revision: write it
    with world.store.transaction() as tx:
        rid = tx.add_review(
            ReviewItem(
                pair=PAIR,
                kind=ReviewKind.SUSPECTED_DUPLICATE,
                doc_kind=DocKind.AP_BILL,
                doc_id=doc.doc_id,
                reason="r",
                suggestion="s",
                details={"fingerprint": "fp1"},
                created_at=world.clock.now(),
            )
        )
        tx.set_review_status(rid, ReviewStatus.RESOLVED, by="t", at=world.clock.now())
    assert check("fp1", "42.00") == []
    assert check("fp2", "42.00") != []


def test_write_then_record_written_leaves_one_invoice_and_its_ledger_row(world: World) -> None:
    ctx = _ctx(world)
    doc = _doc(world, 8_100_051, reference="W-700", amount="123.45")
    key = _key("W-700")
    dist = _dist(ctx, doc)
    invoice = step.new_invoice(ctx, doc, key, Decimal("123.45"), dist)
    step.record_intent(ctx, doc, "fp1", None, key)
    written = step.write_to_sage(ctx, invoice)
    assert not isinstance(written, InvoiceExistsError)
    step.record_written(ctx, doc, "fp1", None, FERGUS, dist, written)
    assert world.sage_entry()[("FERGUS", "W-700")][0] == Decimal("123.45")
    entry = _ledger(world, doc.doc_id)
    assert entry is not None
    assert entry.status is LedgerStatus.WRITTEN
    assert entry.written_fingerprint == "fp1"
    # the same key again is refused by Sage's side (no adjustment), as a value
    again = step.write_to_sage(ctx, invoice)
    assert isinstance(again, InvoiceExistsError)


def test_record_already_is_refused_after_written(world: World) -> None:
    ctx = _ctx(world)
    doc = _doc(world, 8_100_061, reference="W-800", amount="5.00")
    step.record_already(ctx, doc, "fp1", None, _key("W-800"), None, "already there")
    entry = _ledger(world, doc.doc_id)
    assert entry is not None
    assert entry.status is LedgerStatus.ALREADY_IN_SAGE
    with world.store.transaction() as tx:
        tx.put_ledger(ctx.entry(doc, "fp1", LedgerStatus.WRITTEN, prior=None, sage_key=None))
    from ml_connector.sync.state import IllegalTransitionError

    with pytest.raises(IllegalTransitionError):
        step.record_already(ctx, doc, "fp1", None, _key("W-800"), None, "again")
