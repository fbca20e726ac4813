"""Single edge cases at the transport level (httpx.MockTransport); the main suite runs
against the sandbox over real HTTP."""

from __future__ import annotations

import json
import random
import socket
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
import structlog
from pydantic import SecretStr

from ml_connector.clock import ManualClock
from ml_connector.errors import Action
from ml_connector.servicetitan.auth import TokenCache
from ml_connector.servicetitan.client import ServiceTitanClient
from ml_connector.servicetitan.environment import StCredentials, StEnvironment
from ml_connector.servicetitan.errors import (
    InvalidCredentialsError,
    MalformedResponseError,
    StRateLimitedError,
    StServerError,
    StUnauthorizedError,
    StUnreachableError,
    TokenThrottledError,
    WrongEnvironmentError,
)
from ml_connector.servicetitan.ratelimit import LimiterRegistry
from ml_connector.servicetitan.records import NewStVendor
from ml_connector.servicetitan.retry import RetryPolicy
from ml_connector.servicetitan.transport import encode_json

SECRET = "very-secret-client-secret"
APP_KEY = "very-secret-app-key"
Handler = Callable[[httpx.Request], httpx.Response]


class FakeServiceTitan:
    """Issues numbered tokens; API answers come from a per-test queue or `default`."""

    def __init__(self, api: Handler, *, expires_in: int = 900) -> None:
        self.api = api
        self.expires_in = expires_in
        self.tokens = 0
        self.api_requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/connect/token":
            self.tokens += 1
            return httpx.Response(
                200, json={"access_token": f"tok-{self.tokens}", "expires_in": self.expires_in}
            )
        self.api_requests.append(request)
        return self.api(request)


def _client(handler: Handler, clock: ManualClock | None = None, **kw: Any) -> ServiceTitanClient:
    return ServiceTitanClient(
        StEnvironment.custom("http://st.test", "http://st.test/connect/token"),
        StCredentials(1234567, "client-1", SecretStr(SECRET), SecretStr(APP_KEY)),
        clock=clock or ManualClock(),
        transport=httpx.MockTransport(handler),
        limiters=LimiterRegistry(),
        tokens=TokenCache(),
        retry=kw.pop("retry", RetryPolicy(max_attempts=4, rng=random.Random(1))),
        **kw,
    )


def _page(records: list[dict[str, Any]], has_more: bool = False) -> httpx.Response:
    body = {"page": 1, "pageSize": 50, "hasMore": has_more, "data": records}
    return httpx.Response(200, json=body)


def test_truncated_body_is_retried_then_reported_clearly() -> None:
    fake = FakeServiceTitan(lambda r: httpx.Response(200, content=b'{"page":1,"data":[{"id":'))
    with _client(fake) as client, pytest.raises(MalformedResponseError) as info:
        list(client.gl_accounts())
    assert "not valid JSON" in info.value.message
    assert info.value.action is Action.RETRY
    assert len(fake.api_requests) == 4


def test_a_truncated_body_followed_by_a_good_one_succeeds() -> None:
    answers = iter([httpx.Response(200, content=b'{"hasMore": tr'), _page([{"id": 1}])])
    fake = FakeServiceTitan(lambda r: next(answers))
    with _client(fake) as client:
        assert [a.id for a in client.gl_accounts()] == [1]
        assert client.stats.malformed == 1


def test_dropped_connection_is_retried() -> None:
    calls = {"n": 0}

    def api(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] < 3:
            raise httpx.RemoteProtocolError("peer closed connection", request=request)
        return _page([{"id": 7}])

    with _client(FakeServiceTitan(api)) as client:
        assert [a.id for a in client.gl_accounts()] == [7]
        assert client.stats.transport_errors == 2


def test_every_retry_carries_a_fresh_authorization_header() -> None:
    clock = ManualClock()
    statuses = iter([503, 503, 200])

    def api(request: httpx.Request) -> httpx.Response:
        status = next(statuses)
        clock.advance(5)  # the token (life 8 s, refreshed at 4 s) is stale by the next try
        return _page([{"id": 1}]) if status == 200 else httpx.Response(status)

    fake = FakeServiceTitan(api, expires_in=8)
    with _client(fake, clock=clock) as client:
        assert [a.id for a in client.gl_accounts()] == [1]
    sent = [r.headers["Authorization"] for r in fake.api_requests]
    assert sent == ["Bearer tok-1", "Bearer tok-2", "Bearer tok-3"]
    assert all(r.headers["ST-App-Key"] == APP_KEY for r in fake.api_requests)
    assert fake.api_requests[0].url.path == "/accounting/v2/tenant/1234567/gl-accounts"


def test_total_time_cap_stops_retrying() -> None:
    fake = FakeServiceTitan(lambda r: httpx.Response(429, headers={"Retry-After": "100"}))
    policy = RetryPolicy(max_attempts=10, total_cap=150, max_retry_after=200)
    clock = ManualClock()
    with (
        _client(fake, clock=clock, retry=policy) as client,
        pytest.raises(StRateLimitedError) as info,
    ):
        list(client.gl_accounts())
    assert len(fake.api_requests) == 2
    assert info.value.retry_after == 100


