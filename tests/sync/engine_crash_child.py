"""One sync cycle in a process of its own, for the crash test (which SIGKILLs it).

Usage: python engine_crash_child.py <st_base_url> <tenant_id> <sage_root> <state_url> [N [written]]

With N, the process ends itself (os._exit, no clean-up: as a kill would) right after the
N-th decision that writes nothing to Sage (with `written`: the N-th invoice written),
printing "died after <doc id>" first.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import timedelta
from pathlib import Path

from pydantic import SecretStr

from ml_connector.clock import SystemClock
from ml_connector.sage100.boi import BoiSage100
from ml_connector.sage100.settings import BoiSettings
from ml_connector.sandbox.sage100 import ProvideXScript
from ml_connector.servicetitan.client import ServiceTitanClient
from ml_connector.servicetitan.environment import StCredentials, StEnvironment
from ml_connector.store.port import PairId
from ml_connector.store.sql import SqlStateStore
from ml_connector.sync.engine import SyncEngine
from ml_connector.sync.settings import SyncSettings
from ml_connector.sync.summary import DocumentOutcome, Outcome


def crash_settings() -> SyncSettings:
    return SyncSettings(
        fallback_gl_account="6900-00-100",
        tax_account="2100-00-100",
        freight_account="5400-00-100",
        signpost_safety=timedelta(0),
        mark_exported=True,
    )


def main(argv: list[str]) -> int:
    base_url, tenant, root, state_url = argv[:4]
    die_after = int(argv[4]) if len(argv) > 4 else 0
    after_writes = len(argv) > 5 and argv[5] == "written"
    clock = SystemClock()
    source = ServiceTitanClient(
        StEnvironment.custom(base_url, base_url + "/connect/token", name="sandbox"),
        StCredentials(
            tenant_id=int(tenant),
            client_id="sandbox-client",
            client_secret=SecretStr("sandbox-secret"),
            app_key=SecretStr("sandbox-app-key"),
        ),
        clock=clock,
    )
    sage = BoiSage100(
        BoiSettings(home=root, company="ABC", user="sandbox", password=SecretStr("sandbox")),
        lambda: ProvideXScript(Path(root)),
        clock=clock,
    )
    store = SqlStateStore.open(state_url, clock=clock)
    engine = SyncEngine(PairId("main"), source, sage, store, crash_settings(), clock)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    started = time.monotonic()
    decided: list[int] = []

    def on_outcome(outcome: DocumentOutcome) -> None:
        wrote = outcome.outcome in (Outcome.WRITTEN, Outcome.RECOVERED)
        if die_after and wrote == after_writes:
            decided.append(outcome.doc_id)
            if len(decided) >= die_after:
                sys.stdout.write(f"died after {outcome.doc_id}\n")
                sys.stdout.flush()
                os._exit(9)

    summary = engine.run_cycle(on_outcome=on_outcome)
    sys.stdout.write(f"cycle took {time.monotonic() - started:.2f} s\n")
    sys.stdout.write(f"written={summary.written} failed={summary.failed}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
