"""Kill the engine at random points (SIGKILL, several runs): in the end every bill is in
Sage exactly once and the totals agree to the cent."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from engine_bills import ap_bill
from engine_crash_child import crash_settings
from engine_world import PAIR, boi_sage, sandbox_client

from ml_connector.clock import SystemClock
from ml_connector.sandbox.sage100 import init_root
from ml_connector.sandbox.servicetitan.server import running_sandbox
from ml_connector.store.port import DocKind, LedgerStatus, VendorLink
from ml_connector.store.sql import SqlStateStore
from ml_connector.sync.engine import SyncEngine
from ml_connector.sync.summary import Outcome

CHILD = Path(__file__).with_name("engine_crash_child.py")
RUNS = 10
BASE_ID = 9_500_000


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_at_random_points_every_bill_lands_exactly_once(tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("ML_CONNECTOR_CRASH_SEED", "20260120")))
    clock = SystemClock()
    root = tmp_path / "sage"
    root.mkdir()
    init_root(root, seed="demo")
    state_url = f"sqlite:///{tmp_path / 'state.sqlite'}"
    setup = SqlStateStore.open(state_url)  # migrations run once, before any child
    with setup.transaction() as tx:  # Ferguson's branch, picked by a person
        tx.add_link(VendorLink(PAIR, 601, "00", "FERGUS", "manual"))
    setup.close()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(CHILD.parent), *sys.path])}
    with running_sandbox(tmp_path / "st", seed="demo", size=80) as sb:
        kills = 0
        for run in range(RUNS):
            # new and edited bills, so that every run has writes to be killed in
            sb.upsert(
                "ap-bills",
                [
                    ap_bill(
                        BASE_ID + run * 100 + n,
                        reference=f"K{run}-{n}-{rng.randrange(10**12)}",
                        amount=f"{rng.randrange(-5000, 90000) / 100:.2f}",
                    )
                    for n in range(15)
                ],
            )
            child = subprocess.Popen(
                [sys.executable, str(CHILD), sb.base_url, str(sb.tenant_id), str(root), state_url],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            assert child.stdout is not None
            assert child.stdout.readline().strip() == b"ready", (
                child.stderr.read() if child.stderr else ""
            )
            time.sleep(rng.uniform(0.0, 0.5))  # somewhere inside the cycle
            if child.poll() is None:
                child.send_signal(signal.SIGKILL)
                kills += 1
            _out, err = child.communicate(timeout=60)
            assert child.returncode in (0, -signal.SIGKILL), err.decode()[-2000:]
        assert kills > 0, "no run was killed: raise the sleep range"

        # two clean cycles in this process finish whatever was left
        source = sandbox_client(sb, clock)
        sage = boi_sage(root, clock)
        store = SqlStateStore.open(state_url, clock=clock)
        try:
            engine = SyncEngine(PAIR, source, sage, store, crash_settings(), clock)
            engine.run_cycle()
            last = engine.run_cycle()
            assert last.written == 0
            assert last.failed == 0
            with store.transaction() as tx:
                ledger = list(tx.iter_ledger(PAIR))
                pending = tx.pending_outbox(PAIR)
                runs = tx.last_runs(PAIR, limit=50)
            # the killed runs stay "running" (marked interrupted once they are an hour old)
            assert [r.status for r in runs[:2]] == ["completed", "completed"]
            bills = {
                b.id: b for t in ("Procurement", "ApBill") for b in source.ap_bills(bill_type=t)
            }
        finally:
            sage.close()
            source.close()
            store.close()

    import sqlite3

    with sqlite3.connect(root / "ABC.sqlite") as conn:
        headers = conn.execute(
            "SELECT VendorNo, InvoiceNo, InvoiceAmt, Comment FROM AP_InvoiceHeader"
        ).fetchall()
        lines = {
            (v.strip(), n.strip()): Decimal(str(a)).quantize(Decimal("0.01"))
            for v, n, a in conn.execute(
                "SELECT VendorNo, InvoiceNo, SUM(DistributionAmt) FROM AP_InvoiceDetail "
                "GROUP BY VendorNo, InvoiceNo"
            )
        }
    ours = [h for h in headers if str(h[3]).startswith("ST bill ")]
    per_bill = Counter(int(str(h[3]).split()[2]) for h in ours)
    assert all(n == 1 for n in per_bill.values()), per_bill.most_common(3)
    written = {
        e.doc_id: e
        for e in ledger
        if e.kind is DocKind.AP_BILL and e.status is LedgerStatus.WRITTEN
    }
    assert set(per_bill) == set(written)
    for v, n, amount, comment in ours:
        bill_id = int(str(comment).split()[2])
        expected = bills[bill_id].bill_amount
        assert Decimal(str(amount)).quantize(Decimal("0.01")) == expected
        assert lines[(v.strip(), n.strip())] == expected  # the distribution is complete
    total_sage = sum((Decimal(str(h[2])).quantize(Decimal("0.01")) for h in ours), Decimal("0.00"))
    total_st = sum((bills[i].bill_amount or Decimal(0) for i in per_bill), Decimal("0.00"))
    assert total_sage == total_st
    assert not [e for e in ledger if e.status is LedgerStatus.INTENT]
    assert pending == []
    # nothing good was left behind: every bill is final
    assert {e.doc_id for e in ledger if e.kind is DocKind.AP_BILL} == set(bills)


def test_a_death_between_commits_loses_only_decisions_made_again(tmp_path: Path) -> None:
    """A cycle's bookkeeping rides along to the next commit: a process that dies right
    after deciding documents that write nothing loses those decisions, and neither the
    cursor nor anything in Sage moved past them. The next cycle decides them again, once."""
    clock = SystemClock()
    root = tmp_path / "sage"
    root.mkdir()
    init_root(root, seed="demo")
    state_url = f"sqlite:///{tmp_path / 'state.sqlite'}"
    SqlStateStore.open(state_url).close()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(CHILD.parent), *sys.path])}
    with running_sandbox(tmp_path / "st", seed="demo", size=80) as sb:
        child = subprocess.run(  # our child script, our arguments
            [sys.executable, str(CHILD), sb.base_url, str(sb.tenant_id), str(root), state_url, "5"],
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert child.returncode == 9, child.stderr.decode()[-2000:]
        died_after = int(child.stdout.decode().split("died after ")[1].split()[0])
        store = SqlStateStore.open(state_url, clock=clock)
        with store.transaction() as tx:
            lost = tx.get_ledger(PAIR, DocKind.AP_BILL, died_after)
            cursors_after_death = {
                s: tx.get_cursor(PAIR, s) for s in ("ap_bills:ApBill", "ap_bills:Procurement")
            }
        assert lost is None  # decided, not yet committed: gone with the process
        assert set(cursors_after_death.values()) == {None}  # no cursor moved past it

        source = sandbox_client(sb, clock)
        sage = boi_sage(root, clock)
        try:
            engine = SyncEngine(PAIR, source, sage, store, crash_settings(), clock)
            engine.run_cycle()
            assert engine.run_cycle().written == 0
            with store.transaction() as tx:
                ledger = {e.doc_id: e for e in tx.iter_ledger(PAIR)}
                reviews = tx.list_reviews(PAIR)
            bills = {b.id for t in ("Procurement", "ApBill") for b in source.ap_bills(bill_type=t)}
        finally:
            sage.close()
            source.close()
            store.close()
    assert set(ledger) >= bills  # every bill decided, the lost ones included
    assert ledger[died_after].status is not LedgerStatus.INTENT
    per_doc = Counter((r.doc_kind, r.doc_id, r.kind) for r in reviews if r.doc_id is not None)
    assert all(n == 1 for n in per_doc.values()), per_doc.most_common(3)  # never twice
    import sqlite3

    with sqlite3.connect(root / "ABC.sqlite") as conn:
        ours = [
            str(c)
            for (c,) in conn.execute("SELECT Comment FROM AP_InvoiceHeader")
            if str(c).startswith("ST bill ")
        ]
    assert len(ours) == len({c.split()[2] for c in ours})  # each bill in Sage once
    assert {int(c.split()[2]) for c in ours} == {
        i for i, e in ledger.items() if e.status is LedgerStatus.WRITTEN
    }


def test_a_death_right_after_a_write_leaves_it_for_recovery_not_for_a_second_write(
    tmp_path: Path,
) -> None:
    """The outcome of a write is made durable by the next commit (the next write's intent,
    at the latest): a process that dies right after Sage took an invoice leaves the bill's
    "writing" intent, and the next cycle finds the invoice in Sage and records it, with its
    audit event and the mark-as-exported item, without writing it again."""
    clock = SystemClock()
    root = tmp_path / "sage"
    root.mkdir()
    init_root(root, seed="demo")
    state_url = f"sqlite:///{tmp_path / 'state.sqlite'}"
    SqlStateStore.open(state_url).close()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(CHILD.parent), *sys.path])}
    args = [str(root), state_url, "1", "written"]
    with running_sandbox(tmp_path / "st", seed="demo", size=80) as sb:
        child = subprocess.run(  # our child script, our arguments
            [sys.executable, str(CHILD), sb.base_url, str(sb.tenant_id), *args],
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert child.returncode == 9, child.stderr.decode()[-2000:]
        died_after = int(child.stdout.decode().split("died after ")[1].split()[0])
        store = SqlStateStore.open(state_url, clock=clock)
        with store.transaction() as tx:
            left = tx.get_ledger(PAIR, DocKind.AP_BILL, died_after)
        assert left is not None
        assert left.status is LedgerStatus.INTENT  # the WRITTEN went with the process
        assert left.last_error == "writing"
        assert _ours_in_sage(root) == [died_after]  # but Sage has the invoice

        source = sandbox_client(sb, clock)
        sage = boi_sage(root, clock)
        recovered: list[int] = []
        try:
            engine = SyncEngine(PAIR, source, sage, store, crash_settings(), clock)
            engine.run_cycle(
                on_outcome=lambda o: (
                    recovered.append(o.doc_id) if o.outcome is Outcome.RECOVERED else None
                )
            )
            with store.transaction() as tx:
                entry = tx.get_ledger(PAIR, DocKind.AP_BILL, died_after)
                audit = [
                    e
                    for e in tx.iter_audit(pair=PAIR)
                    if e.doc_id == died_after and e.action == "written"
                ]
                pending = tx.pending_outbox(PAIR)
        finally:
            sage.close()
            source.close()
            store.close()
    assert recovered == [died_after]
    assert entry is not None
    assert entry.status is LedgerStatus.WRITTEN
    assert [e.details.get("recovered") for e in audit] == [True]
    assert pending == []  # marked exported in ServiceTitan by the same cycle
    ours = _ours_in_sage(root)
    assert ours.count(died_after) == 1  # not written twice
    assert len(ours) == len(set(ours))


def _ours_in_sage(root: Path) -> list[int]:
    """The ServiceTitan bill ids of the invoices we wrote, from our header comments."""
    import sqlite3

    with sqlite3.connect(root / "ABC.sqlite") as conn:
        return [
            int(str(c).split()[2])
            for (c,) in conn.execute("SELECT Comment FROM AP_InvoiceHeader")
            if str(c).startswith("ST bill ")
        ]
