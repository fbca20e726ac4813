"""Truncated and malformed bodies over a real socket: a tiny HTTP server that lies about
Content-Length or sends broken JSON (the sandbox speaks correct HTTP, so this is apart)."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import SecretStr

from ml_connector.clock import ManualClock
from ml_connector.servicetitan.auth import TokenCache
from ml_connector.servicetitan.client import ServiceTitanClient
from ml_connector.servicetitan.environment import StCredentials, StEnvironment
from ml_connector.servicetitan.errors import MalformedResponseError, StUnreachableError
from ml_connector.servicetitan.ratelimit import LimiterRegistry
from ml_connector.servicetitan.retry import RetryPolicy


class _Liar(BaseHTTPRequestHandler):
    mode = "short"  # short: Content-Length larger than the body; broken: invalid JSON
    api_calls = 0

    def log_message(self, format: str, *args: object) -> None:  # quiet
        return

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"access_token": "t", "expires_in": 900}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        type(self).api_calls += 1
        body = json.dumps({"page": 1, "hasMore": False, "data": [{"id": 1}] * 50}).encode()
        if self.mode == "short":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 3])
            self.wfile.flush()
            self.close_connection = True
        else:
            cut = body[: len(body) // 3]
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(cut)))
            self.end_headers()
            self.wfile.write(cut)


@pytest.fixture
def liar() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Liar)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _client(base: str) -> ServiceTitanClient:
    return ServiceTitanClient(
        StEnvironment.custom(base, base + "/connect/token"),
        StCredentials(1234567, "c", SecretStr("s"), SecretStr("k")),
        clock=ManualClock(),
        limiters=LimiterRegistry(),
        tokens=TokenCache(),
        retry=RetryPolicy(max_attempts=3, rng=random.Random(3)),
        timeout=5.0,
    )


def test_body_cut_short_of_its_content_length(liar: str) -> None:
    _Liar.mode, _Liar.api_calls = "short", 0
    with _client(liar) as client, pytest.raises(StUnreachableError, match="cut off") as info:
        list(client.gl_accounts())
    assert _Liar.api_calls == 3  # retried as a dropped connection
    assert isinstance(info.value.__cause__, Exception)


def test_complete_response_with_truncated_json(liar: str) -> None:
    _Liar.mode, _Liar.api_calls = "broken", 0
    with _client(liar) as client, pytest.raises(MalformedResponseError, match="not valid JSON"):
        list(client.gl_accounts())
    assert _Liar.api_calls == 3
