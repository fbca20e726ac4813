"""One ServiceTitan API call: rate limit, auth headers, retries, JSON with Decimal.

`StHttp.call` is the only place that touches the network for the API. Per attempt it
waits for the tenant's token bucket, takes a *fresh* bearer token from the authenticator
(a retry never reuses an expired header), sends, and then:

- 2xx: parses the body with `parse_float=Decimal` (money never passes through float);
  a body that is not JSON is retried as transient and ends as `MalformedResponseError`;
- 401: drops the token, re-authenticates once and repeats the request;
- 429: pauses the whole bucket for `Retry-After` (or the title's "Try again in N seconds");
- 5xx, timeouts, resets: jittered exponential backoff, within the policy's total cap;
- anything else: the error from `errors.error_from_response`, never retried.

Writes that are not idempotent (`idempotent=False`, e.g. creating a vendor) are retried only
when the request surely did not take effect: 429 and failures to connect.
httpx exceptions are translated here, chained with `from`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import structlog

from ml_connector.clock import Clock
from ml_connector.servicetitan.auth import Authenticator
from ml_connector.servicetitan.environment import StCredentials, StEnvironment
from ml_connector.servicetitan.errors import (
    MalformedResponseError,
    ServiceTitanError,
    StRateLimitedError,
    StUnreachableError,
    error_from_response,
    is_name_resolution_failure,
    parse_problem,
    redact_url,
)
from ml_connector.servicetitan.ratelimit import TokenBucket
from ml_connector.servicetitan.retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after

log = structlog.get_logger(__name__)

QueryValue = str | int | bool | Sequence[str] | None


@dataclass(slots=True)
class CallStats:
    """Counters for benchmarks, tests and status pages (exact under threads)."""

    requests: int = 0
    retries: int = 0
    reauthentications: int = 0
    rate_limited: int = 0
    server_errors: int = 0
    transport_errors: int = 0
    malformed: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, name: str) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + 1)


def encode_json(value: Any) -> bytes:
    """JSON bytes with Decimal written as a number literal (never through float)."""
    return _encode(value).encode("utf-8")


def _encode(value: Any) -> str:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot send {value} as a JSON number")
        return format(value, "f")
    if isinstance(value, datetime | date):
        return json.dumps(value.isoformat())
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json.dumps(str(k))}:{_encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    if isinstance(value, float):
        raise ValueError("refusing to send a float; use Decimal")
    return json.dumps(value)


def format_instant(value: datetime) -> str:
    """A UTC ISO-8601 instant for the `modifiedOnOrAfter`-style filters."""
    if value.tzinfo is None:
        raise ValueError("ServiceTitan filters need timezone-aware datetimes")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class StHttp:
    """Sends API requests for one tenant with auth, rate limit and retries."""

    def __init__(
        self,
        environment: StEnvironment,
        credentials: StCredentials,
        *,
        http: httpx.Client,
        auth: Authenticator,
        limiter: TokenBucket,
        clock: Clock,
        policy: RetryPolicy,
    ) -> None:
        self._env = environment
        self._creds = credentials
        self._http = http
        self._auth = auth
        self._limiter = limiter
        self._clock = clock
        self._policy = policy
        self.stats = CallStats()

    def tenant_path(self, module: str, resource: str) -> str:
        """`/{module}/v2/tenant/{tenant}/{resource}`."""
        return f"/{module}/v2/tenant/{self._creds.tenant_id}/{resource.lstrip('/')}"

    def call(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        params: Mapping[str, QueryValue] | None = None,
        body: Any = None,
        idempotent: bool = True,
    ) -> Any:
        """Send one request (retrying as the policy allows) and return its parsed JSON."""
        url = self._env.api_base + path
        query = _query(params or {})
        content = encode_json(body) if body is not None else None
        spent = 0.0
        attempt = 0
        reauthenticated = False
        while True:
            attempt += 1
            self._limiter.acquire()
            token = self._auth.token()
            headers = {
                "Authorization": f"Bearer {token}",
                "ST-App-Key": self._creds.app_key.get_secret_value(),
                "Accept": "application/json",
            }
            if content is not None:
                headers["Content-Type"] = "application/json"
            self.stats.add("requests")
            try:
                resp, raw = _send(
                    self._http, method, url, params=query, content=content, headers=headers
                )
            except httpx.TransportError as exc:
                self.stats.add("transport_errors")
                failure = self._transport_failure(exc, method, url, operation)
                failure.__cause__ = exc  # kept when it is raised after the last retry
                sent_maybe = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                if (sent_maybe and not idempotent) or is_name_resolution_failure(exc):
                    raise failure from exc
                wait = self._policy.backoff(attempt)
            else:
                status = resp.status_code
                if 200 <= status < 300:
                    try:
                        return _parse_json(resp, raw, url, operation)
                    except MalformedResponseError as exc:
                        self.stats.add("malformed")
                        if not idempotent:
                            raise
                        failure = exc
                        wait = self._policy.backoff(attempt)
                elif status == 401 and not reauthenticated:
                    # A revoked or expired token: one fresh token and one more try, no wait.
                    self.stats.add("reauthentications")
                    reauthenticated = True
                    self._auth.invalidate(token)
                    attempt -= 1
                    log.info("servicetitan.reauthenticate", url=redact_url(url))
                    continue
                elif status in RETRYABLE_STATUSES:
                    problem = parse_problem(raw)
                    retry_after = parse_retry_after(
                        resp.headers.get("Retry-After"),
                        problem.title if problem else None,
                        now=self._clock.now(),
                    )
                    failure = error_from_response(
                        status=status,
                        body=raw,
                        url=url,
                        path=path,
                        operation=operation,
                        retry_after=retry_after,
                    )
                    if status == 429:
                        self.stats.add("rate_limited")
                        wait = self._policy.rate_limit_wait(retry_after)
                    else:
                        self.stats.add("server_errors")
                        if not idempotent:
                            raise failure
                        wait = self._policy.backoff(attempt)
                else:
                    raise error_from_response(
                        status=status, body=raw, url=url, path=path, operation=operation
                    )
            if attempt >= self._policy.max_attempts or spent + wait > self._policy.total_cap:
                raise failure
            self.stats.add("retries")
            log.warning(
                "servicetitan.retry",
                method=method,
                url=redact_url(url),
                attempt=attempt,
                wait=round(wait, 3),
                reason=type(failure).__name__,
                trace_id=getattr(failure, "trace_id", None),
            )
            if isinstance(failure, StRateLimitedError):
                # Everyone waits, not only this thread: the next acquire() sleeps it out.
                self._limiter.pause_for(wait)
            else:
                self._clock.sleep(wait)
            spent += wait

    def _transport_failure(
        self, exc: httpx.TransportError, method: str, url: str, operation: str
    ) -> ServiceTitanError:
        safe = redact_url(url)
        if is_name_resolution_failure(exc):
            return StUnreachableError(
                f"the ServiceTitan host of {safe} does not resolve",
                url=url,
                operation=operation,
                hint="check the environment (production or integration) and the machine's DNS",
            )
        if isinstance(exc, httpx.TimeoutException):
            what = "timed out"
        elif isinstance(exc, httpx.RemoteProtocolError):
            what = "was cut off (connection dropped or body truncated)"
        else:
            what = f"failed ({type(exc).__name__})"
        return StUnreachableError(
            f"{method} {safe} {what}",
            url=url,
            operation=operation,
            hint="check the network; the next cycle tries again",
        )


_Pairs = list[tuple[str, str | int | float | bool | None]]


def _query(params: Mapping[str, QueryValue]) -> _Pairs:
    """Query pairs; sequences repeat the parameter (`statuses=A&statuses=B`), None is left out."""
    pairs: _Pairs = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            pairs.append((key, "true" if value else "false"))
        elif isinstance(value, str | int):
            pairs.append((key, str(value)))
        else:
            pairs.extend((key, str(v)) for v in value)
    return pairs


def _send(
    http: httpx.Client, method: str, url: str, **request: Any
) -> tuple[httpx.Response, bytes]:
    """The response (status and headers) and its body, read here rather than kept by
    httpx on the response.

    httpx's `Response` and the stream it reads from refer to each other (a reference
    cycle, encode/httpx#3733), so a body stored on the response is freed only by the
    garbage collector's next full pass, not when the caller lets go of it. A page of
    1,000 AP bills is about 2 MB of JSON, and a long sync read ten or more pages between
    two full passes, all of them still held (docs/dev-notes/2026-12-03-peak.md). The
    bytes returned here are the caller's alone: they go with the last reference to them;
    the response left for the collector holds only its status and headers.
    """
    with http.stream(method, url, **request) as resp:
        body = b"".join(resp.iter_bytes())
    return resp, body


def _parse_json(resp: httpx.Response, raw: bytes, url: str, operation: str) -> Any:
    if not raw:
        if resp.status_code == 204:
            return None
        raise MalformedResponseError(
            f"ServiceTitan answered {resp.status_code} with an empty body",
            status=resp.status_code,
            url=url,
            operation=operation,
        )
    try:
        return json.loads(raw, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        kind = resp.headers.get("Content-Type", "no content type")
        raise MalformedResponseError(
            f"ServiceTitan answered {resp.status_code} with a body that is not valid JSON "
            f"({kind}, {len(raw)} bytes; truncated or not an API answer)",
            status=resp.status_code,
            url=url,
            operation=operation,
            hint="usually transient; if it persists, check the API base URL",
        ) from exc
