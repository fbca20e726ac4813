"""Support for the ServiceTitan client tests: sandbox data, admin calls, clients of a sandbox."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from ml_connector.servicetitan.auth import TokenCache
from ml_connector.servicetitan.client import ServiceTitanClient
from ml_connector.servicetitan.environment import StCredentials, StEnvironment
from ml_connector.servicetitan.ratelimit import LimiterRegistry
from ml_connector.servicetitan.retry import RetryPolicy

BIG_APBILL_COUNT = 10_007
BIG_PROCUREMENT_COUNT = 3


def bill_amount(i: int) -> str:
    """A deterministic amount with awkward cents (never exact in binary floating point)."""
    return f"{(i * 7919) % 100_000}.{(i * 37) % 100:02d}"


def big_data(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    bills: list[dict[str, Any]] = []
    for i in range(BIG_APBILL_COUNT + BIG_PROCUREMENT_COUNT):
        kind = "ApBill" if i < BIG_APBILL_COUNT else "Procurement"
        bills.append(
            {
                "id": 500_000 + i,
                "billType": kind,
                "syncStatus": "Posted",
                "status": "Unreconciled",
                "referenceNumber": f"INV-{i}",
                "billDate": "2026-01-05T00:00:00Z",
                "billAmount": bill_amount(i),
                "vendor": {"id": 1, "name": "Ferguson"},
                "items": [],
                "expenseItems": [{"id": 1, "amount": bill_amount(i)}],
                "createdOn": "2026-01-05T10:00:00Z",
                "modifiedOn": "2026-01-05T10:00:00Z",
            }
        )
    (directory / "ap-bills.json").write_text(json.dumps(bills), encoding="utf-8")
    return directory


class SandboxAdmin:
    """The sandbox's admin API, for what the `running_sandbox` helpers do not cover."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = httpx.get(f"{self.base_url}/_sandbox/stats").json()
        return result

    def reset_stats(self) -> None:
        httpx.post(f"{self.base_url}/_sandbox/stats/reset").raise_for_status()

    def faults(self, spec: str) -> None:
        httpx.put(f"{self.base_url}/_sandbox/faults", json={"spec": spec}).raise_for_status()

    def revoke_tokens(self) -> None:
        httpx.post(f"{self.base_url}/_sandbox/tokens/revoke").raise_for_status()

    def upsert(self, resource: str, records: list[dict[str, Any]]) -> None:
        httpx.put(f"{self.base_url}/_sandbox/records/{resource}", json=records).raise_for_status()


ClientFactory = Callable[..., ServiceTitanClient]


def client_for(sb: Any, **kw: Any) -> ServiceTitanClient:
    """A client of the sandbox with its own token cache and limiter unless given."""
    environment = StEnvironment.custom(sb.base_url, sb.base_url + "/connect/token", name="sandbox")
    credentials = StCredentials(
        tenant_id=int(sb.tenant_id),
        client_id=kw.pop("client_id", sb.client_id),
        client_secret=SecretStr(kw.pop("client_secret", sb.client_secret)),
        app_key=SecretStr(kw.pop("app_key", sb.app_key)),
    )
    kw.setdefault("limiters", LimiterRegistry())
    kw.setdefault("tokens", TokenCache())
    kw.setdefault("retry", RetryPolicy(rng=random.Random(11)))
    environment = kw.pop("environment", environment)
    return ServiceTitanClient(environment, credentials, **kw)


class RecordingTransport(httpx.HTTPTransport):
    """The real HTTP transport, noting when each API request left (token requests apart)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[float] = []
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != "/connect/token":
            with self._lock:
                self.sent.append(time.monotonic())
        return super().handle_request(request)

    def busiest_second(self) -> int:
        """The most requests sent in any one-second window."""
        best = 0
        window: deque[float] = deque()
        for t in sorted(self.sent):
            window.append(t)
            while window[0] <= t - 1.0:
                window.popleft()
            best = max(best, len(window))
        return best
