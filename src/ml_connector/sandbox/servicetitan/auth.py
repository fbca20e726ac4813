"""Tokens and limits: OAuth2 client-credentials tokens, the token throttle, the 60 rps window.

Tokens are HS256 JWTs signed with a key kept in the state file, so a token stays valid across
a restart for as long as it has not expired (as with the real identity server). `revoke_all`
invalidates every token issued so far (to simulate a token dying mid-run).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
import threading
from collections import deque

from ml_connector.clock import Clock


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenIssuer:
    """Issues and checks bearer tokens for one tenant's client."""

    def __init__(self, key: bytes, clock: Clock) -> None:
        self._key = key
        self._clock = clock
        self._revoked_before = 0.0
        self._lock = threading.Lock()

    @staticmethod
    def new_key() -> str:
        return secrets.token_hex(32)

    def issue(self, client_id: str, tenant_id: int, lifetime: int, scope: str) -> str:
        now = self._clock.now().timestamp()
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = _b64(
            json.dumps(
                {
                    "iss": "servicetitan-sandbox",
                    "client_id": client_id,
                    "tenant": str(tenant_id),
                    "iat": now,
                    "exp": now + lifetime,
                    "jti": secrets.token_hex(8),
                    "scope": scope,
                }
            ).encode()
        )
        signature = _b64(
            hmac.new(self._key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        )
        return f"{header}.{payload}.{signature}"

    def check(self, token: str) -> tuple[str | None, dict[str, object]]:
        """(None, claims) when valid, else (reason, {})."""
        parts = token.split(".")
        if len(parts) != 3:
            return "malformed token", {}
        expected = _b64(
            hmac.new(self._key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        )
        if not hmac.compare_digest(expected, parts[2]):
            return "invalid signature", {}
        try:
            claims = json.loads(_unb64(parts[1]))
        except ValueError:
            return "malformed token", {}
        now = self._clock.now().timestamp()
        if float(claims.get("exp", 0)) <= now:
            return "the token has expired", {}
        with self._lock:
            if float(claims.get("iat", 0)) < self._revoked_before:
                return "the token has been revoked", {}
        return None, dict(claims)

    def revoke_all(self) -> None:
        with self._lock:
            self._revoked_before = self._clock.now().timestamp() + 1e-6


class SlidingWindow:
    """At most `limit` events per `seconds` for each key, over a true sliding window."""

    def __init__(self, limit: int, seconds: float, clock: Clock) -> None:
        self.limit = limit
        self.seconds = seconds
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, key: str) -> int | None:
        """None when admitted (and counted), else the whole seconds to wait (Retry-After)."""
        now = self._clock.monotonic()
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self.seconds:
                events.popleft()
            if len(events) >= self.limit:
                return max(1, math.ceil(events[0] + self.seconds - now))
            events.append(now)
            return None

    def reset(self) -> None:
        with self._lock:
            self._events.clear()
