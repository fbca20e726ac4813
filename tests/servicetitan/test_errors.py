"""HTTP answers become our errors, with ServiceTitan's trace id and no secrets."""

from __future__ import annotations

import json

import pytest

from ml_connector.errors import Action
from ml_connector.servicetitan.errors import (
    ModuleNotLicensedError,
    StForbiddenError,
    StNotFoundError,
    StRateLimitedError,
    StRequestError,
    StServerError,
    StUnauthorizedError,
    error_from_response,
    parse_problem,
    redact_url,
)


def _problem(status: int, title: str, **extra: object) -> bytes:
    body = {"type": "https://tools.ietf.org/html/rfc7231", "title": title, "status": status}
    body.update({"traceId": "00-abc123-01", "errors": {}, "data": {}})
    body.update(extra)
    return json.dumps(body).encode()


PATH = "/accounting/v2/tenant/1234567/ap-bills"


@pytest.mark.parametrize(
    ("status", "title", "kind", "action"),
    [
        (400, "One or more validation errors occurred.", StRequestError, Action.SKIP),
        (409, "Conflict", StRequestError, Action.SKIP),
        (404, "Not Found", StNotFoundError, Action.SKIP),
        (401, "Unauthorized", StUnauthorizedError, Action.STOP),
        (403, "Insufficient scope", StForbiddenError, Action.STOP),
        (429, "Rate limit is exceeded. Try again in 2 seconds.", StRateLimitedError, Action.RETRY),
        (503, "Service Unavailable", StServerError, Action.RETRY),
    ],
)
def test_status_maps_to_error_with_action_and_trace_id(
    status: int, title: str, kind: type[Exception], action: Action
) -> None:
    err = error_from_response(
        status=status,
        body=_problem(status, title),
        url="https://api.servicetitan.io" + PATH + "?page=1",
        path=PATH,
        operation="list accounting ap-bills",
    )
    assert type(err) is kind
    assert err.action is action
    assert err.trace_id == "00-abc123-01"
    assert title in err.message
    assert "00-abc123-01" in err.describe()
    assert err.operation == "list accounting ap-bills"


def test_field_errors_are_carried_and_summarised() -> None:
    body = _problem(400, "Validation failed", errors={"Name": ["The Name field is required."]})
    err = error_from_response(status=400, body=body, url="https://x/y", path=PATH, operation="op")
    assert isinstance(err, StRequestError)
    assert err.errors == {"Name": ["The Name field is required."]}
    assert "Name: The Name field is required." in err.message


def test_403_for_an_unlicensed_module_names_the_module() -> None:
    err = error_from_response(
        status=403,
        body=_problem(403, "Tenant does not have a license for this module"),
        url="https://api/x",
        path="/jpm/v2/tenant/1/work-breakdown-structure/budget-codes",
        operation="list budget codes",
    )
    assert isinstance(err, ModuleNotLicensedError)
    assert isinstance(err, StForbiddenError)
    assert err.module == "jpm"
    assert "'jpm'" in err.message
    assert err.action is Action.STOP


@pytest.mark.parametrize(
    "body", [b"", b"<html>502 Bad Gateway</html>", b'{"title": "Forb', b"[1,2]"]
)
def test_error_without_a_problem_body_is_still_clear(body: bytes) -> None:
    err = error_from_response(status=502, body=body, url="https://api/x", path=PATH, operation="op")
    assert isinstance(err, StServerError)
    assert err.message == "ServiceTitan answered 502"
    assert err.trace_id is None


def test_parse_problem_reads_status_and_ignores_other_shapes() -> None:
    problem = parse_problem(_problem(429, "Too many"))
    assert problem is not None
    assert (problem.status, problem.title, problem.trace_id) == (429, "Too many", "00-abc123-01")
    assert parse_problem(b'{"hello": 1}') is None
    assert parse_problem(b"not json") is None


def test_redact_url_drops_user_info_and_secret_query_values() -> None:
    url = "https://me:pw@auth.servicetitan.io:8443/connect/token?client_secret=s3cr3t&page=2&servicetitanapplicationkey=k"
    safe = redact_url(url)
    assert "s3cr3t" not in safe
    assert "pw" not in safe
    assert "me:" not in safe
    assert "=k" not in safe
    assert "page=2" in safe
    assert safe.startswith("https://auth.servicetitan.io:8443/connect/token?")
