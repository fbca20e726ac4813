"""Dashboard, health, metrics and the webhook receiver over HTTP (in-process ASGI)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from starlette.types import ASGIApp

from ml_connector.app.web.dashboard import create_dashboard_app, create_webhook_app
from ml_connector.app.web.health import RuntimeStatus
from ml_connector.servicetitan.webhooks import WebhookVerifier
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
            async with httpx.AsyncClient(transport=transport, base_url="http://local") as c:
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


def test_healthz_and_metrics() -> None:
    status = RuntimeStatus(["main"])
    client = AsgiClient(create_dashboard_app(status, None))
    assert client.get("/healthz").status_code == 200
    status.record_cycle("main", "down", datetime(2026, 5, 1, tzinfo=UTC), error="unreachable")
    resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.json()["pairs"]["main"]["last_error"] == "unreachable"
    assert b"mlc_pair_up" in client.get("/metrics").content


def test_dashboard_lists_review_items_escaped(tmp_path: Path) -> None:
    store = SqlStateStore.open(f"sqlite:///{tmp_path / 'state.sqlite'}")
    with store.transaction() as tx:
        tx.add_review(
            ReviewItem(
                pair=PairId("main"),
                kind=ReviewKind.AMBIGUOUS_VENDOR,
                doc_kind=DocKind.AP_BILL,
                doc_id=42,
                reason="<script>alert(1)</script> matches two vendors",
                suggestion="link the vendor",
            )
        )
    page = AsgiClient(create_dashboard_app(RuntimeStatus(["main"]), store)).get("/").text
    store.close()
    assert "Review queue (1 open)" in page
    assert "&lt;script&gt;" in page
    assert "<script>" not in page
