"""With batch entry on, the engine writes into one connector batch across cycles and across
restarts of the process (the batch is found again in Sage by its comment), until a clerk
updates the register for it; then the next one is opened."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from engine_bills import ap_bill
from engine_world import World, open_world

from ml_connector.sandbox.sage100 import post_register
from ml_connector.sync.summary import Outcome

BASE_ID = 9_500_000


@pytest.fixture
def batch_world(tmp_path: Path) -> Iterator[World]:
    with open_world(tmp_path, batches=True) as w:
        yield w


def _batch_of(world: World, invoice_no: str) -> str:
    with sqlite3.connect(world.sage_root / "ABC.sqlite") as conn:
        row = conn.execute(
            "SELECT BatchNo FROM AP_InvoiceHeader WHERE InvoiceNo = ?", (invoice_no,)
        ).fetchone()
    assert row is not None, f"{invoice_no} is not in data entry"
    return str(row[0])


def _write(world: World, n: int) -> str:
    reference = f"BT-{n}"
    world.st.upsert("ap-bills", [ap_bill(BASE_ID + n, reference=reference, amount="40.00")])
    summary = world.cycle()
    done = {o.doc_id: o.outcome for o in summary.outcomes}
    assert done.get(BASE_ID + n) is Outcome.WRITTEN, summary.errors
    return _batch_of(world, reference)


def _open_batches(world: World) -> list[tuple[Any, ...]]:
    with sqlite3.connect(world.sage_root / "ABC.sqlite") as conn:
        return [
            tuple(r)
            for r in conn.execute(
                "SELECT BatchNo, Comment FROM GL_CompanyActiveBatch ORDER BY BatchNo"
            )
        ]


def test_one_connector_batch_across_cycles_and_restarts(batch_world: World) -> None:
    world = batch_world
    first = _write(world, 1)
    assert first != "00001"  # 00001 is the demo company's hand-keyed batch
    assert _write(world, 2) == first  # the next cycle
    world.reopen_sage()  # the process restarts: a new adapter and session
    assert _write(world, 3) == first
    assert _open_batches(world) == [("00001", "Keyed by hand"), (first, "ServiceTitan")]

    with sqlite3.connect(world.sage_root / "ABC.sqlite") as conn:
        conn.row_factory = sqlite3.Row
        post_register(
            conn,
            posting_date="20260105",
            stamp=("20260105", "15.00000"),
            user_key="0000000002",
            batch_no=first,
        )
    world.reopen_sage()
    second = _write(world, 4)
    assert second not in (first, "00001")
    assert _open_batches(world) == [("00001", "Keyed by hand"), (second, "ServiceTitan")]
