"""Errors of the ServiceTitan side, and how HTTP answers become them.

    ServiceTitanError                      (ml_connector.errors)
    ├── StAuthError                  STOP   the token request failed
    │   ├── InvalidCredentialsError  STOP   client id or secret rejected
    │   ├── WrongEnvironmentError    STOP   the token URL is not a token endpoint / no such host
    │   └── TokenThrottledError      RETRY  too many token requests
    ├── StUnreachableError           RETRY  connection refused, reset or timed out (after retries)
    ├── StRateLimitedError           RETRY  429 still answered after the retry budget
    ├── StServerError                RETRY  5xx still answered after the retry budget
    ├── MalformedResponseError       RETRY  a body that is not the JSON we expect (truncated...)
    ├── StUnauthorizedError          STOP   401 even with a freshly issued token
    ├── StForbiddenError             STOP   403: the app lacks the scope
    │   └── ModuleNotLicensedError   STOP   403: the tenant has not licensed this module
    ├── StNotFoundError              SKIP   404 for one record
    ├── StRequestError               SKIP   other 4xx: ServiceTitan refused this request
    ├── InvalidRecordError           SKIP   one record did not validate (the stream goes on)
    ├── WebhookSignatureError        SKIP   a webhook delivery without a valid HMAC signature
    └── WebhookPayloadError          SKIP   a webhook body that is not a CloudEvents envelope
        ├── WebhookTooLargeError     SKIP   a webhook body over the receiver's size limit
        └── WebhookStaleError        SKIP   a webhook event too old (a replay) or from the future

Every error built from a response carries `status`, `trace_id` (give it to ServiceTitan
support), `title` and the field `errors` of the RFC 7807 body. Messages hold no secrets:
URLs are passed through `redact_url` and bodies are never echoed whole.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ml_connector.errors import Action, ServiceTitanError

__all__ = [
    "InvalidCredentialsError",
    "InvalidRecordError",
    "MalformedResponseError",
    "ModuleNotLicensedError",
    "ProblemDetails",
    "ServiceTitanError",
    "StAuthError",
    "StForbiddenError",
    "StNotFoundError",
    "StRateLimitedError",
    "StRequestError",
    "StServerError",
    "StUnauthorizedError",
    "StUnreachableError",
    "TokenThrottledError",
    "WebhookPayloadError",
    "WebhookSignatureError",
    "WebhookStaleError",
    "WebhookTooLargeError",
    "WrongEnvironmentError",
    "error_from_response",
    "parse_problem",
    "redact_url",
]

_SECRET_PARAMS = frozenset(
    {
        "client_secret",
        "client_id",
        "access_token",
        "token",
        "servicetitanapplicationkey",
        "st-app-key",
        "app_key",
        "password",
    }
)


def redact_url(url: str) -> str:
    """The URL with user info dropped and secret-looking query values replaced by `***`."""
    try:
        parts = urlsplit(str(url))
    except ValueError:
        return "<unparseable url>"
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    query = urlencode(
        [
            (k, "***" if k.lower() in _SECRET_PARAMS else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="*,",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


class ProblemDetails:
    """The RFC 7807 body ServiceTitan answers errors with (`ApiErrorResponse`)."""

    __slots__ = ("errors", "status", "title", "trace_id", "type")

    def __init__(
        self,
        *,
        title: str | None = None,
        status: int | None = None,
        trace_id: str | None = None,
        kind: str | None = None,
        errors: Mapping[str, list[str]] | None = None,
    ) -> None:
        self.title = title
        self.status = status
        self.trace_id = trace_id
        self.type = kind  # the RFC's `type` URI
        self.errors: dict[str, list[str]] = dict(errors or {})

    def summary(self) -> str:
        text = self.title or ""
        if self.errors:
            fields = "; ".join(
                f"{name}: {' '.join(msgs)}" for name, msgs in list(self.errors.items())[:5]
            )
            text = f"{text} ({fields})" if text else fields
        return text


def parse_problem(body: bytes) -> ProblemDetails | None:
    """The problem body if `body` is one; None for empty, non-JSON or other shapes."""
    if not body:
        return None
    try:
        data = json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    errors: dict[str, list[str]] = {}
    raw_errors = data.get("errors")
    if isinstance(raw_errors, dict):
        for key, msgs in raw_errors.items():
            if isinstance(msgs, list):
                errors[str(key)] = [str(m)[:300] for m in msgs]
            elif msgs is not None:
                errors[str(key)] = [str(msgs)[:300]]
    status = data.get("status")
    title = data.get("title")
    trace = data.get("traceId")
    kind = data.get("type")
    if title is None and trace is None and not errors:
        return None
    return ProblemDetails(
        title=str(title)[:500] if title is not None else None,
        status=status if isinstance(status, int) and not isinstance(status, bool) else None,
        trace_id=str(trace) if trace is not None else None,
        kind=str(kind) if kind is not None else None,
        errors=errors,
    )


class _StHttpError(ServiceTitanError):
    """Base of errors that carry an HTTP status and a problem body."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        title: str | None = None,
        errors: Mapping[str, list[str]] | None = None,
        url: str | None = None,
        operation: str | None = None,
        record: str | None = None,
        hint: str | None = None,
        trace_id: str | None = None,
    ) -> None:
        super().__init__(message, operation=operation, record=record, hint=hint, trace_id=trace_id)
        self.status = status
        self.title = title
        self.errors: dict[str, list[str]] = dict(errors or {})
        self.url = redact_url(url) if url else None


class StAuthError(_StHttpError):
    """The token request failed."""

    action = Action.STOP


