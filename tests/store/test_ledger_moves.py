"""`state.put` on the real store, both dialects: the move's check is the write's own
condition (one statement), so every pair of the state table is tried against SQL here."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ml_connector.store.port import DocKind, LedgerEntry, LedgerStatus, PairId, SageKeyRef
from ml_connector.store.sql import SqlStateStore
from ml_connector.sync import state
from ml_connector.sync.state import TRANSITIONS, IllegalTransitionError

MAIN = PairId("main")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MOVES = list(itertools.product([None, *LedgerStatus], LedgerStatus))


def _entry(doc_id: int, status: LedgerStatus, note: str) -> LedgerEntry:
    return LedgerEntry(
        pair=MAIN,
        kind=DocKind.AP_BILL,
        doc_id=doc_id,
        fingerprint=f"fp{doc_id}",
        status=status,
        sage_key=SageKeyRef("00", "FERGUSO", f"K{doc_id}"),
        amount=Decimal("10.00"),
        last_error=note,
        updated_at=T0,
    )


def test_every_move_of_the_table_is_written_or_refused_unchanged(store: SqlStateStore) -> None:
    for doc_id, (before, after) in enumerate(MOVES, start=1):
        if before is not None:
            with store.transaction() as tx:
                tx.put_ledger(_entry(doc_id, before, "before"))
        with store.transaction() as tx:
            if after in TRANSITIONS[before]:
                state.put(tx, _entry(doc_id, after, "after"))
            else:
                with pytest.raises(IllegalTransitionError, match=f"from {before or 'nothing'}"):
                    state.put(tx, _entry(doc_id, after, "after"))
        with store.transaction() as tx:
            now = tx.get_ledger(MAIN, DocKind.AP_BILL, doc_id)
        if after in TRANSITIONS[before]:
            assert now is not None
            assert (now.status, now.last_error) == (after, "after"), (before, after)
        elif before is None:
            assert now is None, after  # WRITTEN is never inserted from nothing
        else:
            assert now is not None
            assert (now.status, now.last_error) == (before, "before"), (before, after)


def test_a_refused_move_leaves_the_transaction_and_its_writes(store: SqlStateStore) -> None:
    with store.transaction() as tx:
        tx.put_ledger(_entry(1, LedgerStatus.WRITTEN, "in Sage"))
    with store.transaction() as tx:
        state.put(tx, _entry(2, LedgerStatus.INTENT, "first"))
        with pytest.raises(IllegalTransitionError):
            state.put(tx, _entry(1, LedgerStatus.REVIEW, "again"))
        state.put(tx, _entry(3, LedgerStatus.SKIPPED, "after the refusal"))
    with store.transaction() as tx:
        held = [(e.doc_id, e.status) for e in tx.iter_ledger(MAIN)]
    assert held == [
        (1, LedgerStatus.WRITTEN),
        (2, LedgerStatus.INTENT),
        (3, LedgerStatus.SKIPPED),
    ]


def test_from_nothing_only_inserts_and_leaves_an_existing_entry(store: SqlStateStore) -> None:
    only_new = frozenset({None})
    with store.transaction() as tx:
        assert tx.put_ledger(_entry(1, LedgerStatus.INTENT, "first"), from_statuses=only_new)
        assert not tx.put_ledger(_entry(1, LedgerStatus.REVIEW, "again"), from_statuses=only_new)
        now = tx.get_ledger(MAIN, DocKind.AP_BILL, 1)
    assert now is not None
    assert (now.status, now.last_error) == (LedgerStatus.INTENT, "first")
