"""AP_Vendor_bus / AP_Vendor_svc: create, edit, keys, browsing and raw records."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ml_connector.sandbox.sage100 import COM_SEP
from ml_connector.sandbox.sage100.testing import logged_on


def _vendor_bus(root: Path) -> tuple[object, object, object]:
    pvx, ss = logged_on(root, program="AP_Vendor_ui")
    return pvx, ss, pvx.NewObject("AP_Vendor_bus", ss)


def test_create_a_vendor_with_defaults_and_stamps(root: Path) -> None:
    _, _, bus = _vendor_bus(root)
    assert bus.nSetKeyValue("APDivisionNo$", "00") == 1
    assert bus.nSetKeyValue("VendorNo$", "pacesup") == 1
    assert bus.nSetKey() == 2
    assert bus.nGetValue("TermsCode$", "") == (1, "01")  # A/P Options default
    assert bus.nGetValue("VendorStatus$", "") == (1, "A")
    assert bus.nWrite() == 0
    assert bus.sLastErrorMsg == "VendorName is required."
    assert bus.nSetValue("VendorName$", "Pace Supply Corp") == 1
    assert bus.nSetValue("VendorName$", "P" * 31) == 0
    assert bus.nSetValue("State$", "az") == 1
    assert bus.nSetValue("TermsCode$", "7") == 0  # zero-filled to 07, which is not on file
    assert bus.sLastErrorMsg == "Terms code 07 is not on file."
    assert bus.nSetValue("VendorStatus$", "X") == 0
    assert bus.nWrite() == 1
    conn = sqlite3.connect(root / "ABC.sqlite")
    row = conn.execute(
        "SELECT VendorNo, VendorName, State, DateCreated, DateUpdated, TimeCreated, UserCreatedKey "
        "FROM AP_Vendor WHERE VendorNo = 'PACESUP'"
    ).fetchone()
    assert row[:3] == ("PACESUP", "Pace Supply Corp", "AZ")
    assert len(row[3]) == 8
    assert row[3] == row[4]
    assert len(row[5]) == 8
    assert row[5][2] == "."
    assert row[6] == "0000000001"


def test_existing_vendor_answers_1_and_keeps_created_stamp(root: Path) -> None:
    _, _, bus = _vendor_bus(root)
    conn = sqlite3.connect(root / "ABC.sqlite")
    conn.execute("UPDATE AP_Vendor SET DateCreated = '20200101' WHERE VendorNo = 'FERGUS'")
    conn.commit()
    assert bus.nSetKey("00FERGUS") == 1
    assert bus.nGetValue("VendorName$", "") == (1, "Ferguson Enterprises #1187")
    bus.nSetValue("TelephoneNo$", "602-555-0100")
    assert bus.nWrite() == 1
    row = conn.execute(
        "SELECT DateCreated, DateUpdated, TelephoneNo FROM AP_Vendor WHERE VendorNo = 'FERGUS'"
    ).fetchone()
    assert row[0] == "20200101"
    assert row[1] != "20200101"
    assert row[2] == "602-555-0100"


def test_vendor_numbers_are_unique_per_division_and_checked(root: Path) -> None:
    _, _, bus = _vendor_bus(root)
    assert bus.nSetKey("00fergus") == 1  # upper-cased: the existing vendor
    assert bus.nClear() == 1
    assert bus.nSetKey("01FERGUS") == 0
    assert bus.sLastErrorMsg == "Division 01 is not on file."
    assert bus.nSetKey("00FER GUS") == 0  # no spaces inside a vendor number
    bus.nSetKeyValue("APDivisionNo$", "00")
    assert bus.nFind("FERGUS") == 1  # division set first, the argument is the vendor number
    assert bus.nSetKeyValue("VendorName$", "x") == 0  # not a key column


def test_service_object_is_read_only_and_browses_in_key_order(root: Path) -> None:
    pvx, ss = logged_on(root, program="AP_Vendor_ui")
    svc = pvx.NewObject("AP_Vendor_svc", ss)
    assert not hasattr(svc, "nWrite")  # COM: unknown name
    assert svc.nSetBrowseFilter("00F") == 1
    seen = []
    assert svc.nMoveFirst() == 1
    while not svc.nEOF():
        seen.append(svc.nGetValue("VendorNo$", "")[1])
        svc.nMoveNext()
    assert seen == ["FASTENA", "FERGUS", "FERGWAT", "FRANKCO"]
    assert svc.nFind("00NOSUCH") == 0
    assert svc.nGetValue("VendorName$", "") == (1, "")
    assert svc.nGetValue("VendorName", "")[0] == 0  # strings carry $


def test_columns_and_raw_record(root: Path) -> None:
    pvx, ss = logged_on(root, program="AP_Vendor_ui")
    svc = pvx.NewObject("AP_Vendor_svc", ss)
    assert svc.sGetDataSources() == f"AP_Vendor{COM_SEP}"
    columns = svc.sGetColumns("AP_Vendor").split(COM_SEP)
    assert columns[:3] == ["APDivisionNo$", "VendorNo$", "VendorName$"]
    assert "DateUpdated$" in columns
    assert "TimeUpdated$" in columns
    assert svc.sGetColumns("AP_Division") == ""  # not one of its data sources
    assert svc.sGetKeyColumns() == f"APDivisionNo${COM_SEP}VendorNo${COM_SEP}"
    svc.nFind("00FERGUS")
    ok, record, cols = svc.nGetRecord("", "")
    assert ok == 1
    assert dict(zip(cols.split(COM_SEP), record.split(COM_SEP), strict=True))["VendorName$"] == (
        "Ferguson Enterprises #1187"
    )
    inv = pvx.NewObject("AP_InvoiceHeader_svc", ss)
    assert "InvoiceAmt" in inv.sGetColumns("").split(COM_SEP)


def test_all_digit_vendor_numbers_are_zero_filled_as_sage_does(root: Path) -> None:
    _, _, bus = _vendor_bus(root)
    assert bus.nSetKeyValue("APDivisionNo$", "00") == 1
    assert bus.nSetKeyValue("VendorNo$", "123") == 1
    assert bus.nSetKey() == 2
    assert bus.nSetValue("VendorName$", "Numbered Vendor") == 1
    assert bus.nWrite() == 1
    pvx, ss = logged_on(root, program="AP_Vendor_ui")
    svc = pvx.NewObject("AP_Vendor_svc", ss)
    assert svc.nFind("000000123") == 1
    assert svc.nGetValue("VendorNo$", "") == (1, "0000123")
    assert svc.nGetResultSets("VendorNo$", "VendorNo$", "", "", 'VendorNo$="123"', "", "")[:2] == (
        1,
        "",
    )  # a filter compares as stored: "123" is not "0000123"


def test_a_vendor_with_invoices_cannot_be_deleted(root: Path) -> None:
    _, _, bus = _vendor_bus(root)
    assert bus.nDelete("00FERGUS") == 0
    assert bus.sLastErrorMsg == "Vendor 00-FERGUS has open invoices and cannot be deleted."
    assert bus.nSetKey("00NEWONE") == 2
    bus.nSetValue("VendorName$", "Short Lived")
    assert bus.nWrite() == 1
    assert bus.nDelete("00NEWONE") == 1
    assert bus.nFind("00NEWONE") == 0
