"""Tokens, the app key, the tenant in the path, the token throttle and the 60 rps window."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import httpx
from st_sandbox_http import Api

from ml_connector.clock import ManualClock
from ml_connector.sandbox.servicetitan.server import RunningSandbox, running_sandbox
from ml_connector.sandbox.servicetitan.settings import SandboxSettings

ERROR_FIELDS = {"type", "title", "status", "traceId", "errors", "data"}


def _token_request(sb: RunningSandbox, **form: str) -> httpx.Response:
    body = {
        "grant_type": "client_credentials",
        "client_id": sb.client_id,
        "client_secret": sb.client_secret,
        **form,
    }
    return httpx.post(f"{sb.base_url}/connect/token", data=body)


def test_token_has_the_documented_shape_and_lifetime(fresh: RunningSandbox) -> None:
    response = _token_request(fresh)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert "tn.acc.apbills:r" in body["scope"].split()
    assert body["access_token"].count(".") == 2  # a JWT
    assert fresh.stats()["tokens_issued"] == 1


def test_wrong_credentials_are_refused_like_an_oauth_server(fresh: RunningSandbox) -> None:
    accented = _token_request(fresh, client_secret="sécret")
    assert accented.json()["error"] == "invalid_client"
    wrong = _token_request(fresh, client_secret="nope")
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_client"
    assert "nope" not in wrong.text
    grant = _token_request(fresh, grant_type="password")
    assert grant.status_code == 400
    assert grant.json()["error"] == "unsupported_grant_type"
    as_json = httpx.post(f"{fresh.base_url}/connect/token", json={"client_id": fresh.client_id})
    assert as_json.status_code == 400
    assert as_json.json()["error"] == "invalid_request"


def test_token_requests_are_throttled_per_client(fresh: RunningSandbox) -> None:
    statuses = [_token_request(fresh).status_code for _ in range(21)]
    assert statuses[:20] == [200] * 20
    assert statuses[20] == 429
    throttled = _token_request(fresh)
    assert int(throttled.headers["Retry-After"]) >= 1
    assert fresh.stats()["tokens_issued"] == 20


def test_api_calls_need_a_bearer_token_and_the_app_key(api: Api) -> None:
    url = api.sb.api_url("accounting", "gl-accounts")
    app_key = {"ST-App-Key": api.sb.app_key}
    missing = httpx.get(url, headers=app_key)
    assert missing.status_code == 401
    assert set(missing.json()) == ERROR_FIELDS
    forged = httpx.get(url, headers={**app_key, "Authorization": "Bearer a.b.c"})
    assert forged.status_code == 401
    no_key = httpx.get(url, headers={"Authorization": f"Bearer {api.token}"})
    assert no_key.status_code == 401
    assert "ST-App-Key" in no_key.json()["title"]
    wrong_key = httpx.get(
        url, headers={"Authorization": f"Bearer {api.token}", "ST-App-Key": "someone-else"}
    )
    assert wrong_key.status_code == 403
    bare = httpx.get(url, headers={**app_key, "Authorization": api.token})
    assert bare.status_code == 200  # the official first-call example sends the bare token


def test_the_tenant_in_the_path_must_be_the_tokens(api: Api) -> None:
    other = f"{api.sb.base_url}/accounting/v2/tenant/7654321/gl-accounts"
    response = httpx.get(other, headers=api.headers())
    assert response.status_code == 403
    assert response.json()["status"] == 403
    junk = f"{api.sb.base_url}/accounting/v2/tenant/acme/gl-accounts"
    assert httpx.get(junk, headers=api.headers()).status_code == 404


def test_unknown_paths_answer_404_in_the_official_shape(api: Api) -> None:
    response = api.get("accounting", "no-such-thing")
    assert response.status_code == 404
    assert set(response.json()) == ERROR_FIELDS


def test_tokens_expire_after_their_lifetime(tmp_path: Path) -> None:
    clock = ManualClock()
    with running_sandbox(tmp_path, size=10, token_lifetime=60, clock=clock) as sb:
        client = Api(sb)
        assert client.get("accounting", "gl-accounts").status_code == 200
        clock.advance(59)
        assert client.get("accounting", "gl-accounts").status_code == 200
        clock.advance(2)
        expired = client.get("accounting", "gl-accounts")
        assert expired.status_code == 401
        assert "expired" in expired.json()["title"]
        assert "invalid_token" in expired.headers["WWW-Authenticate"]
        client.close()


def test_revoking_tokens_forces_reauthentication(fresh: RunningSandbox) -> None:
    client = Api(fresh)
    assert client.get("accounting", "gl-accounts").status_code == 200
    fresh.revoke_tokens()
    assert client.get("accounting", "gl-accounts").status_code == 401
    client.token = fresh.token()
    assert client.get("accounting", "gl-accounts").status_code == 200
    client.close()


def test_more_than_60_requests_per_second_get_429_with_retry_after(tmp_path: Path) -> None:
    clock = ManualClock()  # time stands still: every request falls in the same second
    settings = dataclasses.replace(SandboxSettings())
    with running_sandbox(tmp_path, size=10, settings=settings, clock=clock) as sb:
        client = Api(sb)
        statuses = [client.get("settings", "business-units").status_code for _ in range(65)]
        assert statuses[:60] == [200] * 60
        assert statuses[60:] == [429] * 5
        limited = client.get("settings", "business-units")
        assert limited.headers["Retry-After"] == "1"
        assert "Try again in 1 seconds" in limited.json()["title"]
        clock.advance(1.0)
        assert client.get("settings", "business-units").status_code == 200
        stats = sb.stats()
        assert stats["sent_429"] == 6
        assert (
            stats["requests_per_path"][f"/settings/v2/tenant/{sb.tenant_id}/business-units"] == 67
        )
        client.close()


def test_the_window_slides_rather_than_resetting(tmp_path: Path) -> None:
    clock = ManualClock()
    with running_sandbox(tmp_path, size=10, clock=clock) as sb:
        client = Api(sb)
        for _ in range(30):
            assert client.get("settings", "business-units").status_code == 200
        clock.advance(0.6)
        for _ in range(30):
            assert client.get("settings", "business-units").status_code == 200
        clock.advance(0.5)  # the first 30 left the window, the last 30 are still in it
        results = [client.get("settings", "business-units").status_code for _ in range(31)]
        assert results == [200] * 30 + [429]
        client.close()


def test_real_time_burst_is_limited(tmp_path: Path) -> None:
    with running_sandbox(tmp_path, size=10) as sb:  # the real clock, the default limit
        client = Api(sb)
        start = time.monotonic()
        statuses = [client.get("settings", "business-units").status_code for _ in range(80)]
        if time.monotonic() - start < 1.0:  # only meaningful when the burst fit in one second
            assert 429 in statuses
        client.close()
