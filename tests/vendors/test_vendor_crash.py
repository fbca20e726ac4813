"""A creation interrupted before its link was stored (the session died right after Sage
wrote the vendor, or ServiceTitan answered and the process stopped) is not created twice:
the cursor of that side did not move, the vendor is read again, and its name links it."""

from __future__ import annotations

from typing import Any

from vendor_world import VendorWorld

from ml_connector.sage100.errors import SageSessionError
from ml_connector.sage100.port import NewVendor, Sage100, SageVendor


class DiesAfterCreatingVendor:
    """A Sage whose `create_vendor` writes the vendor and then fails like a dead session."""

    def __init__(self, inner: Sage100) -> None:
        self._inner = inner
        self.created: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def create_vendor(self, vendor: NewVendor) -> SageVendor:
        created = self._inner.create_vendor(vendor)
        self.created.append(created.vendor_no)
        raise SageSessionError("simulated: the session died right after nWrite")


def test_sage_vendor_created_but_not_linked_is_linked_next_run(vworld: VendorWorld) -> None:
    real = vworld.sage
    dying = DiesAfterCreatingVendor(real)
    vworld.sage = dying  # type: ignore[assignment]  # same surface, see __getattr__
    first = vworld.vendor_sync()
    vworld.sage = real
    assert dying.created  # Sage has them...
    assert first.errors
    orphans = set(dying.created)
    assert not orphans & {link.vendor_no for link in vworld.links().values()}  # ...unlinked
    before = len(vworld.sage_vendors())
    second = vworld.vendor_sync()
    assert second.count("create_in_sage") == 0
    assert len(vworld.sage_vendors()) == before  # nothing created twice
    linked = {link.vendor_no for link in vworld.links().values()}
    assert orphans <= linked


def test_servicetitan_vendor_created_but_not_linked_is_linked_next_run(
    vworld: VendorWorld,
) -> None:
    vworld.with_settings(create_vendors_in_servicetitan=True)
    vworld.vendor_sync()
    vworld.sage_add("OHIOPER", "Ohio Permit Expediters")
    # the POST answered, then the process stopped before the link: as if made by hand with
    # our externalData, and the Sage cursor not moved
    st_id = vworld.st_add(
        name="Ohio Permit Expediters",
        externalData={
            "applicationGuid": "6f1c2a4e-8b9d-4e3f-a1b2-c3d4e5f60718",
            "externalData": [{"key": "sage100VendorNo", "value": "OHIOPER"}],
        },
    )
    count = len(vworld.st_vendors())
    summary = vworld.vendor_sync()
    assert summary.count("create_in_st") == 0
    assert len(vworld.st_vendors()) == count
    assert vworld.links()[st_id].vendor_no == "OHIOPER"
