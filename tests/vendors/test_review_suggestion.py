"""A vendor review item carries each Sage candidate's status, and what it suggests typing
(`--sage-vendor` / `--vendor`) is never an inactive Sage vendor: Sage refuses new invoices
for one, so following the suggestion would only lead to a bill Sage rejects."""

from __future__ import annotations

from vendor_world import VendorWorld

from ml_connector.store.port import ReviewItem
from ml_connector.sync.review import suggested_vendor


def _item_for(vworld: VendorWorld, st_id: int) -> ReviewItem:
    [item] = [r for r in vworld.reviews() if r.details.get("st_vendor_id") == st_id]
    return item


def test_the_only_match_inactive_suggests_no_vendor_number(vworld: VendorWorld) -> None:
    vworld.vendor_sync()
    vworld.sage_add("ACMEOLD", "Acme Heating Supply")
    vworld.sage_set("00-ACMEOLD", VendorStatus="I")
    st_id = vworld.st_add(name="Acme Heating Supply")
    vworld.vendor_sync()
    item = _item_for(vworld, st_id)
    assert "inactive" in item.reason
    [cand] = item.details["candidates"]
    assert (cand["sage_vendor"], cand["status"]) == ("00-ACMEOLD", "I")
    assert suggested_vendor(item) is None  # the CLI shows DD-VENDORNO
    assert "00-ACMEOLD" not in item.suggestion
    assert "--sage-vendor DD-VENDORNO" in item.suggestion


def test_an_active_candidate_is_suggested_before_a_better_scoring_inactive_one(
    vworld: VendorWorld,
) -> None:
    vworld.vendor_sync()
    vworld.sage_add("ACMEOLD", "Acme Heating Supply Company")
    vworld.sage_set("00-ACMEOLD", VendorStatus="I")
    vworld.sage_add("ACMEHTG", "Acme Heating Supply of Ohio")
    st_id = vworld.st_add(name="Acme Heating Supply Co of Columbus")
    vworld.vendor_sync()
    item = _item_for(vworld, st_id)
    statuses = [(c["sage_vendor"], c["status"]) for c in item.details["candidates"]]
    assert statuses[:2] == [("00-ACMEOLD", "I"), ("00-ACMEHTG", "A")]
    assert suggested_vendor(item) == "00-ACMEHTG"
    assert "00-ACMEOLD" not in item.suggestion
