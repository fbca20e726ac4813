"""AP bills in the API's own JSON shape, for the sandbox's admin upsert."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

FERGUSON = (601, "Ferguson Enterprises LLC")
RENT_GL = {"id": 1, "name": "Rent", "number": "6400-00-100", "type": "Expense"}
MATERIALS_GL = {"id": 2, "name": "Materials", "number": "5000-02-100", "type": "COGS"}


def ap_bill(
    bill_id: int,
    *,
    reference: str,
    amount: str,
    vendor: tuple[int, str] = FERGUSON,
    lines: list[tuple[str, dict[str, Any]]] | None = None,
    tax: str = "0.00",
    freight: str = "0.00",
    status: str = "Unreconciled",
    bill_date: str = "2026-01-10",
    job_number: str | None = "40012",
    do_not_pay: bool = False,
) -> dict[str, Any]:
    """An ApBill with expense lines; `lines` defaults to one line carrying the whole
    amount net of tax and freight."""
    if lines is None:
        net = Decimal(amount) - Decimal(tax) - Decimal(freight)
        lines = [(f"{net:.2f}", RENT_GL)]
    return {
        "id": bill_id,
        "billType": "ApBill",
        "status": status,
        "syncStatus": "Posted",
        "source": "Standalone",
        "referenceNumber": reference,
        "vendorNumber": None,
        "summary": "test bill",
        "billDate": f"{bill_date}T00:00:00Z",
        "dueDate": "2026-02-10T00:00:00Z",
        "billAmount": amount,
        "vendorInvoiceTotal": amount,
        "taxAmount": tax,
        "shippingAmount": freight,
        "doNotPay": do_not_pay,
        "vendor": {"id": vendor[0], "name": vendor[1]},
        "businessUnit": {"id": 107, "name": "Office & Admin"},
        "jobNumber": job_number,
        "items": [],
        "expenseItems": [
            {
                "id": bill_id * 10 + n,
                "amount": value,
                "description": f"line {n}",
                "generalLedgerAccount": gl,
            }
            for n, (value, gl) in enumerate(lines)
        ],
        "customFields": [],
    }
