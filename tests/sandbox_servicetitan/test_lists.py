"""Lists: paging (page, pageSize, hasMore, includeTotal), filters and the export feed."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from st_openapi import operation, spec_dir
from st_sandbox_http import Api

from ml_connector.sandbox.servicetitan.server import RunningSandbox, running_sandbox


@pytest.mark.parametrize("page_size", [5000, 7])
def test_bill_paging_loses_and_repeats_nothing(api: Api, page_size: int) -> None:
    """(The 10,000-record version runs over `--data` GL accounts in test_faults_and_state.)"""
    for bill_type in ("Procurement", "ApBill"):
        params = {"pageSize": 1, "includeTotal": "true", "billType": bill_type}
        total = api.ok("accounting", "ap-bills", params)["totalCount"]
        records = api.all_pages(
            "accounting", "ap-bills", {"pageSize": page_size, "billType": bill_type}
        )
        ids = [r["id"] for r in records]
        assert len(ids) == total
        assert len(set(ids)) == len(ids)


def test_page_envelope_fields(api: Api) -> None:
    first = api.ok("accounting", "gl-accounts", {"pageSize": 10})
    assert first["page"] == 1
    assert first["pageSize"] == 10
    assert first["hasMore"] is True
    assert first["totalCount"] is None  # only filled when includeTotal=true
    assert len(first["data"]) == 10
    default = api.ok("accounting", "gl-accounts", {"active": "Any", "includeTotal": "true"})
    assert default["pageSize"] == 50
    last_page = -(-default["totalCount"] // 10)
    last = api.ok("accounting", "gl-accounts", {"pageSize": 10, "page": last_page, "active": "Any"})
    assert last["hasMore"] is False
    beyond = api.ok(
        "accounting", "gl-accounts", {"pageSize": 10, "page": last_page + 1, "active": "Any"}
    )
    assert beyond["data"] == []
    assert beyond["hasMore"] is False


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": 0}, "page"),
        ({"pageSize": 5001}, "pageSize"),
        ({"pageSize": 0}, "pageSize"),
        ({"active": "Maybe"}, "active"),
        ({"modifiedOnOrAfter": "yesterday"}, "modifiedOnOrAfter"),
        ({"ids": "1,x"}, "ids"),
        ({"ids": ",".join(str(n) for n in range(51))}, "ids"),
        ({"includeTotal": "yes"}, "includeTotal"),
        ({"nmbers": "5000-01-100"}, "nmbers"),
    ],
)
def test_invalid_parameters_answer_400_naming_the_field(
    api: Api, params: dict[str, object], field: str
) -> None:
    response = api.get("accounting", "gl-accounts", params)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400
    assert field in body["errors"]


def test_inactive_records_are_hidden_unless_asked(api: Api) -> None:
    for module, path in (
        ("accounting", "gl-accounts"),
        ("inventory", "vendors"),
        ("settings", "business-units"),
        ("jpm", "job-types"),
        ("pricebook", "categories"),
    ):
        default = api.all_pages(module, path, {"pageSize": 500})
        every = api.all_pages(module, path, {"pageSize": 500, "active": "Any"})
        inactive = api.all_pages(module, path, {"pageSize": 500, "active": "False"})
        assert all(r["active"] for r in default), path
        assert inactive, path
        assert not any(r["active"] for r in inactive), path
        assert len(every) == len(default) + len(inactive), path


def test_bill_type_defaults_to_procurement(api: Api) -> None:
    default = api.all_pages("accounting", "ap-bills", {"pageSize": 5000})
    procurement = api.all_pages(
        "accounting", "ap-bills", {"pageSize": 5000, "billType": "Procurement"}
    )
    ap_bills = api.all_pages("accounting", "ap-bills", {"pageSize": 5000, "billType": "ApBill"})
    assert [b["id"] for b in default] == [b["id"] for b in procurement]
    assert ap_bills
    assert {b["billType"] for b in ap_bills} == {"ApBill"}
    assert all(b["purchaseOrderId"] is None for b in ap_bills)
    assert all(b["purchaseOrderId"] for b in procurement)
    assert len(default) + len(ap_bills) == 300


def test_modified_window_is_half_open(api: Api) -> None:
    bills = api.all_pages("accounting", "ap-bills", {"pageSize": 5000, "billType": "ApBill"})
    stamps = sorted(b["modifiedOn"] for b in bills)
    low, high = stamps[10], stamps[40]
    window = api.all_pages(
        "accounting",
        "ap-bills",
        {"pageSize": 5000, "billType": "ApBill", "modifiedOnOrAfter": low, "modifiedBefore": high},
    )
    assert sorted(b["modifiedOn"] for b in window) == [s for s in stamps if low <= s < high]


def test_created_on_or_after_and_ids(api: Api) -> None:
    bills = api.all_pages("accounting", "ap-bills", {"pageSize": 5000})
    pivot = sorted(b["createdOn"] for b in bills)[len(bills) // 2]
    later = api.all_pages("accounting", "ap-bills", {"pageSize": 5000, "createdOnOrAfter": pivot})
    assert {b["id"] for b in later} == {b["id"] for b in bills if b["createdOn"] >= pivot}
    some = [str(b["id"]) for b in bills[:3]]
    picked = api.ok("accounting", "ap-bills", {"ids": ",".join(some)})["data"]
    assert sorted(str(b["id"]) for b in picked) == sorted(some)


def test_status_filters_take_repeated_parameters(api: Api) -> None:
    every = api.all_pages("accounting", "ap-bills", {"pageSize": 5000, "billType": "ApBill"})
    wanted = [
        ("syncStatuses", "Pending"),
        ("syncStatuses", "Exported"),
        ("billType", "ApBill"),
        ("pageSize", "5000"),
    ]
    picked = api.ok("accounting", "ap-bills", wanted)["data"]
    assert {b["syncStatus"] for b in picked} <= {"Pending", "Exported"}
    assert len(picked) == sum(b["syncStatus"] in ("Pending", "Exported") for b in every)
    canceled = api.ok("accounting", "ap-bills", {"statuses": "Canceled", "billType": "ApBill"})
    assert all(b["status"] == "Canceled" for b in canceled["data"])
    comma = api.get("accounting", "ap-bills", {"syncStatuses": "Pending,Posted"})
    assert comma.status_code == 400  # arrays are repeated parameters, not comma lists


def test_vendor_ids_are_an_array_parameter(api: Api) -> None:
    picked = api.ok("inventory", "vendors", [("ids", "601"), ("ids", "603")])["data"]
    assert [v["id"] for v in picked] == [601, 603]


def test_money_is_decimal_strings_on_bills_and_numbers_on_pos(api: Api) -> None:
    bill = api.ok("accounting", "ap-bills", {"pageSize": 1})["data"][0]
    for key in ("billAmount", "taxAmount", "shippingAmount", "vendorInvoiceTotal"):
        assert isinstance(bill[key], str)
        Decimal(bill[key])
    assert bill["billDate"].endswith("T00:00:00Z")
    po = api.ok("inventory", "purchase-orders", {"ids": str(bill["purchaseOrderId"])})["data"][0]
    assert isinstance(po["total"], float | int)
    assert Decimal(str(po["total"])) == Decimal(bill["billAmount"])


def test_export_feed_continues_and_sees_changes(fresh: RunningSandbox) -> None:
    api = Api(fresh)
    listed = api.all_pages("accounting", "invoices", {"pageSize": 5000, "activeState": "All"})
    seen: list[int] = []
    token = None
    calls = 0
    while True:
        feed = api.ok("accounting", "export/invoices", {"from": token} if token else {})
        seen.extend(r["id"] for r in feed["data"])
        token = feed["continueFrom"]
        calls += 1
        if not feed["hasMore"]:
            break
    assert sorted(seen) == sorted(r["id"] for r in listed)  # inactive ones included
    assert api.ok("accounting", "export/invoices", {"from": token})["data"] == []
    changed = listed[3]["id"]
    result = api.send(
        "POST",
        "accounting",
        "invoices/markasexported",
        [{"invoiceId": changed, "externalId": "SAGE-1", "externalMessage": ""}],
    )
    assert result.json() == [{"invoiceId": changed, "success": True, "errorMessage": None}]
    again = api.ok("accounting", "export/invoices", {"from": token})
    assert [r["id"] for r in again["data"]] == [changed]
    assert again["data"][0]["syncStatus"] == "Exported"
    assert again["data"][0]["exportId"] == "SAGE-1"
    by_date = api.ok("accounting", "export/invoices", {"from": "2099-01-01"})
    assert by_date["data"] == []
    from_start = api.ok("accounting", "export/invoices", {"from": "2000-01-01"})
    assert from_start["data"][0]["id"] == seen[0]
    assert api.get("accounting", "export/invoices", {"from": "garbage!"}).status_code == 400
    api.close()


def test_big_pages_have_hasmore_right_at_the_edge(tmp_path: Path) -> None:
    with running_sandbox(tmp_path, size=100) as sb:
        api = Api(sb)
        count = api.ok("accounting", "ap-bills", {"includeTotal": "true", "pageSize": 1})
        exact = api.ok("accounting", "ap-bills", {"pageSize": count["totalCount"]})
        assert exact["hasMore"] is False
        assert len(exact["data"]) == count["totalCount"]
        api.close()


def test_sort_orders_and_refuses_unknown_fields(api: Api) -> None:
    ascending = api.ok("inventory", "vendors", {"active": "Any", "pageSize": 500})["data"]
    descending = api.ok("inventory", "vendors", {"active": "Any", "pageSize": 500, "sort": "-Id"})[
        "data"
    ]
    assert [v["id"] for v in descending] == sorted((v["id"] for v in ascending), reverse=True)
    by_modified = api.ok("accounting", "invoices", {"sort": "-ModifiedOn", "pageSize": 20})
    stamps = [r["modifiedOn"] for r in by_modified["data"]]
    assert stamps == sorted(stamps, reverse=True)
    refused = api.get("accounting", "invoices", {"sort": "+Total"})
    assert refused.status_code == 400
    assert "sort" in refused.json()["errors"]


def test_export_without_from_starts_at_the_beginning_as_the_spec_says(
    fresh: RunningSandbox,
) -> None:
    """The OpenAPI (accounting v2, export/invoices `from`): "When not specified, the export
    process starts from the beginning." No 400, and the same feed as from the first change;
    an empty `from=` counts as not specified."""
    if spec_dir() is not None:
        params = operation("accounting", "/tenant/{tenant}/export/invoices", "GET")["parameters"]
        from_param = next(p for p in params if p["name"] == "from")
        assert not from_param.get("required")
        assert "starts from the beginning" in from_param["description"]
    api = Api(fresh)
    bare = api.get("accounting", "export/invoices", {})
    assert bare.status_code == 200, bare.text
    first = bare.json()
    assert first["data"]
    assert api.ok("accounting", "export/invoices", {"from": ""}) == first
    assert api.ok("accounting", "export/invoices", {"includeRecentChanges": "true"})["data"]
    from_start = api.ok("accounting", "export/invoices", {"from": "2000-01-01"})
    assert [r["id"] for r in from_start["data"]] == [r["id"] for r in first["data"]]
    api.close()
