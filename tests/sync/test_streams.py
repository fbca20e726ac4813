"""Cursors move only past finished windows and final documents, never backwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ml_connector.sync.streams import (
    CursorTracker,
    decode_cursor,
    encode_cursor,
    window_for,
)

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def test_cursor_round_trips() -> None:
    assert decode_cursor(encode_cursor(T0)) == T0
    assert decode_cursor(None) is None


def test_window_looks_back_from_the_cursor() -> None:
    w = window_for("s", T0, T0 + timedelta(hours=1), look_back=timedelta(minutes=10))
    assert w.start == T0 - timedelta(minutes=10)
    first = window_for(
        "s", None, T0, look_back=timedelta(minutes=10), start_at=T0 - timedelta(days=1)
    )
    assert first.start == T0 - timedelta(days=1)


def test_unfinished_window_keeps_the_cursor() -> None:
    tracker = CursorTracker(window_for("s", T0, T0 + timedelta(hours=1), look_back=timedelta(0)))
    assert tracker.new_cursor() is None
    tracker.finish()
    assert tracker.new_cursor() == T0 + timedelta(hours=1)


def test_open_document_caps_the_cursor() -> None:
    tracker = CursorTracker(window_for("s", T0, T0 + timedelta(hours=1), look_back=timedelta(0)))
    tracker.not_final(T0 + timedelta(minutes=20))
    tracker.not_final(T0 + timedelta(minutes=5))
    tracker.finish()
    assert tracker.new_cursor() == T0 + timedelta(minutes=5)


@given(
    st.lists(st.integers(min_value=-600, max_value=3600), max_size=10),
    st.integers(min_value=0, max_value=3600),
)
def test_cursor_is_monotonic_and_never_passes_an_open_document(
    open_offsets: list[int], end_offset: int
) -> None:
    end = T0 + timedelta(seconds=end_offset)
    tracker = CursorTracker(window_for("s", T0, end, look_back=timedelta(minutes=10)))
    for off in open_offsets:
        tracker.not_final(T0 + timedelta(seconds=off))
    tracker.finish()
    new = tracker.new_cursor()
    if new is not None:
        assert new > T0
        assert new <= end
        assert all(new <= T0 + timedelta(seconds=off) for off in open_offsets)
