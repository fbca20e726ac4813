"""ServiceTitan V2 webhooks: signature check, CloudEvents envelope, in-memory dedupe.

ServiceTitan signs each delivery with an HMAC-SHA256 of the raw body under the key set on
the app in the developer portal. The header name and the digest encoding are not publicly
documented, so `WebhookVerifier` looks in a configurable list of headers and, by default,
accepts the digest in hex or base64 (an optional `sha256=` prefix is ignored). The
comparison is constant-time.

`parse_event` reads the CloudEvents 1.0 envelope into a frozen `WebhookEvent`.
`read_limited` reads a body up to `MAX_BODY_BYTES` and no further (an oversized delivery
is refused before it fills memory). `receive` refuses, after the signature, an event whose
`time` is more than `MAX_EVENT_AGE` old or `MAX_CLOCK_SKEW` ahead: a captured delivery
replayed later (after the in-memory dedupe forgot it, or after a restart) does nothing.
`RecentDeliveries` remembers the last N `userassignedid`s (the id of the *occurrence*, which
ServiceTitan says to deduplicate on; `id` names one delivery). It is a small bounded memory
for one process; the durable dedupe belongs to the state store.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal

from pydantic import SecretStr

from ml_connector.servicetitan.errors import (
    WebhookPayloadError,
    WebhookSignatureError,
    WebhookStaleError,
    WebhookTooLargeError,
)

SignatureEncoding = Literal["hex", "base64", "any"]

# ServiceTitan's events are a few kilobytes; a megabyte leaves room for a large invoice.
MAX_BODY_BYTES = 1024 * 1024
# ServiceTitan retries a failed delivery a few times, within hours, never days later.
MAX_EVENT_AGE = timedelta(hours=24)
MAX_CLOCK_SKEW = timedelta(minutes=5)

DEFAULT_SIGNATURE_HEADERS = (
    "X-ServiceTitan-Signature",
    "ServiceTitan-Signature",
    "X-ST-Signature",
)


class WebhookVerifier:
    """Checks the HMAC-SHA256 signature of a raw webhook body."""

    def __init__(
        self,
        key: SecretStr,
        *,
        headers: tuple[str, ...] = DEFAULT_SIGNATURE_HEADERS,
        encoding: SignatureEncoding = "any",
    ) -> None:
        secret = key.get_secret_value()
        if not secret:
            raise ValueError("the webhook HMAC key is empty")
        self._key = secret.encode("utf-8")
        self._headers = tuple(h.lower() for h in headers)
        self._encoding = encoding

    def sign(self, body: bytes, *, encoding: Literal["hex", "base64"] = "hex") -> str:
        """The signature ServiceTitan would send for `body` (for tests and the sandbox)."""
        digest = hmac.new(self._key, body, hashlib.sha256).digest()
        if encoding == "hex":
            return digest.hex()
        return base64.b64encode(digest).decode("ascii")

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        """Raise `WebhookSignatureError` unless one configured header carries a valid
        signature of exactly these bytes."""
        lowered = {k.lower(): v for k, v in headers.items()}
        present = [lowered[h] for h in self._headers if h in lowered]
        if not present:
            raise WebhookSignatureError(
                "webhook delivery has no signature header",
                operation="verify webhook",
                hint="set the HMAC key on the app in the ServiceTitan developer portal, or "
                "configure the header name",
            )
        expected = hmac.new(self._key, body, hashlib.sha256).digest()
        for value in present:
            if any(hmac.compare_digest(expected, c) for c in self._candidates(value)):
                return
        raise WebhookSignatureError(
            "webhook signature does not match the body",
            operation="verify webhook",
            hint="check the HMAC key; a changed body or a wrong key gives this",
        )

    def _candidates(self, value: str) -> list[bytes]:
        text = value.strip()
        if text.lower().startswith("sha256="):
            text = text[7:]
        found: list[bytes] = []
        if self._encoding in ("hex", "any"):
            with contextlib.suppress(ValueError):
                found.append(bytes.fromhex(text))
        if self._encoding in ("base64", "any"):
            with contextlib.suppress(binascii.Error, ValueError):
                found.append(base64.b64decode(text, validate=True))
            with contextlib.suppress(binascii.Error, ValueError):
                found.append(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        # A wrong-length candidate still goes through compare_digest (constant time, False).
        return found or [b""]


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """A CloudEvents 1.0 envelope as ServiceTitan sends it."""

    id: str
    type: str
    source: str
    time: datetime | None
    userassignedid: str
    specversion: str
    datacontenttype: str | None
    data: Mapping[str, Any]

    @property
    def tenant_id(self) -> int | None:
        tenant = self.data.get("tenantId")
        return tenant if isinstance(tenant, int) and not isinstance(tenant, bool) else None

    @property
    def dedupe_key(self) -> str:
        return self.userassignedid


def _instant(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def parse_event(body: bytes) -> WebhookEvent:
    """The envelope of a (verified) delivery; money in `data` stays Decimal."""
    try:
        raw = json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookPayloadError("webhook body is not JSON", operation="parse webhook") from exc
    except RecursionError as exc:  # "[[[[...": nested deeper than the parser goes
        raise WebhookPayloadError(
            "webhook body is nested too deeply", operation="parse webhook"
        ) from exc
    if not isinstance(raw, dict):
        raise WebhookPayloadError("webhook body is not a JSON object", operation="parse webhook")
    missing = [
        k for k in ("specversion", "id", "type", "source", "userassignedid") if not raw.get(k)
    ]
    if missing:
        raise WebhookPayloadError(
            f"webhook envelope lacks {', '.join(missing)}",
            operation="parse webhook",
            record=str(raw.get("id") or "") or None,
        )
    if str(raw["specversion"]) != "1.0":
        raise WebhookPayloadError(
            f"unsupported CloudEvents specversion {raw['specversion']!r}",
            operation="parse webhook",
            record=str(raw["id"]),
        )
    data = raw.get("data")
    if data is not None and not isinstance(data, dict):
        raise WebhookPayloadError(
            "webhook 'data' is not an object", operation="parse webhook", record=str(raw["id"])
        )
    try:
        when = _instant(raw.get("time"))
    except ValueError as exc:
        raise WebhookPayloadError(
            "webhook 'time' is not a timestamp", operation="parse webhook", record=str(raw["id"])
        ) from exc
    return WebhookEvent(
        id=str(raw["id"]),
        type=str(raw["type"]),
        source=str(raw["source"]),
        time=when,
        userassignedid=str(raw["userassignedid"]),
        specversion="1.0",
        datacontenttype=str(raw["datacontenttype"]) if raw.get("datacontenttype") else None,
        data=MappingProxyType(dict(data or {})),
    )


class RecentDeliveries:
    """The last `capacity` occurrence ids seen, oldest forgotten first. Thread-safe."""

    def __init__(self, capacity: int = 10_000) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, key: str) -> bool:
        """True the first time `key` is offered (and remember it); False for a repeat."""
        with self._lock:
            if key in self._seen:
                self._seen.move_to_end(key)
                return False
            self._seen[key] = None
            if len(self._seen) > self.capacity:
                self._seen.popitem(last=False)
            return True

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)


async def read_limited(chunks: AsyncIterator[bytes], limit: int = MAX_BODY_BYTES) -> bytes:
    """The body from its chunks; `WebhookTooLargeError` as soon as it passes `limit`."""
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise WebhookTooLargeError(
                f"webhook body is larger than {limit} bytes", operation="receive webhook"
            )
        parts.append(chunk)
    return b"".join(parts)


def receive(
    body: bytes,
    headers: Mapping[str, str],
    *,
    verifier: WebhookVerifier,
    recent: RecentDeliveries,
    now: datetime | None = None,
) -> WebhookEvent | None:
    """Verify, parse, check the age of (when `now` is given) and dedupe one delivery: the
    event, or None for a repeat. Raises `WebhookSignatureError` / `WebhookPayloadError`
    (`WebhookStaleError` for a replay) for what must be refused; a refused delivery is not
    remembered, so it cannot make a later genuine one look like a repeat."""
    verifier.verify(body, headers)
    event = parse_event(body)
    when = event.time
    if (
        now is not None
        and when is not None
        and not (now - MAX_EVENT_AGE <= when <= now + MAX_CLOCK_SKEW)
    ):
        raise WebhookStaleError(
            f"webhook event of {when.isoformat()} is outside the accepted window"
            f" ({MAX_EVENT_AGE.total_seconds() / 3600:g} h back,"
            f" {MAX_CLOCK_SKEW.total_seconds() / 60:g} min ahead): a replay, or a wrong clock",
            operation="receive webhook",
            record=event.id,
        )
    return event if recent.first_time(event.dedupe_key) else None
