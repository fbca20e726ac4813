"""A whole sync cycle on both sandboxes with SQLite state: the first cycle over N seeded
bills (reads, vendor matching and creation, GL mapping, duplicate checks, writes), then a
second cycle with nothing new (the cost of re-reading and the ledger check).

Prints documents per second. Usage: python benchmarks/bench_sync_cycle.py [N]
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path

import structlog
from pydantic import SecretStr

from ml_connector.clock import SystemClock
from ml_connector.sage100.boi import BoiSage100
from ml_connector.sage100.settings import BoiSettings
from ml_connector.sandbox.sage100 import ProvideXScript, init_root
from ml_connector.sandbox.servicetitan.server import running_sandbox
from ml_connector.servicetitan.client import ServiceTitanClient
from ml_connector.servicetitan.environment import StCredentials, StEnvironment
from ml_connector.store.port import PairId
from ml_connector.store.sql import SqlStateStore
from ml_connector.sync.engine import SyncEngine
from ml_connector.sync.settings import SyncSettings


def main(size: int) -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    clock = SystemClock()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "sage"
        root.mkdir()
        init_root(root, seed="demo")
        store = SqlStateStore.open(f"sqlite:///{Path(tmp) / 'state.sqlite'}", clock=clock)
        with running_sandbox(Path(tmp) / "st", seed="demo", size=size) as sb:
            source = ServiceTitanClient(
                StEnvironment.custom(sb.base_url, sb.base_url + "/connect/token"),
                StCredentials(
                    tenant_id=sb.tenant_id,
                    client_id=sb.client_id,
                    client_secret=SecretStr(sb.client_secret),
                    app_key=SecretStr(sb.app_key),
                ),
                clock=clock,
            )
            sage = BoiSage100(
                BoiSettings(
                    home=str(root), company="ABC", user="sandbox", password=SecretStr("sandbox")
                ),
                lambda: ProvideXScript(root),
                clock=clock,
            )
            settings = SyncSettings(
                fallback_gl_account="6900-00-100",
                tax_account="2100-00-100",
                freight_account="5400-00-100",
            )
            engine = SyncEngine(PairId("bench"), source, sage, store, settings, clock)
            t = time.perf_counter()
            first = engine.run_cycle()
            t_first = time.perf_counter() - t
            t = time.perf_counter()
            second = engine.run_cycle()
            t_second = time.perf_counter() - t
            sage.close()
            source.close()
        store.close()
    handled = len(first.outcomes)
    print(
        f"first cycle:  {handled} bills in {t_first:.1f} s ({handled / t_first:,.0f} bills/s); "
        f"written {first.written}, review {first.sent_to_review}, vendors created "
        f"{first.vendors_created}"
    )
    print(
        f"second cycle (nothing new since the cursor): {t_second:.2f} s, "
        f"written {second.written}, re-read {second.unchanged}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
