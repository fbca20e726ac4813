"""Vendors both ways on both sandboxes, with a real SQLite state (see `vendor_world`)."""

from __future__ import annotations

from typing import Any

from vendor_world import VendorWorld

from ml_connector.store.port import ReviewKind

OTHER_GUID = "0a0b0c0d-0000-4000-8000-000000000001"
OWNERS: dict[str, Any] = {
    "name": "sage",
    "address": "servicetitan",
    "phone": "servicetitan",
    "email": "servicetitan",
}


def test_preview_writes_nothing(vworld: VendorWorld) -> None:
    sage_before = vworld.sage_table()
    st_before = vworld.st_vendors()
    vworld.with_settings(create_vendors_in_servicetitan=True)
    preview = vworld.vendor_sync(dry_run=True, full=True)
    assert preview.dry_run
    assert preview.linked >= 10
    assert preview.count("create_in_sage") >= 2
    assert preview.count("create_in_st") >= 1
    assert preview.reviews >= 1
    proposed = [a.sage_vendor for a in preview.actions if a.action == "create_in_sage"]
    assert len(proposed) == len(set(proposed))  # numbers proposed in one preview differ
    assert vworld.sage_table() == sage_before
    assert vworld.st_vendors() == st_before
    assert vworld.links() == {}
    assert vworld.reviews() == []
    assert vworld.audit() == []


def test_first_sync_links_creates_and_asks(vworld: VendorWorld) -> None:
    summary = vworld.vendor_sync()
    links = vworld.links()
    # exact names link
    assert (links[606].division_no, links[606].vendor_no) == ("00", "GRAYBAR")
    assert links[606].method == "exact name"
    # no Sage match: created in Sage with a number from the name, its address and contact
    herc = links[616]
    assert herc.method == "created_in_sage"
    row = vworld.sage_vendors()[f"00-{herc.vendor_no}"]
    st = vworld.st_vendor(616)
    assert herc.vendor_no == "HERCREN"
    assert row["VendorName"] == "Herc Rentals"
    assert row["AddressLine1"] == st.address.street
    assert row["City"] == st.address.city
    assert row["TelephoneNo"] == st.contact_info.phone
    # Ferguson has several Sage branches: a person picks
    reviews = {r.subject: r for r in vworld.reviews()}
    ferguson = reviews["st_vendor:601"]
    assert ferguson.kind is ReviewKind.AMBIGUOUS_VENDOR
    assert ferguson.doc_id is None
    found = {c["sage_vendor"] for c in ferguson.details["candidates"]}
    assert {"00-FERGUS"} <= found
    assert all("score" in c for c in ferguson.details["candidates"])
    assert 601 not in links
    # every decision audited
    assert len(vworld.audit("vendor_matched")) == summary.linked
    created = vworld.audit("vendor_created")
    assert len(created) == summary.count("create_in_sage")
    assert any(e.details["sage_vendor"] == "00-HERCREN" for e in created)
    assert len(vworld.audit("vendor_sent_to_review")) == summary.reviews


def test_cycles_neither_recreate_nor_ping_pong(vworld: VendorWorld) -> None:
    vworld.with_settings(
        create_vendors_in_servicetitan=True,
        write_vendor_number_to_st=True,
        vendor_field_owner=OWNERS,
    )
    first = vworld.cycle()
    assert first.vendors_created > 0
    sage_after_first = vworld.sage_table()
    st_after_first = vworld.st_vendors()
    links = vworld.links()
    audit_count = len(vworld.audit())
    for _ in range(3):
        again = vworld.vendor_sync()
        assert again.created == 0
        assert again.linked == 0
        assert [a for a in again.actions if a.action.startswith("update")] == []
        assert again.errors == ()
    assert vworld.sage_table() == sage_after_first
    assert vworld.st_vendors() == st_after_first
    assert vworld.links() == links
    # what the later runs audited: nothing new (no ping-pong, no repeated reviews)
    assert len(vworld.audit()) == audit_count
    # created in ServiceTitan: never created back in Sage, and the other way round
    by_method: dict[str, int] = {}
    for link in links.values():
        by_method[link.method] = by_method.get(link.method, 0) + 1
    assert by_method.get("created_in_st", 0) > 0
    assert by_method.get("created_in_sage", 0) > 0
    names = [v["name"].casefold() for v in vworld.st_vendors().values()]
    assert len(names) == len(set(names))


