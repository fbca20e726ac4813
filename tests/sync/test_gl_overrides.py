"""A person's one-off GL account for one bill (`map_gl_account` without a rule): the
engine posts the lines the rules cannot place to it, for the revision in review only; a
new revision of the bill goes back to the rules. And a person's "create vendor" keeps the
Sage number in ServiceTitan's externalData as the engine's vendor step does."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

import pytest
from engine_bills import ap_bill
from engine_world import PAIR, World

from ml_connector.servicetitan.errors import StUnreachableError
from ml_connector.store.port import DocKind, LedgerStatus, ReviewItem, ReviewKind
from ml_connector.sync.review import ReviewError, ReviewQueue
from ml_connector.sync.review_actions import (
    StSide,
    create_vendor_for,
    link_vendor_for,
    map_gl_account,
)
from ml_connector.sync.summary import Outcome

BILL = 9_300_001
GUID = "00000000-0000-4000-8000-00000000fee1"


def _unmapped_bill(world: World, amount: str = "80.00") -> dict[str, object]:
    bill = ap_bill(
        BILL,
        reference="ONCE-1",
        amount=amount,
        lines=[
            (f"{float(amount) - 30:.2f}", {"number": "7777"}),  # no rule, no such account
            ("30.00", {"number": "6400-00-100"}),  # mapped by the default rule
        ],
    )
    world.st.upsert("ap-bills", [bill])
    return bill


def _item(world: World) -> int:
    queue = ReviewQueue(PAIR, world.store, world.clock)
    [item] = [r for r in queue.items() if r.doc_id == BILL]
    assert item.kind is ReviewKind.UNMAPPED_GL
    return item.id or 0


def _lines(world: World) -> dict[str, float]:
    conn = sqlite3.connect(world.sage_root / "ABC.sqlite")
    try:
        rows = conn.execute(
            "SELECT AccountKey, DistributionAmt FROM AP_InvoiceDetail WHERE InvoiceNo = 'ONCE-1'"
        ).fetchall()
    finally:
        conn.close()
    return {str(k).strip(): float(a) for k, a in rows}


def test_a_one_off_account_places_the_unmapped_lines_of_that_revision(world: World) -> None:
    strict = replace(world.settings, fallback_gl_account=None)
    _unmapped_bill(world)
    world.cycle(settings=strict)
    review_id = _item(world)
    queue = ReviewQueue(PAIR, world.store, world.clock)
    done = map_gl_account(queue, world.sage, [review_id], "6900-00-100", by="maria")
    assert (done.account.account, done.rule) == ("6900-00-100", "")
    written = world.cycle(settings=strict)
    mine = [o for o in written.outcomes if o.doc_id == BILL]
    assert [o.outcome for o in mine] == [Outcome.WRITTEN]
    # the 7777 line on the person's account, the mapped line where the rules put it
    assert _lines(world) == {
        world.account_key("6900-00-100"): 50.0,
        world.account_key("6400-00-100"): 30.0,
    }
    with world.store.transaction() as tx:
        events = [e for e in tx.iter_audit(pair=PAIR) if e.doc_id == BILL]
        override = tx.get_gl_override(PAIR, DocKind.AP_BILL, BILL)
    set_event = next(e for e in events if e.action == "gl_override_set")
    assert set_event.actor == "maria"
    assert set_event.details["account"] == "6900-00-100"
    assert override is not None
    assert (override.account, override.set_by) == ("6900-00-100", "maria")
    written_event = next(e for e in events if e.action == "written")
    assert "one-off account set by maria" in str(written_event.details)
    # the rules file did not change: the next bill with 7777 still goes to review
    world.st.upsert(
        "ap-bills",
        [
            ap_bill(
                BILL + 1, reference="ONCE-2", amount="5.00", lines=[("5.00", {"number": "7777"})]
            )
        ],
    )
    later = [o for o in world.cycle(settings=strict).outcomes if o.doc_id == BILL + 1]
    assert [o.outcome for o in later] == [Outcome.REVIEW]


def test_a_new_revision_goes_back_to_the_rules(world: World) -> None:
    strict = replace(world.settings, fallback_gl_account=None)
    _unmapped_bill(world)
    world.cycle(settings=strict)
    queue = ReviewQueue(PAIR, world.store, world.clock)
    map_gl_account(queue, world.sage, [_item(world)], "6900-00-100", by="maria")
    _unmapped_bill(world, amount="90.00")  # edited in ServiceTitan before the next cycle
    again = [o for o in world.cycle(settings=strict).outcomes if o.doc_id == BILL]
    assert [o.outcome for o in again] == [Outcome.REVIEW]
    assert "7777" in again[0].reason
    assert _lines(world) == {}
    with world.store.transaction() as tx:
        entry = tx.get_ledger(PAIR, DocKind.AP_BILL, BILL)
    assert entry is not None
    assert entry.status is LedgerStatus.REVIEW


def test_only_active_accounts_and_only_gl_items(world: World) -> None:
    strict = replace(world.settings, fallback_gl_account=None)
    _unmapped_bill(world)
    world.cycle(settings=strict)
    queue = ReviewQueue(PAIR, world.store, world.clock)
    review_id = _item(world)
    for wrong in ("5150-02-100", "9999-99-999", ""):  # inactive, unknown, none
        with pytest.raises(ReviewError, match="not an active Sage GL account"):
            map_gl_account(queue, world.sage, [review_id], wrong, by="maria")
    with world.store.transaction() as tx:
        assert tx.get_gl_override(PAIR, DocKind.AP_BILL, BILL) is None
    vendor_items = [r for r in queue.items() if r.kind is not ReviewKind.UNMAPPED_GL]
    assert vendor_items
    with pytest.raises(ReviewError, match="only a missing GL account"):
        map_gl_account(queue, world.sage, [vendor_items[0].id or 0], "6900-00-100", by="maria")


def _vendor_item(queue: ReviewQueue) -> tuple[ReviewItem, int]:
    """The first review item about a ServiceTitan vendor itself, and that vendor's id."""
    item = next(
        r
        for r in queue.items()
        if r.kind in (ReviewKind.UNKNOWN_VENDOR, ReviewKind.AMBIGUOUS_VENDOR)
        and r.doc_id is None
        and r.details.get("st_vendor_id") is not None
    )
    return item, int(item.details["st_vendor_id"])


