"""A bill for a vendor whose Sage side is inactive goes to review, never into Sage: Sage's
A/P Invoice Data Entry refuses an inactive vendor, and the engine turns that refusal into a
review item (SAGE_REJECTED). The vendor step keeps the link and audits the deactivation."""

from __future__ import annotations

from vendor_world import PAIR, VendorWorld, bill

from ml_connector.store.port import DocKind, LedgerStatus, ReviewKind

WESCO = (613, "Wesco Distribution")


def test_bill_for_an_inactive_sage_vendor_goes_to_review(vworld: VendorWorld) -> None:
    vworld.with_settings(start_at=vworld.clock.now())  # only the bills of this test
    vworld.cycle()
    assert vworld.links()[613].vendor_no == "WESCO"
    vworld.sage_set("00-WESCO", VendorStatus="I")
    vworld.st.upsert("ap-bills", [bill(4_000_001, "WD-77812", "310.40", WESCO)])
    summary = vworld.cycle()
    assert summary.written == 0
    with vworld.store.transaction() as tx:
        entry = tx.get_ledger(PAIR, DocKind.AP_BILL, 4_000_001)
    assert entry is not None
    assert entry.status is LedgerStatus.REVIEW
    [item] = [r for r in vworld.reviews() if r.doc_id == 4_000_001]
    assert item.kind is ReviewKind.SAGE_REJECTED
    assert "inactive" in item.reason.lower()
    assert vworld.audit("vendor_deactivated")
    assert vworld.links()[613].vendor_no == "WESCO"  # the link stays
