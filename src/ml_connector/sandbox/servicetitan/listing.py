"""Shared list mechanics: filters to a store `Query`, `sort`, paging into the envelope."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ml_connector.sandbox.servicetitan.app import SandboxState, raw_page
from ml_connector.sandbox.servicetitan.params import PAGING, WINDOWS, Args
from ml_connector.sandbox.servicetitan.store import Query

SORT_FIELDS = {"id": "id", "modifiedon": "modifiedOn", "createdon": "createdOn"}


def args_for(
    request: Request, *implemented: str, windows: bool = True, paging: bool = True
) -> Args:
    names = (
        list(implemented) + (list(WINDOWS) if windows else []) + (list(PAGING) if paging else [])
    )
    return Args(request.query_params, names)


def apply_sort(args: Args, query: Query, allowed: Sequence[str] = ("Id",)) -> Query:
    raw = args.text("sort")
    if raw is None:
        return query
    direction, name = (raw[0], raw[1:]) if raw[0] in "+- " else ("+", raw)
    key = SORT_FIELDS.get(name.strip().lower())
    if key is None or name.strip().lower() not in {a.lower() for a in allowed}:
        args.errors.setdefault("sort", []).append(
            f"Sorting by '{name}' is not supported. Available fields are: {', '.join(allowed)}"
        )
        return query
    return replace(query, order_by=key, descending=direction == "-")


def json_like(column_path: str, value: str) -> tuple[str, list[Any]]:
    """A case-insensitive 'contains' on one JSON field of the body."""
    return f"lower(json_extract(body, '$.{column_path}')) LIKE ?", [f"%{value.lower()}%"]


def json_in(column_path: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    marks = ",".join("?" * len(values))
    return f"json_extract(body, '$.{column_path}') IN ({marks})", list(values)


def page_of(state: SandboxState, resource: str, query: Query, args: Args) -> Response:
    page, size, total = args.paging()
    args.finish()
    bodies, more, count = state.store.page(
        resource, query, page=page, page_size=size, with_total=total
    )
    return raw_page(bodies, page, size, more, count)


def page_of_records(records: list[dict[str, Any]], args: Args) -> Response:
    """Paging over records already filtered in Python (small resources)."""
    import json

    page, size, total = args.paging()
    args.finish()
    start = (page - 1) * size
    chunk = records[start : start + size]
    return raw_page(
        [json.dumps(r) for r in chunk],
        page,
        size,
        len(records) > start + size,
        len(records) if total else None,
    )
