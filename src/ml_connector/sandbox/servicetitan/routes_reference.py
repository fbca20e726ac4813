"""Reference data: jpm `jobs`, `job-types`, `work-breakdown-structure/budget-codes`,
settings `business-units`, pricebook `categories` (lists, and get by id where we use it).

Lists with an `active` filter hide inactive records unless `active=Any` (or `False`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ml_connector.sandbox.servicetitan.app import SandboxState, api_route, json_response
from ml_connector.sandbox.servicetitan.listing import apply_sort, args_for, json_like, page_of
from ml_connector.sandbox.servicetitan.problems import not_found, validation_problem
from ml_connector.sandbox.servicetitan.store import Query

JOB_STATUS = ("Scheduled", "Dispatched", "InProgress", "Hold", "Completed", "Canceled")


async def list_jobs(request: Request, state: SandboxState) -> Response:
    args = args_for(request, "ids", "number", "jobStatus", "businessUnitId", "jobTypeId", "sort")
    extra: list[tuple[str, list[Any]]] = []
    if (number := args.text("number")) is not None:
        extra.append(("json_extract(body, '$.jobNumber') = ?", [number]))
    for param, path in (("businessUnitId", "businessUnitId"), ("jobTypeId", "jobTypeId")):
        if (value := args.integer(param)) is not None:
            extra.append((f"json_extract(body, '$.{path}') = ?", [value]))
    status = args.enum("jobStatus", JOB_STATUS, None)
    query = args.query(
        ids=args.id_csv("ids"),
        active=None,
        statuses=[status] if status else None,
        extra=extra,
    )
    query = apply_sort(args, query, ("Id", "ModifiedOn", "CreatedOn"))
    return page_of(state, "jobs", query, args)


async def list_job_types(request: Request, state: SandboxState) -> Response:
    args = args_for(request, "ids", "name", "active")
    extra: list[tuple[str, list[Any]]] = []
    if (name := args.text("name")) is not None:
        extra.append(json_like("name", name))
    query = args.query(ids=args.id_csv("ids"), active=args.active(), extra=extra)
    return page_of(state, "job-types", query, args)


async def list_budget_codes(request: Request, state: SandboxState) -> Response:
    args = args_for(request, "budgetCodeIds", windows=False)
    query = Query(ids=args.id_csv("budgetCodeIds"), active=None)
    return page_of(state, "budget-codes", query, args)


async def list_business_units(request: Request, state: SandboxState) -> Response:
    args = args_for(request, "ids", "name", "active", "externalDataApplicationGuid")
    args.text("externalDataApplicationGuid")
    extra: list[tuple[str, list[Any]]] = []
    if (name := args.text("name")) is not None:
        extra.append(json_like("name", name))
    query = args.query(ids=args.id_csv("ids"), active=args.active(), extra=extra)
    return page_of(state, "business-units", query, args)


async def list_categories(request: Request, state: SandboxState) -> Response:
    args = args_for(request, "active", "categoryType", "sort")
    extra: list[tuple[str, list[Any]]] = []
    if (kind := args.enum("categoryType", ("Services", "Materials"), None)) is not None:
        extra.append(("json_extract(body, '$.categoryType') = ?", [kind]))
    query = args.query(active=args.active(), extra=extra)
    query = apply_sort(args, query, ("Id",))
    return page_of(state, "categories", query, args)


def _getter(resource: str, what: str) -> Callable[[Request, SandboxState], Awaitable[Response]]:
    async def get(request: Request, state: SandboxState) -> Response:
        raw = str(request.path_params["id"])
        if not raw.isdigit():
            raise validation_problem({"id": [f"The value '{raw}' is not valid."]})
        args_for(request, windows=False, paging=False).finish()
        record = state.store.get(resource, int(raw))
        if record is None:
            raise not_found(what, raw)
        return json_response(record)

    return get


def reference_routes() -> list[Route]:
    return [
        api_route("jpm", "/jobs", list_jobs, ["GET"]),
        api_route("jpm", "/jobs/{id}", _getter("jobs", "Job"), ["GET"]),
        api_route("jpm", "/job-types", list_job_types, ["GET"]),
        api_route("jpm", "/job-types/{id}", _getter("job-types", "Job type"), ["GET"]),
        api_route("jpm", "/work-breakdown-structure/budget-codes", list_budget_codes, ["GET"]),
        api_route("settings", "/business-units", list_business_units, ["GET"]),
        api_route(
            "settings", "/business-units/{id}", _getter("business-units", "Business unit"), ["GET"]
        ),
        api_route("pricebook", "/categories", list_categories, ["GET"]),
        api_route("pricebook", "/categories/{id}", _getter("categories", "Category"), ["GET"]),
    ]
