"""Sage locks and COM errors during a sync: documents are retried in later cycles, and in
the end every one is in Sage exactly once, never adjusted, lines complete."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from engine_bills import ap_bill
from engine_world import World

from ml_connector.sandbox.sage100.locks import held_record
from ml_connector.sync.summary import Outcome

BASE_ID = 9_300_000


def test_lock_and_com_error_storm_ends_with_every_bill_once(world: World) -> None:
    bills = [
        ap_bill(BASE_ID + n, reference=f"STORM-{n}", amount=f"{100 + n}.25") for n in range(20)
    ]
    world.st.upsert("ap-bills", bills)
    (world.sage_root / "sandbox.toml").write_text(
        "[faults]\nlock_rate = 0.2\ncom_error_rate = 0.04\nseed = 7\n"
    )
    retried = 0
    for _ in range(10):
        world.reopen_sage()  # a new session reads the fault plan
        summary = world.cycle()
        retried += summary.failed
        if summary.failed == 0 and not summary.errors:
            break
    (world.sage_root / "sandbox.toml").unlink()
    world.reopen_sage()
    for _ in range(5):  # records a poisoned session held are freed in time
        final = world.cycle()
        if final.failed == 0:
            break
    assert final.failed == 0, [
        (o.label, o.reason) for o in final.outcomes if o.outcome is Outcome.RETRY
    ]
    assert retried > 0, "the storm caused no retry: raise the rates"
    entry = world.sage_entry()
    lines = world.entry_line_totals()
    ours = Counter(c.split()[2] for _amount, c in entry.values() if c.startswith("ST bill "))
    assert all(n == 1 for n in ours.values())
    for b in bills:
        keys = [k for k, (_a, c) in entry.items() if c.startswith(f"ST bill {b['id']} ")]
        assert len(keys) == 1, b["id"]
        assert entry[keys[0]][0] == Decimal(b["billAmount"])
        assert lines[keys[0]] == Decimal(b["billAmount"])


def test_a_held_invoice_record_is_retried_next_cycle(world: World) -> None:
    world.st.upsert("ap-bills", [ap_bill(BASE_ID + 50, reference="HELD-1", amount="10.00")])
    with held_record(world.sage_root, "ABC", "AP_InvoiceHeader", "00FERGUS HELD-1", seconds=3600):
        first = world.cycle()
    assert [o.outcome for o in first.outcomes if o.doc_id == BASE_ID + 50] == [Outcome.RETRY]
    with world.store.transaction() as tx:
        actions = [e.action for e in tx.iter_audit() if e.doc_id == BASE_ID + 50]
    assert "retry_scheduled" in actions
    second = world.cycle()
    assert [o.outcome for o in second.outcomes if o.doc_id == BASE_ID + 50] == [Outcome.WRITTEN]
