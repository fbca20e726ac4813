"""Bills a clerk already keyed by hand in another form: sent to review, Sage unchanged.

End to end: the ServiceTitan sandbox over HTTP, the Sage sandbox through the BOI adapter
(its reference index), SQLite state on disk.
"""

from __future__ import annotations

from decimal import Decimal

from engine_bills import ap_bill
from engine_world import PAIR, World

from ml_connector.store.port import ReviewKind, ReviewStatus
from ml_connector.sync.review import ReviewQueue
from ml_connector.sync.summary import Outcome

Rows = dict[str, dict[tuple[str, str], tuple[Decimal, str]]]

BASE_ID = 9_400_000
REFS = ("INV-000123", "PO4411-A", "INV778", "5501-1", "9001", "2024-2")


def _added(before: Rows, after: Rows) -> set[str]:
    """Invoice numbers written to data entry since `before` for this test's bills (the
    demo's own bills are written too): the plain reference or a long one's tail-hash."""
    new = set(after["entry"]) - set(before["entry"])
    return {k[1] for k in new if k[1] in REFS or k[1].startswith("23456-")}


def test_hand_keyed_bills_in_another_form_go_to_review_and_sage_is_unchanged(
    world: World,
) -> None:
    world.hand_key("entry", "FERGUS", "123", "100.00")  # keyed without prefix and zeros
    world.hand_key("open", "WINSUPP", "4411A", "250.00")  # under another vendor
    world.hand_key("history", "FERGUS", "0000778", "300.00")  # same vendor, other amount
    world.hand_key("history", "FERGUS", "5501", "42.50")  # the bill came back as "-1"
    world.hand_key("open", "FERGUS", "2024000123", "880.00")  # a long one, cut to 10
    world.hand_key("open", "WINSUPP", "9001", "60.00")
    world.hand_key("open", "FERGUS", "2024-1", "75.00")  # a monthly bill
    world.st.upsert(
        "ap-bills",
        [
            ap_bill(BASE_ID + 1, reference="INV-000123", amount="100.00"),
            ap_bill(BASE_ID + 2, reference="PO#4411-A", amount="250.00"),
            ap_bill(BASE_ID + 3, reference="Inv 778", amount="310.00"),
            ap_bill(BASE_ID + 4, reference="5501-1", amount="42.50"),
            ap_bill(BASE_ID + 5, reference="INV-2024-000123456", amount="880.00"),
            # not duplicates: another vendor's 9001 with another amount; next month's bill
            ap_bill(BASE_ID + 6, reference="9001", amount="61.00"),
            ap_bill(BASE_ID + 7, reference="2024-2", amount="75.00"),
        ],
    )
    before = world.sage_all()
    summary = world.cycle()
    got = {o.doc_id: o for o in summary.outcomes}
    for n in range(1, 6):
        assert got[BASE_ID + n].outcome is Outcome.SUSPECTED_DUPLICATE, got[BASE_ID + n]
    assert got[BASE_ID + 6].outcome is Outcome.WRITTEN
    assert got[BASE_ID + 7].outcome is Outcome.WRITTEN
    after = world.sage_all()
    for where, rows in before.items():  # nothing adjusted
        assert {k: after[where][k] for k in rows} == rows
    assert _added(before, after) == {"9001", "2024-2"}  # nothing for the duplicates

    queue = ReviewQueue(PAIR, world.store, world.clock)
    items = {r.doc_id: r for r in queue.items() if r.kind is ReviewKind.SUSPECTED_DUPLICATE}
    assert set(items) == {BASE_ID + n for n in range(1, 6)}
    assert "00-FERGUS-123" in items[BASE_ID + 1].reason or "FERGUS" in items[BASE_ID + 1].reason
    assert "same invoice number keyed as 0000778" in items[BASE_ID + 3].reason
    assert "Sage amount 300.00, this bill 310.00" in items[BASE_ID + 3].reason
    assert "looks re-keyed" in items[BASE_ID + 4].reason

    # a second cycle changes nothing; a person's "different invoice" writes exactly that one
    again = world.cycle()
    assert not [o for o in again.outcomes if o.outcome is Outcome.WRITTEN]
    queue.resolve(items[BASE_ID + 4].id or 0, by="maria", note="a second invoice")
    third = {o.doc_id: o for o in world.cycle().outcomes}
    assert third[BASE_ID + 4].outcome is Outcome.WRITTEN
    assert queue.get(items[BASE_ID + 4].id or 0).status is ReviewStatus.RESOLVED
    assert _added(before, world.sage_all()) == {"9001", "2024-2", "5501-1"}
