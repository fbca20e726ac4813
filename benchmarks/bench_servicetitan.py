"""Benchmark: page every AP bill of a 100,000-bill sandbox through the ServiceTitan client.

The sandbox runs in a child process, so the client's CPU and memory figures are its own.
Each pass pages both bill types with a fresh client (its own token) at one page size and
reports records per second (end to end, and per second of client CPU), requests, retries
and tokens used, and the peak memory traced in the client process.

    .venv/bin/python benchmarks/bench_servicetitan.py [--bills 100000] [--page-sizes 5000,1000]
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

from ml_connector.servicetitan.auth import TokenCache
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


def _page_all(
    env: StEnvironment, creds: StCredentials, page_size: int, max_rps: float, trace: bool
) -> dict[str, Any]:
    if trace:
        tracemalloc.start()
    cpu_start = time.process_time()
    started = time.perf_counter()
    count = 0
    total = Decimal("0.00")
    with ServiceTitanClient(
        env, creds, page_size=page_size, max_rps=max_rps, tokens=TokenCache()
    ) as client:
        for bill_type in ("Procurement", "ApBill"):
            for bill in client.ap_bills(bill_type=bill_type):  # type: ignore[arg-type]
                count += 1
                total += bill.bill_amount or 0
        result: dict[str, Any] = {
            "page_size": page_size,
            "count": count,
            "total": total,
            "elapsed": time.perf_counter() - started,
            "cpu": time.process_time() - cpu_start,
            "requests": client.stats.requests,
            "retries": client.stats.retries,
            "r429": client.stats.rate_limited,
            "invalid": client.invalid_count,
            "tokens": client.auth.requested,
        }
    if trace:
        result["peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return result


def _report(p: dict[str, Any]) -> None:
    print(f"-- pageSize {p['page_size']}")
    print(f"records:            {p['count']:,} AP bills (both bill types), {p['invalid']} invalid")
    print(f"sum of billAmount:  {p['total']}")
    print(f"elapsed:            {p['elapsed']:.2f} s ({p['cpu']:.2f} s of client CPU)")
    print(f"end to end:         {p['count'] / p['elapsed']:,.0f} records/s")
    print(f"client only:        {p['count'] / p['cpu']:,.0f} records per CPU second")
    print(f"requests:           {p['requests']} ({p['retries']} retries, {p['r429']} 429s)")
    print(f"token requests:     {p['tokens']}")
    if "peak" in p:
        print(f"peak traced memory: {p['peak'] / 1e6:.1f} MB (tracemalloc slows the client CPU)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--bills", type=int, default=100_000)
    parser.add_argument(
        "--page-sizes",
        type=lambda text: [int(x) for x in text.split(",")],
        default=[5000, 1000],
        help="comma-separated; one pass per page size over the same sandbox",
    )
    parser.add_argument("--max-rps", type=float, default=50.0)
    parser.add_argument(
        "--no-trace", action="store_true", help="skip tracemalloc (faster; no memory figure)"
    )
    parser.add_argument(
        "--state-dir", type=Path, help="keep the seeded sandbox here and reuse it next time"
    )
    args = parser.parse_args()

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    with tempfile.TemporaryDirectory() as tmp:
        state = args.state_dir or Path(tmp) / "st"
        proc = ctx.Process(target=_serve, args=(str(state), args.bills, child))
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
            passes = [
                _page_all(env, creds, size, args.max_rps, not args.no_trace)
                for size in args.page_sizes
            ]
            parent.send("stats")
            server = parent.recv()
        finally:
            parent.send("stop")
            proc.join(timeout=60)
    for p in passes:
        _report(p)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if sys.platform == "darwin":
        rss_mb /= 1024
    print("-- totals")
    print(f"max RSS:            {rss_mb:.0f} MB (client process, whole run)")
    print(
        f"sandbox counted:    {server['requests']} requests (tokens included), "
        f"{server['sent_429']} 429s sent, {server['tokens_issued']} tokens issued"
    )


if __name__ == "__main__":
    main()
