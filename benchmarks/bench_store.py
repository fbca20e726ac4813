"""How fast the state store records documents: the engine's per-document write path
(intent committed, then written + audit event committed), and reading the ledger back.

    .venv/bin/python benchmarks/bench_store.py [--docs 500]

Runs on a SQLite file (synchronous=FULL, as shipped) and, when PostgreSQL is installed,
on a throwaway PostgreSQL server.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from ml_connector.store.port import (
    AuditEvent,
    DocKind,
    LedgerEntry,
    LedgerStatus,
    PairId,
    SageKeyRef,
)
from ml_connector.store.sql import SqlStateStore
from ml_connector.store.testing import postgres_unavailable, running_postgres

PAIR = PairId("main")


def _write_path(store: SqlStateStore, docs: int) -> float:
    start = time.perf_counter()
    for doc_id in range(1, docs + 1):
        key = SageKeyRef("00", "FERGUSO", f"B{doc_id:07d}")
        intent = LedgerEntry(PAIR, DocKind.AP_BILL, doc_id, "fp", LedgerStatus.INTENT, key)
        with store.transaction() as tx:
            tx.put_ledger(intent)
        with store.transaction() as tx:
            tx.put_ledger(
                LedgerEntry(
                    PAIR,
                    DocKind.AP_BILL,
                    doc_id,
                    "fp",
                    LedgerStatus.WRITTEN,
                    key,
                    Decimal("123.45"),
                    written_fingerprint="fp",
                )
            )
            tx.append_audit(
                AuditEvent(
                    datetime.now(UTC), PAIR, "written", doc_kind=DocKind.AP_BILL, doc_id=doc_id
                )
            )
    return time.perf_counter() - start


def _read_back(store: SqlStateStore) -> tuple[int, float]:
    start = time.perf_counter()
    with store.transaction() as tx:
        count = sum(1 for _ in tx.iter_ledger(PAIR))
    return count, time.perf_counter() - start


def _bench(name: str, url: str, docs: int) -> None:
    store = SqlStateStore.open(url)
    elapsed = _write_path(store, docs)
    count, read = _read_back(store)
    store.close()
    print(
        f"{name:<12} write path: {docs / elapsed:8.0f} documents/s"
        f" ({elapsed / docs * 1000:.2f} ms each, 2 commits)"
        f" | read {count} ledger rows in {read * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        _bench("sqlite", f"sqlite:///{Path(folder) / 'state.sqlite'}", args.docs)
    reason = postgres_unavailable()
    if reason:
        print(f"postgresql   skipped: {reason}")
        return
    with running_postgres() as server:
        _bench("postgresql", server.create_database("bench_store"), args.docs)
    print("(the throwaway PostgreSQL runs with fsync off; a real server is slower)")


if __name__ == "__main__":
    main()