def test_create_vendor_is_not_retried_after_a_5xx_but_is_after_a_429() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "1"}), httpx.Response(500)])
    fake = FakeServiceTitan(lambda r: next(answers))
    with _client(fake) as client, pytest.raises(StServerError):
        client.create_vendor(NewStVendor(name="Ferguson", tax_rate=Decimal("0.0825")))
    assert len(fake.api_requests) == 2
    body = json.loads(fake.api_requests[0].content, parse_float=Decimal)
    assert body["taxRate"] == Decimal("0.0825")
    assert body["isTruckReplenishment"] is False
    assert body["address"] == dict.fromkeys(
        ("street", "unit", "city", "state", "zip", "country"), ""
    )


def _token_client(token_answer: Callable[[httpx.Request], httpx.Response]) -> ServiceTitanClient:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/connect/token":
            return token_answer(request)
        return _page([])

    return _client(handler)


def _gaierror(request: httpx.Request) -> httpx.Response:
    try:
        raise socket.gaierror(-2, "Name or service not known")
    except socket.gaierror as exc:
        raise httpx.ConnectError("[Errno -2] Name or service not known") from exc


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


@pytest.mark.parametrize(
    ("answer", "kind", "words"),
    [
        (
            lambda r: httpx.Response(400, json={"error": "invalid_client"}),
            InvalidCredentialsError,
            "rejected the client id or client secret",
        ),
        (lambda r: httpx.Response(401), InvalidCredentialsError, "client id or client secret"),
        (lambda r: httpx.Response(404, text="Not Found"), WrongEnvironmentError, "not a token"),
        (
            lambda r: httpx.Response(200, text="<html>portal</html>"),
            WrongEnvironmentError,
            "not with an access token",
        ),
        (_gaierror, WrongEnvironmentError, "does not resolve"),
        (_refused, StUnreachableError, "could not reach"),
        (
            lambda r: httpx.Response(429, headers={"Retry-After": "2"}),
            TokenThrottledError,
            "throttling",
        ),
    ],
)
def test_failed_token_request_says_which(
    answer: Handler, kind: type[Exception], words: str
) -> None:
    with (
        structlog.testing.capture_logs() as logs,
        _token_client(answer) as client,
        pytest.raises(kind) as info,
    ):
        list(client.gl_accounts())
    err = info.value
    text = f"{err} {err.describe()} {err.hint} {logs}"  # type: ignore[attr-defined]
    assert words in str(err)
    assert SECRET not in text
    assert APP_KEY not in text
    assert "custom token endpoint http://st.test/connect/token" in str(err)


def test_invalid_record_is_skipped_collected_and_logged() -> None:
    records = [
        {"id": 1, "billAmount": "10.00"},
        {"id": 2, "billAmount": "ten dollars"},
        {"billAmount": "1.00"},
        {"id": 4, "billAmount": "4.00"},
    ]
    fake = FakeServiceTitan(lambda r: _page(records))
    seen = []
    with (
        structlog.testing.capture_logs() as logs,
        _client(fake, on_invalid=seen.append) as client,
    ):
        bills = list(client.ap_bills(bill_type="ApBill"))
        assert [b.id for b in bills] == [1, 4]
        invalid = client.take_invalid_records()
    assert [e.record_id for e in invalid] == [2, None]
    assert invalid[0].record == "ap-bills 2"
    assert invalid[0].action is Action.SKIP
    assert "billAmount" in invalid[0].message
    assert seen == invalid
    assert [e["record_id"] for e in logs if e["event"] == "servicetitan.invalid_record"] == [
        2,
        None,
    ]
    assert client.invalid_count == 2


def test_encode_json_writes_decimal_exactly_and_refuses_floats() -> None:
    assert encode_json({"a": Decimal("0.10"), "b": [1, "x", None, True]}) == (
        b'{"a":0.10,"b":[1,"x",null,true]}'
    )
    with pytest.raises(ValueError, match="float"):
        encode_json({"a": 0.1})


def test_mark_exported_checks_each_result() -> None:
    def api(request: httpx.Request) -> httpx.Response:
        asked = json.loads(request.content)["billIds"]
        return httpx.Response(
            200,
            json=[
                {"billId": asked[0], "success": True, "errorMessage": None},
                {"billId": asked[1], "success": False, "errorMessage": "already exported"},
            ],
        )

    with _client(FakeServiceTitan(api)) as client:
        results = client.mark_ap_bills_exported([30, 10, 20])
    assert [(r.id, r.success) for r in results] == [(10, True), (20, False), (30, False)]
    assert results[1].error_message == "already exported"
    assert results[2].error_message == "ServiceTitan returned no result for it"


def test_401_even_with_a_fresh_token_is_reported_after_one_reauthentication() -> None:
    fake = FakeServiceTitan(
        lambda r: httpx.Response(
            401, json={"title": "Unauthorized", "status": 401, "traceId": "t-401"}
        )
    )
    with _client(fake) as client, pytest.raises(StUnauthorizedError) as info:
        list(client.gl_accounts())
    assert fake.tokens == 2
    assert [r.headers["Authorization"] for r in fake.api_requests] == [
        "Bearer tok-1",
        "Bearer tok-2",
    ]
    assert info.value.action is Action.STOP
    assert info.value.trace_id == "t-401"
    assert "reconnect the application" in (info.value.hint or "")


@pytest.mark.parametrize(("max_rps", "burst"), [(0, 5), (60, 1), (58, 5)])
def test_a_rate_that_could_break_the_limit_is_refused(max_rps: float, burst: int) -> None:
    with pytest.raises(ValueError, match="max_rps"):
        _client(FakeServiceTitan(lambda r: _page([])), max_rps=max_rps, burst=burst)
