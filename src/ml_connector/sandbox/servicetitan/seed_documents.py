"""The demo tenant's documents: jobs, purchase orders, AP bills of both types, invoices.

Generated deterministically from a seed name and a size (the number of AP bills, up to
100,000 for benchmarks), streamed record by record so memory stays flat. Bill `i` is:

- a Procurement bill (from a purchase order, material and equipment lines, usually with tax
  and sometimes freight), or an ApBill (rent, utilities, rentals, subcontractors, fleet,
  services: expense lines; small tools bought without a PO: item lines);
- a credit (negative amounts, reference `CM...`) when `i % 31 == 5`;
- canceled (`status` Canceled) when `i % 89 == 13`;
- DELIBERATELY INCONSISTENT when `i % 97 == 41`: `billAmount` is 10.00 more than its lines,
  tax and freight (the engine must refuse "lines do not add up");
- a duplicate of the bill before it (same vendor, reference number and amount, keyed twice)
  when `i % 250 == 125` (and it is not an inconsistent one).
Bills of eight vendors carry `vendorNumber` (`demo_vendor_numbers()`), the others none.
Both kinds of tagged bills carry a custom field `SandboxNote` that says so, and
`deliberate_anomalies(size)` lists them. Every other bill satisfies
billAmount = sum(quantity x cost) + sum(expense amounts) + taxAmount + shippingAmount.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ml_connector.sandbox.servicetitan.seed import (
    REFERENCE as REFERENCE_DATA,
)
from ml_connector.sandbox.servicetitan.seed import (
    SEED_START,
    VENDORS,
    gl_ref,
)
from ml_connector.sandbox.servicetitan.seed_jobs import (
    SPAN,
    business_unit_code,
    business_unit_ref,
    job_count,
    job_ref,
)
from ml_connector.sandbox.servicetitan.store import format_date, format_instant

BILL_ID_BASE = 3_000_000
PO_ID_BASE = 2_000_000
CENT = Decimal("0.01")
TAX_RATE = Decimal("0.075")

# Rows hold: sku id; code; name; Material or Equipment; unit cost; trade (P or E).
SKUS: tuple[tuple[int, str, str, str, str, str], ...] = tuple(
    (r[0], r[1], r[2], r[3], r[4], r[5]) for r in REFERENCE_DATA["skus"]
)

EXPENSE_GL = {
    "rental": ("5400-00-100", "Equipment rental"),
    "rent": ("6100-07-100", "Monthly rent, shop and office"),
    "service": ("6500-07-100", "Services"),
}
UTILITY_GL = {
    617: "6200-07-100",
    618: "6210-07-100",
    619: "6210-07-100",
    620: "6300-07-100",
    621: "6300-07-100",
}
SUB_GL = {
    625: "5300-03-100",
    626: "5300-02-100",
    627: "5300-05-100",
    628: "5300-02-100",
    629: "5300-03-100",
}
SERVICE_GL = {
    630: "6700-07-100",
    631: "6800-07-100",
    632: "6500-07-100",
    633: "6500-07-100",
    635: "6900-07-100",
}
FLEET_GL = {622: "6400-07-100", 623: "6410-07-100", 624: "6410-07-100"}
LOCATIONS = [{"id": 900 + n, "name": f"Truck {n:02d}", "type": "Truck"} for n in range(1, 13)]
WAREHOUSE = {"id": 900, "name": "Main Warehouse", "type": "Warehouse"}
TERMS_DAYS = {"Net 30": 30, "Net 15": 15, "Net 10": 10, "Due on receipt": 0}


# The vendor's code as the AP clerk keys it on some bills (`vendorNumber`): the Sage 100
# vendor number the books already use for that vendor (see `demo_vendor_numbers`).
VENDOR_NUMBERS = {
    601: "FERGUSO",
    603: "WINSUPP",
    605: "CEDCOLU",
    606: "GRAYBAR",
    614: "SUNBELT",
    617: "AEPOHIO",
    622: "WEXFLEE",
    630: "CINTAS",
}


def demo_vendor_numbers() -> dict[int, str]:
    """ServiceTitan vendor id -> the Sage vendor number some of its bills carry."""
    return dict(VENDOR_NUMBERS)


def _duplicate(i: int) -> bool:
    return i % 250 == 125 and i % 97 != 41 and (i - 1) % 97 != 41


def deliberate_anomalies(size: int) -> dict[int, str]:
    """Bill id -> what is deliberately wrong with it (inconsistent lines, duplicates)."""
    out: dict[int, str] = {}
    for i in range(size):
        if i % 97 == 41:
            out[BILL_ID_BASE + i] = "inconsistent: billAmount is 10.00 more than its lines"
        elif _duplicate(i):
            out[BILL_ID_BASE + i] = f"duplicate of bill {BILL_ID_BASE + i - 1}"
    return out


def _money(value: Decimal) -> str:
    return f"{value.quantize(CENT):.2f}"


def _reference(rng: random.Random, style: str, when: datetime, n: int) -> str:
    if style == "digits10":
        return str(rng.randint(10**9, 10**10 - 1))
    if style == "alpha":
        return f"SI-{rng.randint(10_000, 99_999)}"
    if style == "long":
        return f"INV-{when:%Y}-{n:07d}"
    if style == "account":
        return f"110-{rng.randint(100, 999)}-{rng.randint(1000, 9999)} {when:%b%y}"
    if style == "month":
        return f"RENT-{when:%Y-%m}"
    return str(rng.randint(1_000_000, 9_999_999))


def _item(
    line: int,
    bill_id: int,
    sku: tuple[int, str, str, str, str, str],
    qty: Decimal,
    unit_code: str,
    budget_code: int | None,
    rng: random.Random,
) -> dict[str, Any]:
    sku_id, code, name, sku_type, cost, _trade = sku
    main = "5100" if sku_type == "Equipment" and unit_code in ("02", "05", "06") else "5000"
    return {
        "order": line,
        "name": name,
        "description": f"<p>{name}</p>",
        "quantity": _money(qty),
        "cost": cost,
        "inventoryLocation": rng.choice([*LOCATIONS, WAREHOUSE]),
        "vendorPartNumber": code,
        "serialNumber": f"SN{bill_id}{line}" if sku_type == "Equipment" else None,
        "generalLedgerAccount": gl_ref(f"{main}-{unit_code}-100"),
        "costOfSaleAccount": gl_ref(f"{main}-{unit_code}-100"),
        "assetAccount": gl_ref("1210-00-100"),
        "id": bill_id * 10 + line,
        "skuId": sku_id,
        "receiptItemId": None,
        "skuType": sku_type,
        "skuCode": code,
        "budgetCodeId": budget_code,
    }


def demo_bills_and_pos(seed: str, size: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """`("ap-bills", bill)` and `("purchase-orders", po)` pairs for `size` bills."""
    rng = random.Random(f"{seed}:bills:{size}")  # noqa: S311 - demo data, not secrets
    jobs = job_count(size)
    actives = [v for v in VENDORS if v.active]
    supply = [v for v in actives if v.kind == "supply"]
    other = [v for v in actives if v.kind != "supply"] + supply[:3]
    previous: dict[str, Any] | None = None
    for i in range(size):
        bill_id = BILL_ID_BASE + i
        created = SEED_START + SPAN * i / max(1, size) + timedelta(seconds=rng.randint(0, 3600))
        credit = i % 31 == 5
        # The draws below must not change (the Sage sandbox copies some of these bills):
        # `drawn_po` steers the random draws exactly as before credits became non-PO bills.
        drawn_po = rng.random() < 0.6
        procurement = drawn_po and not credit  # credits are non-PO bills
        vendor = rng.choice(supply if procurement or credit else other)
        if i % 53 == 7:
            vendor = VENDORS[-2]  # a bill of a vendor that is inactive today
        job = job_ref(rng.randrange(jobs))
        unit_id = job["businessUnitId"]
        code = business_unit_code(unit_id)
        trade = "E" if unit_id in (104, 105, 106) else "P"
        budget = 300 + rng.choice((10, 20, 30)) + 1
        items: list[dict[str, Any]] = []
        expenses: list[dict[str, Any]] = []
        if procurement or vendor.kind == "supply":
            skus = [s for s in SKUS if s[5] == trade]
            for line in range(1, rng.randint(1, 5) + 1):
                sku = rng.choice(skus)
                qty = Decimal(1 if sku[3] == "Equipment" else rng.randint(1, 20))
                items.append(
                    _item(
                        line,
                        bill_id,
                        sku,
                        -qty if credit else qty,
                        code,
                        budget if procurement else None,
                        rng,
                    )
                )
            if not procurement and not credit and rng.random() < 0.3:
                for it in items:  # small tools bought over the counter, no PO
                    it["generalLedgerAccount"] = gl_ref(
                        rng.choice(["6600-07-100", "6600-07-100", "60150", "MISC", "5000-1-100"])
                    )
        else:
            number = (
                UTILITY_GL.get(vendor.id)
                or SUB_GL.get(vendor.id)
                or SERVICE_GL.get(vendor.id)
                or FLEET_GL.get(vendor.id)
                or EXPENSE_GL.get(vendor.kind, ("6500-07-100", ""))[0]
            )
            on_job = vendor.kind in ("rental", "sub")
            for line in range(1, (rng.randint(1, 3) if on_job else 1) + 1):
                amount = Decimal(rng.randint(4_000, 250_000)) / 100
                if vendor.kind == "rent":
                    amount = Decimal("6850.00")
                expenses.append(
                    {
                        "id": bill_id * 10 + 5 + line,
                        "amount": _money(amount),
                        "description": f"{vendor.name} {created:%b %Y} line {line}",
                        "generalLedgerAccount": gl_ref("6999-07" if i % 173 == 99 else number),
                        "job": {"id": job["id"], "name": job["jobNumber"]} if on_job else None,
                        "businessUnit": business_unit_ref(unit_id if on_job else 107),
                        "budgetCodeId": budget if on_job else None,
                        "projectLabelIds": [],
                    }
                )
        lines = sum((Decimal(it["quantity"]) * Decimal(it["cost"]) for it in items), Decimal(0))
        lines += sum((Decimal(e["amount"]) for e in expenses), Decimal(0))
        lines = lines.quantize(CENT)
        tax = (lines * TAX_RATE).quantize(CENT) if items and rng.random() < 0.7 else Decimal(0)
        freight = (
            Decimal(rng.choice(["12.50", "25.00", "45.00", "75.00"]))
            if (drawn_po and rng.random() < 0.25)
            else Decimal(0)
        )
        amount = lines + tax + freight
        bill_date = created - timedelta(days=rng.randint(0, 6))
        notes: list[dict[str, str]] = []
        if i % 97 == 41:
            amount += Decimal("10.00")
            notes.append(
                {
                    "name": "SandboxNote",
                    "value": "deliberately inconsistent: billAmount is 10.00 more than its lines",
                }
            )
        sync = rng.choices(["Posted", "Pending", "Exported"], [85, 10, 5])[0]
        canceled = i % 89 == 13
        reference = ("CM" if credit else "") + _reference(rng, vendor.reference_style, bill_date, i)
        po_id = PO_ID_BASE + i if procurement else None
        bill = {
            "id": bill_id,
            "purchaseOrderId": po_id,
            "syncStatus": sync,
            "status": "Canceled" if canceled else ("Reconciled" if procurement else "Unreconciled"),
            "source": "Purchasing"
            if procurement
            else ("Standalone" if drawn_po else rng.choice(["Standalone", "OCR", "API"])),
            "billType": "Procurement" if procurement else "ApBill",
            "postDate": format_date(created) if sync != "Pending" else None,
            "referenceNumber": reference,
            "vendorNumber": VENDOR_NUMBERS.get(vendor.id),
            "summary": f"{vendor.name} {reference}",
            "billDate": format_date(bill_date),
            "earlyDiscountDate": None,
            "billAmount": _money(amount),
            "vendorInvoiceTotal": _money(amount),
            "taxAmount": _money(tax),
            "shippingAmount": _money(freight),
            "createdBy": "ap.clerk",
            "createdOn": format_instant(created),
            "modifiedOn": format_instant(created + timedelta(minutes=rng.randint(1, 1440))),
            "termName": vendor.terms,
            "dueDate": format_date(bill_date + timedelta(days=TERMS_DAYS[vendor.terms])),
            "doNotPay": i % 41 == 3,
            "dateCanceled": format_instant(created + timedelta(days=1)) if canceled else None,
            "canceledBy": {"id": 11, "name": "ap.clerk"} if canceled else None,
            "shipToDescription": "Main Warehouse",
            "batch": {
                "id": 800 + i // 40,
                "number": str(800 + i // 40),
                "name": f"AP batch {bill_date:%Y-%m-%d}",
            }
            if sync != "Pending"
            else None,
            "businessUnit": business_unit_ref(unit_id if (procurement or items) else 107),
            "taxZone": {"id": 31, "name": "Franklin County OH 7.5%"} if tax else None,
            "vendor": {"id": vendor.id, "name": vendor.name},
            "remittanceVendorInfo": None,
            "shipTo": {
                "street": "1450 Kinnear Rd",
                "unit": "",
                "city": "Columbus",
                "state": "OH",
                "zip": "43212",
                "country": "USA",
            },
            "budgetCodeId": budget if procurement else None,
            "items": items,
            "expenseItems": expenses,
            "customFields": notes,
            "jobId": job["id"] if procurement else None,
            "jobNumber": job["jobNumber"] if procurement else None,
        }
        if _duplicate(i) and previous is not None:
            for key in (
                "vendor",
                "referenceNumber",
                "billAmount",
                "vendorInvoiceTotal",
                "taxAmount",
                "shippingAmount",
                "items",
                "expenseItems",
                "billDate",
                "dueDate",
                "billType",
                "purchaseOrderId",
                "termName",
                "summary",
            ):
                bill[key] = previous[key]
            bill["items"] = [dict(it, id=bill_id * 10 + it["order"]) for it in previous["items"]]
            bill["expenseItems"] = [
                dict(e, id=bill_id * 10 + 5 + n) for n, e in enumerate(previous["expenseItems"], 1)
            ]
            bill["purchaseOrderId"] = None
            bill["billType"] = "ApBill"
            bill["customFields"] = [
                {"name": "SandboxNote", "value": f"duplicate of bill {previous['id']}"}
            ]
        if po_id is not None and bill["purchaseOrderId"] is not None:
            yield "purchase-orders", _po(po_id, job, vendor.id, items, tax, freight, created)
        yield "ap-bills", bill
        previous = bill


def _po(
    po_id: int,
    job: dict[str, Any],
    vendor_id: int,
    items: list[dict[str, Any]],
    tax: Decimal,
    freight: Decimal,
    created: datetime,
) -> dict[str, Any]:
    stamp = format_instant(created - timedelta(days=3))
    po_items = [
        {
            "id": po_id * 10 + it["order"],
            "skuId": it["skuId"],
            "description": it["description"],
            "createdOn": stamp,
            "modifiedOn": stamp,
            "skuName": it["name"],
            "skuCode": it["skuCode"],
            "skuType": it["skuType"],
            "vendorPartNumber": it["vendorPartNumber"],
            "quantity": float(it["quantity"]),
            "quantityReceived": float(it["quantity"]),
            "cost": float(it["cost"]),
            "total": float((Decimal(it["quantity"]) * Decimal(it["cost"])).quantize(CENT)),
            "serialNumbers": [],
            "status": "Received",
            "chargeable": True,
            "budgetCodeId": it["budgetCodeId"],
        }
        for it in items
    ]
    subtotal = sum((Decimal(str(p["total"])) for p in po_items), Decimal(0))
    return {
        "id": po_id,
        "number": f"{job['jobNumber']}-{po_id % 1000:03d}",
        "invoiceId": None,
        "jobId": job["id"],
        "projectId": None,
        "status": "Received",
        "typeId": 1,
        "vendorId": vendor_id,
        "technicianId": 20 + po_id % 12,
        "shipTo": {
            "street": "1450 Kinnear Rd",
            "unit": "",
            "city": "Columbus",
            "state": "OH",
            "zip": "43212",
            "country": "USA",
        },
        "businessUnitId": job["businessUnitId"],
        "inventoryLocationId": 900,
        "batchId": None,
        "budgetCodeId": None,
        "vendorDocumentNumber": "",
        "date": format_date(created),
        "requiredOn": None,
        "sentOn": stamp,
        "receivedOn": format_instant(created),
        "createdOn": stamp,
        "modifiedOn": format_instant(created),
        "total": float(subtotal + tax + freight),
        "tax": float(tax),
        "shipping": float(freight),
        "summary": "",
        "items": po_items,
        "customFields": [],
    }
