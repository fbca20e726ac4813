"""Sage sandbox lookups with 100,000 invoice-history rows: the keys must stay indexed.

Prints the time of the lookups the adapter makes for its duplicate checks (exact key in
history, invoice number under any vendor, vendor changed since a stamp) and of a vendor
write, each averaged over a number of runs.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ml_connector.sandbox.sage100.testing import logged_on, make_root

ROWS = 100_000


def _fill(root: Path) -> None:
    conn = sqlite3.connect(root / "ABC.sqlite")
    vendors = [r[0] for r in conn.execute("SELECT VendorNo FROM AP_Vendor")]
    rows = [
        ("00", vendors[i % len(vendors)], f"B{i:08d}", "000001", "IN", "A/P", "20260101", 12.5 + i)
        for i in range(ROWS)
    ]
    with conn:
        conn.executemany(
            "INSERT INTO AP_InvoiceHistoryHeader (APDivisionNo, VendorNo, InvoiceNo, HeaderSeqNo, "
            "InvoiceType, ModuleCode, InvoiceDate, InvoiceAmt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    conn.close()


def _time(label: str, runs: int, fn: Callable[[], object]) -> None:
    start = time.perf_counter()
    for _ in range(runs):
        fn()
    per = (time.perf_counter() - start) / runs * 1000
    print(f"{label:<60} {per:8.3f} ms")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = make_root(Path(tmp))
        start = time.perf_counter()
        _fill(root)
        print(f"filled {ROWS} history rows in {time.perf_counter() - start:.2f} s")
        pvx, ss = logged_on(root)
        hist = pvx.NewObject("AP_InvoiceHistoryHeader_svc", ss)
        _time(
            "history: exact key (nGetResultSets, key filter)",
            200,
            lambda: hist.nGetResultSets(
                "InvoiceNo$", "HeaderSeqNo$", "", "", 'InvoiceNo$="B00054321"', "", ""
            ),
        )
        _time(
            "history: division+vendor+invoice via begin/end key range",
            200,
            lambda: hist.nGetResultSets(
                "STR(InvoiceAmt)",
                "HeaderSeqNo$",
                "",
                "",
                "",
                "00FERGUS B00000040",
                "00FERGUS B00000040",
            ),
        )
        _time(
            "history: nFind on the full key",
            200,
            lambda: hist.nFind("00FERGUS B00000040000001"),
        )
        _time(
            "history: changed since (DateUpdated filter)",
            20,
            lambda: hist.nGetResultSets(
                "InvoiceNo$", "VendorNo$", "", "", 'DateUpdated$>="20991231"', "", ""
            ),
        )
        inv = pvx.NewObject("AP_Invoice_bus", ss)

        def key_new() -> None:
            inv.nSetKey("00FERGUS NEW-1")
            inv.nClear()

        _time("invoice: nSetKey (checks entry, open and history)", 200, key_new)
        ss.DropObject()


if __name__ == "__main__":
    main()
