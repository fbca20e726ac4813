"""Creating a Sage vendor for a ServiceTitan vendor, and keeping the Sage number on the
ServiceTitan vendor: one operation each, for the engine's vendor step
(`actions.VendorActions`) and a person's "create vendor" / link from the review queue
(`sync.review_actions`, used by the CLI and the web app), so the paths cannot drift.

- `new_vendor_for`: the `NewVendor` for a ServiceTitan vendor's name and record (address,
  phone, e-mail cut to Sage's field lengths).
- `write_number_to_st`: when `write_vendor_number_to_st` is on (with our application
  GUID), PATCH (Merge) the Sage number into the ServiceTitan vendor's externalData under
  `external_data_key`, then read the vendor back to see that it was kept. The caller
  records the outcome (`number_message`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ml_connector.sage100.port import (
    VENDOR_NAME_LEN,
    DivisionNo,
    NewVendor,
    SageVendor,
    SageVendorNo,
)
from ml_connector.servicetitan.port import ServiceTitanSource
from ml_connector.servicetitan.records import Vendor
from ml_connector.sync.settings import SyncSettings
from ml_connector.sync.vendors.fields import st_values


def new_vendor_for(name: str, division: str, number: str, st: Vendor | None) -> NewVendor:
    """The Sage vendor to create for ServiceTitan vendor `name` (`st`: its record, when read)."""
    values = st_values(st) if st is not None else None
    return NewVendor(
        division_no=DivisionNo(division),
        vendor_no=SageVendorNo(number),
        name=name.strip()[:VENDOR_NAME_LEN],
        address_line1=values.address[0][:30] if values else "",
        address_line2=values.address[1][:30] if values else "",
        city=values.address[2][:20] if values else "",
        state=values.address[3][:2] if values else "",
        zip_code=values.address[4][:10] if values else "",
        telephone_no=values.phone[:17] if values else "",
        email_address=values.email if values else "",
    )


def st_number(sage: SageVendor, division: str) -> str:
    """The Sage number as kept in ServiceTitan: the vendor number in the pair's own AP
    division, division-vendor otherwise."""
    if sage.division_no == division:
        return str(sage.vendor_no)
    return f"{sage.division_no}-{sage.vendor_no}"


@dataclass(frozen=True, slots=True)
class NumberWrite:
    st_vendor_id: int
    wanted: str  # the number written
    kept: bool  # read back as written
    after: Vendor  # the ServiceTitan vendor as read back


def write_number_to_st(
    source: ServiceTitanSource, settings: SyncSettings, st: Vendor, sage: SageVendor
) -> NumberWrite | None:
    """Write the Sage number into `st`'s externalData and read it back; None when there is
    nothing to write (the setting is off, no application GUID, or it is there already)."""
    guid = settings.application_guid
    if not settings.write_vendor_number_to_st or not guid:
        return None
    key = settings.external_data_key
    wanted = st_number(sage, settings.division)
    if st.external_value(key) == wanted:
        return None
    source.patch_vendor(
        st.id,
        {
            "externalData": {
                "applicationGuid": guid,
                "patchMode": "Merge",
                "externalData": [{"key": key, "value": wanted}],
            }
        },
    )
    after = source.vendor(st.id, external_data_application_guid=guid)
    return NumberWrite(st.id, wanted, after.external_value(key) == wanted, after)


def number_message(result: NumberWrite) -> tuple[str, str]:
    """(audit action, message) for the outcome of `write_number_to_st`."""
    if result.kept:
        return (
            "vendor_number_saved",
            f"Sage number {result.wanted} kept in ServiceTitan vendor "
            f"{result.st_vendor_id}'s externalData",
        )
    return (
        "vendor_number_not_saved",
        f"ServiceTitan vendor {result.st_vendor_id} did not keep the Sage number "
        f"{result.wanted} (re-read after PATCH)",
    )
