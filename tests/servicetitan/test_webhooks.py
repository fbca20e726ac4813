"""Webhook signatures (hex or base64, constant-time), CloudEvents envelope, dedupe."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import SecretStr

from ml_connector.errors import Action
from ml_connector.servicetitan.errors import WebhookPayloadError, WebhookSignatureError
from ml_connector.servicetitan.webhooks import (
    RecentDeliveries,
    WebhookVerifier,
    parse_event,
    receive,
)

KEY = "k" * 40


def _body(user_id: str = "occ-1", delivery: str = "del-1") -> bytes:
    return json.dumps(
        {
            "specversion": "1.0",
            "id": delivery,
            "type": "tn.acc.invoice-exported",
            "time": "2026-01-05T14:00:00Z",
            "source": "https://webhooks.servicetitan.io",
            "userassignedid": user_id,
            "datacontenttype": "application/json",
            "data": {
                "invoice": {"id": 55, "total": 1234.56},
                "tenantId": 1234567,
                "tenantName": "Demo",
            },
        }
    ).encode()


def _sign(body: bytes, encoding: str = "hex") -> str:
    digest = hmac.new(KEY.encode(), body, hashlib.sha256).digest()
    return digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-ServiceTitan-Signature", "hex"),
        ("x-servicetitan-signature", "base64"),
        ("X-ST-Signature", "hex"),
        ("ServiceTitan-Signature", "sha256=hex"),
    ],
)
def test_valid_signatures_in_either_encoding_pass(header: str, value: str) -> None:
    body = _body()
    sig = _sign(body, "base64" if value == "base64" else "hex")
    if value.startswith("sha256="):
        sig = "sha256=" + sig
    WebhookVerifier(SecretStr(KEY)).verify(body, {header: sig})


def test_tampered_body_fails() -> None:
    body = _body()
    sig = _sign(body)
    tampered = body.replace(b"1234.56", b"9234.56")
    with pytest.raises(WebhookSignatureError, match="does not match") as info:
        WebhookVerifier(SecretStr(KEY)).verify(tampered, {"X-ServiceTitan-Signature": sig})
    assert info.value.action is Action.SKIP


@pytest.mark.parametrize("sig", ["", "zz-not-a-digest", "00" * 32, _sign(b"other body")])
def test_invalid_signatures_fail(sig: str) -> None:
    with pytest.raises(WebhookSignatureError):
        WebhookVerifier(SecretStr(KEY)).verify(_body(), {"X-ServiceTitan-Signature": sig})


def test_wrong_key_fails_and_the_key_never_shows() -> None:
    body = _body()
    verifier = WebhookVerifier(SecretStr("another-key-" * 3))
    with pytest.raises(WebhookSignatureError) as info:
        verifier.verify(body, {"X-ServiceTitan-Signature": _sign(body)})
    assert KEY not in str(info.value)
    assert "another-key" not in info.value.describe()


def test_missing_header_fails_and_header_name_is_configurable() -> None:
    body = _body()
    with pytest.raises(WebhookSignatureError, match="no signature header"):
        WebhookVerifier(SecretStr(KEY)).verify(body, {"X-Other": _sign(body)})
    WebhookVerifier(SecretStr(KEY), headers=("X-Other",)).verify(body, {"x-other": _sign(body)})


def test_encoding_can_be_pinned() -> None:
    body = _body()
    hex_only = WebhookVerifier(SecretStr(KEY), encoding="hex")
    hex_only.verify(body, {"X-ServiceTitan-Signature": _sign(body, "hex")})
    with pytest.raises(WebhookSignatureError):
        hex_only.verify(body, {"X-ServiceTitan-Signature": _sign(body, "base64")})
    b64_only = WebhookVerifier(SecretStr(KEY), encoding="base64")
    with pytest.raises(WebhookSignatureError):
        b64_only.verify(body, {"X-ServiceTitan-Signature": _sign(body, "hex")})


def test_sign_matches_verify() -> None:
    verifier = WebhookVerifier(SecretStr(KEY))
    body = _body()
    for enc in ("hex", "base64"):
        verifier.verify(body, {"X-ServiceTitan-Signature": verifier.sign(body, encoding=enc)})


def test_parse_event_reads_the_cloudevents_envelope() -> None:
    event = parse_event(_body())
    assert event.type == "tn.acc.invoice-exported"
    assert event.userassignedid == "occ-1"
    assert event.time == datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
    assert event.tenant_id == 1234567
    assert event.data["invoice"]["total"] == Decimal("1234.56")
    with pytest.raises(AttributeError):
        event.id = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        event.data["tenantId"] = 1  # type: ignore[index]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        json.dumps({"specversion": "1.0", "id": "x"}).encode(),
        _body().replace(b'"1.0"', b'"0.3"'),
    ],
)
def test_bad_envelopes_are_refused(body: bytes) -> None:
    with pytest.raises(WebhookPayloadError):
        parse_event(body)


def test_recent_deliveries_dedupes_on_userassignedid_and_is_bounded() -> None:
    recent = RecentDeliveries(capacity=3)
    verifier = WebhookVerifier(SecretStr(KEY))
    first = _body("occ-1", "del-1")
    redelivery = _body("occ-1", "del-2")  # new delivery id, same occurrence
    assert receive(first, {"X-ST-Signature": _sign(first)}, verifier=verifier, recent=recent)
    assert (
        receive(redelivery, {"X-ST-Signature": _sign(redelivery)}, verifier=verifier, recent=recent)
        is None
    )
    for key in ("a", "b", "c"):
        assert recent.first_time(key)
    assert len(recent) == 3
    assert recent.first_time("occ-1")  # forgotten: the memory is bounded
    assert not recent.first_time("c")