class InvalidCredentialsError(StAuthError):
    """The token endpoint rejected the client id or the client secret."""

    action = Action.STOP


class WrongEnvironmentError(StAuthError):
    """The token URL did not answer like ServiceTitan's token endpoint (404, no such host...)."""

    action = Action.STOP


class TokenThrottledError(StAuthError):
    """ServiceTitan throttled token requests."""

    action = Action.RETRY


class StUnreachableError(_StHttpError):
    """Could not reach ServiceTitan (refused, reset, timed out), even after retries."""

    action = Action.RETRY


class StRateLimitedError(_StHttpError):
    """ServiceTitan kept answering 429 past the retry budget."""

    action = Action.RETRY

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class StServerError(_StHttpError):
    """ServiceTitan kept answering 5xx past the retry budget."""

    action = Action.RETRY


class MalformedResponseError(_StHttpError):
    """A response body that is not the JSON this endpoint answers (truncated, HTML, wrong shape)."""

    action = Action.RETRY


class StUnauthorizedError(_StHttpError):
    """401 even with a token issued just now: the app was disconnected or its access revoked."""

    action = Action.STOP


class StForbiddenError(_StHttpError):
    """403: the application lacks the scope for this endpoint."""

    action = Action.STOP


class ModuleNotLicensedError(StForbiddenError):
    """403: the tenant has not licensed the module (stop that stream, keep its cursor)."""

    action = Action.STOP

    def __init__(self, message: str, *, module: str, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.module = module


class StNotFoundError(_StHttpError):
    """404 for one record."""

    action = Action.SKIP


class StRequestError(_StHttpError):
    """ServiceTitan refused this request (400, 409, 422...): the record needs a person."""

    action = Action.SKIP


class InvalidRecordError(ServiceTitanError):
    """One record from a list did not validate; the rest of the stream carries on."""

    action = Action.SKIP

    def __init__(
        self,
        message: str,
        *,
        resource: str,
        record_id: object,
        problems: list[str],
        operation: str | None = None,
    ) -> None:
        super().__init__(
            message,
            operation=operation,
            record=f"{resource} {record_id}",
            hint="fix the record in ServiceTitan; it is read again on the next cycle",
        )
        self.resource = resource
        self.record_id = record_id
        self.problems = problems


class WebhookSignatureError(ServiceTitanError):
    """A webhook delivery whose signature is missing or does not match the shared key."""

    action = Action.SKIP


class WebhookPayloadError(ServiceTitanError):
    """A webhook body that is not a CloudEvents 1.0 JSON envelope."""

    action = Action.SKIP


_LICENCE_WORDS = re.compile(r"licen[cs]|not (?:enabled|subscribed|available)|subscription", re.I)


def module_of(path: str) -> str:
    """`/accounting/v2/tenant/1/ap-bills` -> `accounting`."""
    return path.strip("/").split("/", 1)[0]


def error_from_response(
    *,
    status: int,
    body: bytes,
    url: str,
    path: str,
    operation: str,
    retry_after: float | None = None,
) -> ServiceTitanError:
    """The error for a final (not retried) non-2xx answer of the API."""
    problem = parse_problem(body)
    title = problem.title if problem else None
    detail = problem.summary() if problem else ""
    trace = problem.trace_id if problem else None
    kw: dict[str, Any] = {
        "status": status,
        "title": title,
        "errors": problem.errors if problem else None,
        "url": url,
        "operation": operation,
        "trace_id": trace,
    }
    said = f": {detail}" if detail else ""
    module = module_of(path)
    if status == 401:
        return StUnauthorizedError(
            f"ServiceTitan refused a freshly issued token (401){said}",
            hint="reconnect the application for this tenant, or check that its access was "
            "not revoked in ServiceTitan (Settings > Integrations > API Application Access)",
            **kw,
        )
    if status == 403:
        text = " ".join([title or "", detail])
        if _LICENCE_WORDS.search(text):
            return ModuleNotLicensedError(
                f"the tenant has not licensed the ServiceTitan module '{module}' (403){said}",
                module=module,
                hint=f"this stream is skipped; ask ServiceTitan to enable '{module}' for "
                "the tenant, or turn the stream off",
                **kw,
            )
        return StForbiddenError(
            f"the application may not use {module} (403){said}",
            hint="add the missing scope to the application in the ServiceTitan developer "
            "portal and have the tenant admin accept the new version",
            **kw,
        )
    if status == 404:
        return StNotFoundError(f"not found (404){said}", **kw)
    if status == 429:
        return StRateLimitedError(
            f"ServiceTitan kept answering 429 (too many requests){said}",
            retry_after=retry_after,
            hint="the next cycle tries again; lower max_rps if this recurs",
            **kw,
        )
    if status >= 500:
        return StServerError(
            f"ServiceTitan answered {status}{said}",
            hint="a ServiceTitan outage: the next cycle tries again",
            **kw,
        )
    return StRequestError(f"ServiceTitan refused the request ({status}){said}", **kw)


def is_name_resolution_failure(exc: BaseException) -> bool:
    """True when a connection failed because the host name does not resolve."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, socket.gaierror):
            return True
        text = str(current).lower()
        if "name or service not known" in text or "nodename nor servname" in text:
            return True
        if "getaddrinfo failed" in text or "temporary failure in name resolution" in text:
            return True
        current = current.__cause__ or current.__context__
    return False


class WebhookTooLargeError(WebhookPayloadError):
    """A webhook body larger than the receiver accepts (refused before it is all read)."""


class WebhookStaleError(WebhookPayloadError):
    """A signed webhook event whose `time` is too old (a replayed capture) or too far ahead."""
