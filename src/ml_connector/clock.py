"""Time comes from an injected clock, never from `datetime.now()` inside logic.

`SystemClock` is the real one. `ManualClock` is shipped for tests and simulations: time
moves only when told to (or when something sleeps on it). `timeline` says which clocks
count the same monotonic seconds, for state that outlives one client (a rate limiter's
schedule, a token's refresh time) and must never be read on another clock's seconds.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Wall time (UTC-aware), a monotonic counter, and sleeping."""

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


def timeline(clock: Clock) -> object:
    """What `clock.monotonic()` and `clock.sleep()` run on, as a dictionary key: one shared
    value for every clock on the machine's monotonic time (any `SystemClock`, also one whose
    `now` is shifted), else the clock itself (each `ManualClock` is its own time line).

    State kept in monotonic seconds is shared only between clocks of one time line: a
    schedule made on a test's `ManualClock` means nothing to a client on another one, whose
    sleeps would never move the first clock (nor the reverse)."""
    kind = type(clock)
    if (
        isinstance(clock, SystemClock)
        and kind.monotonic is SystemClock.monotonic
        and kind.sleep is SystemClock.sleep
    ):
        return SystemClock
    return clock


class ManualClock:
    """A clock that moves only when advanced; `sleep` advances it instead of waiting."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)
        self._mono = 1000.0
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
        self.advance(max(seconds, 0.0))

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._mono += seconds
