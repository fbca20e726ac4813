"""Streams, their cursors, the signpost and the look-back window.

A stream is one kind of document read by `modifiedOn`: AP bills of one bill type
("ap_bills:Procurement", "ap_bills:ApBill") and routed invoices ("invoices"). Its cursor is
an ISO-8601 UTC timestamp kept in the store.

One cycle reads, per stream, documents modified in `[cursor - look_back, signpost)`, where
the signpost is taken once at the start of the cycle (now - a small safety margin). The
cursor then moves:
- not at all when the read did not finish (an error ended it): the window is read again;
- otherwise to the signpost, capped at the `modifiedOn` of the earliest document that did
  not reach a final state (a retryable failure), so that it is read again;
- never backwards.
The look-back absorbs clock skew between ServiceTitan's servers and ours; documents read
twice are harmless because the ledger remembers what was done with each revision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ml_connector.store.port import DocKind

AP_BILL_STREAM_PREFIX = "ap_bills:"
INVOICE_STREAM = "invoices"


def bill_stream(bill_type: str) -> str:
    return f"{AP_BILL_STREAM_PREFIX}{bill_type}"


def stream_kind(stream: str) -> DocKind:
    return DocKind.AP_BILL if stream.startswith(AP_BILL_STREAM_PREFIX) else DocKind.INVOICE


def encode_cursor(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("cursor timestamps must be timezone-aware")
    return at.astimezone(UTC).isoformat()


def decode_cursor(value: str | None) -> datetime | None:
    if not value:
        return None
    at = datetime.fromisoformat(value)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Window:
    """Documents modified on or after `start` (None: from the beginning) and before `end`."""

    stream: str
    start: datetime | None
    end: datetime
    cursor: datetime | None  # the cursor the window was computed from


def signpost(now: datetime, safety: timedelta) -> datetime:
    return now - safety


def window_for(
    stream: str,
    cursor: datetime | None,
    end: datetime,
    *,
    look_back: timedelta,
    start_at: datetime | None = None,
) -> Window:
    if cursor is None:
        start = start_at
    else:
        start = cursor - look_back
        if start_at is not None and start < start_at:
            start = start_at
    return Window(stream=stream, start=start, end=end, cursor=cursor)


@dataclass(slots=True)
class CursorTracker:
    """Follows one stream through a cycle and says where its cursor may move."""

    window: Window
    completed: bool = False
    _earliest_open: datetime | None = field(default=None)
    _open_without_time: bool = field(default=False)

    def not_final(self, modified_on: datetime | None) -> None:
        """A document of this window did not reach a final state."""
        if modified_on is None:
            self._open_without_time = True
        elif self._earliest_open is None or modified_on < self._earliest_open:
            self._earliest_open = modified_on

    def finish(self) -> None:
        """The read of the whole window completed."""
        self.completed = True

    def new_cursor(self) -> datetime | None:
        """The cursor to store, or None to leave it where it is."""
        if not self.completed or self._open_without_time:
            return None
        target = self.window.end
        if self._earliest_open is not None and self._earliest_open < target:
            target = self._earliest_open
        old = self.window.cursor
        if old is not None and target <= old:
            return None
        return target
