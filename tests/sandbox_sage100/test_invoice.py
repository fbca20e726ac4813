"""AP_Invoice_bus: new vs existing keys, the adjustment trap, balance and field rules."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ml_connector.sandbox.sage100 import ProvideXScript, SySession, add_user, init_root, seed
from ml_connector.sandbox.sage100.testing import account_key, logged_on, new_invoice


def _amount(root: Path, table: str, invoice_no: str) -> float:
    conn = sqlite3.connect(root / "ABC.sqlite")
    sql = f"SELECT SUM(InvoiceAmt) FROM {table} WHERE InvoiceNo = ?"  # noqa: S608  # test's own
    row = conn.execute(sql, (invoice_no,)).fetchone()
    conn.close()
    return float(row[0]) if row[0] is not None else 0.0


def _bus(pvx: ProvideXScript, ss: SySession, invoice_no: str, vendor: str = "FERGUS") -> object:
    inv = pvx.NewObject("AP_Invoice_bus", ss)
    inv.nSetKeyValue("APDivisionNo$", "00")
    inv.nSetKeyValue("VendorNo$", vendor)
    inv.nSetKeyValue("InvoiceNo$", invoice_no)
    return inv


def test_new_key_answers_2_and_writes_header_and_lines(
    root: Path, ap: tuple[ProvideXScript, SySession]
) -> None:
    pvx, ss = ap
    inv, result = new_invoice(pvx, ss, "ST-1001", [("5000-01-100", 60.0), ("5400-00-100", 40.25)])
    assert result == 1, inv.sLastErrorMsg
    conn = sqlite3.connect(root / "ABC.sqlite")
    header = conn.execute(
        "SELECT InvoiceAmt, InvoiceDate, InvoiceDueDate, TermsCode, Adjustment "
        "FROM AP_InvoiceHeader WHERE InvoiceNo = 'ST-1001'"
    ).fetchone()
    lines = conn.execute(
        "SELECT LineKey, DistributionAmt FROM AP_InvoiceDetail WHERE InvoiceNo = 'ST-1001' "
        "ORDER BY LineKey"
    ).fetchall()
    assert header == (100.25, "20261120", "20261220", "01", "N")  # Net 30 from the vendor
    assert lines == [("000001", 60.0), ("000002", 40.25)]


def test_the_trap_an_existing_entry_key_loads_and_adds_to_the_amount(
    root: Path, ap: tuple[ProvideXScript, SySession]
) -> None:
    pvx, ss = ap
    _, first = new_invoice(pvx, ss, "ST-2002", [("5000-01-100", 100.0)])
    assert first == 1
    inv = _bus(pvx, ss, "st-2002", vendor="fergus")  # upper-cased: the same key
    assert inv.nSetKey() == 1  # existing: loaded for edit, not refused
    assert inv.nGetValue("InvoiceAmt", 0.0) == (1, 100.0)
    # A naive writer sends the same invoice again: it becomes an adjustment that adds.
    assert inv.nSetValue("InvoiceAmt", 100.0) == 1
    assert inv.nGetValue("InvoiceAmt", 0.0) == (1, 200.0)
    inv.oLines.nAddLine()
    inv.oLines.nSetValue("AccountKey$", account_key(pvx, ss, "5000-01-100"))
    inv.oLines.nSetValue("DistributionAmt", 100.0)
    inv.oLines.nWrite()
    assert inv.nWrite() == 1  # writing a duplicate never fails
    assert _amount(root, "AP_InvoiceHeader", "ST-2002") == 200.0


def test_a_posted_key_answers_2_with_the_adjustment_flag_and_the_register_adds(
    root: Path, ap: tuple[ProvideXScript, SySession]
) -> None:
    pvx, ss = ap
    # keyed by hand, posted and open (see seed.hand_keyed())
    posted = next(i for i in seed.hand_keyed() if i.where == "open" and i.note == "keyed by hand")
    before_open = _amount(root, "AP_OpenInvoice", posted.invoice_no)
    assert before_open == float(posted.amount)
    inv = _bus(pvx, ss, posted.invoice_no, vendor=posted.vendor_no)
    assert inv.nSetKey() == 2
    assert inv.nGetValue("Adjustment$", "") == (1, "Y")
    assert inv.nGetValue("InvoiceDate$", "") == (1, posted.invoice_date)  # from the posted one
    inv.nSetValue("InvoiceAmt", 50.0)
    inv.oLines.nAddLine()
    inv.oLines.nSetValue("AccountKey$", account_key(pvx, ss, "5000-01-100"))
    inv.oLines.nSetValue("DistributionAmt", 50.0)
    inv.oLines.nWrite()
    assert inv.nWrite() == 1
    upd = pvx.NewObject("AP_InvoiceRegister_upd", ss)
    assert upd.nProcessReport("PRINT") == 1
    assert upd.nUpdate() == 1, upd.sLastErrorMsg
    assert _amount(root, "AP_OpenInvoice", posted.invoice_no) == before_open + 50.0
    conn = sqlite3.connect(root / "ABC.sqlite")
    seqs = conn.execute(
        "SELECT HeaderSeqNo, InvoiceType, InvoiceAmt FROM AP_InvoiceHistoryHeader "
        "WHERE InvoiceNo = ? ORDER BY HeaderSeqNo",
        (posted.invoice_no,),
    ).fetchall()
    assert seqs == [("000001", "IN", before_open), ("000002", "AD", 50.0)]


def test_unbalanced_invoice_is_refused_with_the_undistributed_balance(
    ap: tuple[ProvideXScript, SySession],
) -> None:
    pvx, ss = ap
    inv, result = new_invoice(pvx, ss, "ST-3003", [("5000-01-100", 60.0)], amount=100.0)
    assert result == 0
    assert inv.sLastErrorMsg == (
        "The invoice is out of balance. The undistributed balance is 40.00; it must be 0.00."
    )


def test_inactive_and_unknown_accounts_are_refused(ap: tuple[ProvideXScript, SySession]) -> None:
    pvx, ss = ap
    inv = _bus(pvx, ss, "ST-4004")
    assert inv.nSetKey() == 2
    inv.oLines.nAddLine()
    assert inv.oLines.nSetValue("AccountKey$", account_key(pvx, ss, "5150-02-100")) == 0
    assert inv.oLines.sLastErrorMsg == "Account 5150-02-100 is inactive."
    assert inv.oLines.nSetValue("AccountKey$", account_key(pvx, ss, "5900-00-100")) == 0
    assert inv.oLines.sLastErrorMsg == "Account 5900-00-100 is deleted."
    assert inv.oLines.nSetValue("AccountKey$", "500001100") == 0  # the raw account is not a key
    assert inv.oLines.sLastErrorMsg == "AccountKey 500001100 is not on file."
    assert inv.oLines.nSetValue("AccountKey$", "5000-01-100") == 0  # nor the formatted one


def test_unknown_and_inactive_vendors_are_refused(ap: tuple[ProvideXScript, SySession]) -> None:
    pvx, ss = ap
    inv, result = new_invoice(pvx, ss, "ST-5005", [("5000-01-100", 10.0)], vendor="NOSUCH")
    assert result == 0
    assert inv.sLastErrorMsg == "Vendor 00-NOSUCH is not on file."
    inv, result = new_invoice(pvx, ss, "ST-5006", [("5000-01-100", 10.0)], vendor="OLDDOMI")
    assert result == 0
    assert inv.sLastErrorMsg == "Vendor 00-OLDDOMI is inactive."


def test_field_lengths_upper_case_flags_and_dates(ap: tuple[ProvideXScript, SySession]) -> None:
    pvx, ss = ap
    inv = pvx.NewObject("AP_Invoice_bus", ss)
    assert inv.nSetKeyValue("VendorNo$", "TOOLONGVENDOR") == 0
    assert inv.sLastErrorMsg == "VendorNo$ is too long: 13 characters, the maximum is 7."
    assert inv.nSetKeyValue("InvoiceNo$", "12345678901") == 0
    assert inv.nSetKeyValue("APDivisionNo$", "0") == 1  # zero-filled to "00"
    assert inv.nSetKeyValue("VendorNo$", "fergus") == 1
    assert inv.nSetKeyValue("InvoiceNo$", "abc-1") == 1
    assert inv.nSetKey() == 2
    assert inv.nGetValue("VendorNo$", "") == (1, "FERGUS")
    assert inv.nGetValue("InvoiceNo$", "") == (1, "ABC-1")
    assert inv.nSetValue("Comment$", "x" * 41) == 0
    assert inv.nSetValue("Comment$", "x" * 40) == 1
    assert inv.nSetValue("HoldPayment$", "X") == 0
    assert inv.sLastErrorMsg == "Invalid value 'X' for HoldPayment$. Valid values are Y and N."
    assert inv.nSetValue("HoldPayment$", "y") == 1
    assert inv.nGetValue("HoldPayment$", "") == (1, "Y")
    assert inv.nSetValue("InvoiceDate$", "11/20/2026") == 0
    assert inv.nSetValue("InvoiceDate$", "20261131") == 0
    assert inv.nSetValue("InvoiceDate$", "20261130") == 1
    assert inv.nSetValue("JobNo$", "12345678") == 0
    assert inv.nSetValue("TermsCode$", "99") == 0
    assert inv.nSetValue("InvoiceAmt", "12.50") == 0  # a string for a number: pass a double
    assert inv.nSetValue("InvoiceAmt", 12.345) == 1
    assert inv.nGetValue("InvoiceAmt", 0.0) == (1, 12.35)  # two decimals, half up
    assert inv.nSetValue("InvoiceAmt$", "1") == 0  # no such column: numbers have no $
    assert inv.nSetValue("VendorNo$", "OTHER") == 0  # key columns only through nSetKeyValue
    assert inv.nSetValue("Adjustment$", "Y") == 0  # read-only


def test_missing_invoice_date_and_unwritten_lines(ap: tuple[ProvideXScript, SySession]) -> None:
    pvx, ss = ap
    inv = _bus(pvx, ss, "ST-6006")
    inv.nSetKey()
    inv.nSetValue("InvoiceAmt", 10.0)
    inv.oLines.nAddLine()
    inv.oLines.nSetValue("DistributionAmt", 10.0)  # never written with oLines.nWrite()
    assert inv.nWrite() == 0
    assert inv.sLastErrorMsg == "Invoice date is required."
    inv.nSetValue("InvoiceDate$", "20261120")
    assert inv.nWrite() == 0
    assert "undistributed balance is 10.00" in inv.sLastErrorMsg


def test_a_line_takes_the_vendors_default_account(ap: tuple[ProvideXScript, SySession]) -> None:
    pvx, ss = ap
    inv = _bus(pvx, ss, "ST-7007")
    inv.nSetKey()
    inv.oLines.nAddLine()
    assert inv.oLines.nGetValue("AccountKey$", "") == (1, account_key(pvx, ss, "5000-01-100"))


def test_delete_removes_an_entry_invoice(root: Path, ap: tuple[ProvideXScript, SySession]) -> None:
    pvx, ss = ap
    inv, _ = new_invoice(pvx, ss, "ST-8008", [("5000-01-100", 5.0)])
    assert inv.nDelete("00FERGUS ST-8008") == 1
    assert _amount(root, "AP_InvoiceHeader", "ST-8008") == 0.0
    assert inv.nSetKey("00FERGUS ST-8008") == 2


def test_batches_must_be_selected_and_are_held(tmp_path: Path) -> None:
    root = tmp_path / "b"
    init_root(root, batches=True)
    add_user(root, "other", "pw")
    pvx, ss = logged_on(root)
    inv = _bus(pvx, ss, "ST-9009")
    assert inv.nSetKey() == 0
    assert "batch must be selected" in inv.sLastErrorMsg
    assert inv.nSelectBatch("00042") == 0
    assert inv.nSelectNewBatch("", "N", "ServiceTitan") == (1, "00002")  # 00001: keyed by hand
    assert inv.nSelectNewBatch("", "N", "second") == (1, "00003")
    assert inv.nSelectBatch("00002") == 1
    assert inv.nSelectBatch("1") == 1  # zero-filled
    assert inv.nSetKey("00WINSUPPSI-82639") == 1  # keyed by hand, in batch 00001
    inv.nClear()
    pvx2, ss2 = logged_on(root, user="other", password="pw")
    other = pvx2.NewObject("AP_Invoice_bus", ss2)
    assert other.nSelectBatch("00001") == 0
    assert other.sLastErrorMsg == "Batch 00001 is in use by another user."
    _, result = new_invoice(pvx, ss, "ST-9009", [("5000-01-100", 5.0)])
    assert result == 0  # a fresh object has no batch either
    inv.nSetKeyValue("APDivisionNo$", "00")
    inv.nSetKeyValue("VendorNo$", "FERGUS")
    inv.nSetKeyValue("InvoiceNo$", "ST-9009")
    assert inv.nSetKey() == 2
    assert inv.nGetValue("BatchNo$", "") == (1, "00001")
    inv.DropObject()  # frees the batch
    assert other.nSelectBatch("00001") == 1
    upd = pvx.NewObject("AP_InvoiceRegister_upd", ss)
    assert upd.nSelectBatch("00001") == 1
    assert upd.nUpdate() == 0
    assert upd.sLastErrorMsg == "The register must be printed before it can be updated."


@pytest.mark.parametrize("amount", [0.1 + 0.2, 19.99, 1000000.01])
def test_float_amounts_balance_to_the_cent(
    ap: tuple[ProvideXScript, SySession], amount: float
) -> None:
    pvx, ss = ap
    inv, result = new_invoice(pvx, ss, f"F{amount:.2f}"[:10], [("5000-01-100", amount)])
    assert result == 1, inv.sLastErrorMsg