def test_vendor_made_on_both_sides_between_cycles_links(vworld: VendorWorld) -> None:
    vworld.with_settings(create_vendors_in_servicetitan=True)
    vworld.vendor_sync()
    st_count, sage_count = len(vworld.st_vendors()), len(vworld.sage_vendors())
    st_id = vworld.st_add(name="Acme Backflow Supply")
    vworld.sage_add("ACMEBAC", "Acme Backflow Supply")
    summary = vworld.vendor_sync()
    assert summary.created == 0
    link = vworld.links()[st_id]
    assert (link.vendor_no, link.method) == ("ACMEBAC", "exact name")
    assert len(vworld.st_vendors()) == st_count + 1
    assert len(vworld.sage_vendors()) == sage_count + 1


def test_sage_vendor_created_in_servicetitan_carries_external_data(vworld: VendorWorld) -> None:
    vworld.vendor_sync()
    vworld.with_settings(create_vendors_in_servicetitan=True)
    vworld.sage_add("OHIOPER", "Ohio Permit Expediters", city="Columbus", state="OH")
    summary = vworld.vendor_sync()
    made = [a for a in summary.actions if a.action == "create_in_st"]
    mine = [a for a in made if a.sage_vendor == "00-OHIOPER"]
    assert len(mine) == 1
    assert mine[0].st_vendor_id is not None
    st = vworld.st_vendor(mine[0].st_vendor_id)
    assert st.name == "Ohio Permit Expediters"
    assert st.external_value("sage100VendorNo") == "OHIOPER"
    assert st.address.city == "Columbus"
    link = vworld.links()[st.id]
    assert (link.vendor_no, link.method) == ("OHIOPER", "created_in_st")
    assert vworld.vendor_sync().created == 0  # the next run sees it linked


def test_link_writes_the_sage_number_to_servicetitan(vworld: VendorWorld) -> None:
    vworld.with_settings(write_vendor_number_to_st=True)
    vworld.vendor_sync()
    assert vworld.st_vendor(606).external_value("sage100VendorNo") == "GRAYBAR"
    assert vworld.audit("vendor_number_saved")
    # the number is kept under our application GUID only
    other = vworld.source.vendor(606, external_data_application_guid=OTHER_GUID)
    assert other.external_value("sage100VendorNo") is None


def test_rename_flows_from_the_owner_and_is_audited_elsewhere(vworld: VendorWorld) -> None:
    vworld.with_settings(vendor_field_owner=OWNERS)
    vworld.vendor_sync()
    # Sage owns the name: a rename in Sage reaches ServiceTitan
    vworld.sage_set("00-GRAYBAR", VendorName="Graybar Electric Co")
    summary = vworld.vendor_sync()
    assert [a.fields for a in summary.actions if a.action == "update_st"] == [("name",)]
    assert vworld.st_vendor(606).name == "Graybar Electric Co"
    assert vworld.audit("vendor_field_updated")
    # a rename in ServiceTitan is audited, not copied; the link stays
    vworld.source.patch_vendor(606, {"name": "Graybar (Columbus)"})
    summary = vworld.vendor_sync()
    assert [a.action for a in summary.actions] == ["edit_not_flowed"]
    assert vworld.sage_vendors()["00-GRAYBAR"]["VendorName"] == "Graybar Electric Co"
    assert vworld.links()[606].vendor_no == "GRAYBAR"
    [event] = vworld.audit("vendor_edit_not_flowed")
    assert "Graybar (Columbus)" in event.message
    # ServiceTitan owns the address: a move reaches Sage (the BOI edit of an existing vendor)
    vworld.source.patch_vendor(
        606,
        {
            "address": {
                "street": "400 Dublin Ave",
                "unit": "Suite 2",
                "city": "Dublin",
                "state": "OH",
                "zip": "43017",
                "country": "USA",
            }
        },
    )
    vworld.vendor_sync()
    row = vworld.sage_vendors()["00-GRAYBAR"]
    assert (row["AddressLine1"], row["AddressLine2"], row["City"], row["ZipCode"]) == (
        "400 Dublin Ave",
        "Suite 2",
        "Dublin",
        "43017",
    )
    assert vworld.vendor_sync().actions == ()  # our own writes come back as no change


