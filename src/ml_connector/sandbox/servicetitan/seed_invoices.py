"""The demo tenant's customer invoices (one per job), and the whole seed in load order.

Invoice `k` belongs to job `k`; `modifiedOn` grows with `k`, so the export feed reads them in
modification order. Money fields are decimal strings; total = subTotal + salesTax (tax on
materials and equipment only).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

from ml_connector.sandbox.servicetitan.seed import (
    BUSINESS_UNITS,
    SEED_START,
    demo_budget_codes,
    demo_business_units,
    demo_categories,
    demo_gl_accounts,
    demo_job_types,
    demo_vendors,
    gl_ref,
)
from ml_connector.sandbox.servicetitan.seed import (
    REFERENCE as REFERENCE_DATA,
)
from ml_connector.sandbox.servicetitan.seed_documents import (
    CENT,
    SKUS,
    TAX_RATE,
    demo_bills_and_pos,
)
from ml_connector.sandbox.servicetitan.seed_jobs import (
    INVOICE_ID_BASE,
    SPAN,
    demo_jobs,
    job_count,
    job_record,
)
from ml_connector.sandbox.servicetitan.store import format_date, format_instant

SERVICES: tuple[tuple[int, str, str, str], ...] = tuple(
    (r[0], r[1], r[2], r[3]) for r in REFERENCE_DATA["services"]
)


def _money(value: Decimal) -> str:
    return f"{value.quantize(CENT):.2f}"


def demo_invoices(seed: str, size: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(f"{seed}:invoices:{size}")  # noqa: S311 - demo data, not secrets
    count = job_count(size)
    for k in range(count):
        job = job_record(k)
        unit_id = job["businessUnitId"]
        code = next(b[2] for b in BUSINESS_UNITS if b[0] == unit_id)
        unit_name = next(b[1] for b in BUSINESS_UNITS if b[0] == unit_id)
        trade = "E" if unit_id in (104, 105, 106) else "P"
        created = SEED_START + SPAN * k / count + timedelta(hours=6)
        stamp = format_instant(created)
        items: list[dict[str, Any]] = []
        subtotal = Decimal(0)
        taxable = Decimal(0)
        service = rng.choice([s for s in SERVICES if s[3] == trade])
        lines: list[tuple[int, str, str, str, Decimal]] = [
            (service[0], service[1], "Service", service[2], Decimal(1))
        ]
        for _ in range(rng.randint(0, 3)):
            sku = rng.choice([s for s in SKUS if s[5] == trade])
            marked_up = (Decimal(sku[4]) * Decimal("1.6")).quantize(CENT)
            lines.append((sku[0], sku[2], sku[3], str(marked_up), Decimal(rng.randint(1, 4))))
        for n, (sku_id, name, kind, price, qty) in enumerate(lines, 1):
            line_total = (Decimal(price) * qty).quantize(CENT)
            subtotal += line_total
            if kind != "Service":
                taxable += line_total
            items.append(
                {
                    "id": (INVOICE_ID_BASE + k) * 10 + n,
                    "description": f"<p>{name}</p>",
                    "quantity": _money(qty),
                    "cost": _money(Decimal(price) / Decimal("1.6")),
                    "totalCost": _money(Decimal(price) / Decimal("1.6") * qty),
                    "budgetCodeId": None,
                    "inventoryLocationId": None,
                    "inventoryLocation": None,
                    "price": price,
                    "type": kind,
                    "skuName": name,
                    "skuId": sku_id,
                    "total": _money(line_total),
                    "inventory": kind != "Service",
                    "taxable": kind != "Service",
                    "isChargeable": True,
                    "generalLedgerAccount": gl_ref(f"4000-{code}-100"),
                    "costOfSaleAccount": gl_ref(f"5000-{code}-100") if kind != "Service" else None,
                    "assetAccount": None,
                    "membershipTypeId": 0,
                    "itemGroup": None,
                    "displayName": name,
                    "soldHours": None,
                    "createdOn": stamp,
                    "modifiedOn": stamp,
                    "serviceDate": format_date(created),
                    "order": n,
                    "businessUnit": {"id": unit_id, "name": unit_name},
                    "createdById": 11,
                    "displayInAmount": True,
                    "importId": None,
                    "exportId": None,
                    "inventoryStatus": None,
                    "addOn": False,
                    "memberPrice": price,
                    "technicianId": 20 + k % 12,
                    "installedEquipmentId": None,
                    "estimateItemId": None,
                }
            )
        tax = (taxable * TAX_RATE).quantize(CENT)
        total = subtotal + tax
        sync = rng.choices(["Posted", "Pending", "Exported"], [70, 20, 10])[0]
        paid = rng.random() < 0.6
        yield {
            "summary": f"<p>{unit_name} job {job['jobNumber']}</p>",
            "items": items,
            "customFields": [],
            "active": k % 61 != 17,
            "discountTotal": "0.00",
            "importId": None,
            "exportId": None,
            "materialSkuId": None,
            "membershipId": None,
            "paidOn": format_instant(created + timedelta(days=3)) if paid else None,
            "invoiceConfiguration": "JobInvoice",
            "id": INVOICE_ID_BASE + k,
            "syncStatus": sync,
            "budgetCodeId": None,
            "referenceNumber": job["jobNumber"],
            "invoiceDate": format_date(created),
            "dueDate": format_date(created + SPAN / 6),
            "subTotal": _money(subtotal),
            "salesTax": _money(tax),
            "salesTaxCode": {"id": 31, "name": "Franklin County OH", "taxRate": 0.075},
            "taxZoneId": 31,
            "total": _money(total),
            "balance": "0.00" if paid else _money(total),
            "invoiceType": {"id": 1, "name": "Standard"},
            "customer": {"id": job["customerId"], "name": f"Customer {job['customerId']}"},
            "customerAddress": {
                "street": f"{100 + k % 900} High St",
                "unit": "",
                "city": "Columbus",
                "state": "OH",
                "zip": "43215",
                "country": "USA",
            },
            "location": {"id": job["locationId"], "name": f"Location {job['locationId']}"},
            "locationAddress": {
                "street": f"{100 + k % 900} High St",
                "unit": "",
                "city": "Columbus",
                "state": "OH",
                "zip": "43215",
                "country": "USA",
            },
            "businessUnit": {"id": unit_id, "name": unit_name},
            "termName": "Due Upon Receipt",
            "createdBy": "dispatch",
            "batch": {
                "id": 700 + k // 25,
                "number": str(700 + k // 25),
                "name": f"Sales {created:%Y-%m-%d}",
            },
            "depositedOn": None,
            "createdOn": stamp,
            "modifiedOn": format_instant(created + timedelta(hours=2)),
            "adjustmentToId": None,
            "job": {"id": job["id"], "number": job["jobNumber"], "type": str(job["jobTypeId"])},
            "projectId": None,
            "royalty": None,
            "employeeInfo": None,
            "commissionEligibilityDate": None,
            "sentStatus": "Sent",
            "reviewStatus": "Reviewed",
            "assignedTo": None,
        }


def demo_seed(seed: str, size: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every seed record as `(resource, body)`, reference data first, in load order."""
    for resource, records in (
        ("business-units", demo_business_units()),
        ("job-types", demo_job_types()),
        ("budget-codes", demo_budget_codes()),
        ("categories", demo_categories()),
        ("gl-accounts", demo_gl_accounts()),
        ("vendors", demo_vendors()),
    ):
        for record in records:
            yield resource, record
    for job in demo_jobs(size):
        yield "jobs", job
    yield from demo_bills_and_pos(seed, size)
    for invoice in demo_invoices(seed, size):
        yield "invoices", invoice
