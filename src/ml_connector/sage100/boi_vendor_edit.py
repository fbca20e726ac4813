"""Edits of an existing vendor through `AP_Vendor_bus` (Vendor Maintenance).

Owns `edit_vendor`, the one BOI write that changes a record which already exists: `nSetKey`
must answer 1 (existing), never 2, so that an edit can never create a vendor by accident.
Only the fields given in `VendorChanges` are set, each cut to Sage's column length (logged),
then `nWrite`; the vendor is read back afterwards. Runs on the BOI thread as one job.
"""

from __future__ import annotations

import structlog

from ml_connector.sage100.boi_calls import (
    ComCallError,
    check,
    classify_failure,
    last_error,
    return_code,
)
from ml_connector.sage100.boi_reads import read_vendors
from ml_connector.sage100.boi_record import clear_record, fit_text, set_value
from ml_connector.sage100.boi_session import BoiSession
from ml_connector.sage100.errors import SageRejectedError, SageVerifyError
from ml_connector.sage100.port import (
    VENDOR_NAME_LEN,
    DivisionNo,
    SageVendor,
    SageVendorNo,
    VendorChanges,
    sage_vendor_no,
)
from ml_connector.sage100.resultsets import KEY_END, all_of, equals

log = structlog.get_logger(__name__)

# (field of VendorChanges, AP_Vendor column, length); email and status columns come from
# the configured column names
_COLUMNS = (
    ("name", "VendorName", VENDOR_NAME_LEN),
    ("address_line1", "AddressLine1", 30),
    ("address_line2", "AddressLine2", 30),
    ("city", "City", 20),
    ("state", "State", 2),
    ("zip_code", "ZipCode", 10),
    ("telephone_no", "TelephoneNo", 17),
)


def check_changes(changes: VendorChanges, record: str) -> None:
    """Refuses what Sage would refuse anyway, before the BOI thread is asked."""
    if changes.name is not None and not changes.name.strip():
        raise SageRejectedError(
            f"{record}: a vendor needs a name", operation="update_vendor", record=record
        )
    if changes.status is not None and changes.status not in ("A", "I"):
        raise SageRejectedError(
            f"{record}: vendor status must be A or I, not {changes.status!r}",
            operation="update_vendor",
            record=record,
        )


def edit_vendor(
    s: BoiSession, division_no: DivisionNo, vendor_no: SageVendorNo, changes: VendorChanges
) -> SageVendor:
    number = sage_vendor_no(vendor_no)
    rec = f"vendor {division_no}-{number}"
    bus = s.obj("AP_Vendor_bus")
    try:
        check(bus.nSetKeyValue("APDivisionNo$", division_no), bus, "nSetKeyValue", record=rec)
        check(bus.nSetKeyValue("VendorNo$", number), bus, "nSetKeyValue", record=rec)
        answer = return_code(bus.nSetKey())
        if answer != 1:
            msg = last_error(bus)
            clear_record(bus)
            if answer == 2:
                raise SageRejectedError(
                    f"{rec} does not exist in Sage; nothing changed",
                    operation="update_vendor",
                    record=rec,
                    hint="Check the vendor link (ml-connector vendors link/unlink).",
                )
            raise classify_failure(msg, operation="nSetKey", record=rec)
        for attr, column, length in _COLUMNS:
            value = getattr(changes, attr)
            if value is not None:
                set_value(bus, f"{column}$", fit_text(value.strip(), length, column, rec), rec)
        columns = s.settings.columns
        if changes.email_address is not None:
            set_value(bus, f"{columns.vendor_email}$", changes.email_address.strip(), rec)
        if changes.status is not None:
            set_value(bus, f"{columns.vendor_status}$", changes.status, rec)
        check(bus.nWrite(), bus, "nWrite", record=rec)
    except ComCallError:
        raise
    except Exception:
        clear_record(bus)
        raise
    found = read_vendors(
        s,
        filter_expr=all_of(equals("APDivisionNo$", division_no), equals("VendorNo$", number)),
        begin=f"{division_no}{number}",
        end=f"{division_no}{number}{KEY_END}",
    )
    mine = [v for v in found if v.vendor_no == number and v.division_no == division_no]
    if not mine:
        raise SageVerifyError(
            f"{rec} was changed but cannot be read back", operation="update_vendor", record=rec
        )
    return mine[0]
