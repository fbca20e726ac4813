"""A vendor step with nothing new makes one ServiceTitan request (the changed-since read),
although the look-back windows read again what the step handled (and wrote) before; an edit
by anyone else inside those windows is still seen."""

from __future__ import annotations

from typing import Any

from vendor_world import VendorWorld

OWNERS: dict[str, Any] = {"name": "sage", "address": "servicetitan"}


def _requests(vworld: VendorWorld) -> dict[str, int]:
    return {
        path.rsplit("/", 1)[-1]: n
        for path, n in vworld.st.stats().get("requests_per_path", {}).items()
    }


def test_a_step_with_nothing_new_reads_one_list_and_still_sees_edits(
    vworld: VendorWorld,
) -> None:
    vworld.with_settings(
        create_vendors_in_servicetitan=True,
        write_vendor_number_to_st=True,
        vendor_field_owner=OWNERS,
    )
    first = vworld.cycle()  # links, creates on both sides, writes numbers to ServiceTitan
    assert first.vendors_created > 0
    links = vworld.links()
    created_in_sage = next(x for x in links.values() if x.method == "created_in_sage")
    for _ in range(2):  # all of it is still inside both look-back windows
        vworld.st.reset_stats()
        again = vworld.vendor_sync()
        assert again.st_read > 0  # ServiceTitan vendors we patched are read again
        assert again.sage_read > 0  # so are the Sage vendors we created
        assert again.actions == ()
        assert _requests(vworld) == {"vendors": 1}
    # a person renames, in Sage, a vendor we created there (Sage owns the name)
    sage_key = f"{created_in_sage.division_no}-{created_in_sage.vendor_no}"
    vworld.sage_set(sage_key, VendorName="Renamed By Hand")
    summary = vworld.vendor_sync()
    assert [a.fields for a in summary.actions if a.action == "update_st"] == [("name",)]
    assert vworld.st_vendor(created_in_sage.st_vendor_id).name == "Renamed By Hand"
    # a person moves, in ServiceTitan, a vendor we patched (ServiceTitan owns the address)
    vworld.source.patch_vendor(
        created_in_sage.st_vendor_id,
        {
            "address": {
                "street": "9 Elm St",
                "unit": "",
                "city": "Dublin",
                "state": "OH",
                "zip": "43017",
                "country": "USA",
            }
        },
    )
    summary = vworld.vendor_sync()
    assert [a.fields for a in summary.actions if a.action == "update_sage"] == [("address",)]
    assert vworld.sage_vendors()[sage_key]["City"] == "Dublin"
    # and our own writes of those two come back as no change, in one request
    vworld.st.reset_stats()
    assert vworld.vendor_sync().actions == ()
    assert _requests(vworld) == {"vendors": 1}


def test_an_unlinked_vendor_edited_inside_the_window_is_handled_again(
    vworld: VendorWorld,
) -> None:
    vworld.vendor_sync()  # creating in ServiceTitan is off: unlinked Sage vendors stay so
    linked = {f"{x.division_no}-{x.vendor_no}" for x in vworld.links().values()}
    unlinked = sorted(
        key
        for key, row in vworld.sage_vendors().items()
        if key.startswith("00-") and row.get("VendorStatus", "A") != "I" and key not in linked
    )
    assert unlinked
    vworld.st.reset_stats()
    assert vworld.vendor_sync().actions == ()
    assert _requests(vworld) == {"vendors": 1}  # handled before as they are: not again
    vworld.with_settings(create_vendors_in_servicetitan=True)
    vworld.sage_set(unlinked[0], VendorName="Zanzibar Quarry Supply")
    summary = vworld.vendor_sync()
    assert [a.sage_vendor for a in summary.actions if a.action == "create_in_st"] == [unlinked[0]]
