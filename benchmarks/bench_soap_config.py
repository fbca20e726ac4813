"""Figures for the soap-config area: Web Services round trips against the loopback sandbox.

Run: .venv/bin/python benchmarks/bench_soap_config.py
"""

from __future__ import annotations

import time

from pydantic import SecretStr

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


if __name__ == "__main__":
    bench_webservices()
