"""The Invoice Register update: entry -> AP_OpenInvoice and history, then out of entry."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ml_connector.sandbox.sage100 import init_root, post_register, seed
from ml_connector.sandbox.sage100.database import connect
from ml_connector.sandbox.sage100.testing import logged_on, new_invoice


def _rows(root: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(root / "ABC.sqlite")
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_update_moves_entry_to_open_and_history(root: Path) -> None:
    pvx, ss = logged_on(root)
    _, result = new_invoice(pvx, ss, "REG-1", [("5000-01-100", 70.0), ("5400-00-100", 30.0)])
    assert result == 1
    upd = pvx.NewObject("AP_InvoiceRegister_upd", ss)
    assert upd.nSetPostingDate("20261121") == 1
    assert upd.nProcessReport("PRINT") == 1
    assert upd.nUpdate() == 1
    assert _rows(root, "SELECT COUNT(*) FROM AP_InvoiceHeader") == [(0,)]
    assert _rows(root, "SELECT COUNT(*) FROM AP_InvoiceDetail") == [(0,)]
    assert _rows(
        root,
        "SELECT InvoiceAmt, Balance, PostingDate FROM AP_OpenInvoice WHERE InvoiceNo = 'REG-1'",
    ) == [(100.0, 100.0, "20261121")]
    assert _rows(
        root,
        "SELECT HeaderSeqNo, InvoiceType, InvoiceAmt FROM AP_InvoiceHistoryHeader "
        "WHERE InvoiceNo = 'REG-1'",
    ) == [("000001", "IN", 100.0)]
    assert _rows(
        root,
        "SELECT DetailSeqNo, DistributionAmt FROM AP_InvoiceHistoryDetail "
        "WHERE InvoiceNo = 'REG-1' ORDER BY DetailSeqNo",
    ) == [("000001", 70.0), ("000002", 30.0)]
    # the seed's hand-keyed entry invoices were posted too
    for inv in (i for i in seed.hand_keyed() if i.where == "entry"):
        assert _rows(
            root, "SELECT Balance FROM AP_OpenInvoice WHERE InvoiceNo = ?", inv.invoice_no
        ) == [(float(inv.amount),)]
    inv = pvx.NewObject("AP_Invoice_bus", ss)
    assert inv.nSetKey("00FERGUS REG-1") == 2  # posted: a new entry, flagged as adjustment
    assert inv.nGetValue("Adjustment$", "") == (1, "Y")


def test_an_adjustment_reopens_a_paid_invoice(root: Path) -> None:
    pvx, ss = logged_on(root)
    paid = next(i for i in seed.hand_keyed() if i.where == "history")  # keyed by hand, paid
    assert _rows(root, "SELECT 1 FROM AP_OpenInvoice WHERE InvoiceNo = ?", paid.invoice_no) == []
    _, result = new_invoice(
        pvx, ss, paid.invoice_no, [("5000-01-100", 12.34)], vendor=paid.vendor_no
    )
    assert result == 1
    conn = connect(root / "ABC.sqlite")
    posted = post_register(
        conn, posting_date="20261122", stamp=("20261122", "08.00000"), user_key="0000000001"
    )
    conn.close()
    assert posted == 1 + sum(1 for i in seed.hand_keyed() if i.where == "entry")
    assert _rows(
        root, "SELECT InvoiceAmt, Balance FROM AP_OpenInvoice WHERE InvoiceNo = ?", paid.invoice_no
    ) == [(12.34, 12.34)]
    assert _rows(
        root,
        "SELECT HeaderSeqNo, InvoiceType FROM AP_InvoiceHistoryHeader WHERE InvoiceNo = ? "
        "ORDER BY HeaderSeqNo",
        paid.invoice_no,
    ) == [("000001", "IN"), ("000002", "AD")]


def test_update_by_batch_posts_only_that_batch_and_drops_it(tmp_path: Path) -> None:
    root = tmp_path / "b"
    init_root(root, batches=True, seed="demo")
    pvx, ss = logged_on(root)
    first = pvx.NewObject("AP_Invoice_bus", ss)
    assert first.nSelectNewBatch("", "N", "one")[1] == "00002"  # 00001: keyed by hand
    second = pvx.NewObject("AP_Invoice_bus", ss)
    assert second.nSelectNewBatch("", "N", "two")[1] == "00003"
    for bus, number in ((first, "B2-INV"), (second, "B3-INV")):
        bus.nSetKey(f"00FERGUS {number}")
        bus.nSetValue("InvoiceDate$", "20261120")
        bus.nSetValue("InvoiceAmt", 5.0)
        bus.oLines.nAddLine()
        bus.oLines.nSetValue("DistributionAmt", 5.0)  # the vendor's default account
        bus.oLines.nWrite()
        assert bus.nWrite() == 1, bus.sLastErrorMsg
    upd = pvx.NewObject("AP_InvoiceRegister_upd", ss)
    assert upd.nSelectBatch("3") == 1
    upd.nProcessReport("PRINT")
    assert upd.nUpdate() == 1
    by_hand = {(i.invoice_no, "00001") for i in seed.hand_keyed() if i.where == "entry"}
    assert set(_rows(root, "SELECT InvoiceNo, BatchNo FROM AP_InvoiceHeader")) == {
        ("B2-INV", "00002"),
        *by_hand,
    }
    assert _rows(root, "SELECT BatchNo FROM GL_CompanyActiveBatch ORDER BY 1") == [
        ("00001",),
        ("00002",),
    ]
    assert _rows(
        root, "SELECT BatchNo FROM AP_InvoiceHistoryHeader WHERE InvoiceNo = 'B3-INV'"
    ) == [("00003",)]
