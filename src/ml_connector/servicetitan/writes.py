"""Bodies and answers of ServiceTitan writes.

PATCH bodies are camelCase (snake_case keys are converted, so either spelling works);
creates and updates answer `ModificationResponse {id}`; mark-as-exported answers one result
per item, which must be checked one by one (a 200 does not mean every id was accepted).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic.alias_generators import to_camel

from ml_connector.servicetitan.errors import MalformedResponseError
from ml_connector.servicetitan.records import ExportResult


def camel_case_body(value: Any) -> Any:
    """snake_case keys to camelCase, recursively; camelCase keys are left as they are."""
    if isinstance(value, Mapping):
        return {(to_camel(k) if "_" in k else k): camel_case_body(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [camel_case_body(v) for v in value]
    return value


def modified_id(answer: Any, operation: str) -> int:
    if isinstance(answer, dict) and isinstance(answer.get("id"), int):
        return int(answer["id"])
    if isinstance(answer, int) and not isinstance(answer, bool):
        return answer
    raise MalformedResponseError(
        f"the answer to {operation} carries no record id", operation=operation
    )


def export_results(
    answer: Any, asked: list[int], id_field: str, operation: str
) -> list[ExportResult]:
    """Per-item results; an id ServiceTitan did not answer for counts as not exported."""
    if not isinstance(answer, list):
        raise MalformedResponseError(
            f"the answer to {operation} is not a list of results", operation=operation
        )
    results: dict[int, ExportResult] = {}
    for item in answer:
        if not isinstance(item, dict) or not isinstance(item.get(id_field), int):
            raise MalformedResponseError(
                f"a result of {operation} has no '{id_field}'", operation=operation
            )
        if not isinstance(item.get("success"), bool):
            raise MalformedResponseError(
                f"the result of {operation} for {item[id_field]} has no boolean 'success'",
                operation=operation,
            )
        results[item[id_field]] = ExportResult(
            id=item[id_field],
            success=item["success"],
            error_message=item.get("errorMessage"),
        )
    for missing in (i for i in asked if i not in results):
        results[missing] = ExportResult(
            id=missing, success=False, error_message="ServiceTitan returned no result for it"
        )
    wanted = set(asked)
    return [results[i] for i in asked] + [r for k, r in results.items() if k not in wanted]
