"""The Sage vendor cursor reads with a look-back window: an edit stamped below the cursor
(a workstation clock behind the server's, the DST fall-back hour) is still seen, and
re-reading vendors already handled changes nothing."""

from __future__ import annotations

from datetime import timedelta

from vendor_world import VendorWorld

from ml_connector.sync.settings import split_vendor


def test_an_edit_stamped_below_the_cursor_is_still_seen(vworld: VendorWorld) -> None:
    vworld.with_settings(vendor_field_owner={"name": "sage"})
    vworld.vendor_sync()
    vworld.clock.advance(3600)
    vworld.sage_set("00-CED", City="Columbus")  # moves the Sage cursor to now
    vworld.vendor_sync()
    # A workstation two hours behind stamps a rename below the cursor.
    behind = vworld.clock.now() - timedelta(hours=2)
    with vworld._db() as conn:
        conn.execute(
            "UPDATE AP_Vendor SET VendorName = ?, DateUpdated = ?, TimeUpdated = ? "
            "WHERE VendorNo = 'GRAYBAR'",
            (
                "Graybar Electric Co",
                behind.strftime("%Y%m%d"),
                f"{behind.hour + behind.minute / 60:08.5f}",
            ),
        )
    summary = vworld.vendor_sync()
    assert [a.fields for a in summary.actions if a.action == "update_st"] == [("name",)]
    assert vworld.st_vendor(606).name == "Graybar Electric Co"
    audit = len(vworld.audit())
    again = vworld.vendor_sync()  # the same rows are read again: nothing more happens
    assert [a for a in again.actions if a.action == "update_st"] == []
    assert len(vworld.audit()) == audit


def test_vendor_references_are_normalised_as_sage_stores_numbers() -> None:
    assert split_vendor("123", "00") == ("00", "0000123")
    assert split_vendor("01-42", "00") == ("01", "0000042")
    assert split_vendor(" fergus ", "00") == ("00", "FERGUS")
