"""Tokens against the sandbox: reuse, refresh before expiry, one refresh for many threads,
re-authentication after a 401, and token failures that say which."""

from __future__ import annotations

import random
import socket
import threading
import time
from typing import Any

import pytest
import structlog
from st_client_support import SandboxAdmin, client_for

from ml_connector.clock import ManualClock
from ml_connector.errors import Action
from ml_connector.servicetitan.auth import TokenCache
from ml_connector.servicetitan.client import ServiceTitanClient
from ml_connector.servicetitan.environment import StEnvironment
from ml_connector.servicetitan.errors import (
    InvalidCredentialsError,
    StForbiddenError,
    StUnreachableError,
    TokenThrottledError,
    WrongEnvironmentError,
)
from ml_connector.servicetitan.ratelimit import LimiterRegistry
from ml_connector.servicetitan.retry import RetryPolicy


def test_token_is_reused_across_calls(sandbox: Any) -> None:
    with client_for(sandbox) as client:
        list(client.gl_accounts())
        list(client.business_units())
        list(client.vendors())
        client.check_connection()
    stats = sandbox.stats()
    assert stats["tokens_issued"] == 1
    assert client.auth.tokens_issued == 1


def test_token_is_refreshed_sixty_seconds_before_it_expires(sandbox: Any) -> None:
    clock = ManualClock()
    with client_for(sandbox, clock=clock) as client:
        client.check_connection()
        clock.advance(900 - 61)
        client.check_connection()
        assert sandbox.stats()["tokens_issued"] == 1
        clock.advance(2)  # now inside the last minute of the token's life
        client.check_connection()
    stats = sandbox.stats()
    assert stats["tokens_issued"] == 2
    assert stats["unauthorized"] == 0  # refreshed before the server would have refused it


def test_short_lived_tokens_are_refreshed_in_time(sandbox: Any) -> None:
    sandbox.set_faults("token_lifetime=2")
    with client_for(sandbox) as client:
        client.check_connection()
        time.sleep(1.1)  # past half the 2 s life: the client asks for a new one
        client.check_connection()
    stats = sandbox.stats()
    assert stats["tokens_issued"] == 2
    assert stats["unauthorized"] == 0


def test_many_threads_starting_at_once_cause_one_token_request(sandbox: Any) -> None:
    errors: list[BaseException] = []
    counts: list[int] = []
    barrier = threading.Barrier(16)
    with client_for(sandbox) as client:

        def work() -> None:
            try:
                barrier.wait()
                counts.append(sum(1 for _ in client.gl_accounts()))
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert len(counts) == 16
    assert len(set(counts)) == 1
    stats = sandbox.stats()
    assert stats["token_requests"] == 1
    assert stats["tokens_issued"] == 1


def test_clients_of_one_tenant_share_the_token_and_the_bucket(sandbox: Any) -> None:
    tokens, limiters = TokenCache(), LimiterRegistry()
    with (
        client_for(sandbox, tokens=tokens, limiters=limiters) as a,
        client_for(sandbox, tokens=tokens, limiters=limiters) as b,
    ):
        a.check_connection()
        b.check_connection()
        assert a.limiter is b.limiter
    assert sandbox.stats()["tokens_issued"] == 1


def test_token_revoked_mid_run_is_replaced_once_and_nothing_is_lost(sandbox: Any) -> None:
    with client_for(sandbox, page_size=10) as client:
        expected = [b.id for b in client.ap_bills(bill_type="Procurement")]
        got = []
        for n, bill in enumerate(client.ap_bills(bill_type="Procurement")):
            got.append(bill.id)
            if n == 3:
                SandboxAdmin(sandbox.base_url).revoke_tokens()
        assert client.stats.reauthentications == 1
    assert got == expected
    assert len(expected) > 10
    stats = sandbox.stats()
    assert stats["unauthorized"] == 1
    assert stats["tokens_issued"] == 2


