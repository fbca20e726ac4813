"""The two small HTTP faces of a running connector.

- The dashboard (always bound to 127.0.0.1: it has no login): `/` shows each pair's
  status, the open review items and the latest audit events; `/healthz` answers 200 while
  every pair's last cycle ran and 503 otherwise; `/metrics` is Prometheus text.
- The optional webhook receiver: ServiceTitan invoice events, verified (HMAC), parsed,
  deduplicated on `userassignedid`, acknowledged at once, and turned into an early cycle
  for the pair whose tenant sent it. Polling stays the source of truth: a lost or refused
  delivery costs nothing but latency.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

import structlog
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ml_connector.app.web.health import RuntimeStatus
from ml_connector.servicetitan.errors import WebhookPayloadError, WebhookSignatureError
from ml_connector.servicetitan.webhooks import RecentDeliveries, WebhookVerifier, receive
from ml_connector.store.port import ReviewStatus, StateStore

log = structlog.get_logger(__name__)

PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def create_dashboard_app(status: RuntimeStatus, store: StateStore | None) -> Starlette:
    async def healthz(request: Request) -> Response:
        body = status.as_json()
        return JSONResponse(body, status_code=200 if status.healthy() else 503)

    async def metrics(request: Request) -> Response:
        return Response(status.metrics_text(), media_type=PROMETHEUS_TYPE)

    async def index(request: Request) -> Response:
        return HTMLResponse(render_dashboard(status, store))

    return Starlette(
        routes=[
            Route("/", index),
            Route("/healthz", healthz),
            Route("/metrics", metrics),
        ]
    )


def _cell(value: Any) -> str:
    return f"<td>{html.escape('' if value is None else str(value))}</td>"


def render_dashboard(status: RuntimeStatus, store: StateStore | None, audit_rows: int = 50) -> str:
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>ml-connector</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style></head><body>",
        "<h1>ml-connector</h1><h2>Pairs</h2><table><tr><th>pair</th><th>last cycle</th>"
        "<th>outcome</th><th>error</th></tr>",
    ]
    for p in status.pairs():
        parts.append(
            "<tr>"
            + _cell(p.pair)
            + _cell(p.last_cycle_at.isoformat() if p.last_cycle_at else "")
            + _cell(p.last_outcome)
            + _cell(p.last_error)
            + "</tr>"
        )
    parts.append("</table>")
    if store is not None:
        with store.transaction() as tx:
            reviews = tx.list_reviews(None, ReviewStatus.OPEN)
            audit = list(tx.iter_audit())[-audit_rows:]
        parts.append(f"<h2>Review queue ({len(reviews)} open)</h2><table>")
        parts.append("<tr><th>id</th><th>pair</th><th>kind</th><th>document</th>")
        parts.append("<th>what happened</th><th>what to do</th></tr>")
        for item in reviews:
            doc = f"{item.doc_kind} {item.doc_id}" if item.doc_id is not None else ""
            parts.append(
                "<tr>"
                + "".join(
                    _cell(v)
                    for v in (item.id, item.pair, item.kind, doc, item.reason, item.suggestion)
                )
                + "</tr>"
            )
        parts.append("</table><h2>Latest audit events</h2><table>")
        parts.append("<tr><th>when</th><th>pair</th><th>action</th><th>document</th>")
        parts.append("<th>message</th></tr>")
        for event in reversed(audit):
            doc = f"{event.doc_kind} {event.doc_id}" if event.doc_id is not None else ""
            parts.append(
                "<tr>"
                + "".join(
                    _cell(v)
                    for v in (event.at.isoformat(), event.pair, event.action, doc, event.message)
                )
                + "</tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "".join(parts)


def create_webhook_app(
    *,
    path: str,
    verifier: WebhookVerifier,
    tenants: Mapping[int, str],
    wake: Callable[[str], None],
    recent: RecentDeliveries | None = None,
) -> Starlette:
    """`tenants` maps a ServiceTitan tenant id to its pair; `wake(pair)` asks for a cycle."""
    seen = recent or RecentDeliveries()

    async def deliver(request: Request) -> Response:
        body = await request.body()
        try:
            event = receive(body, request.headers, verifier=verifier, recent=seen)
        except WebhookSignatureError:
            log.warning("webhook refused: bad signature")
            return PlainTextResponse("bad signature", status_code=401)
        except WebhookPayloadError as exc:
            log.warning("webhook refused: bad payload", reason=exc.message)
            return PlainTextResponse("bad payload", status_code=400)
        if event is None:
            return PlainTextResponse("duplicate", status_code=200)
        pair = tenants.get(event.tenant_id) if event.tenant_id is not None else None
        if pair is None:
            log.info("webhook for an unknown tenant ignored", event_type=event.type)
            return PlainTextResponse("unknown tenant", status_code=200)
        log.info("webhook received", pair=pair, event_type=event.type)
        wake(pair)
        return PlainTextResponse("ok", status_code=200)

    return Starlette(routes=[Route(path, deliver, methods=["POST"])])