def test_no_owner_means_nothing_flows(vworld: VendorWorld) -> None:
    vworld.vendor_sync()
    vworld.sage_set("00-GRAYBAR", VendorName="Graybar Electric Co", TelephoneNo="614-555-0100")
    summary = vworld.vendor_sync()
    assert {a.action for a in summary.actions} == {"edit_not_flowed"}
    assert {a.fields for a in summary.actions} == {("name",), ("phone",)}
    assert vworld.st_vendor(606).name == "Graybar Electric Company, Inc."


def test_deactivation_on_either_side_is_audited_and_the_link_stays(vworld: VendorWorld) -> None:
    vworld.vendor_sync()
    vworld.source.patch_vendor(609, {"active": False})
    summary = vworld.vendor_sync()
    [seen] = [a for a in summary.actions if a.action == "deactivated"]
    assert (seen.st_vendor_id, seen.side) == (609, "servicetitan")
    assert vworld.sage_vendors()["00-FASTENA"]["VendorStatus"] == "A"  # nobody owns "active"
    vworld.sage_set("00-WESCO", VendorStatus="I")
    summary = vworld.vendor_sync()
    [seen] = [a for a in summary.actions if a.action == "deactivated"]
    assert (seen.sage_vendor, seen.side) == ("00-WESCO", "sage")
    assert len(vworld.audit("vendor_deactivated")) == 2
    assert {609, 613} <= set(vworld.links())


def test_deactivation_flows_when_a_side_owns_it(vworld: VendorWorld) -> None:
    vworld.with_settings(vendor_field_owner={"active": "servicetitan"})
    vworld.vendor_sync()
    vworld.source.patch_vendor(609, {"active": False})
    vworld.vendor_sync()
    assert vworld.sage_vendors()["00-FASTENA"]["VendorStatus"] == "I"


def test_inactive_vendors_are_neither_linked_nor_created(vworld: VendorWorld) -> None:
    inactive = [i for i, v in vworld.st_vendors().items() if v["active"] is False]
    summary = vworld.vendor_sync()
    touched = {a.st_vendor_id for a in summary.actions}
    assert inactive
    assert not (set(inactive) & touched)


def test_external_data_number_links_a_new_servicetitan_vendor(vworld: VendorWorld) -> None:
    vworld.vendor_sync()
    st_id = vworld.st_add(
        name="Grainger Columbus Branch",
        externalData={
            "applicationGuid": "6f1c2a4e-8b9d-4e3f-a1b2-c3d4e5f60718",
            "externalData": [{"key": "sage100VendorNo", "value": "GRAINGE"}],
        },
    )
    summary = vworld.vendor_sync()
    [linked] = [a for a in summary.actions if a.action == "link"]
    assert (linked.st_vendor_id, linked.sage_vendor, linked.method) == (
        st_id,
        "00-GRAINGE",
        "external data",
    )


def test_sage_vendor_that_may_already_be_in_servicetitan_goes_to_review(
    vworld: VendorWorld,
) -> None:
    vworld.with_settings(create_vendors_in_servicetitan=True)
    vworld.vendor_sync()
    st_count = len(vworld.st_vendors())
    vworld.sage_add("FERGNEW", "Ferguson")
    summary = vworld.vendor_sync()
    assert summary.count("create_in_st") == 0
    assert len(vworld.st_vendors()) == st_count
    [item] = [r for r in vworld.reviews() if r.subject == "sage_vendor:00-FERGNEW"]
    assert item.kind is ReviewKind.AMBIGUOUS_VENDOR
    assert {c["st_vendor_id"] for c in item.details["candidates"]} >= {601, 602}
