"""Concurrent writers: processes and threads writing the ledger at once all complete,
with no "database is locked", thanks to BEGIN IMMEDIATE and the busy timeout; and a new
SQLite file opened by two processes at once, whose switch to WAL SQLite does not queue on
the busy timeout."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from ml_connector.store.port import AuditEvent, DocKind, LedgerEntry, LedgerStatus, PairId
from ml_connector.store.sql import SqlStateStore

MAIN = PairId("main")
PER_WRITER = 80

# Each writer opens the (possibly still empty) store itself, so the first migration also
# races; then every document is read, claimed and audited in its own transaction.
WRITER = """
import sys
from datetime import UTC, datetime
from decimal import Decimal
from ml_connector.store.port import AuditEvent, DocKind, LedgerEntry, LedgerStatus, PairId
from ml_connector.store.port import SageKeyRef
from ml_connector.store.sql import SqlStateStore

url, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
store = SqlStateStore.open(url)
pair = PairId("main")
for doc_id in range(first, first + count):
    at = datetime.now(UTC)
    with store.transaction() as tx:
        assert tx.get_ledger(pair, DocKind.AP_BILL, doc_id) is None
        key = SageKeyRef("00", "FERGUSO", f"W{doc_id}")
        tx.put_ledger(LedgerEntry(pair, DocKind.AP_BILL, doc_id, "f", LedgerStatus.INTENT, key))
    with store.transaction() as tx:
        entry = tx.get_ledger(pair, DocKind.AP_BILL, doc_id)
        tx.put_ledger(LedgerEntry(pair, DocKind.AP_BILL, doc_id, "f", LedgerStatus.WRITTEN,
                                  entry.sage_key, Decimal("1.00"), updated_at=at))
        tx.append_audit(AuditEvent(at, pair, "written", doc_kind=DocKind.AP_BILL, doc_id=doc_id))
store.close()
print("done")
"""


def test_two_processes_write_the_ledger_at_once(store_url: str) -> None:
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, store_url, str(first), str(PER_WRITER)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for first in (1, 100_001)
    ]
    results = [w.communicate(timeout=120) for w in writers]
    for writer, (out, err) in zip(writers, results, strict=True):
        assert "database is locked" not in err
        assert writer.returncode == 0, err
        assert out.strip() == "done"
    store = SqlStateStore.open(store_url)
    with store.transaction() as tx:
        written = list(tx.iter_ledger(MAIN, frozenset({LedgerStatus.WRITTEN})))
        audited = list(tx.iter_audit())
    store.close()
    assert len(written) == 2 * PER_WRITER
    assert len(audited) == 2 * PER_WRITER
    assert {e.doc_id for e in written} == {e.doc_id for e in audited}


def test_threads_share_one_store(store: SqlStateStore) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def write(offset: int) -> None:
        start.wait()
        try:
            for doc_id in range(offset, offset + 50):
                at = datetime.now(UTC)
                entry = LedgerEntry(
                    MAIN, DocKind.INVOICE, doc_id, "f", LedgerStatus.WRITTEN, None, Decimal("2.00")
                )
                with store.transaction() as tx:
                    tx.put_ledger(entry)
                    tx.append_audit(AuditEvent(at, MAIN, "written", doc_id=doc_id))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n * 1000,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with store.transaction() as tx:
        assert len(list(tx.iter_ledger(MAIN))) == 200
        assert len(list(tx.iter_audit())) == 200


def test_opening_a_new_file_waits_for_another_connection_switching_it_to_wal(
    tmp_path: Path,
) -> None:
    # What a second process meets when it opens a brand-new store while the first one's
    # connection is switching the file to WAL: a write lock on a file still in rollback
    # mode. SQLite runs the switch as a read that upgrades to a write, and that upgrade
    # fails at once with "database is locked" instead of waiting on the busy timeout.
    path = tmp_path / "state.sqlite"
    first = sqlite3.connect(path, isolation_level=None)
    first.execute("CREATE TABLE switching (x)")
    first.execute("BEGIN IMMEDIATE")
    first.execute("INSERT INTO switching VALUES (1)")
    opened: list[SqlStateStore] = []
    errors: list[BaseException] = []

    def open_store() -> None:
        try:
            opened.append(SqlStateStore.open(f"sqlite:///{path}", busy_timeout=20))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    second = threading.Thread(target=open_store)
    second.start()
    time.sleep(0.5)  # the second connection is waiting for the lock by now
    first.execute("COMMIT")
    first.close()
    second.join(30)
    assert errors == []
    store = opened[0]
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    with store.transaction() as tx:
        tx.append_audit(AuditEvent(datetime.now(UTC), MAIN, "opened"))
    store.close()
