"""Dashboard, health, metrics and the webhook receiver over HTTP (in-process ASGI)."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from starlette.types import ASGIApp

from ml_connector.app.config.files import config_from_mapping
from ml_connector.app.web.backend import WebBackend
from ml_connector.app.web.dashboard import create_webhook_app
from ml_connector.app.web.health import RuntimeStatus
from ml_connector.app.web.passwords import hash_password
from ml_connector.app.web.site import create_web_app
from ml_connector.clock import ManualClock, SystemClock
from ml_connector.servicetitan.webhooks import WebhookVerifier
from ml_connector.store.browse import Role, User
from ml_connector.store.port import DocKind, PairId, ReviewItem, ReviewKind
from ml_connector.store.sql import SqlStateStore

KEY = SecretStr("k" * 40)


class AsgiClient:
    """Synchronous calls into an ASGI app in-process (httpx's ASGI transport)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self._app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
                return await c.request(method, url, **kwargs)

        return asyncio.run(go())

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._call("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._call("POST", url, **kwargs)


def _event(uid: str, tenant: int = 1234567) -> bytes:
    return json.dumps(
        {
            "specversion": "1.0",
            "id": f"delivery-{uid}",
            "type": "tn.acc.invoice-posted",
            "source": "https://webhooks.servicetitan.io",
            "time": "2026-05-01T12:00:00Z",
            "userassignedid": uid,
            "datacontenttype": "application/json",
            "data": {"invoice": {"id": 5, "total": "10.00"}, "tenantId": tenant},
        }
    ).encode()


def test_webhook_wakes_its_pair_once_and_refuses_bad_signatures() -> None:
    woken: list[str] = []
    verifier = WebhookVerifier(KEY, headers=("X-ST-Signature",), encoding="any")
    app = create_webhook_app(
        path="/webhooks/servicetitan",
        verifier=verifier,
        tenants={1234567: "main"},
        wake=woken.append,
        clock=ManualClock(datetime(2026, 5, 1, 12, 1, tzinfo=UTC)),
    )
    client = AsgiClient(app)
    body = _event("occ-1")
    good = {"X-ST-Signature": verifier.sign(body)}
    assert client.post("/webhooks/servicetitan", content=body, headers=good).status_code == 200
    # A redelivery of the same occurrence is acknowledged but does nothing.
    assert client.post("/webhooks/servicetitan", content=body, headers=good).text == "duplicate"
    tampered = body.replace(b"10.00", b"99.00")
    resp = client.post("/webhooks/servicetitan", content=tampered, headers=good)
    assert resp.status_code == 401
    other = _event("occ-2", tenant=999)
    resp = client.post(
        "/webhooks/servicetitan", content=other, headers={"X-ST-Signature": verifier.sign(other)}
    )
    assert resp.text == "unknown tenant"
    assert woken == ["main"]


def _web_app(
    tmp_path: Path, status: RuntimeStatus, bound_to: str = "127.0.0.1", **dashboard: Any
) -> tuple[Any, Any]:
    config = config_from_mapping(
        {
            "pairs": {
                "main": {
                    "servicetitan": {
                        "environment": "integration",
                        "tenant_id": 1,
                        "client_id": "c",
                        "client_secret": "env:NOPE_SECRET",
                        "app_key": "env:NOPE_KEY",
                    },
                    "sage100": {
                        "mode": "sandbox",
                        "root": "sage",
                        "company": "ABC",
                        "user": "u",
                        "password": "env:NOPE_PW",
                    },
                }
            },
            "dashboard": dashboard,
        },
        base_dir=tmp_path,
    )
    store = SqlStateStore.open(f"sqlite:///{tmp_path / 'state.sqlite'}")

    def no_sage(pair: str) -> Any:
        raise AssertionError("these pages do not need Sage")

    backend = WebBackend(config, store, SystemClock(), no_sage)
    return create_web_app(backend, status, settings=config.dashboard, bound_to=bound_to), store


def test_healthz_and_metrics(tmp_path: Path) -> None:
    status = RuntimeStatus(["main"])
    app, store = _web_app(tmp_path, status, require_login=True)
    client = AsgiClient(app)
    assert client.get("/healthz").status_code == 200  # open without a login
    status.record_cycle("main", "down", datetime(2026, 5, 1, tzinfo=UTC), error="unreachable")
    resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.json()["pairs"]["main"]["last_error"] == "unreachable"
    assert b"mlc_pair_up" in client.get("/metrics").content
    assert client.get("/review").status_code == 303  # to the login page
    store.close()


def test_review_page_escapes_what_it_shows(tmp_path: Path) -> None:
    app, store = _web_app(tmp_path, RuntimeStatus(["main"]))
    with store.transaction() as tx:
        tx.add_review(
            ReviewItem(
                pair=PairId("main"),
                kind=ReviewKind.SAGE_REJECTED,
                doc_kind=DocKind.AP_BILL,
                doc_id=42,
                reason="<script>alert(1)</script> refused",
                suggestion="fix it",
            )
        )
    client = AsgiClient(app)
    response = client.get("/review")
    page = response.text
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    # without a login, a name other than 127.0.0.1 / localhost (DNS rebinding) gets nothing
    rebound = client.get("/review", headers={"Host": "attacker.example:8780"})
    assert rebound.status_code == 403
    store.close()
    assert "Review queue: 1 problem" in page
    assert "&lt;script&gt;" in page
    assert "<script>" not in page


def test_on_a_network_address_a_login_is_required_and_clear_text_is_flagged(
    tmp_path: Path,
) -> None:
    app, store = _web_app(tmp_path, RuntimeStatus(["main"]), bound_to="0.0.0.0")  # noqa: S104
    client = AsgiClient(app)
    assert client.get("/review").status_code == 303  # no `require_login` needed
    login = client.get("/login", headers={"Host": "sage-server:8780"})
    store.close()
    assert login.status_code == 200
    assert "travels unencrypted" in login.text


def _call(
    app: ASGIApp, method: str, url: str, *, cookie: str = "", client: str = "127.0.0.1", **kw: Any
) -> httpx.Response:
    """One request from `client`'s address, with the session cookie `cookie`."""

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=(client, 50000))
        cookies = {"mlc_session": cookie} if cookie else {}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1", cookies=cookies
        ) as c:
            return await c.request(method, url, **kw)

    return asyncio.run(go())


