"""Accounting: `ap-bills` (list, get, markasexported), `invoices` (list, markasexported),
`export/invoices` (from / continueFrom) and `gl-accounts` (list, get).

`billType` defaults to Procurement, as the spec says: ApBill (non-PO) bills come back only
when asked for. `NotSet` is treated like the default (a client must ask for each type).
Mark-as-exported answers per item and moves `syncStatus` (bills: Posted -> PostedAndExported,
Pending -> Exported; invoices: Exported) and `modifiedOn`.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ml_connector.sandbox.servicetitan.app import SandboxState, api_route, json_response
from ml_connector.sandbox.servicetitan.listing import (
    apply_sort,
    args_for,
    json_in,
    json_like,
    page_of,
)
from ml_connector.sandbox.servicetitan.params import Args
from ml_connector.sandbox.servicetitan.problems import not_found, validation_problem
from ml_connector.sandbox.servicetitan.store import parse_instant, to_micros

BILL_SYNC = ("Pending", "Posted", "Exported", "PostedAndExported")
BILL_STATUS = ("Unreconciled", "Discrepancy", "Reconciled", "Canceled")
BILL_TYPES = ("NotSet", "Procurement", "ApBill")
TRANSACTION = ("Pending", "Posted", "Exported")
EXPORT_BATCH = 500


def _id(request: Request, name: str) -> int:
    raw = str(request.path_params[name])
    if not raw.lstrip("-").isdigit():
        raise validation_problem({name: [f"The value '{raw}' is not valid."]})
    return int(raw)


async def list_ap_bills(request: Request, state: SandboxState) -> Response:
    args = args_for(
        request,
        "ids",
        "billType",
        "syncStatuses",
        "statuses",
        "dateFrom",
        "dateTo",
        "billNumber",
        "businessUnitIds",
        "jobNumber",
    )
    bill_type = args.enum("billType", BILL_TYPES, "Procurement")
    date_from, date_to = args.instant("dateFrom"), args.instant("dateTo")
    extra: list[tuple[str, list[Any]]] = []
    if (number := args.text("billNumber")) is not None:
        extra.append(json_like("referenceNumber", number))
    if (job := args.text("jobNumber")) is not None:
        extra.append(json_like("jobNumber", job))
    if (units := args.id_csv("businessUnitIds")) is not None:
        extra.append(json_in("businessUnit.id", units))
    if date_from is not None:
        extra.append(("created_us >= ?", [date_from]))
    if date_to is not None:
        extra.append(("created_us <= ?", [date_to]))
    query = args.query(
        ids=args.id_csv("ids"),
        active=None,
        bill_types=["Procurement" if bill_type == "NotSet" else str(bill_type)],
        sync_statuses=args.enum_list("syncStatuses", BILL_SYNC),
        statuses=args.enum_list("statuses", BILL_STATUS),
        extra=extra,
    )
    return page_of(state, "ap-bills", query, args)


async def get_ap_bill(request: Request, state: SandboxState) -> Response:
    bill_id = _id(request, "billId")
    args_for(request, windows=False, paging=False).finish()
    bill = state.store.get("ap-bills", bill_id)
    if bill is None:
        raise not_found("AP bill", bill_id)
    return json_response(bill)


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError as exc:
        raise validation_problem({"body": [f"The body is not valid JSON: {exc}"]}) from exc


async def mark_ap_bills(request: Request, state: SandboxState) -> Response:
    body = await _json_body(request)
    ids = body.get("billIds") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise validation_problem({"billIds": ["The billIds field is required (array of ids)."]})
    results = []
    changed = []
    for bill_id in ids:
        bill = state.store.get("ap-bills", bill_id)
        if bill is None:
            results.append(
                {
                    "billId": bill_id,
                    "success": False,
                    "errorMessage": f"AP bill {bill_id} was not found.",
                }
            )
            continue
        current = bill.get("syncStatus")
        new = "PostedAndExported" if current in ("Posted", "PostedAndExported") else "Exported"
        if current != new:
            bill["syncStatus"] = new
            changed.append(bill)
        results.append({"billId": bill_id, "success": True, "errorMessage": None})
    state.store.save("ap-bills", changed, state.clock.now())
    return json_response(results)


async def list_invoices(request: Request, state: SandboxState) -> Response:
    args = args_for(
        request,
        "ids",
        "activeState",
        "statuses",
        "number",
        "jobNumber",
        "businessUnitId",
        "jobId",
        "sort",
    )
    active_state = args.enum("activeState", ("ActiveOnly", "InactiveOnly", "All"), "ActiveOnly")
    extra: list[tuple[str, list[Any]]] = []
    if (number := args.text("number")) is not None:
        extra.append(("json_extract(body, '$.referenceNumber') = ?", [number]))
    if (job := args.text("jobNumber")) is not None:
        extra.append(("json_extract(body, '$.job.number') = ?", [job]))
    if (unit := args.integer("businessUnitId")) is not None:
        extra.append(("json_extract(body, '$.businessUnit.id') = ?", [unit]))
    if (job_id := args.integer("jobId")) is not None:
        extra.append(("json_extract(body, '$.job.id') = ?", [job_id]))
    query = args.query(
        ids=args.id_csv("ids"),
        active={"ActiveOnly": True, "InactiveOnly": False}.get(str(active_state)),
        sync_statuses=args.enum_list("statuses", TRANSACTION),
        extra=extra,
    )
    query = apply_sort(args, query, ("Id", "ModifiedOn", "CreatedOn"))
    return page_of(state, "invoices", query, args)


async def mark_invoices(request: Request, state: SandboxState) -> Response:
    body = await _json_body(request)
    if not isinstance(body, list):
        raise validation_problem(
            {"body": ["Send a JSON array of {invoiceId, externalId, externalMessage}."]}
        )
    results = []
    changed = []
    for n, item in enumerate(body):
        invoice_id = item.get("invoiceId") if isinstance(item, dict) else None
        if not isinstance(invoice_id, int):
            raise validation_problem({f"[{n}].invoiceId": ["The invoiceId field is required."]})
        invoice = state.store.get("invoices", invoice_id)
        if invoice is None:
            results.append(
                {
                    "invoiceId": invoice_id,
                    "success": False,
                    "errorMessage": f"Invoice {invoice_id} was not found.",
                }
            )
            continue
        invoice["syncStatus"] = "Exported"
        if item.get("externalId") is not None:
            invoice["exportId"] = str(item["externalId"])
        changed.append(invoice)
        results.append({"invoiceId": invoice_id, "success": True, "errorMessage": None})
    state.store.save("invoices", changed, state.clock.now())
    return json_response(results)


def _continuation(version: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{version}".encode()).decode().rstrip("=")


def _version_of(state: SandboxState, raw: str, args: Args) -> int:
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        if text.startswith("v1:"):
            return int(text[3:])
    except ValueError:
        pass
    try:
        return state.store.version_at("invoices", to_micros(parse_instant(raw)))
    except ValueError:
        args.errors.setdefault("from", []).append(
            f"'{raw}' is neither a continuation token nor a date."
        )
        return 0


async def export_invoices(request: Request, state: SandboxState) -> Response:
    args = args_for(request, "from", "includeRecentChanges", windows=False, paging=False)
    raw = args.text("from")
    args.boolean("includeRecentChanges")
    after = 0 if raw is None else _version_of(state, raw, args)
    args.finish()
    bodies, last, more = state.store.export("invoices", after, EXPORT_BATCH)
    head = json.dumps({"hasMore": more, "continueFrom": _continuation(last)})[:-1]
    return Response(f'{head},"data":[{",".join(bodies)}]}}', media_type="application/json")


async def list_gl_accounts(request: Request, state: SandboxState) -> Response:
    args = args_for(
        request,
        "ids",
        "names",
        "numbers",
        "types",
        "subtypes",
        "active",
        "source",
        "description",
        "sort",
    )
    extra: list[tuple[str, list[Any]]] = []
    for param, path in (
        ("names", "name"),
        ("numbers", "number"),
        ("types", "type"),
        ("subtypes", "subtype"),
    ):
        raw = args.text(param)
        if raw is not None:
            values = [v.strip() for v in raw.split(",") if v.strip()]
            if len(values) > 50:
                args.errors.setdefault(param, []).append("At most 50 values are allowed.")
            extra.append(json_in(path, values))
    if (
        source := args.enum(
            "source", ("Undefined", "AccountingSystem", "ManuallyCreated", "PublicApi"), None
        )
    ) is not None:
        extra.append(("json_extract(body, '$.source') = ?", [source]))
    if (description := args.text("description")) is not None:
        extra.append(json_like("description", description))
    query = args.query(ids=args.id_csv("ids"), active=args.active(), extra=extra)
    query = apply_sort(args, query, ("Id", "ModifiedOn", "CreatedOn"))
    return page_of(state, "gl-accounts", query, args)


async def get_gl_account(request: Request, state: SandboxState) -> Response:
    account_id = _id(request, "accountId")
    args_for(request, windows=False, paging=False).finish()
    account = state.store.get("gl-accounts", account_id)
    if account is None:
        raise not_found("GL account", account_id)
    return json_response(account)


def accounting_routes() -> list[Route]:
    return [
        api_route("accounting", "/ap-bills", list_ap_bills, ["GET"]),
        api_route("accounting", "/ap-bills/markasexported", mark_ap_bills, ["POST"]),
        api_route("accounting", "/ap-bills/{billId}", get_ap_bill, ["GET"]),
        api_route("accounting", "/invoices", list_invoices, ["GET"]),
        api_route("accounting", "/invoices/markasexported", mark_invoices, ["POST"]),
        api_route("accounting", "/export/invoices", export_invoices, ["GET"]),
        api_route("accounting", "/gl-accounts", list_gl_accounts, ["GET"]),
        api_route("accounting", "/gl-accounts/{accountId}", get_gl_account, ["GET"]),
    ]
