"""Webhook proof: forged, replayed, oversized and malformed deliveries sent over real HTTP
to the receiver `ml-connector run` serves (`create_webhook_app` on uvicorn), each one
refused without effect (no cycle woken, nothing remembered that would hide a genuine
delivery later); then a genuine delivery still wakes its pair, exactly once.

    .venv/bin/python scripts/webhook_attacks.py --rounds 200     # the full proof
    .venv/bin/python scripts/webhook_attacks.py --rounds 5       # a quick look

Prints how many deliveries of each kind were sent and how they were answered; exits 1
when one had an effect or got a 5xx.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import random
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import structlog
import uvicorn
from pydantic import SecretStr

from ml_connector.app.web.dashboard import create_webhook_app
from ml_connector.servicetitan.webhooks import MAX_BODY_BYTES, RecentDeliveries, WebhookVerifier

PATH = "/webhooks/servicetitan"
TENANT = 1234567
HEADER = "X-ServiceTitan-Signature"
KEY = SecretStr("proof-webhook-key-" + "k" * 24)
WRONG_KEY = SecretStr("not-the-key-" + "x" * 30)


def event(uid: str, *, when: datetime | None = None, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "specversion": "1.0",
        "id": f"delivery-{uid}",
        "type": "tn.acc.invoice-posted",
        "source": "https://webhooks.servicetitan.io",
        "time": (when or datetime.now(UTC)).isoformat().replace("+00:00", "Z"),
        "userassignedid": uid,
        "datacontenttype": "application/json",
        "data": {"invoice": {"id": 5, "total": "10.00"}, "tenantId": TENANT},
    }
    body.update(changes)
    return body


def encode(body: object) -> bytes:
    return json.dumps(body).encode()


@dataclass
class Receiver:
    url: str
    woken: list[str]
    recent: RecentDeliveries


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    woken: list[str] = []
    recent = RecentDeliveries()
    app = create_webhook_app(
        path=PATH,
        verifier=WebhookVerifier(KEY),
        tenants={TENANT: "main"},
        wake=woken.append,
        recent=recent,
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="critical", lifespan="off", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield Receiver(f"http://127.0.0.1:{sock.getsockname()[1]}{PATH}", woken, recent)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@dataclass
class AttackResult:
    sent: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)
    effects: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    genuine_woke: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.effects and not self.server_errors and self.genuine_woke == 1


Attack = Callable[[random.Random, int], tuple[bytes | Iterator[bytes], dict[str, str]]]
GOOD = WebhookVerifier(KEY)


def _forged(rng: random.Random, n: int) -> tuple[bytes, dict[str, str]]:
    body = encode(event(f"forged-{n}"))
    choice = rng.randrange(8)
    if choice == 0:  # signed with another key
        return body, {HEADER: WebhookVerifier(WRONG_KEY).sign(body)}
    if choice == 1:  # a genuine signature of another body
        return body, {HEADER: GOOD.sign(encode(event(f"other-{n}")))}
    if choice == 2:  # no signature at all
        return body, {}
    if choice == 3:  # an empty or garbage signature
        return body, {HEADER: rng.choice(["", "sha256=", "zz" * 32, "%00" * 10, "=" * 44])}
    if choice == 4:  # the genuine signature, truncated or with a flipped character
        sig = GOOD.sign(body)
        return body, {HEADER: sig[:-2] if n % 2 else sig[:-1] + ("0" if sig[-1] != "0" else "1")}
    if choice == 5:  # a signature in a header the receiver does not read
        return body, {"X-Signature": GOOD.sign(body)}
    if choice == 6:  # random bytes, base64
        return body, {HEADER: base64.b64encode(rng.randbytes(32)).decode()}
    # the genuine signature over a body changed after signing (amount, tenant)
    signed = GOOD.sign(body)
    return body.replace(b"10.00", b"99.00").replace(b"1234567", b"7654321"), {HEADER: signed}


def _replayed_stale(rng: random.Random, n: int) -> tuple[bytes, dict[str, str]]:
    days = rng.choice([1.5, 3, 30, 400])
    body = encode(event(f"stale-{n}", when=datetime.now(UTC) - timedelta(days=days)))
    return body, {HEADER: GOOD.sign(body)}


def _from_the_future(rng: random.Random, n: int) -> tuple[bytes, dict[str, str]]:
    body = encode(
        event(f"future-{n}", when=datetime.now(UTC) + timedelta(hours=rng.randint(1, 99)))
    )
    return body, {HEADER: GOOD.sign(body)}


def _oversized(rng: random.Random, n: int) -> tuple[bytes | Iterator[bytes], dict[str, str]]:
    if n % 2:
        big = encode(event(f"big-{n}", padding="x" * (MAX_BODY_BYTES + rng.randrange(1, 4096))))
        return big, {HEADER: GOOD.sign(big)}

    def chunks() -> Iterator[bytes]:  # chunked: no Content-Length to refuse it by
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b" " * 65536

    return chunks(), {HEADER: "00" * 32}


def _malformed(rng: random.Random, n: int) -> tuple[bytes, dict[str, str]]:
    uid = f"bad-{n}"
    bodies: list[bytes] = [
        b"",
        b"not json",
        b"\xff\xfe\x00garbage",
        b"[1, 2, 3]",
        b"[" * 100_000 + b"]" * 100_000,
        encode(event(uid, specversion="0.3")),
        encode(event(uid, data=["not", "an", "object"])),
        encode(event(uid, time="yesterday")),
        encode(event(uid, time=12345)),
        encode({k: v for k, v in event(uid).items() if k != "userassignedid"}),
        encode(event(uid, id="")),
        encode(event(uid, data={"tenantId": str(TENANT)})),  # a tenant id as a string
        encode(event(uid, data={"tenantId": True})),
    ]
    body = rng.choice(bodies)
    return body, {HEADER: GOOD.sign(body)}  # signed: the parser is what is tried


ATTACKS: dict[str, Attack] = {
    "forged": _forged,
    "replayed (stale)": _replayed_stale,
    "from the future": _from_the_future,
    "oversized": _oversized,
    "malformed": _malformed,
}


def run_attacks(rounds: int, *, seed: int = 12) -> AttackResult:
    rng = random.Random(seed)  # noqa: S311  # replayable, not cryptography
    result = AttackResult()
    started = time.monotonic()
    with running_receiver() as rx, httpx.Client(timeout=30) as http:
        genuine = encode(event("genuine-1"))
        signed = {HEADER: GOOD.sign(genuine)}
        for n in range(rounds):
            for name, attack in ATTACKS.items():
                content, headers = attack(rng, n)
                before = (len(rx.woken), len(rx.recent))
                resp = http.post(rx.url, content=content, headers=headers)
                result.sent[name] += 1
                result.answers[f"{name}: {resp.status_code} {resp.text[:20]}"] += 1
                if resp.status_code >= 500:
                    result.server_errors.append(f"{name} #{n}: {resp.status_code}")
                elif resp.status_code < 400 and "unknown tenant" not in resp.text:
                    result.effects.append(f"{name} #{n}: accepted ({resp.text[:40]})")
                if (len(rx.woken), len(rx.recent)) != before and "tenant" not in resp.text:
                    result.effects.append(f"{name} #{n}: woke a cycle or was remembered")
            # a genuine delivery's replay, at once: acknowledged as a repeat, no new cycle
            if n == 0:
                first = http.post(rx.url, content=genuine, headers=signed)
                assert first.text == "ok", first.text
            replay = http.post(rx.url, content=genuine, headers=signed)
            result.sent["replayed (same delivery)"] += 1
            result.answers[f"replayed (same delivery): {replay.status_code} {replay.text}"] += 1
            if replay.text != "duplicate":
                result.effects.append(f"replay #{n}: {replay.status_code} {replay.text}")
        result.genuine_woke = rx.woken.count("main")
    result.seconds = round(time.monotonic() - started, 1)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    # the receiver logs every refusal (as it should); here only the summary matters
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    result = run_attacks(args.rounds, seed=args.seed)
    out = {
        "sent": dict(result.sent),
        "total": sum(result.sent.values()),
        "answers": dict(sorted(result.answers.items())),
        "effects": result.effects[:20],
        "server_errors": result.server_errors[:20],
        "genuine delivery woke its pair": result.genuine_woke,
        "seconds": result.seconds,
    }
    sys.stdout.write(json.dumps(out, indent=2) + "\n")
    if not result.ok:
        sys.stderr.write("FAILED: a delivery had an effect or broke the receiver\n")
        return 1
    sys.stdout.write("OK: every forged, replayed, oversized and malformed delivery refused\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
