"""Error answers in ServiceTitan's official shape (`ApiErrorResponse`, after RFC 7807).

`{type, title, status, traceId, errors: {field: [messages]}, data: {}}`: all six fields are
always present. Handlers raise `ApiProblem`; the app turns it into the response.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.responses import Response

_TYPES = {
    400: "https://tools.ietf.org/html/rfc7231#section-6.5.1",
    401: "https://tools.ietf.org/html/rfc7235#section-3.1",
    403: "https://tools.ietf.org/html/rfc7231#section-6.5.3",
    404: "https://tools.ietf.org/html/rfc7231#section-6.5.4",
    405: "https://tools.ietf.org/html/rfc7231#section-6.5.5",
    409: "https://tools.ietf.org/html/rfc7231#section-6.5.8",
    429: "https://tools.ietf.org/html/rfc6585#section-4",
    500: "https://tools.ietf.org/html/rfc7231#section-6.6.1",
    502: "https://tools.ietf.org/html/rfc7231#section-6.6.3",
    503: "https://tools.ietf.org/html/rfc7231#section-6.6.4",
}


def trace_id() -> str:
    """A W3C-traceparent-like id, as ServiceTitan puts in `traceId`."""
    return f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-00"


class ApiProblem(Exception):
    """An error answer: status, title, per-field messages, extra headers."""

    def __init__(
        self,
        status: int,
        title: str,
        *,
        errors: dict[str, list[str]] | None = None,
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {title}")
        self.status = status
        self.title = title
        self.errors = errors or {}
        self.data = data or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {
            "type": _TYPES.get(self.status, "about:blank"),
            "title": self.title,
            "status": self.status,
            "traceId": trace_id(),
            "errors": self.errors,
            "data": self.data,
        }

    def response(self) -> Response:
        return Response(
            json.dumps(self.body()),
            status_code=self.status,
            media_type="application/json",
            headers=self.headers,
        )


def validation_problem(errors: dict[str, list[str]]) -> ApiProblem:
    return ApiProblem(400, "One or more validation errors occurred.", errors=errors)


def not_found(what: str, record_id: object) -> ApiProblem:
    return ApiProblem(
        404, f"{what} with id {record_id} was not found.", errors={"id": [f"{record_id}"]}
    )
