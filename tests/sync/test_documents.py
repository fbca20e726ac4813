"""Normalising ServiceTitan bills and invoices, balance checks, and fingerprints."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from ml_connector.servicetitan.records import ApBill, Invoice
from ml_connector.store.port import DocKind
from ml_connector.sync.documents.fingerprint import fingerprint
from ml_connector.sync.documents.source import from_ap_bill, from_invoice, problems
from ml_connector.sync.settings import InvoiceRoute, InvoiceVendorSource, route_for


def bill_json(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": 9001,
        "billType": "ApBill",
        "status": "Unreconciled",
        "syncStatus": "Posted",
        "referenceNumber": "INV-77 ",
        "vendorNumber": "FERGUS",
        "billDate": "2026-01-02T00:00:00Z",
        "dueDate": "2026-02-01T00:00:00Z",
        "modifiedOn": "2026-01-03T10:11:12.123Z",
        "billAmount": "118.65",
        "taxAmount": "8.10",
        "shippingAmount": "5.00",
        "doNotPay": True,
        "vendor": {"id": 55, "name": "Ferguson Enterprises"},
        "businessUnit": {"id": 3, "name": "HVAC Service"},
        "jobNumber": "J10045",
        "items": [
            {
                "id": 1,
                "order": 1,
                "name": "Copper pipe",
                "description": "<p>Copper &amp; fittings</p>",
                "quantity": "3",
                "cost": "10.35",
                "generalLedgerAccount": {"id": 1, "number": "5000-00-000"},
            }
        ],
        "expenseItems": [
            {
                "id": 2,
                "amount": "74.50",
                "description": "Truck rental",
                "generalLedgerAccount": {"id": 2, "number": "6100"},
            }
        ],
    }
    body.update(over)
    return body


def parse_bill(body: dict[str, Any]) -> ApBill:
    # through JSON text, as the client reads it: numbers as Decimal, never float
    return ApBill.model_validate(json.loads(json.dumps(body), parse_float=Decimal))


def test_bill_normalises_lines_tax_and_freight() -> None:
    doc = from_ap_bill(parse_bill(bill_json()), stream="ap_bills:ApBill")
    assert doc.kind is DocKind.AP_BILL
    assert doc.reference == "INV-77"
    assert doc.total == Decimal("118.65")
    assert [(line.ref, line.amount) for line in doc.lines] == [
        ("item 1", Decimal("31.05")),  # 3 x 10.35
        ("expense 2", Decimal("74.50")),
        ("tax", Decimal("8.10")),
        ("freight", Decimal("5.00")),
    ]
    assert doc.lines[0].description == "Copper & fittings"
    assert doc.lines[0].st_gl_account == "5000-00-000"
    assert doc.hold_payment is True
    assert doc.document_date == date(2026, 1, 2)
    assert doc.job_number == "J10045"
    assert problems(doc) is None


def test_lines_that_do_not_add_up_are_reported_with_the_numbers() -> None:
    doc = from_ap_bill(parse_bill(bill_json(billAmount="120.00")), stream="s")
    problem = problems(doc)
    assert problem is not None
    assert "add up to 118.65 but the total is 120.00" in problem.reason
    assert problem.details["difference"] == "1.35"


def test_credit_keeps_its_sign() -> None:
    body = bill_json(
        billAmount="-40.00",
        taxAmount="0",
        shippingAmount=None,
        items=[],
        expenseItems=[{"id": 3, "amount": "-40.00", "generalLedgerAccount": {"number": "6100"}}],
    )
    doc = from_ap_bill(parse_bill(body), stream="s")
    assert doc.total == Decimal("-40.00")
    assert [line.amount for line in doc.lines] == [Decimal("-40.00")]
    assert problems(doc) is None


def test_canceled_bill_is_flagged() -> None:
    doc = from_ap_bill(parse_bill(bill_json(status="Canceled")), stream="s")
    assert doc.canceled


def test_fingerprint_ignores_what_we_and_servicetitan_change_on_their_own() -> None:
    base = fingerprint(from_ap_bill(parse_bill(bill_json()), stream="s"))
    same = bill_json(
        syncStatus="Exported",
        status="Reconciled",
        modifiedOn="2026-01-09T00:00:00Z",
        vendor={"id": 55, "name": "Ferguson Ent. (renamed)"},
    )
    assert fingerprint(from_ap_bill(parse_bill(same), stream="s")) == base
    changed = bill_json(billAmount="118.66")
    assert fingerprint(from_ap_bill(parse_bill(changed), stream="s")) != base
    moved = bill_json(
        expenseItems=[
            {**bill_json()["expenseItems"][0], "generalLedgerAccount": {"number": "6200"}}
        ]
    )
    assert fingerprint(from_ap_bill(parse_bill(moved), stream="s")) != base


def test_routed_invoice() -> None:
    invoice = Invoice.model_validate(
        {
            "id": 77,
            "referenceNumber": "SUB-1",
            "invoiceDate": "2026-01-04T00:00:00Z",
            "total": "110.00",
            "salesTax": "10.00",
            "businessUnit": {"id": 9, "name": "Subcontract"},
            "customer": {"id": 1, "name": "Acme Subs"},
            "items": [{"id": 5, "total": "100.00", "generalLedgerAccount": {"number": "5100"}}],
        }
    )
    route = InvoiceRoute(
        name="subs",
        vendor=InvoiceVendorSource("customer_name"),
        business_units=frozenset({"subcontract"}),
    )
    assert route_for((route,), invoice) is route
    doc = from_invoice(invoice, stream="invoices", route=route.name)
    assert doc.kind is DocKind.INVOICE
    assert doc.vendor_name == "Acme Subs"
    assert [line.amount for line in doc.lines] == [Decimal("100.00"), Decimal("10.00")]
    assert problems(doc) is None
    other = invoice.model_copy(update={"business_unit": None})
    assert route_for((route,), other) is None