def _no_secret(err: BaseException, logs: list[dict[str, Any]], *secrets: str) -> None:
    text = " ".join([str(err), getattr(err, "describe", lambda: "")(), repr(logs)])
    for secret in secrets:
        assert secret not in text


def test_wrong_client_secret_is_reported_without_the_secret(sandbox: Any) -> None:
    wrong = "not-the-secret-9f8e7d"
    with (
        structlog.testing.capture_logs() as logs,
        client_for(sandbox, client_secret=wrong) as client,
        pytest.raises(InvalidCredentialsError) as info,
    ):
        client.check_connection()
    err = info.value
    assert err.action is Action.STOP
    assert "rejected the client id or client secret" in err.message
    assert "per tenant AND per environment" in (err.hint or "")
    _no_secret(err, logs, wrong, sandbox.app_key)


def test_wrong_app_key_is_forbidden_without_the_key(sandbox: Any) -> None:
    wrong = "wrong-app-key-123456"
    with (
        structlog.testing.capture_logs() as logs,
        client_for(sandbox, app_key=wrong) as client,
        pytest.raises(StForbiddenError) as info,
    ):
        client.check_connection()
    assert info.value.trace_id
    _no_secret(info.value, logs, wrong, sandbox.client_secret)


def test_token_url_that_is_not_a_token_endpoint_is_a_wrong_environment(sandbox: Any) -> None:
    env = StEnvironment.custom(sandbox.base_url, sandbox.base_url + "/oauth/token")
    with (
        client_for(sandbox, environment=env) as client,
        pytest.raises(WrongEnvironmentError, match="not a token endpoint") as info,
    ):
        client.check_connection()
    assert info.value.status == 404


def test_unreachable_token_endpoint(sandbox: Any) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = f"http://127.0.0.1:{port}"
    env = StEnvironment.custom(dead, dead + "/connect/token")
    policy = RetryPolicy(max_attempts=2, base_delay=0.01, rng=random.Random(1))
    with (
        client_for(sandbox, environment=env, retry=policy) as client,
        pytest.raises(StUnreachableError, match="could not reach") as info,
    ):
        client.check_connection()
    assert info.value.action is Action.RETRY


def _connect_all(clients: list[ServiceTitanClient]) -> None:
    for client in clients:
        client.check_connection()


def test_throttled_token_requests_are_reported(sandbox: Any) -> None:
    policy = RetryPolicy(max_attempts=1)
    clients = [client_for(sandbox, retry=policy) for _ in range(25)]  # separate caches
    try:
        with pytest.raises(TokenThrottledError) as info:
            _connect_all(clients)
    finally:
        for client in clients:
            client.close()
    assert info.value.action is Action.RETRY
    assert sandbox.stats()["token_refused"] >= 1


def test_token_expired_mid_run_by_the_servers_clock(tmp_path: Any) -> None:
    """The server's clock runs ahead of ours (skew, a suspended laptop): its 401 makes the
    client fetch a new token once, and the stream carries on."""
    from ml_connector.sandbox.servicetitan.server import running_sandbox

    server_clock = ManualClock()
    with (
        running_sandbox(tmp_path / "st", size=120, clock=server_clock) as sb,
        client_for(sb, clock=ManualClock(), page_size=10) as client,
    ):
        got = []
        for n, bill in enumerate(client.ap_bills(bill_type="Procurement")):
            got.append(bill.id)
            if n == 3:
                server_clock.advance(901)  # every token issued so far has expired
        assert client.stats.reauthentications == 1
        stats = sb.stats()
    assert len(got) == len(set(got)) > 10
    assert stats["unauthorized"] == 1
    assert stats["tokens_issued"] == 2


def test_api_base_that_is_not_the_api_is_a_wrong_environment(sandbox: Any) -> None:
    env = StEnvironment.custom(
        sandbox.base_url + "/nothing-here", sandbox.base_url + "/connect/token"
    )
    with (
        client_for(sandbox, environment=env) as client,
        pytest.raises(WrongEnvironmentError, match="does not serve ServiceTitan's API"),
    ):
        client.check_connection()
