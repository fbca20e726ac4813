"""Staying under ServiceTitan's 60 requests per second per app per tenant.

`TokenBucket` hands out one permit per request at `rate` per second with a small `burst`.
A caller that finds the bucket empty *reserves* the next free slot and sleeps outside the
lock until its turn, so threads are served in arrival order and never oversubscribe.
In any one-second window at most `rate + burst` requests start, so the
defaults (50/s, burst 5) keep 5 requests per second of headroom under 60.

A 429 pauses the whole bucket (`pause_for`): every thread waits out `Retry-After`, not only
the one that was told.

The limit is per tenant across the whole process, so buckets live in a `LimiterRegistry`
keyed by (API host, tenant) and the clock's time line (`clock.timeline`): every client on the
machine's clock meets in one bucket, while a client on a test's `ManualClock` gets a bucket
that waits on that clock, never one left by an earlier test whose local sandbox had the same
address (its waits would move the other clock and the sandbox would see no wait at all).
`PROCESS_LIMITERS` is the process's registry; clients take it by default and tests may pass
their own.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ml_connector.clock import Clock, timeline

SERVICETITAN_LIMIT_RPS = 60.0
DEFAULT_MAX_RPS = 50.0
DEFAULT_BURST = 5


class TokenBucket:
    """A thread-safe token bucket that waits on the injected clock.

    Kept as a virtual schedule (GCRA): `_tat` is when the bucket would be full again. A
    request may start at `max(now, _tat - (burst - 1) / rate)`, and each start pushes
    `_tat` one interval further. The same arithmetic as a leaky bucket, but a pause is
    simply a later `_tat`, and reservations are exact under concurrency.
    """

    def __init__(self, rate: float, clock: Clock, *, burst: int = DEFAULT_BURST) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.rate = float(rate)
        self.burst = burst
        self._clock = clock
        self._lock = threading.Lock()
        self._tat = clock.monotonic()
        self.granted = 0
        self.waited = 0.0

    def reserve(self) -> float:
        """Take a permit; returns how long the caller must wait before using it."""
        with self._lock:
            now = self._clock.monotonic()
            interval = 1.0 / self.rate
            tolerance = (self.burst - 1) * interval
            earliest = self._tat - tolerance
            start = earliest if earliest > now + 1e-9 else now  # ignore float dust
            self._tat = max(self._tat, start) + interval
            self.granted += 1
            wait = start - now
            self.waited += wait
            return wait

    def acquire(self) -> float:
        """Wait (on the clock) until a request may start; returns the seconds waited."""
        wait = self.reserve()
        if wait > 0:
            self._clock.sleep(wait)
        return wait

    def pause_for(self, seconds: float) -> None:
        """Start nothing new for `seconds` from now (a 429's Retry-After), then restart
        at the steady rate rather than with a burst."""
        if seconds <= 0:
            return
        with self._lock:
            now = self._clock.monotonic()
            tolerance = (self.burst - 1) / self.rate
            self._tat = max(self._tat, now + seconds + tolerance)


@dataclass(frozen=True, slots=True)
class LimiterKey:
    api_base: str
    tenant_id: int


class LimiterRegistry:
    """One bucket per (API host, tenant) and time line, shared by every client that asks for
    it on a clock of that time line."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[tuple[LimiterKey, object], TokenBucket] = {}

    def bucket(
        self,
        key: LimiterKey,
        *,
        rate: float,
        clock: Clock,
        burst: int = DEFAULT_BURST,
    ) -> TokenBucket:
        """The bucket for `key` on `clock`'s time line; created at `rate` on first use, and
        slowed (never sped up) when a later client asks for less."""
        slot = (key, timeline(clock))
        with self._lock:
            bucket = self._buckets.get(slot)
            if bucket is None:
                bucket = TokenBucket(rate, clock, burst=burst)
                self._buckets[slot] = bucket
            elif rate < bucket.rate:
                bucket.rate = float(rate)
            return bucket


# The one deliberate module global: the limit is per tenant *per process*, so every client in
# the process must meet in the same bucket. Pass `limiters=LimiterRegistry()` to isolate.
PROCESS_LIMITERS = LimiterRegistry()
