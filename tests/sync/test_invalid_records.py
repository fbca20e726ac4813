"""AP bills that do not validate (found by scripts/fuzz_payloads.py: they were only
logged, the cursor passed them, and "1e400" as an amount stopped the whole cycle): each
goes to review naming the bill and the field, the rest of the cycle goes on, a fixed
revision is written, and a written bill's invalid revision keeps its ledger entry."""

from __future__ import annotations

from engine_bills import ap_bill
from engine_world import PAIR, World

from ml_connector.store.port import DocKind, LedgerStatus, ReviewKind
from ml_connector.sync.summary import Outcome

BASE = 9_700_000


def test_invalid_bills_go_to_review_by_name_and_the_rest_is_written(world: World) -> None:
    words = ap_bill(BASE + 1, reference="BAD-WORDS", amount="12.00")
    words["billAmount"] = "twelve dollars"
    absurd = ap_bill(BASE + 2, reference="BAD-HUGE", amount="12.00")
    absurd["billAmount"] = "1e400"  # raised decimal.InvalidOperation and ended the cycle
    dated = ap_bill(BASE + 3, reference="BAD-DATE", amount="12.00", bill_date="9999-12-31")
    good = ap_bill(BASE + 4, reference="GOOD-1", amount="12.00")
    world.st.upsert("ap-bills", [words, absurd, dated, good])
    summary = world.cycle()
    got = {o.doc_id: o for o in summary.outcomes}
    assert got[BASE + 4].outcome is Outcome.WRITTEN
    for bill_id, field in ((BASE + 1, "billAmount"), (BASE + 2, "billAmount")):
        assert got[bill_id].outcome is Outcome.REVIEW
        assert f"AP bill {bill_id}" in got[bill_id].reason
        assert field in got[bill_id].reason
    assert got[BASE + 3].outcome is Outcome.REVIEW
    assert "dated 9999-12-31" in got[BASE + 3].reason
    with world.store.transaction() as tx:
        for bill_id in (BASE + 1, BASE + 2, BASE + 3):
            entry = tx.get_ledger(PAIR, DocKind.AP_BILL, bill_id)
            assert entry is not None
            assert entry.status is LedgerStatus.REVIEW
        items = {
            i.doc_id: i for i in tx.list_reviews(PAIR) if i.kind is ReviewKind.INVALID_DOCUMENT
        }
    assert {BASE + 1, BASE + 2, BASE + 3} <= set(items)
    assert "billAmount" in items[BASE + 1].reason
    # read again (look-back): recognised, not a new review or audit event
    again = world.cycle()
    assert not [o for o in again.outcomes if o.doc_id in (BASE + 1, BASE + 2)]
    # fixed in ServiceTitan: a new revision, written
    world.st.upsert("ap-bills", [ap_bill(BASE + 1, reference="BAD-WORDS", amount="12.00")])
    fixed = {o.doc_id: o for o in world.cycle().outcomes}
    assert fixed[BASE + 1].outcome is Outcome.WRITTEN


def test_an_invalid_revision_of_a_written_bill_keeps_its_ledger_entry(world: World) -> None:
    world.st.upsert("ap-bills", [ap_bill(BASE + 10, reference="W-1", amount="50.00")])
    assert {o.doc_id: o.outcome for o in world.cycle().outcomes}[BASE + 10] is Outcome.WRITTEN
    with world.store.transaction() as tx:
        written = tx.get_ledger(PAIR, DocKind.AP_BILL, BASE + 10)
    broken = ap_bill(BASE + 10, reference="W-1", amount="50.00")
    broken["vendor"] = "Ferguson"  # a string where an object must be
    world.st.upsert("ap-bills", [broken])
    got = {o.doc_id: o for o in world.cycle().outcomes}
    assert got[BASE + 10].outcome is Outcome.REVIEW
    assert f"AP bill {BASE + 10}" in got[BASE + 10].reason
    with world.store.transaction() as tx:
        assert tx.get_ledger(PAIR, DocKind.AP_BILL, BASE + 10) == written
        kinds = [i.kind for i in tx.list_reviews(PAIR) if i.doc_id == BASE + 10]
    assert kinds == [ReviewKind.INVALID_DOCUMENT]
