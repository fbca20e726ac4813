"""Benchmark: page every AP bill of a 100,000-bill sandbox through the ServiceTitan client.

The sandbox runs in a child process (so that the memory figures are the client's alone);
the client pages both bill types with its defaults (pageSize 5000, 50 requests/s) and we
report records per second, requests and tokens used, 429s, and peak memory (tracemalloc
peak of the client process, and its max RSS).

    .venv/bin/python benchmarks/bench_servicetitan.py [--bills 100000] [--page-size 5000]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from ml_connector.servicetitan.client import ServiceTitanClient
from ml_connector.servicetitan.environment import StCredentials, StEnvironment


def _serve(state_dir: str, bills: int, conn: Any) -> None:
    from ml_connector.sandbox.servicetitan.server import running_sandbox

    started = time.perf_counter()
    with running_sandbox(Path(state_dir), size=bills) as sb:
        conn.send(
            {
                "base_url": sb.base_url,
                "tenant_id": sb.tenant_id,
                "client_id": sb.client_id,
                "client_secret": sb.client_secret,
                "app_key": sb.app_key,
                "startup_s": time.perf_counter() - started,
            }
        )
        while True:
            message = conn.recv()
            if message == "stats":
                conn.send(sb.stats())
            elif message == "stop":
                return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bills", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=5000)
    parser.add_argument("--max-rps", type=float, default=50.0)
    args = parser.parse_args()

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    with tempfile.TemporaryDirectory() as tmp:
        proc = ctx.Process(target=_serve, args=(str(Path(tmp) / "st"), args.bills, child))
        proc.start()
        try:
            info = parent.recv()
            print(
                f"sandbox: {args.bills:,} AP bills seeded and serving in {info['startup_s']:.1f} s"
            )
            env = StEnvironment.custom(info["base_url"], info["base_url"] + "/connect/token")
            creds = StCredentials(
                tenant_id=int(info["tenant_id"]),
                client_id=info["client_id"],
                client_secret=SecretStr(info["client_secret"]),
                app_key=SecretStr(info["app_key"]),
            )
            tracemalloc.start()
            started = time.perf_counter()
            count = 0
            total = Decimal("0.00")
            with ServiceTitanClient(
                env, creds, page_size=args.page_size, max_rps=args.max_rps
            ) as client:
                for bill_type in ("Procurement", "ApBill"):
                    for bill in client.ap_bills(bill_type=bill_type):  # type: ignore[arg-type]
                        count += 1
                        total += bill.bill_amount or 0
                elapsed = time.perf_counter() - started
                stats = client.stats
                invalid = client.invalid_count
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            parent.send("stats")
            server = parent.recv()
        finally:
            parent.send("stop")
            proc.join(timeout=30)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if sys.platform == "darwin":
        rss_mb /= 1024
    print(f"records:            {count:,} AP bills (both bill types), {invalid} invalid")
    print(f"sum of billAmount:  {total}")
    print(f"elapsed:            {elapsed:.2f} s")
    print(f"throughput:         {count / elapsed:,.0f} records/s")
    print(f"page size:          {args.page_size}")
    print(
        f"requests (client):  {stats.requests} ({stats.retries} retries, {stats.rate_limited} 429s)"
    )
    print(f"requests (sandbox): {server['requests']} API, 429s sent {server['sent_429']}")
    print(f"tokens issued:      {server['tokens_issued']}")
    print(f"peak traced memory: {peak / 1e6:.1f} MB (client process)")
    print(f"max RSS:            {rss_mb:.0f} MB (client process)")


if __name__ == "__main__":
    main()
