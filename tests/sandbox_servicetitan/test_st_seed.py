"""The demo seed: deterministic, internally consistent except where it says it is not."""

from __future__ import annotations

import json
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from st_sandbox_http import Api

from ml_connector.sandbox.servicetitan.seed import demo_gl_accounts, demo_vendors
from ml_connector.sandbox.servicetitan.seed_documents import (
    deliberate_anomalies,
    demo_vendor_numbers,
)
from ml_connector.sandbox.servicetitan.seed_invoices import demo_seed
from ml_connector.sandbox.servicetitan.server import running_sandbox

SAGE_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{3}$")


def _bills(size: int) -> list[dict[str, Any]]:
    return [body for resource, body in demo_seed("demo", size) if resource == "ap-bills"]


def test_the_seed_is_deterministic() -> None:
    first = json.dumps(list(demo_seed("demo", 400)))
    assert json.dumps(list(demo_seed("demo", 400))) == first
    assert demo_vendors() == demo_vendors()
    assert demo_gl_accounts() == demo_gl_accounts()


def test_two_sandboxes_from_the_same_seed_serve_the_same_bills(tmp_path: Path) -> None:
    served = []
    for name in ("one", "two"):
        with running_sandbox(tmp_path / name, size=80) as sb:
            api = Api(sb)
            served.append(
                [
                    api.all_pages("accounting", "ap-bills", {"pageSize": 5000, "billType": kind})
                    for kind in ("Procurement", "ApBill")
                ]
            )
            api.close()
    assert served[0] == served[1]


def _line_total(bill: dict[str, Any]) -> Decimal:
    total = sum((Decimal(i["quantity"]) * Decimal(i["cost"]) for i in bill["items"]), Decimal(0))
    total += sum((Decimal(e["amount"]) for e in bill["expenseItems"]), Decimal(0))
    return total + Decimal(str(bill["taxAmount"])) + Decimal(str(bill["shippingAmount"]))


def test_bills_add_up_except_the_tagged_ones() -> None:
    bills = _bills(1200)
    anomalies = deliberate_anomalies(1200)
    inconsistent = {i for i, why in anomalies.items() if why.startswith("inconsistent")}
    assert len(inconsistent) >= 10
    for bill in bills:
        adds_up = _line_total(bill) == Decimal(str(bill["billAmount"]))
        assert adds_up is (bill["id"] not in inconsistent), bill["id"]
        tagged = [f["value"] for f in bill["customFields"]]
        assert bool(tagged) is (bill["id"] in anomalies), bill["id"]


def test_duplicates_repeat_vendor_reference_and_amount() -> None:
    bills = {b["id"]: b for b in _bills(1200)}
    duplicates = [i for i, why in deliberate_anomalies(1200).items() if why.startswith("dup")]
    assert duplicates
    for bill_id in duplicates:
        bill, before = bills[bill_id], bills[bill_id - 1]
        for key in ("vendor", "referenceNumber", "billAmount"):
            assert bill[key] == before[key]


def test_the_seed_covers_the_cases_the_engine_must_handle() -> None:
    bills = _bills(1200)
    kinds = Counter(b["billType"] for b in bills)
    assert kinds["Procurement"] > 300
    assert kinds["ApBill"] > 300
    assert any(Decimal(str(b["billAmount"])) < 0 for b in bills)  # credits
    assert any(b["status"] == "Canceled" for b in bills)
    assert any(Decimal(str(b["shippingAmount"])) > 0 for b in bills)
    assert any(Decimal(str(b["taxAmount"])) > 0 for b in bills)
    assert any(b["items"] and b["billType"] == "ApBill" for b in bills)
    skus = {i["skuType"] for b in bills for i in b["items"]}
    assert skus == {"Material", "Equipment"}
    references = [str(b["referenceNumber"]) for b in bills]
    assert any(len(r) > 10 for r in references)  # longer than a Sage invoice number
    numbers = {str(b["vendorNumber"]) for b in bills if b["vendorNumber"]}
    assert numbers <= set(demo_vendor_numbers().values())
    assert numbers
    odd_gl = {
        line["generalLedgerAccount"]["number"]
        for b in bills
        for line in [*b["items"], *b["expenseItems"]]
        if not SAGE_FORMAT.match(line["generalLedgerAccount"]["number"])
    }
    assert odd_gl  # some lines use legacy GL numbers the mapping must catch


def test_reference_data_for_the_sage_side() -> None:
    vendors = demo_vendors()
    assert 30 <= len(vendors) <= 60
    assert len({v["id"] for v in vendors}) == len(vendors)
    assert any(not v["active"] for v in vendors)
    assert all(
        set(v["address"]) == {"street", "unit", "city", "state", "zip", "country"} for v in vendors
    )
    accounts = demo_gl_accounts()
    fitting = [a for a in accounts if SAGE_FORMAT.match(a["number"])]
    assert len(fitting) >= 30
    assert 1 <= len(accounts) - len(fitting) <= 6
    assert len({a["number"] for a in accounts}) == len(accounts)
