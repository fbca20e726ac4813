"""The ledger state table: WRITTEN is terminal and reached only through a write or a
recovery; everything else may be decided again."""

from __future__ import annotations

import pytest

from ml_connector.errors import Action
from ml_connector.store.port import DocKind, LedgerEntry, LedgerStatus, PairId, SageKeyRef
from ml_connector.sync import state
from ml_connector.sync.state import (
    TRANSITIONS,
    IllegalTransitionError,
    allowed,
    write_started,
)

S = LedgerStatus


def _entry(status: LedgerStatus, last_error: str = "", *, key: bool = True) -> LedgerEntry:
    return LedgerEntry(
        PairId("p"),
        DocKind.AP_BILL,
        1,
        "fp",
        status,
        SageKeyRef("00", "V", "1") if key else None,
        last_error=last_error,
    )


def test_every_state_has_its_row() -> None:
    assert set(TRANSITIONS) == {None, *LedgerStatus}


def test_written_is_terminal() -> None:
    assert TRANSITIONS[S.WRITTEN] == {S.WRITTEN}
    for after in LedgerStatus:
        if after is not S.WRITTEN:
            assert not allowed(S.WRITTEN, after)
            with pytest.raises(IllegalTransitionError) as err:
                state.check(_entry(S.WRITTEN), _entry(after))
            assert err.value.action is Action.STOP


@pytest.mark.parametrize(
    ("before", "ok"),
    [
        (None, False),
        (S.INTENT, True),
        (S.REVIEW, True),  # a started write's key kept in review: recovery
        (S.SKIPPED, False),
        (S.ALREADY_IN_SAGE, False),
        (S.REJECTED, False),
    ],
)
def test_written_only_from_an_intent_or_a_review_that_kept_the_key(
    before: LedgerStatus | None, ok: bool
) -> None:
    assert allowed(before, S.WRITTEN) is ok


def test_decisions_without_a_write_can_be_taken_again() -> None:
    decided = {S.INTENT, S.ALREADY_IN_SAGE, S.REVIEW, S.SKIPPED, S.REJECTED}
    for before in (None, *decided):
        assert decided <= TRANSITIONS[before]


def test_write_started_needs_the_mark_and_the_key() -> None:
    assert write_started(_entry(S.INTENT, state.WRITING))
    assert not write_started(_entry(S.INTENT, "intent"))
    assert not write_started(_entry(S.REVIEW, state.WRITING))
    assert not write_started(_entry(S.INTENT, state.WRITING, key=False))
    assert not write_started(None)
