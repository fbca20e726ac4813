"""The optional webhook receiver of a running connector (the web app for people, with
/healthz and /metrics, is `ml_connector.app.web.site`).

ServiceTitan invoice events, verified (HMAC), parsed, deduplicated on `userassignedid`,
acknowledged at once, and turned into an early cycle for the pair whose tenant sent it.
Polling stays the source of truth: a lost or refused delivery costs nothing but latency.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import structlog
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ml_connector.clock import Clock, SystemClock
from ml_connector.servicetitan.errors import (
    WebhookPayloadError,
    WebhookSignatureError,
    WebhookTooLargeError,
)
from ml_connector.servicetitan.webhooks import (
    MAX_BODY_BYTES,
    RecentDeliveries,
    WebhookVerifier,
    read_limited,
    receive,
)

log = structlog.get_logger(__name__)


def create_webhook_app(
    *,
    path: str,
    verifier: WebhookVerifier,
    tenants: Mapping[int, str],
    wake: Callable[[str], None],
    recent: RecentDeliveries | None = None,
    clock: Clock | None = None,
    max_body: int = MAX_BODY_BYTES,
) -> Starlette:
    """`tenants` maps a ServiceTitan tenant id to its pair; `wake(pair)` asks for a cycle.
    A body over `max_body` bytes is refused (413) before it is read whole; an event older
    than a day (a replay) is refused (400) like a malformed one."""
    seen = recent or RecentDeliveries()
    the_clock = clock or SystemClock()

    async def deliver(request: Request) -> Response:
        length = request.headers.get("content-length", "0")
        try:
            if not length.isdigit() or int(length) > max_body:
                raise WebhookTooLargeError("webhook Content-Length over the limit")
            body = await read_limited(request.stream(), max_body)
        except WebhookTooLargeError:
            log.warning("webhook refused: body too large", limit=max_body)
            return PlainTextResponse("body too large", status_code=413)
        try:
            event = receive(
                body, request.headers, verifier=verifier, recent=seen, now=the_clock.now()
            )
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