def test_a_vendor_created_from_review_keeps_its_number_in_servicetitan(world: World) -> None:
    world.cycle()
    queue = ReviewQueue(PAIR, world.store, world.clock)
    item, st_id = _vendor_item(queue)
    settings = replace(world.settings, application_guid=GUID, write_vendor_number_to_st=True)
    created, _, said = create_vendor_for(
        queue, world.sage, item.id or 0, by="maria", st=StSide(settings, world.source)
    )
    back = world.source.vendor(st_id, external_data_application_guid=GUID)
    assert back.external_value("sage100VendorNo") == created.vendor_no
    assert "kept in ServiceTitan vendor" in said
    with world.store.transaction() as tx:
        saved = [e for e in tx.iter_audit(pair=PAIR) if e.action == "vendor_number_saved"]
    assert [(e.actor, e.details["st_vendor_id"]) for e in saved] == [("maria", st_id)]


def test_with_the_setting_off_nothing_is_written_to_servicetitan(world: World) -> None:
    world.cycle()
    queue = ReviewQueue(PAIR, world.store, world.clock)
    item, st_id = _vendor_item(queue)
    settings = replace(world.settings, application_guid=GUID, write_vendor_number_to_st=False)
    _, _, said = create_vendor_for(
        queue, world.sage, item.id or 0, by="maria", st=StSide(settings, world.source)
    )
    assert said == ""
    back = world.source.vendor(st_id, external_data_application_guid=GUID)
    assert back.external_value("sage100VendorNo") is None


class _ServiceTitanDown:
    """A ServiceTitan source whose every read fails (one edge case, no network)."""

    def vendor(self, vendor_id: int, **_: object) -> object:
        raise StUnreachableError(f"vendor {vendor_id}: connection refused")


def test_a_link_made_while_servicetitan_is_down_stays_made(world: World) -> None:
    world.cycle()
    queue = ReviewQueue(PAIR, world.store, world.clock)
    item, _ = _vendor_item(queue)
    settings = replace(world.settings, application_guid=GUID, write_vendor_number_to_st=True)
    down = StSide(settings, _ServiceTitanDown())  # type: ignore[arg-type]
    found, resolved, said = link_vendor_for(
        queue, world.sage, item.id or 0, "00-GRAINGE", by="maria", st=down
    )
    assert resolved.status.value == "resolved"
    assert "could not be written to ServiceTitan" in said
    with world.store.transaction() as tx:
        link = tx.get_link_by_st(PAIR, int(item.details["st_vendor_id"]))
        events = [e.action for e in tx.iter_audit(pair=PAIR) if e.actor == "maria"]
    assert link is not None
    assert link.vendor_no == found.vendor_no == "GRAINGE"
    assert "vendor_number_not_saved" in events


def test_a_tax_line_a_person_placed_stays_on_their_account(world: World) -> None:
    """A tax line with no account (none configured, none in the AP division) goes to review
    with the item line; the one-off account places both, and keeps the tax line for this
    revision even when a tax account is configured meanwhile (as a rule appearing
    meanwhile does not move an item line the person placed)."""
    no_tax = replace(world.settings, fallback_gl_account=None, tax_account=None)
    with sqlite3.connect(world.sage_root / "ABC.sqlite") as conn:
        conn.execute("UPDATE AP_Division SET SalesTaxAcctKey = '' WHERE APDivisionNo = '00'")
    bill = ap_bill(
        BILL, reference="ONCE-1", amount="87.50", tax="7.50",
        lines=[("80.00", {"number": "7777"})],
    )  # fmt: skip
    world.st.upsert("ap-bills", [bill])
    world.cycle(settings=no_tax)
    review_id = _item(world)
    queue = ReviewQueue(PAIR, world.store, world.clock)
    item = queue.get(review_id)
    assert [u.get("line_kind") for u in item.details["unmapped"]] == [None, "tax"]
    assert "tax_account" in item.suggestion
    map_gl_account(queue, world.sage, [review_id], "6900-00-100", by="maria")
    later = replace(no_tax, tax_account="5250-00-100")  # configured after the person acted
    written = [o for o in world.cycle(settings=later).outcomes if o.doc_id == BILL]
    assert [o.outcome for o in written] == [Outcome.WRITTEN]
    with sqlite3.connect(world.sage_root / "ABC.sqlite") as conn:
        rows = conn.execute(
            "SELECT AccountKey, DistributionAmt FROM AP_InvoiceDetail WHERE InvoiceNo = 'ONCE-1'"
        ).fetchall()
    one_off = world.account_key("6900-00-100")
    assert sorted((str(k).strip(), float(a)) for k, a in rows) == [(one_off, 7.5), (one_off, 80.0)]