def _log_in(app: ASGIApp, name: str, password: str, client: str = "127.0.0.1") -> httpx.Response:
    form = _call(app, "GET", "/login", client=client)
    cookie = form.cookies["mlc_session"]
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    data = {"csrf": csrf.group(1), "username": name, "password": password}
    return _call(app, "POST", "/login", cookie=cookie, client=client, data=data)


def _add_user(store: SqlStateStore, name: str, password: str) -> None:
    with store.browse() as browse:
        browse.add_user(
            User(name, hash_password(password), Role.CLERK, created_at=datetime.now(UTC))
        )


def test_a_login_outlives_a_restart_and_logout_ends_it(tmp_path: Path) -> None:
    app, store = _web_app(tmp_path, RuntimeStatus(["main"]), require_login=True)
    _add_user(store, "maria", "Maria-web-pass-1")
    logged_in = _log_in(app, "maria", "Maria-web-pass-1")
    assert logged_in.status_code == 303
    cookie = logged_in.cookies["mlc_session"]
    assert _call(app, "GET", "/review", cookie=cookie).status_code == 200
    store.close()
    # `run` restarted: a new app on the same state database knows the session
    again, store = _web_app(tmp_path, RuntimeStatus(["main"]), require_login=True)
    page = _call(again, "GET", "/review", cookie=cookie)
    assert page.status_code == 200
    assert "maria (clerk)" in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    out = _call(again, "POST", "/logout", cookie=cookie, data={"csrf": csrf.group(1)})
    assert out.status_code == 303
    assert _call(again, "GET", "/review", cookie=cookie).status_code == 303  # to the login
    store.close()


def test_a_guesser_elsewhere_does_not_lock_a_user_out_of_her_own_pc(tmp_path: Path) -> None:
    app, store = _web_app(tmp_path, RuntimeStatus(["main"]), require_login=True)
    _add_user(store, "maria", "Maria-web-pass-1")
    guesser, hers = "10.1.2.66", "10.1.2.12"
    for _ in range(5):
        assert _log_in(app, "maria", "guess", client=guesser).status_code == 401
    paused = _log_in(app, "maria", "Maria-web-pass-1", client=guesser)
    assert paused.status_code == 429  # not even the right password, from there
    assert "Too many wrong passwords" in paused.text
    assert _log_in(app, "maria", "Maria-web-pass-1", client=hers).status_code == 303
    with store.transaction() as tx:
        refused = [e for e in tx.iter_audit() if e.action == "login_refused"]
    store.close()
    assert len(refused) == 5
    assert {e.details["address"] for e in refused} == {guesser}


def test_a_vendor_row_whose_candidates_are_all_inactive_ticks_none(tmp_path: Path) -> None:
    app, store = _web_app(tmp_path, RuntimeStatus(["main"]))
    closed = {"division_no": "00", "name": "ABC Plumbing Supply (closed)", "score": 80.0}
    with store.transaction() as tx:
        tx.add_review(
            ReviewItem(
                pair=PairId("main"),
                kind=ReviewKind.AMBIGUOUS_VENDOR,
                doc_kind=None,
                doc_id=None,
                subject="st_vendor:690",
                reason="The matching Sage vendor 00-ABCPLUM is inactive.",
                suggestion="pick another",
                details={
                    "st_vendor_id": 690,
                    "st_vendor_name": "ABC Plumbing Supply",
                    "candidates": [
                        {**closed, "vendor_no": "ABCPLUM", "status": "I"},
                        {**closed, "vendor_no": "ABCPLU2", "status": "I"},
                    ],
                },
            )
        )
    page = AsgiClient(app).get("/review").text
    store.close()
    radios = re.findall(r'<input type="radio" name="vendor"[^>]*>', page)
    assert len(radios) == 2
    assert all("disabled" in r and "checked" not in r for r in radios)
    assert "Every candidate is inactive in Sage" in page
    assert page.count("inactive in Sage</span>") == 2
