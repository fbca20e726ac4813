"""Figures for the soap-config area: Web Services round trips against the loopback sandbox,
config loading, and the cost of log redaction per event.

Run: .venv/bin/python benchmarks/bench_soap_config.py
"""

from __future__ import annotations

import time
from pathlib import Path

from pydantic import SecretStr

from ml_connector.app.config.files import load_config
from ml_connector.app.logging import Redactor
from ml_connector.sage100.webservices import SageWebServicesClient, WebServicesSettings
from ml_connector.sandbox.webservices import running_webservices


def bench_webservices(rounds: int = 200) -> None:
    with running_webservices() as ws:
        started = time.perf_counter()
        client = SageWebServicesClient(
            WebServicesSettings(
                url=ws.url, company="ABC", user="sandbox", password=SecretStr("sandbox")
            )
        )
        built = time.perf_counter() - started
        with client:
            client.ping()  # warm the connection
            started = time.perf_counter()
            for _ in range(rounds):
                client.get_customer("01", "ABF")
            elapsed = time.perf_counter() - started
    print(f"webservices: client built (WSDL parsed from disk) in {built * 1000:.1f} ms")
    print(
        f"webservices: {rounds} GetCustomer calls in {elapsed:.2f} s "
        f"({elapsed / rounds * 1000:.2f} ms per call, loopback sandbox)"
    )


def bench_config(rounds: int = 200) -> None:
    example = Path(__file__).resolve().parents[1] / "docs" / "examples" / "config.toml"
    started = time.perf_counter()
    for _ in range(rounds):
        load_config(example)
    elapsed = time.perf_counter() - started
    print(f"config: example loaded and validated in {elapsed / rounds * 1000:.2f} ms")


def bench_redaction(rounds: int = 20_000) -> None:
    redactor = Redactor()
    for i in range(5):
        redactor.add_secret(f"resolved-secret-{i}")
    event = {
        "event": "HTTP Request: GET https://api.servicetitan.io/accounting/v2/tenant/1/ap-bills"
        "?page=3&pageSize=5000&modifiedOnOrAfter=2026-03-01T00:00:00Z",
        "pair": "main",
        "status": 200,
        "headers": {"Authorization": "Bearer eyJ.abc.def", "ST-App-Key": "ak"},
        "elapsed_ms": 132.5,
    }
    started = time.perf_counter()
    for _ in range(rounds):
        redactor(None, "info", dict(event))
    elapsed = time.perf_counter() - started
    print(
        f"logging: redaction {elapsed / rounds * 1e6:.1f} us per event "
        f"({rounds / elapsed:,.0f} events/s, 5 registered secrets)"
    )


if __name__ == "__main__":
    bench_webservices()
    bench_config()
    bench_redaction()
