"""Webhook deliveries sent by the sandbox over real HTTP to a receiver built on
`ml_connector.servicetitan.webhooks`: valid (hex and base64), wrong key, redelivery."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from ml_connector.servicetitan.errors import WebhookPayloadError, WebhookSignatureError
from ml_connector.servicetitan.webhooks import (
    RecentDeliveries,
    WebhookEvent,
    WebhookVerifier,
    receive,
)

KEY = "0123456789abcdef0123456789abcdef-hmac"


class Receiver:
    def __init__(self) -> None:
        self.verifier = WebhookVerifier(SecretStr(KEY))
        self.recent = RecentDeliveries(capacity=100)
        self.events: list[WebhookEvent] = []
        self.duplicates = 0
        self.refused: list[str] = []


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                event = receive(
                    body, dict(self.headers.items()), verifier=state.verifier, recent=state.recent
                )
            except (WebhookSignatureError, WebhookPayloadError) as exc:
                state.refused.append(exc.message)
                self.send_response(401)
                self.end_headers()
                return
            if event is None:
                state.duplicates += 1
            else:
                state.events.append(event)
            self.send_response(200)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/hooks/st"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _send(sb: Any, url: str, **extra: Any) -> int:
    body = {
        "url": url,
        "type": "tn.acc.invoice-posted",
        "data": {"invoice": {"id": 42, "total": "99.95"}},
        "hmacKey": KEY,
        **extra,
    }
    answer = httpx.post(f"{sb.base_url}/_sandbox/webhooks/send", json=body, timeout=10)
    answer.raise_for_status()
    result = answer.json()
    return int(result.get("status", result.get("receiverStatus", 0)))


def test_signed_deliveries_are_accepted_and_redeliveries_deduplicated(
    sandbox: Any, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    assert _send(sandbox, url, userassignedid="occ-1") == 200
    assert _send(sandbox, url, userassignedid="occ-2", encoding="base64") == 200
    assert _send(sandbox, url, userassignedid="occ-1") == 200  # a redelivery
    assert [e.userassignedid for e in state.events] == ["occ-1", "occ-2"]
    assert state.duplicates == 1
    assert state.events[0].type == "tn.acc.invoice-posted"
    assert state.events[0].data["invoice"]["id"] == 42


def test_wrong_key_is_refused(sandbox: Any, receiver: tuple[Receiver, str]) -> None:
    state, url = receiver
    status = _send(sandbox, url, userassignedid="occ-9", hmacKey="another-key-" * 3)
    assert status == 401
    assert state.events == []
    assert state.refused == ["webhook signature does not match the body"]
