"""The demo company: vendors as an office keyed them, a 3-segment chart, a year of history."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ml_connector.sage100.port import AccountFormat, AccountSegment
from ml_connector.sandbox.sage100 import SandboxSetupError, init_root, seed
from ml_connector.sandbox.sage100.testing import account_key, logged_on, new_invoice


def _conn(root: Path) -> sqlite3.Connection:
    return sqlite3.connect(root / "ABC.sqlite")


def test_vendors_fit_sage_and_include_the_awkward_ones(root: Path) -> None:
    rows = (
        _conn(root).execute("SELECT VendorNo, VendorName, VendorStatus FROM AP_Vendor").fetchall()
    )
    assert 38 <= len(rows) <= 45
    assert all(len(no) <= 7 and no == no.upper() for no, _, _ in rows)
    assert all(len(name) <= 30 for _, name, _ in rows)
    names = {no: name for no, name, _ in rows}
    assert names["FERGUS"] == "Ferguson Enterprises #1187"
    assert names["CED"] == "Consolidated Electrical Distri"  # cut at 30 characters
    assert {no for no, _, status in rows if status == "I"} == {"OLDDOMI", "ABCPLUM"}
    assert names["CHARTER"] == "Charter Comm (Spectrum)"  # ServiceTitan: "Spectrum Business"
    assert "Herc Rentals" not in names.values()  # a ServiceTitan vendor Sage lacks


def test_chart_of_accounts_matches_its_structure(root: Path) -> None:
    conn = _conn(root)
    segments = conn.execute(
        "SELECT SegmentNo, SegmentDesc, SegmentLength, SeparatorChar FROM GL_AccountStructure "
        "ORDER BY 1"
    ).fetchall()
    fmt = AccountFormat(
        tuple(AccountSegment(int(no), int(length), desc) for no, desc, length, _ in segments),
        segments[0][3],
    )
    accounts = conn.execute(
        "SELECT AccountKey, Account, RawAccount, Status FROM GL_Account"
    ).fetchall()
    for key, account, raw, _ in accounts:
        assert fmt.format(raw) == account
        assert key != raw
        assert len(key) == 9
    statuses = {status for *_, status in accounts}
    assert statuses == {"A", "I", "D"}


def test_a_year_of_history_with_open_and_paid_invoices(root: Path) -> None:
    conn = _conn(root)
    days = conn.execute(
        "SELECT MIN(InvoiceDate), MAX(InvoiceDate), COUNT(*) FROM AP_InvoiceHistoryHeader"
    ).fetchone()
    assert days[2] > 400
    assert int(days[1][:4]) - int(days[0][:4]) in (0, 1)
    open_count = conn.execute("SELECT COUNT(*) FROM AP_OpenInvoice").fetchone()[0]
    assert 0 < open_count < days[2]
    unbalanced = conn.execute(
        "SELECT h.InvoiceNo FROM AP_InvoiceHistoryHeader h JOIN AP_InvoiceHistoryDetail d USING "
        "(APDivisionNo, VendorNo, InvoiceNo, HeaderSeqNo) GROUP BY h.APDivisionNo, h.VendorNo, "
        "h.InvoiceNo, h.HeaderSeqNo "
        "HAVING ROUND(SUM(d.DistributionAmt) - MAX(h.InvoiceAmt), 2) <> 0"
    ).fetchall()
    assert unbalanced == []


def test_hand_keyed_invoices_are_where_the_seed_says(root: Path) -> None:
    conn = _conn(root)
    tables = {
        "entry": "AP_InvoiceHeader",
        "open": "AP_OpenInvoice",
        "history": "AP_InvoiceHistoryHeader",
    }
    assert len(seed.hand_keyed()) == 5
    for inv in seed.hand_keyed():
        sql = f"SELECT InvoiceAmt FROM {tables[inv.where]} WHERE VendorNo = ? AND InvoiceNo = ?"  # noqa: S608
        assert conn.execute(sql, (inv.vendor_no, inv.invoice_no)).fetchone() == (float(inv.amount),)


def test_other_account_formats(tmp_path: Path) -> None:
    root = tmp_path / "fmt"
    init_root(root, account_format="99999.999")
    conn = sqlite3.connect(root / "ABC.sqlite")
    assert conn.execute(
        "SELECT SegmentNo, SegmentLength, SeparatorChar FROM GL_AccountStructure ORDER BY 1"
    ).fetchall() == [("01", 5.0, "."), ("02", 3.0, "")]
    accounts = {a for (a,) in conn.execute("SELECT Account FROM GL_Account")}
    assert "50000.001" in accounts
    assert all(len(a) == 9 for a in accounts)
    pvx, ss = logged_on(root)
    assert account_key(pvx, ss, "50000.001")
    assert new_invoice(pvx, ss, "FMT-1", [("50000.001", 3.0)])[1] == 1


def test_bad_account_formats_are_refused(tmp_path: Path) -> None:
    for mask in ("99-99", "9999-9-999", "9999-99.999", "9" * 33):
        with pytest.raises(SandboxSetupError):
            init_root(tmp_path / "bad", account_format=mask)


def test_company_service_object(root: Path) -> None:
    pvx, ss = logged_on(root)
    company = pvx.NewObject("SY_Company_svc", ss)
    assert company.nFind("ABC") == 1
    assert company.nGetValue("CompanyName$", "") == (1, "Buckeye Plumbing & Electric")


def test_aligned_with_the_servicetitan_demo(root: Path) -> None:
    from ml_connector.sandbox.servicetitan import seed as st
    from ml_connector.sandbox.servicetitan.seed_documents import demo_bills_and_pos

    conn = _conn(root)
    sage_vendors = {no for (no,) in conn.execute("SELECT VendorNo FROM AP_Vendor")}
    for vendor in st.demo_vendors():
        if vendor["id"] not in seed.ST_ONLY:
            assert seed.SAGE_VENDORS[vendor["id"]][0] in sage_vendors
    accounts = dict(conn.execute("SELECT Account, Status FROM GL_Account").fetchall())
    for account in st.demo_gl_accounts():
        number = account["number"]
        if [len(p) for p in number.split("-")] == [4, 2, 3]:
            assert accounts[number] == ("A" if account["active"] else "I")
        else:
            assert number not in accounts  # legacy numbers: the GL mapping must catch them
    bills = {
        (rec["vendor"]["id"], rec["referenceNumber"].upper(), rec["billAmount"])
        for kind, rec in demo_bills_and_pos(seed.ST_SEED, seed.ST_SIZE)
        if kind == "ap-bills"
    }
    st_of = {no: st_id for st_id, (no, _) in seed.SAGE_VENDORS.items()}
    for inv in seed.hand_keyed():
        matches = [b for b in bills if b[1] == inv.invoice_no and b[2] == inv.amount]
        assert matches, inv
        same_vendor = any(b[0] == st_of[inv.vendor_no] for b in matches)
        assert same_vendor == (inv.note == "keyed by hand")
