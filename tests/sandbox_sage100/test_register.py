"""The Invoice Register update: entry -> AP_OpenInvoice and history, then out of entry."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ml_connector.sandbox.sage100 import init_root, post_register
from ml_connector.sandbox.sage100.database import connect
from ml_connector.sandbox.sage100.testing import logged_on, new_invoice


def _rows(root: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(root / "ABC.sqlite")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_update_moves_entry_to_open_and_history(root: Path) -> None:
    pvx, ss = logged_on(root)
    _, result = new_invoice(pvx, ss, "REG-1", [("5000-01-100", 70.0), ("5200-01-100", 30.0)])
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
    # the seed's two hand-keyed entry invoices were posted too
    assert _rows(
        root, "SELECT COUNT(*) FROM AP_OpenInvoice WHERE InvoiceNo IN ('W558812', 'INV-77120')"
    ) == [(2,)]
    inv = pvx.NewObject("AP_Invoice_bus", ss)
    assert inv.nSetKey("00FERGUS REG-1") == 2  # posted: a new entry, flagged as adjustment
    assert inv.nGetValue("Adjustment$", "") == (1, "Y")


def test_an_adjustment_reopens_a_paid_invoice(root: Path) -> None:
    pvx, ss = logged_on(root)
    # 4471-90017 (CED) is in history only: paid
    assert _rows(root, "SELECT COUNT(*) FROM AP_OpenInvoice WHERE InvoiceNo = '4471-90017'") == [
        (0,)
    ]
    _, result = new_invoice(pvx, ss, "4471-90017", [("5000-02-100", 612.40)], vendor="CED")
    assert result == 1
    conn = connect(root / "ABC.sqlite")
    assert (
        post_register(conn, posting_date="20261122", stamp=("20261122", "08.00000"), user_key="1")
        == 3
    )
    conn.close()
    assert _rows(
        root, "SELECT InvoiceAmt, Balance FROM AP_OpenInvoice WHERE InvoiceNo = '4471-90017'"
    ) == [(612.4, 612.4)]
    assert _rows(
        root,
        "SELECT HeaderSeqNo, InvoiceType FROM AP_InvoiceHistoryHeader "
        "WHERE InvoiceNo = '4471-90017' "
        "ORDER BY HeaderSeqNo",
    ) == [("000001", "IN"), ("000002", "AD")]


def test_update_by_batch_posts_only_that_batch_and_drops_it(tmp_path: Path) -> None:
    root = tmp_path / "b"
    init_root(root, batches=True, seed="demo")
    pvx, ss = logged_on(root)
    first = pvx.NewObject("AP_Invoice_bus", ss)
    assert first.nSelectNewBatch("", "N", "one")[1] == "00002"  # 00001: keyed by hand
    second = pvx.NewObject("AP_Invoice_bus", ss)
    assert second.nSelectNewBatch("", "N", "two")[1] == "00003"
    for bus, number in ((first, "B1-INV"), (second, "B3-INV")):
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
    assert _rows(root, "SELECT InvoiceNo, BatchNo FROM AP_InvoiceHeader ORDER BY InvoiceNo") == [
        ("B1-INV", "00002"),
        ("INV-77120", "00001"),
        ("W558812", "00001"),
    ]
    assert _rows(root, "SELECT BatchNo FROM GL_CompanyActiveBatch ORDER BY 1") == [
        ("00001",),
        ("00002",),
    ]
    assert _rows(
        root, "SELECT BatchNo FROM AP_InvoiceHistoryHeader WHERE InvoiceNo = 'B3-INV'"
    ) == [("00003",)]
