"""The engine end to end: ServiceTitan sandbox over HTTP, Sage sandbox through the BOI
adapter, SQLite state on disk."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from engine_bills import ap_bill
from engine_world import PAIR, World

from ml_connector.sage100.errors import SageSessionError, SageVerifyError
from ml_connector.sage100.port import NewApInvoice, WrittenInvoice
from ml_connector.store.port import DocKind, LedgerStatus, OutboxItem, ReviewKind, ReviewStatus
from ml_connector.sync.review import ReviewQueue
from ml_connector.sync.settings import InvoiceRoute, InvoiceVendorSource
from ml_connector.sync.summary import CycleSummary, DocumentOutcome, Outcome

BASE_ID = 9_100_000


def outcomes(summary: CycleSummary, kind: DocKind = DocKind.AP_BILL) -> dict[int, DocumentOutcome]:
    return {o.doc_id: o for o in summary.outcomes if o.kind is kind}


def sage_key(o: DocumentOutcome) -> tuple[str, str]:
    return (o.vendor.split("-", 1)[1], o.invoice_no)


def test_first_sync_writes_good_bills_once_and_the_second_writes_nothing(world: World) -> None:
    first = world.cycle()
    assert not first.stopped, first.errors
    assert first.written > 0
    entry = world.sage_entry()
    written = [o for o in first.outcomes if o.outcome is Outcome.WRITTEN]
    assert len(written) == first.written
    for o in written:
        amount, _comment = entry[sage_key(o)]
        assert amount == o.amount
    # canceled bills and lines that do not add up are not written
    canceled = [o for o in first.outcomes if o.outcome is Outcome.SKIPPED]
    assert canceled, "the seed has canceled bills"
    invalid = [o for o in first.outcomes if "add up to" in o.reason]
    assert invalid
    assert all(o.outcome is Outcome.REVIEW for o in invalid)

    second = world.cycle()
    assert second.written == 0
    assert second.sent_to_review == 0
    assert world.sage_entry() == entry


def test_bill_edited_after_export_goes_to_review_and_is_never_written_again(world: World) -> None:
    world.st.upsert("ap-bills", [ap_bill(BASE_ID + 1, reference="EDIT-1", amount="250.00")])
    first = world.cycle(settings=world.settings)
    assert outcomes(first)[BASE_ID + 1].outcome is Outcome.WRITTEN
    before = world.sage_entry()
    world.st.upsert("ap-bills", [ap_bill(BASE_ID + 1, reference="EDIT-1", amount="275.00")])
    second = world.cycle()
    assert outcomes(second)[BASE_ID + 1].outcome is Outcome.CHANGED_AFTER_EXPORT
    assert world.sage_entry() == before
    reviews = ReviewQueue(PAIR, world.store, world.clock).items()
    assert [r.kind for r in reviews if r.doc_id == BASE_ID + 1] == [ReviewKind.CHANGED_AFTER_EXPORT]
    # re-read again (look-back) -> no new review, no new outcome
    world.st.upsert("ap-bills", [ap_bill(BASE_ID + 1, reference="EDIT-1", amount="275.00")])
    third = world.cycle()
    assert BASE_ID + 1 not in outcomes(third)
    assert world.sage_entry() == before


def test_canceled_bill_is_skipped_and_credit_is_written_negative(world: World) -> None:
    world.st.upsert(
        "ap-bills",
        [
            ap_bill(BASE_ID + 2, reference="CAN-1", amount="90.00", status="Canceled"),
            ap_bill(BASE_ID + 3, reference="CM-77", amount="-45.50"),
        ],
    )
    summary = world.cycle()
    got = outcomes(summary)
    assert got[BASE_ID + 2].outcome is Outcome.SKIPPED
    assert got[BASE_ID + 3].outcome is Outcome.WRITTEN
    amount, _ = world.sage_entry()[sage_key(got[BASE_ID + 3])]
    assert amount == Decimal("-45.50")
    with world.store.transaction() as tx:
        entry = tx.get_ledger(PAIR, DocKind.AP_BILL, BASE_ID + 2)
    assert entry is not None
    assert entry.status is LedgerStatus.SKIPPED


def test_lines_that_do_not_add_up_go_to_review_with_the_numbers(world: World) -> None:
    bad = ap_bill(
        BASE_ID + 4,
        reference="BAD-1",
        amount="100.00",
        lines=[("90.00", {"number": "6400-00-100"})],
    )
    world.st.upsert("ap-bills", [bad])
    summary = world.cycle()
    o = outcomes(summary)[BASE_ID + 4]
    assert o.outcome is Outcome.REVIEW
    assert "add up to 90.00 but the total is 100.00" in o.reason
    assert not [k for k in world.sage_entry() if k[1] == "BAD-1"]
    [item] = [
        r for r in ReviewQueue(PAIR, world.store, world.clock).items() if r.doc_id == BASE_ID + 4
    ]
    assert item.kind is ReviewKind.INVALID_DOCUMENT
    assert item.suggestion.startswith("correct the bill in ServiceTitan")


def test_long_references_of_one_vendor_do_not_collide(world: World) -> None:
    bills = [
        ap_bill(
            BASE_ID + 100 + n, reference=f"PO-2026-{n:06d}-COLUMBUS-OH-43204", amount=f"{10 + n}.00"
        )
        for n in range(25)
    ]
    world.st.upsert("ap-bills", bills)
    summary = world.cycle()
    got = outcomes(summary)
    numbers = [got[b["id"]].invoice_no for b in bills]
    assert all(got[b["id"]].outcome is Outcome.WRITTEN for b in bills)
    assert len(set(numbers)) == 25
    assert all(len(n) <= 10 for n in numbers)
    entry = world.sage_entry()
    for b in bills:
        amount, comment = entry[sage_key(got[b["id"]])]
        assert amount == Decimal(b["billAmount"])
        assert comment.startswith(f"ST bill {b['id']}")


def test_dry_run_writes_nothing_anywhere(world: World) -> None:
    world.st.upsert("ap-bills", [ap_bill(BASE_ID + 5, reference="DRY-1", amount="12.00")])
    sage_before = world.sage_all()
    vendors_before = len(list(world.sage.vendors()))
    with world.store.transaction() as tx:
        links_before = list(tx.iter_links(PAIR))
    summary = world.cycle(dry_run=True, settings=replace(world.settings, mark_exported=True))
    assert summary.dry_run
    assert outcomes(summary)[BASE_ID + 5].outcome is Outcome.WOULD_WRITE
    assert summary.vendors_created > 0  # it would create some
    assert world.sage_all() == sage_before
    assert len(list(world.sage.vendors())) == vendors_before
    paths = world.st.stats()["requests_per_path"]
    assert not [p for p in paths if "markasexported" in p]
    with world.store.transaction() as tx:
        assert list(tx.iter_ledger(PAIR)) == []
        assert list(tx.iter_audit(pair=PAIR)) == []
        assert list(tx.iter_links(PAIR)) == links_before
        assert tx.list_reviews(PAIR, None) == []
        assert tx.get_cursor(PAIR, "ap_bills:ApBill") is None
        runs = tx.last_runs(PAIR)
    assert [r.dry_run for r in runs] == [True]
    # and the real cycle afterwards writes it
    real = world.cycle()
    assert outcomes(real)[BASE_ID + 5].outcome is Outcome.WRITTEN


def test_duplicates_keyed_by_hand_are_not_written_and_never_adjusted(world: World) -> None:
    world.hand_key("entry", "FERGUS", "HK-ENTRY", "100.00")
    world.hand_key("open", "FERGUS", "HK-OPEN", "200.00")
    world.hand_key("history", "FERGUS", "HK-HIST", "300.00")
    world.hand_key("open", "WINSUPP", "HK-OTHER", "400.00")  # another vendor, same ref + amount
    world.st.upsert(
        "ap-bills",
        [
            ap_bill(BASE_ID + 10, reference="hk-entry", amount="100.00"),
            ap_bill(BASE_ID + 11, reference="HK-OPEN", amount="200.00"),
            ap_bill(BASE_ID + 12, reference="HK-HIST", amount="999.00"),
            ap_bill(BASE_ID + 13, reference="HK OTHER", amount="400.00"),
        ],
    )
    before = world.sage_all()
    summary = world.cycle()
    got = outcomes(summary)
    assert got[BASE_ID + 10].outcome is Outcome.ALREADY_IN_SAGE
    assert got[BASE_ID + 11].outcome is Outcome.ALREADY_IN_SAGE
    assert got[BASE_ID + 12].outcome is Outcome.ALREADY_IN_SAGE
    assert got[BASE_ID + 13].outcome is Outcome.SUSPECTED_DUPLICATE
    after = world.sage_all()
    for where, rows in before.items():  # nothing adjusted
        assert {k: after[where][k] for k in rows} == rows
    added = set(after["entry"]) - set(before["entry"])
    assert not [k for k in added if k[1].startswith("HK")]  # nothing added for them
    # a person says the suspected duplicate is a different invoice: it is written
    queue = ReviewQueue(PAIR, world.store, world.clock)
    item = next(r for r in queue.items() if r.doc_id == BASE_ID + 13)
    queue.resolve(item.id or 0, by="maria", note="different invoice")
    after = world.cycle()
    assert outcomes(after)[BASE_ID + 13].outcome is Outcome.WRITTEN
    assert queue.get(item.id or 0).status is ReviewStatus.RESOLVED


def test_a_write_whose_ledger_commit_was_lost_is_recognised_next_cycle(world: World) -> None:
    world.st.upsert("ap-bills", [ap_bill(BASE_ID + 20, reference="CRASH-1", amount="77.70")])
    crashing = world.crash_after_write("CRASH-1")
    first = world.engine_with(crashing).run_cycle()
    assert outcomes(first)[BASE_ID + 20].outcome is Outcome.RETRY
    mine = {k: v for k, v in world.sage_entry().items() if k[1] == "CRASH-1"}
    assert [v[0] for v in mine.values()] == [Decimal("77.70")]
    second = world.cycle()
    assert outcomes(second)[BASE_ID + 20].outcome is Outcome.RECOVERED
    third = world.cycle()
    assert BASE_ID + 20 not in outcomes(third)
    assert {k: v for k, v in world.sage_entry().items() if k[1] == "CRASH-1"} == mine


def test_mark_exported_goes_through_the_outbox(world: World) -> None:
    world.st.upsert("ap-bills", [ap_bill(BASE_ID + 30, reference="EXP-1", amount="5.00")])
    settings = replace(world.settings, mark_exported=True)
    summary = world.cycle(settings=settings)
    assert summary.exports_marked >= 1
    bill = next(iter(world.source.ap_bills(bill_type="ApBill", ids=[BASE_ID + 30])))
    assert bill.sync_status in ("Exported", "PostedAndExported")
    with world.store.transaction() as tx:
        assert tx.pending_outbox(PAIR) == []


def test_unknown_vendor_is_created_and_linked(world: World) -> None:
    world.st.upsert(
        "vendors",
        [
            {
                "id": 699,
                "name": "Zanzibar Mechanical Supply",
                "active": True,
                "address": {
                    "street": "1 Main St",
                    "unit": "",
                    "city": "Columbus",
                    "state": "OH",
                    "zip": "43215",
                    "country": "USA",
                },
            }
        ],
    )
    world.st.upsert(
        "ap-bills",
        [
            ap_bill(
                BASE_ID + 40,
                reference="ZAN-1",
                amount="64.00",
                vendor=(699, "Zanzibar Mechanical Supply"),
            )
        ],
    )
    summary = world.cycle()
    o = outcomes(summary)[BASE_ID + 40]
    assert o.outcome is Outcome.WRITTEN
    assert summary.vendors_created >= 1
    with world.store.transaction() as tx:
        link = tx.get_link_by_st(PAIR, 699)
        actions = [e.action for e in tx.iter_audit(pair=PAIR)]
    assert link is not None
    assert link.method == "created_in_sage"
    assert "vendor_created" in actions
    assert world.sage.vendor(link.division_no, link.vendor_no) is not None  # type: ignore[arg-type]


def test_created_vendor_number_is_kept_in_servicetitan_external_data(world: World) -> None:
    guid = "7d1f6c1e-0000-4000-8000-00000000beef"
    world.st.upsert(
        "vendors",
        [
            {
                "id": 698,
                "name": "Quixotic Pipe Works",
                "active": True,
                "address": {
                    "street": "2 Elm St",
                    "unit": "",
                    "city": "Columbus",
                    "state": "OH",
                    "zip": "43215",
                    "country": "USA",
                },
            }
        ],
    )
    world.st.upsert(
        "ap-bills",
        [
            ap_bill(
                BASE_ID + 41, reference="QPW-1", amount="9.00", vendor=(698, "Quixotic Pipe Works")
            )
        ],
    )
    settings = replace(world.settings, application_guid=guid, write_vendor_number_to_st=True)
    o = outcomes(world.cycle(settings=settings))[BASE_ID + 41]
    assert o.outcome is Outcome.WRITTEN
    vendor = world.source.vendor(698, external_data_application_guid=guid)
    assert vendor.external_value("sage100VendorNo") == o.vendor.split("-", 1)[1]


def test_every_vendor_link_is_audited_with_its_method(world: World) -> None:
    summary = world.cycle()
    with world.store.transaction() as tx:
        links = [k for k in tx.iter_links(PAIR) if k.method != "manual"]
        events = [
            e for e in tx.iter_audit(pair=PAIR) if e.action in ("vendor_matched", "vendor_created")
        ]
    assert links
    assert summary.vendors_linked + summary.vendors_created == len(links)
    assert len(events) == len(links)
    assert {str(e.details["st_vendor_id"]) for e in events} == {str(k.st_vendor_id) for k in links}


def test_invoices_routed_to_ap_are_written_to_the_rule_vendor(world: World) -> None:
    route = InvoiceRoute(
        name="generators",
        vendor=InvoiceVendorSource("fixed", "00-FERGUS"),
        business_units=frozenset({"generators"}),
    )
    summary = world.cycle(settings=replace(world.settings, invoice_routes=(route,)))
    routed = outcomes(summary, DocKind.INVOICE)
    assert routed, "the seed has Generators invoices"
    invoices = {i.id: i for i in world.source.invoices(ids=list(routed))}
    assert all((invoices[i].business_unit.name or "") == "Generators" for i in routed)  # type: ignore[union-attr]
    written = [o for o in routed.values() if o.outcome is Outcome.WRITTEN]
    assert written
    entry = world.sage_entry()
    for o in written:
        assert o.vendor == "00-FERGUS"
        amount, comment = entry[sage_key(o)]
        assert amount == invoices[o.doc_id].total
        assert comment.startswith(f"ST inv {o.doc_id}")
    again = world.cycle(settings=replace(world.settings, invoice_routes=(route,)))
    assert outcomes(again, DocKind.INVOICE) == {}


def test_mark_exported_refused_per_item_is_retried_then_reviewed(world: World) -> None:
    with world.store.transaction() as tx:
        tx.add_outbox(
            OutboxItem(
                pair=PAIR,
                operation="mark_ap_bill_exported",
                payload={"id": 8_888_888, "external_id": "00-FERGUS invoice X", "message": ""},
                created_at=world.clock.now(),
            )
        )
    settings = replace(world.settings, mark_exported=True, export_max_attempts=2)
    world.cycle(settings=settings)
    with world.store.transaction() as tx:
        [pending] = tx.pending_outbox(PAIR)
    assert pending.attempts == 1
    assert "was not found" in pending.last_error
    world.cycle(settings=settings)
    queue = ReviewQueue(PAIR, world.store, world.clock)
    [item] = [r for r in queue.items() if r.kind is ReviewKind.EXPORT_MARK_FAILED]
    assert item.doc_id == 8_888_888
    with world.store.transaction() as tx:
        assert tx.pending_outbox(PAIR) == []
    queue.retry(item.id or 0, by="maria")
    with world.store.transaction() as tx:
        [again] = tx.pending_outbox(PAIR)
    assert again.payload["id"] == 8_888_888


def test_ambiguous_vendor_goes_to_review_and_a_person_links_it(world: World) -> None:
    waterworks = (602, "Ferguson Waterworks")
    world.st.upsert(
        "ap-bills", [ap_bill(BASE_ID + 60, reference="WW-1", amount="33.00", vendor=waterworks)]
    )
    first = outcomes(world.cycle())[BASE_ID + 60]
    assert first.outcome is Outcome.REVIEW
    queue = ReviewQueue(PAIR, world.store, world.clock)
    [item] = [r for r in queue.items() if r.doc_id == BASE_ID + 60]
    assert item.kind in (ReviewKind.AMBIGUOUS_VENDOR, ReviewKind.UNKNOWN_VENDOR)
    assert item.details["candidates"]
    queue.resolve(item.id or 0, by="maria", vendor="FERGWAT")
    second = outcomes(world.cycle())[BASE_ID + 60]
    assert second.outcome is Outcome.WRITTEN
    assert second.vendor == "00-FERGWAT"
    with world.store.transaction() as tx:
        link = tx.get_link_by_st(PAIR, 602)
    assert link is not None
    assert link.method == "manual"


def test_unmapped_line_goes_to_review_until_a_rule_exists(world: World) -> None:
    bill = ap_bill(
        BASE_ID + 70, reference="GL-1", amount="80.00", lines=[("80.00", {"number": "7777"})]
    )
    world.st.upsert("ap-bills", [bill])
    strict = replace(world.settings, fallback_gl_account=None)
    first = outcomes(world.cycle(settings=strict))[BASE_ID + 70]
    assert first.outcome is Outcome.REVIEW
    assert "7777" in first.reason
    queue = ReviewQueue(PAIR, world.store, world.clock)
    [item] = [r for r in queue.items() if r.doc_id == BASE_ID + 70]
    assert item.kind is ReviewKind.UNMAPPED_GL
    assert item.suggestion == (
        "give the lines an active Sage account for this bill in review (web app: Map; "
        "CLI: review resolve --account), or add a GL rule (or a fallback account), "
        "then resolve this item"
    )
    # the controller adds a fallback account, then retries the item
    queue.retry(item.id or 0, by="maria")
    second = world.cycle()
    assert outcomes(second)[BASE_ID + 70].outcome is Outcome.WRITTEN
    with world.store.transaction() as tx:
        actions = [e.action for e in tx.iter_audit(pair=PAIR) if e.doc_id == BASE_ID + 70]
    assert "gl_fallback_used" in actions


def test_two_servicetitan_bills_with_one_vendor_invoice_number(world: World) -> None:
    world.st.upsert(
        "ap-bills",
        [
            ap_bill(BASE_ID + 80, reference="TWICE-1", amount="50.00"),
            ap_bill(BASE_ID + 81, reference="twice-1", amount="50.00"),  # keyed twice
            ap_bill(BASE_ID + 82, reference=" Twice-1 ", amount="75.00"),  # another invoice?
        ],
    )
    got = outcomes(world.cycle())
    assert got[BASE_ID + 80].outcome is Outcome.WRITTEN
    assert got[BASE_ID + 81].outcome is Outcome.ALREADY_IN_SAGE
    assert got[BASE_ID + 82].outcome is Outcome.SUSPECTED_DUPLICATE
    assert "(75.00)" in got[BASE_ID + 82].reason
    mine = [v for k, v in world.sage_entry().items() if k[1] == "TWICE-1"]
    assert [amount for amount, _ in mine] == [Decimal("50.00")]


def test_a_write_sent_to_review_after_its_retries_is_never_written_twice(world: World) -> None:
    """The write reached Sage but failed; the retries ran out and a person re-queued it
    after the reference was edited: the invoice is recognised, not written a second time."""
    world.st.upsert("ap-bills", [ap_bill(BASE_ID + 25, reference="LOST-1", amount="61.10")])
    settings = replace(world.settings, max_attempts=1)
    first = world.engine_with(world.crash_after_write("LOST-1"), settings).run_cycle()
    assert outcomes(first)[BASE_ID + 25].outcome is Outcome.REVIEW
    queue = ReviewQueue(PAIR, world.store, world.clock)
    (item,) = [i for i in queue.items() if i.doc_id == BASE_ID + 25]
    world.st.upsert("ap-bills", [ap_bill(BASE_ID + 25, reference="LOST-1B", amount="61.10")])
    queue.retry(item.id or 0, by="controller")
    second = world.cycle()
    mine_now = [o.outcome for o in second.outcomes if o.doc_id == BASE_ID + 25]
    # recognised as the earlier write, then flagged: its reference changed after export
    assert mine_now == [Outcome.RECOVERED, Outcome.CHANGED_AFTER_EXPORT]
    mine = [k for k in world.sage_entry() if k[1].startswith("LOST-1")]
    assert mine == [("FERGUS", "LOST-1")]


def test_a_write_sent_to_review_then_edited_is_never_written_twice(world: World) -> None:
    """As above, but nobody re-queues it: the bill is edited in ServiceTitan (a new
    revision is looked at again) and must be recognised, not written a second time."""
    world.st.upsert("ap-bills", [ap_bill(BASE_ID + 26, reference="LOST-2", amount="62.20")])
    settings = replace(world.settings, max_attempts=1)
    first = world.engine_with(world.crash_after_write("LOST-2"), settings).run_cycle()
    assert outcomes(first)[BASE_ID + 26].outcome is Outcome.REVIEW
    world.st.upsert("ap-bills", [ap_bill(BASE_ID + 26, reference="LOST-2B", amount="62.20")])
    second = world.cycle()
    mine_now = [o.outcome for o in second.outcomes if o.doc_id == BASE_ID + 26]
    assert mine_now == [Outcome.RECOVERED, Outcome.CHANGED_AFTER_EXPORT]
    mine = [k for k in world.sage_entry() if k[1].startswith("LOST-2")]
    assert mine == [("FERGUS", "LOST-2")]


class _SageAway:
    """A Sage that cannot be reached for invoice look-ups (every one fails, retryable)."""

    def __init__(self, inner: object) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def find_invoice(self, key: object) -> list[object]:
        raise SageSessionError("simulated: Sage is not reachable")


def test_a_started_write_reviewed_after_an_edit_keeps_the_written_amount(world: World) -> None:
    """The write reached Sage, Sage then stayed away while the bill was edited (amount and
    reference) until the retries ran out: the re-queued bill is still recognised by the
    amount that was written, not written a second time."""
    world.st.upsert("ap-bills", [ap_bill(BASE_ID + 27, reference="LOST-3", amount="63.30")])
    settings = replace(world.settings, max_attempts=2)
    first = world.engine_with(world.crash_after_write("LOST-3"), settings).run_cycle()
    assert outcomes(first)[BASE_ID + 27].outcome is Outcome.RETRY
    world.st.upsert("ap-bills", [ap_bill(BASE_ID + 27, reference="LOST-3B", amount="64.40")])
    second = world.engine_with(_SageAway(world.sage), settings).run_cycle()
    assert outcomes(second)[BASE_ID + 27].outcome is Outcome.REVIEW
    queue = ReviewQueue(PAIR, world.store, world.clock)
    (item,) = [i for i in queue.items() if i.doc_id == BASE_ID + 27]
    queue.retry(item.id or 0, by="controller")
    third = world.cycle()
    mine_now = [o.outcome for o in third.outcomes if o.doc_id == BASE_ID + 27]
    assert mine_now == [Outcome.RECOVERED, Outcome.CHANGED_AFTER_EXPORT]
    mine = [k for k in world.sage_entry() if k[1].startswith("LOST-3")]
    assert mine == [("FERGUS", "LOST-3")]


class _ReadBackDiffers:
    """A Sage whose `create_invoice` writes, then reports that the invoice read back
    differently from what was sent (SageVerifyError), for one invoice number."""

    def __init__(self, inner: object, invoice_no: str) -> None:
        self._inner = inner
        self._invoice_no = invoice_no

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def create_invoice(self, invoice: NewApInvoice) -> WrittenInvoice:
        written: WrittenInvoice = self._inner.create_invoice(invoice)  # type: ignore[attr-defined]
        if invoice.key.invoice_no == self._invoice_no:
            raise SageVerifyError("simulated: the invoice read back with other lines")
        return written


def test_a_read_back_mismatch_goes_to_review_and_is_never_hidden(world: World) -> None:
    """Sage accepted the write but read it back differently: the cycle stops, the bill goes
    to review with the Sage key it was written under, and later cycles neither write it
    again nor record it as written or as "already in Sage"."""
    world.st.upsert("ap-bills", [ap_bill(BASE_ID + 28, reference="VERIFY-1", amount="71.10")])
    first = world.engine_with(_ReadBackDiffers(world.sage, "VERIFY-1"), world.settings).run_cycle()
    assert first.stopped
    with world.store.transaction() as tx:
        entry = tx.get_ledger(PAIR, DocKind.AP_BILL, BASE_ID + 28)
    assert entry is not None
    assert entry.status is LedgerStatus.REVIEW
    assert entry.sage_key is not None
    assert entry.sage_key.invoice_no == "VERIFY-1"
    second = world.cycle()
    assert BASE_ID + 28 not in outcomes(second) or outcomes(second)[BASE_ID + 28].outcome in (
        Outcome.UNCHANGED,
        Outcome.REVIEW,
    )
    with world.store.transaction() as tx:
        again = tx.get_ledger(PAIR, DocKind.AP_BILL, BASE_ID + 28)
    assert again is not None
    assert again.status is LedgerStatus.REVIEW
    mine = [k for k in world.sage_entry() if k[1].startswith("VERIFY-1")]
    assert mine == [("FERGUS", "VERIFY-1")]


class _WriteFails:
    """A Sage whose `create_invoice` of one invoice number always fails with a transient
    error (a COM fault); the others are written."""

    def __init__(self, inner: object, invoice_no: str) -> None:
        self._inner = inner
        self._invoice_no = invoice_no

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def create_invoice(self, invoice: NewApInvoice) -> WrittenInvoice:
        if invoice.key.invoice_no == self._invoice_no:
            raise SageSessionError("simulated: the Sage session failed in COM")
        written: WrittenInvoice = self._inner.create_invoice(invoice)  # type: ignore[attr-defined]
        return written


def test_a_failed_write_counts_once_towards_max_attempts(world: World) -> None:
    """Found by scripts/soak_kill.py: the "write started" mark and the retry both counted
    the same failed write, so a document went to review after half its retries."""
    world.st.upsert("ap-bills", [ap_bill(BASE_ID + 40, reference="FLAKY-1", amount="70.00")])
    settings = replace(world.settings, max_attempts=3)
    seen = []
    for _ in range(3):
        summary = world.engine_with(_WriteFails(world.sage, "FLAKY-1"), settings).run_cycle()
        seen.append(outcomes(summary)[BASE_ID + 40].outcome)
        with world.store.transaction() as tx:
            entry = tx.get_ledger(PAIR, DocKind.AP_BILL, BASE_ID + 40)
        assert entry is not None
        assert entry.attempts == len(seen)
    assert seen == [Outcome.RETRY, Outcome.RETRY, Outcome.REVIEW]
    assert "failed 3 times" in (entry.last_error if entry else "")
