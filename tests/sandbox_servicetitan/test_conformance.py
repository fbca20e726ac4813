"""Every endpoint the sandbox serves, checked against the official OpenAPI documents.

Response bodies are validated against the documented response schema (strictly: undeclared
properties fail), and every query parameter sent is checked to be declared for that
operation. Skipped, with the reason, when the spec files are not beside the repository.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from st_openapi import Validator, param_names, response_schema, spec_dir
from st_sandbox_http import Api

from ml_connector.sandbox.servicetitan.server import RunningSandbox

pytestmark = pytest.mark.skipif(
    spec_dir() is None,
    reason="the official ServiceTitan OpenAPI files are absent: expected "
    "../shared/reference/servicetitan-openapi/ beside the repository, or set "
    "ML_CONNECTOR_SHARED to the folder holding reference/servicetitan-openapi/",
)

GUID = str(uuid.UUID(int=0xC0FFEE))


@pytest.fixture(scope="module")
def client(shared_sandbox: RunningSandbox) -> Iterator[Api]:
    api = Api(shared_sandbox)
    yield api
    api.close()


def conforms(
    api: Api,
    method: str,
    module: str,
    spec_path: str,
    path: str,
    *,
    params: dict[str, Any] | None = None,
    body: Any = None,
    status: int = 200,
) -> Any:
    declared = param_names(module, spec_path, method)
    for name in params or {}:
        assert name in declared, f"{name} is not a parameter of {method} {spec_path}"
    url = api.sb.api_url(module, path)
    response = api.http.request(method, url, params=params, json=body, headers=api.headers())
    assert response.status_code == status, response.text
    decoded = response.json()
    problems = Validator(module).check(decoded, response_schema(module, spec_path, method, status))
    assert problems == [], "\n".join(problems)
    return decoded


T = "/tenant/{tenant}"


def test_ap_bills_of_both_types_conform(client: Api) -> None:
    for bill_type in ("Procurement", "ApBill"):
        body = conforms(
            client,
            "GET",
            "accounting",
            f"{T}/ap-bills",
            "ap-bills",
            params={"billType": bill_type, "pageSize": 5000, "includeTotal": "true"},
        )
        assert body["data"], bill_type
    one = body["data"][0]["id"]
    conforms(client, "GET", "accounting", f"{T}/ap-bills/{{billId}}", f"ap-bills/{one}")
    conforms(client, "GET", "accounting", f"{T}/ap-bills/{{billId}}", "ap-bills/1", status=404)
    conforms(
        client,
        "POST",
        "accounting",
        f"{T}/ap-bills/markasexported",
        "ap-bills/markasexported",
        body={"billIds": [one, 1]},
    )
    conforms(
        client,
        "GET",
        "accounting",
        f"{T}/ap-bills",
        "ap-bills",
        params={"billType": "Wrong"},
        status=400,
    )


def test_invoices_and_the_export_feed_conform(client: Api) -> None:
    body = conforms(
        client,
        "GET",
        "accounting",
        f"{T}/invoices",
        "invoices",
        params={"pageSize": 5000, "activeState": "All"},
    )
    first = body["data"][0]["id"]
    conforms(
        client,
        "POST",
        "accounting",
        f"{T}/invoices/markasexported",
        "invoices/markasexported",
        body=[{"invoiceId": first, "externalId": "AP-1", "externalMessage": "ok"}],
    )
    token = None
    while True:
        params = {"from": token} if token else {}
        feed = conforms(
            client, "GET", "accounting", f"{T}/export/invoices", "export/invoices", params=params
        )
        token = feed["continueFrom"]
        if not feed["hasMore"]:
            break


def test_gl_accounts_conform(client: Api) -> None:
    body = conforms(
        client,
        "GET",
        "accounting",
        f"{T}/gl-accounts",
        "gl-accounts",
        params={"active": "Any", "pageSize": 500},
    )
    one = body["data"][0]["id"]
    conforms(client, "GET", "accounting", f"{T}/gl-accounts/{{accountId}}", f"gl-accounts/{one}")


def test_vendors_conform_including_writes(client: Api) -> None:
    conforms(
        client,
        "GET",
        "inventory",
        f"{T}/vendors",
        "vendors",
        params={"active": "Any", "externalDataApplicationGuid": GUID, "pageSize": 500},
    )
    created = conforms(
        client,
        "POST",
        "inventory",
        f"{T}/vendors",
        "vendors",
        body={
            "name": "Conformance Supply",
            "active": True,
            "isTruckReplenishment": False,
            "taxRate": 0.075,
            "restrictedMobileCreation": False,
            "address": {
                "street": "1 Main St",
                "unit": "",
                "city": "Columbus",
                "state": "OH",
                "zip": "43215",
                "country": "USA",
            },
            "externalData": {
                "applicationGuid": GUID,
                "externalData": [{"key": "sageVendorNo", "value": "CONFSUP"}],
            },
        },
    )
    conforms(
        client,
        "PATCH",
        "inventory",
        f"{T}/vendors/{{id}}",
        f"vendors/{created['id']}",
        body={"memo": "checked"},
    )
    vendor = conforms(
        client,
        "GET",
        "inventory",
        f"{T}/vendors/{{id}}",
        f"vendors/{created['id']}",
        params={"externalDataApplicationGuid": GUID},
    )
    assert vendor["externalData"] == [{"key": "sageVendorNo", "value": "CONFSUP"}]
    conforms(client, "POST", "inventory", f"{T}/vendors", "vendors", body={"name": "x"}, status=400)


def test_purchase_orders_conform(client: Api) -> None:
    conforms(
        client,
        "GET",
        "inventory",
        f"{T}/purchase-orders",
        "purchase-orders",
        params={"pageSize": 5000},
    )


def test_jpm_conforms(client: Api) -> None:
    jobs = conforms(client, "GET", "jpm", f"{T}/jobs", "jobs", params={"pageSize": 5000})
    conforms(client, "GET", "jpm", f"{T}/jobs/{{id}}", f"jobs/{jobs['data'][0]['id']}")
    conforms(client, "GET", "jpm", f"{T}/job-types", "job-types", params={"active": "Any"})
    conforms(
        client,
        "GET",
        "jpm",
        f"{T}/work-breakdown-structure/budget-codes",
        "work-breakdown-structure/budget-codes",
        params={"pageSize": 500},
    )


def test_settings_and_pricebook_conform(client: Api) -> None:
    conforms(
        client, "GET", "settings", f"{T}/business-units", "business-units", params={"active": "Any"}
    )
    conforms(client, "GET", "pricebook", f"{T}/categories", "categories", params={"active": "Any"})


def test_the_validator_catches_what_it_should(client: Api) -> None:
    schema = response_schema("accounting", f"{T}/ap-bills/{{billId}}", "GET", 200)
    bill = client.ok("accounting", "ap-bills", {"pageSize": 1})["data"][0]
    assert Validator("accounting").check(bill, schema) == []
    broken = dict(bill, madeUpField=1, doNotPay=None, billAmount=12.5)
    broken.pop("id")
    problems = "\n".join(Validator("accounting").check(broken, schema))
    assert "'madeUpField' is not in the schema" in problems
    assert "required property 'id' is missing" in problems
    assert "$.doNotPay: is null" in problems
    assert "$.billAmount: expected a string" in problems
    broken_date = dict(bill, createdOn="2025-07-01 10:00")
    assert Validator("accounting").check(broken_date, schema) != []


def test_single_records_by_id_conform(client: Api) -> None:
    for module, spec_path, resource, key in (
        ("inventory", f"{T}/purchase-orders/{{id}}", "purchase-orders", "id"),
        ("jpm", f"{T}/job-types/{{id}}", "job-types", "id"),
        ("settings", f"{T}/business-units/{{id}}", "business-units", "id"),
        ("pricebook", f"{T}/categories/{{id}}", "categories", "id"),
    ):
        first = client.ok(module, resource, {"pageSize": 1})["data"][0][key]
        conforms(client, "GET", module, spec_path, f"{resource}/{first}")


WINDOW = {
    "modifiedOnOrAfter": "2025-01-01T00:00:00Z",
    "modifiedBefore": "2030-01-01T00:00:00Z",
    "createdOnOrAfter": "2025-01-01",
    "createdBefore": "2030-01-01",
}
EVERY_PARAMETER = (
    (
        "accounting",
        f"{T}/ap-bills",
        "ap-bills",
        {
            **WINDOW,
            "ids": "3000001,3000002",
            "billType": "ApBill",
            "syncStatuses": "Posted",
            "statuses": "Unreconciled",
            "dateFrom": "2025-01-01",
            "dateTo": "2030-01-01",
            "billNumber": "1",
            "jobNumber": "4",
            "businessUnitIds": "101,107",
            "page": 1,
            "pageSize": 10,
            "includeTotal": "true",
        },
    ),
    (
        "accounting",
        f"{T}/invoices",
        "invoices",
        {
            **WINDOW,
            "ids": "4000001",
            "activeState": "All",
            "statuses": "Posted",
            "number": "40001",
            "jobNumber": "40001",
            "businessUnitId": 101,
            "jobId": 1000001,
            "sort": "-Id",
            "includeTotal": "true",
        },
    ),
    (
        "accounting",
        f"{T}/export/invoices",
        "export/invoices",
        {"from": "2025-01-01", "includeRecentChanges": "false"},
    ),
    (
        "accounting",
        f"{T}/gl-accounts",
        "gl-accounts",
        {
            **WINDOW,
            "ids": "520",
            "names": "Materials - Plumbing Service",
            "numbers": "5000-01-100",
            "types": "COGS",
            "subtypes": "CostOfGoodsSold",
            "source": "AccountingSystem",
            "description": "Plumbing",
            "active": "Any",
            "sort": "+Id",
        },
    ),
    (
        "inventory",
        f"{T}/vendors",
        "vendors",
        {
            **WINDOW,
            "ids": 601,
            "active": "True",
            "externalDataApplicationGuid": GUID,
            "externalDataKey": "sageVendorNo",
            "externalDataValues": "FERGUSO",
            "sort": "-ModifiedOn",
        },
    ),
    (
        "inventory",
        f"{T}/purchase-orders",
        "purchase-orders",
        {
            **WINDOW,
            "ids": "2000000",
            "status": "Received",
            "number": "x",
            "jobId": 1000001,
            "sort": "+Id",
        },
    ),
    (
        "jpm",
        f"{T}/jobs",
        "jobs",
        {
            **WINDOW,
            "ids": "1000001",
            "number": "40001",
            "jobStatus": "Completed",
            "businessUnitId": 101,
            "jobTypeId": 202,
            "sort": "-CreatedOn",
        },
    ),
    (
        "jpm",
        f"{T}/job-types",
        "job-types",
        {**WINDOW, "ids": "201", "name": "Plumbing", "active": "Any"},
    ),
    (
        "jpm",
        f"{T}/work-breakdown-structure/budget-codes",
        "work-breakdown-structure/budget-codes",
        {"budgetCodeIds": "311,312", "page": 1},
    ),
    (
        "settings",
        f"{T}/business-units",
        "business-units",
        {
            **WINDOW,
            "ids": "101",
            "name": "Plumbing",
            "active": "Any",
            "externalDataApplicationGuid": GUID,
        },
    ),
    (
        "pricebook",
        f"{T}/categories",
        "categories",
        {**WINDOW, "active": "Any", "categoryType": "Materials", "sort": "+Id"},
    ),
)


@pytest.mark.parametrize(
    ("module", "spec_path", "path", "params"), EVERY_PARAMETER, ids=[e[2] for e in EVERY_PARAMETER]
)
def test_every_implemented_parameter_is_an_official_one(
    client: Api, module: str, spec_path: str, path: str, params: dict[str, Any]
) -> None:
    """Each filter the sandbox implements, sent at once: declared in the spec, and accepted."""
    conforms(client, "GET", module, spec_path, path, params=params)
