"""A bill whose vendor code names one Sage vendor while its vendor's name names another:
review, nothing written, no link. End to end on both sandboxes."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from engine_bills import ap_bill
from engine_world import PAIR, World

from ml_connector.sage100.port import DivisionNo, NewVendor, SageVendorNo
from ml_connector.store.port import ReviewKind
from ml_connector.sync.review import ReviewQueue
from ml_connector.sync.settings import SyncSettings
from ml_connector.sync.summary import Outcome

BASE_ID = 9_500_000
SOUTH = (698, "Winsupply of Columbus South")
Rows = dict[str, dict[tuple[str, str], tuple[Decimal, str]]]


def _nothing_for(before: Rows, after: Rows, invoice_no: str) -> None:
    """Nothing written for this bill, nothing changed in Sage (the demo's bills are
    written beside it)."""
    for where, rows in before.items():
        assert {k: after[where][k] for k in rows} == rows
        assert not [k for k in after[where] if k[1] == invoice_no]


def test_a_vendor_code_that_contradicts_the_name_goes_to_review(world: World) -> None:
    world.sage.create_vendor(
        NewVendor(DivisionNo("00"), SageVendorNo("WINSOUT"), "WINSUPPLY OF COLUMBUS SOUTH")
    )
    world.st.upsert("vendors", [{"id": SOUTH[0], "name": SOUTH[1], "active": True}])
    bill = ap_bill(BASE_ID + 1, reference="WS-1", amount="12.00", vendor=SOUTH)
    bill["vendorNumber"] = "WINSUPP"  # keyed on the bill: WINSUPPLY OF COLUMBUS
    world.st.upsert("ap-bills", [bill])
    before = world.sage_all()

    got = {o.doc_id: o for o in world.cycle().outcomes}[BASE_ID + 1]

    assert got.outcome is Outcome.REVIEW
    queue = ReviewQueue(PAIR, world.store, world.clock)
    [item] = [r for r in queue.items() if r.doc_id == BASE_ID + 1]
    assert item.kind is ReviewKind.AMBIGUOUS_VENDOR
    assert "WINSUPP" in item.reason
    assert "00-WINSOUT" in item.reason
    with world.store.transaction() as tx:  # the vendor step linked the name; the bill's
        link = tx.get_link_by_st(PAIR, SOUTH[0])  # code is weighed against that link
    assert link is not None
    assert link.method == "exact name"
    _nothing_for(before, world.sage_all(), "WS-1")

    # a person links the vendor: the bill is written to the vendor they chose
    queue.resolve(item.id or 0, by="maria", vendor="WINSOUT")
    again = {o.doc_id: o for o in world.cycle().outcomes}[BASE_ID + 1]
    assert (again.outcome, again.vendor) == (Outcome.WRITTEN, "00-WINSOUT")


def test_without_the_vendor_step_the_bill_code_is_weighed_when_matching(world: World) -> None:
    world.sage.create_vendor(
        NewVendor(DivisionNo("00"), SageVendorNo("WINSOUT"), "WINSUPPLY OF COLUMBUS SOUTH")
    )
    world.st.upsert("vendors", [{"id": SOUTH[0], "name": SOUTH[1], "active": True}])
    bill = ap_bill(BASE_ID + 2, reference="WS-2", amount="13.00", vendor=SOUTH)
    bill["vendorNumber"] = "WINSUPP"
    world.st.upsert("ap-bills", [bill])
    before = world.sage_all()

    got = {o.doc_id: o for o in world.cycle(settings=_no_vendor_step(world)).outcomes}

    assert got[BASE_ID + 2].outcome is Outcome.REVIEW
    queue = ReviewQueue(PAIR, world.store, world.clock)
    [item] = [r for r in queue.items() if r.doc_id == BASE_ID + 2]
    assert item.details["method"] == "code conflict"
    with world.store.transaction() as tx:
        assert tx.get_link_by_st(PAIR, SOUTH[0]) is None
    _nothing_for(before, world.sage_all(), "WS-2")


def _no_vendor_step(world: World) -> SyncSettings:
    return replace(world.settings, vendor_sync=False)
