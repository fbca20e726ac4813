"""Exactly once under the sandbox's own fault injection: random record locks and COM errors.

A small engine-like loop retries what the adapter says to retry (RETRY errors, after a
pause that lets the sandbox's abandoned locks expire), and treats "already in Sage" as done.
At the end every invoice is in Sage once, with its own amount: nothing lost, nothing
doubled, no adjustment.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ml_connector.errors import Action, ConnectorError
from ml_connector.sage100.errors import InvoiceExistsError
from ml_connector.sage100.port import (
    AccountKey,
    ApInvoiceKey,
    ApInvoiceLine,
    DivisionNo,
    NewApInvoice,
    SageInvoiceNo,
    SageVendorNo,
)


def test_invoices_land_exactly_once_under_locks_and_com_errors(company: Any) -> None:
    from ml_connector.sandbox.sage100.faults import write_faults

    write_faults(company.root, lock_rate=0.15, com_error_rate=0.01, seed=11)
    sage = company.adapter()
    wanted = {f"F-{n:03d}": Decimal(10 + n) + Decimal("0.35") for n in range(25)}
    outcomes: dict[str, str] = {}
    retries = 0
    unexpected: list[str] = []
    for number, amount in wanted.items():
        inv = NewApInvoice(
            ApInvoiceKey(DivisionNo("00"), SageVendorNo("FERGUS"), SageInvoiceNo(number)),
            date(2026, 1, 5),
            amount,
            (
                ApInvoiceLine(AccountKey("000000002"), Decimal("10.00")),
                ApInvoiceLine(AccountKey("000000006"), amount - Decimal("10.00")),
            ),
        )
        for _attempt in range(60):
            try:
                sage.create_invoice(inv)
                outcomes[number] = "written"
                break
            except InvoiceExistsError:
                outcomes[number] = "already in Sage"  # written before a COM error cut in
                break
            except ConnectorError as exc:
                if exc.action is not Action.RETRY:
                    unexpected.append(exc.describe())
                    break
                retries += 1
                company.clock.advance(120)  # the next cycle; dead sessions' locks expire
    assert unexpected == []
    assert len(outcomes) == len(wanted)
    assert retries > 0  # the faults did fire...
    assert sage.session_serial > 1  # ...COM errors among them, each costing a session
    rows = company.rows(
        "SELECT InvoiceNo, InvoiceAmt, Adjustment FROM AP_InvoiceHeader WHERE VendorNo = 'FERGUS'"
    )
    assert sorted(r["InvoiceNo"] for r in rows) == sorted(wanted)
    for r in rows:
        assert Decimal(str(r["InvoiceAmt"])).quantize(Decimal("0.01")) == wanted[r["InvoiceNo"]]
        assert r["Adjustment"] == "N"
    lines = company.rows(
        "SELECT InvoiceNo, COUNT(*) AS n, SUM(DistributionAmt) AS total FROM AP_InvoiceDetail "
        "WHERE VendorNo = 'FERGUS' GROUP BY InvoiceNo"
    )
    assert all(r["n"] == 2 for r in lines)
    assert {r["InvoiceNo"]: round(r["total"], 2) for r in lines} == {
        k: float(v) for k, v in wanted.items()
    }
