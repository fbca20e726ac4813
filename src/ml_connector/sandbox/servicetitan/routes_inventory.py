"""Inventory: `vendors` (list, get, POST create, PATCH update) and `purchase-orders`.

Vendors keep their `externalData` per application GUID in a private `_external` field of the
stored record; responses show only the list of the application named by
`externalDataApplicationGuid` (an empty list otherwise). PATCH `externalData.patchMode`:
`Replace` (default) replaces that application's list; `Merge` sets the keys given (a null value
removes the key) and keeps the others. As on the real API, unknown body fields are dropped
silently and the answer is still 200: re-read after writing.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ml_connector.sandbox.servicetitan.app import SandboxState, api_route, json_response
from ml_connector.sandbox.servicetitan.listing import apply_sort, args_for, page_of, page_of_records
from ml_connector.sandbox.servicetitan.problems import not_found, validation_problem

ADDRESS_FIELDS = ("street", "unit", "city", "state", "zip", "country")
DELIVERY = (
    "Manual",
    "EmailAsExcel",
    "EmailAsPdf",
    "EmailAsPdfRollupView",
    "Electronic",
    "MarkAsSent",
    "EmailAsExcelAndPdf",
    "VendorPortal",
)
PRIVATE = ("_external", "_private")
VENDOR_ID_FLOOR = 10_000


def _shown(vendor: dict[str, Any], guid: str | None) -> dict[str, Any]:
    external = vendor.get("_external") or {}
    out = {k: v for k, v in vendor.items() if k not in PRIVATE}
    out["externalData"] = list(external.get(guid.lower(), [])) if guid else []
    return out


def _guid(value: str | None, name: str, errors: dict[str, list[str]]) -> str | None:
    if value is None:
        return None
    try:
        return str(uuid.UUID(value)).lower()
    except ValueError:
        errors.setdefault(name, []).append(f"The value '{value}' is not a valid GUID.")
        return None


async def list_vendors(request: Request, state: SandboxState) -> Response:
    args = args_for(
        request,
        "ids",
        "active",
        "externalDataApplicationGuid",
        "externalDataKey",
        "externalDataValues",
        "sort",
    )
    guid = _guid(
        args.text("externalDataApplicationGuid"), "externalDataApplicationGuid", args.errors
    )
    key, values = args.text("externalDataKey"), args.text("externalDataValues")
    if (key is None) != (values is None):
        args.errors.setdefault("externalDataKey", []).append(
            "externalDataKey and externalDataValues must be given together."
        )
    query = args.query(ids=args.id_array("ids"), active=args.active())
    query = apply_sort(args, query, ("Id", "ModifiedOn", "CreatedOn"))
    if key is None or values is None:
        args.finish()
        records = [_shown(v, guid) for v in state.store.scan("vendors", query)]
    else:
        wanted = {v.strip() for v in values.split(",") if v.strip()}
        if len(wanted) > 50:
            args.errors.setdefault("externalDataValues", []).append("At most 50 values.")
        args.finish()
        records = []
        for vendor in state.store.scan("vendors", query):
            lists = vendor.get("_external") or {}
            pool = [lists.get(guid, [])] if guid else list(lists.values())
            if any(e["key"] == key and e["value"] in wanted for lst in pool for e in lst):
                records.append(_shown(vendor, guid))
    if query.descending or query.order_by != "id":
        field = {"id": "id", "modifiedOn": "modifiedOn", "createdOn": "createdOn"}[query.order_by]
        records.sort(key=lambda r: (r[field], r["id"]), reverse=query.descending)
    return page_of_records(records, args)


def _vendor_id(request: Request) -> int:
    raw = str(request.path_params["id"])
    if not raw.isdigit():
        raise validation_problem({"id": [f"The value '{raw}' is not valid."]})
    return int(raw)


async def get_vendor(request: Request, state: SandboxState) -> Response:
    vendor_id = _vendor_id(request)
    args = args_for(request, "externalDataApplicationGuid", windows=False, paging=False)
    guid = _guid(
        args.text("externalDataApplicationGuid"), "externalDataApplicationGuid", args.errors
    )
    args.finish()
    vendor = state.store.get("vendors", vendor_id)
    if vendor is None:
        raise not_found("Vendor", vendor_id)
    return json_response(_shown(vendor, guid))


def _check_fields(body: dict[str, Any], errors: dict[str, list[str]], *, create: bool) -> None:
    required = (
        ("name", "active", "isTruckReplenishment", "taxRate", "restrictedMobileCreation", "address")
        if create
        else ()
    )
    for name in required:
        if body.get(name) is None:
            errors.setdefault(name, []).append(f"The {name} field is required.")
    types: dict[str, type | tuple[type, ...]] = {
        "name": str,
        "active": bool,
        "isTruckReplenishment": bool,
        "restrictedMobileCreation": bool,
        "taxRate": (int, float),
        "memo": str,
        "firstName": str,
        "lastName": str,
        "phone": str,
        "email": str,
        "fax": str,
    }
    for name, kind in types.items():
        value = body.get(name)
        if value is not None and (
            not isinstance(value, kind) or (kind == (int, float) and isinstance(value, bool))
        ):
            errors.setdefault(name, []).append(f"The value of {name} is not valid.")
    if isinstance(body.get("name"), str) and not body["name"].strip():
        errors.setdefault("name", []).append("The name field must not be empty.")
    address = body.get("address")
    if address is not None:
        if not isinstance(address, dict):
            errors.setdefault("address", []).append("The address must be an object.")
        else:
            for name in ADDRESS_FIELDS:
                if not isinstance(address.get(name), str):
                    errors.setdefault(f"address.{name}", []).append(
                        f'The {name} field is required (use "" when there is none).'
                    )
    option = body.get("deliveryOption")
    if option is not None and option not in DELIVERY:
        errors.setdefault("deliveryOption", []).append(f"The value '{option}' is not valid.")


def _external(body: dict[str, Any], errors: dict[str, list[str]]) -> tuple[str, list[Any], str]:
    ext = body.get("externalData")
    if not isinstance(ext, dict):
        errors.setdefault("externalData", []).append("externalData must be an object.")
        return "", [], "Replace"
    guid = _guid(ext.get("applicationGuid"), "externalData.applicationGuid", errors)
    items = ext.get("externalData")
    if guid is None:
        errors.setdefault("externalData.applicationGuid", []).append("A GUID is required.")
    if not isinstance(items, list) or not all(
        isinstance(i, dict) and isinstance(i.get("key"), str) for i in items
    ):
        errors.setdefault("externalData.externalData", []).append(
            "A list of {key, value} is required."
        )
        items = []
    mode = ext.get("patchMode") or "Replace"
    if mode not in ("Replace", "Merge"):
        errors.setdefault("externalData.patchMode", []).append(f"The value '{mode}' is not valid.")
    return guid or "", items, str(mode)


def _apply(vendor: dict[str, Any], body: dict[str, Any]) -> None:
    for name in ("name", "active", "memo", "isTruckReplenishment", "deliveryOption"):
        if name in body and body[name] is not None:
            vendor[name] = body[name]
    if body.get("taxRate") is not None:
        vendor["defaultTaxRate"] = body["taxRate"]
    if body.get("restrictedMobileCreation") is not None:
        vendor["isMobileCreationRestricted"] = body["restrictedMobileCreation"]
    contact = vendor.setdefault(
        "contactInfo", dict.fromkeys(("firstName", "lastName", "phone", "email", "fax"), "")
    )
    for name in ("firstName", "lastName", "phone", "email", "fax"):
        if body.get(name) is not None:
            contact[name] = body[name]
    if isinstance(body.get("address"), dict):
        vendor["address"] = {k: body["address"][k] for k in ADDRESS_FIELDS}
    private = vendor.setdefault("_private", {})
    for name in (
        "paymentTermId",
        "remittanceVendorId",
        "vendorQuickbooksItem",
        "tags",
        "vendorContacts",
    ):
        if name in body:
            private[name] = body[name]


async def create_vendor(request: Request, state: SandboxState) -> Response:
    args_for(request, windows=False, paging=False).finish()
    body = await _body(request)
    errors: dict[str, list[str]] = {}
    _check_fields(body, errors, create=True)
    external = _external(body, errors) if body.get("externalData") is not None else None
    if errors:
        raise validation_problem(errors)
    vendor: dict[str, Any] = {
        "id": state.store.next_id("vendors", VENDOR_ID_FLOOR),
        "name": "",
        "active": True,
        "isTruckReplenishment": False,
        "isMobileCreationRestricted": False,
        "memo": "",
        "deliveryOption": "Manual",
        "defaultTaxRate": 0.0,
        "externalData": [],
        "customFields": [],
        "_external": {},
    }
    _apply(vendor, body)
    if external is not None:
        vendor["_external"] = {
            external[0]: [{"key": i["key"], "value": str(i.get("value", ""))} for i in external[1]]
        }
    vendor.pop("createdOn", None)
    state.store.save("vendors", [vendor], state.clock.now())
    return json_response({"id": vendor["id"]})


async def patch_vendor(request: Request, state: SandboxState) -> Response:
    vendor_id = _vendor_id(request)
    args_for(request, windows=False, paging=False).finish()
    body = await _body(request)
    errors: dict[str, list[str]] = {}
    _check_fields(body, errors, create=False)
    external = _external(body, errors) if body.get("externalData") is not None else None
    if errors:
        raise validation_problem(errors)
    vendor = state.store.get("vendors", vendor_id)
    if vendor is None:
        raise not_found("Vendor", vendor_id)
    _apply(vendor, body)
    if external is not None:
        guid, items, mode = external
        lists = vendor.setdefault("_external", {})
        current = {} if mode == "Replace" else {e["key"]: e["value"] for e in lists.get(guid, [])}
        for item in items:
            if item.get("value") is None:
                current.pop(item["key"], None)
            else:
                current[item["key"]] = str(item["value"])
        lists[guid] = [{"key": k, "value": v} for k, v in current.items()]
    state.store.save("vendors", [vendor], state.clock.now())
    return json_response({"id": vendor_id})


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except ValueError as exc:
        raise validation_problem({"body": [f"The body is not valid JSON: {exc}"]}) from exc
    if not isinstance(body, dict):
        raise validation_problem({"body": ["The body must be a JSON object."]})
    return body


async def list_purchase_orders(request: Request, state: SandboxState) -> Response:
    args = args_for(request, "ids", "status", "number", "jobId", "sort")
    extra: list[tuple[str, list[Any]]] = []
    if (number := args.text("number")) is not None:
        extra.append(("json_extract(body, '$.number') = ?", [number]))
    if (job_id := args.integer("jobId")) is not None:
        extra.append(("json_extract(body, '$.jobId') = ?", [job_id]))
    status = args.enum(
        "status", ("Pending", "Sent", "PartiallyReceived", "Received", "Exported", "Canceled"), None
    )
    query = args.query(
        ids=args.id_csv("ids"),
        active=None,
        statuses=[status] if status else None,
        extra=extra,
    )
    query = apply_sort(args, query, ("Id",))
    return page_of(state, "purchase-orders", query, args)


async def get_purchase_order(request: Request, state: SandboxState) -> Response:
    po_id = _vendor_id(request)
    args_for(request, windows=False, paging=False).finish()
    po = state.store.get("purchase-orders", po_id)
    if po is None:
        raise not_found("Purchase order", po_id)
    return json_response(po)


def inventory_routes() -> list[Route]:
    return [
        api_route("inventory", "/vendors", list_vendors, ["GET"]),
        api_route("inventory", "/vendors", create_vendor, ["POST"]),
        api_route("inventory", "/vendors/{id}", get_vendor, ["GET"]),
        api_route("inventory", "/vendors/{id}", patch_vendor, ["PATCH"]),
        api_route("inventory", "/purchase-orders", list_purchase_orders, ["GET"]),
        api_route("inventory", "/purchase-orders/{id}", get_purchase_order, ["GET"]),
    ]
