"""The token bucket keeps a tenant under ServiceTitan's 60 requests per second."""

from __future__ import annotations

import threading
from collections import deque

import pytest

from ml_connector.clock import ManualClock
from ml_connector.servicetitan.ratelimit import LimiterKey, LimiterRegistry, TokenBucket


def _max_in_window(starts: list[float], window: float) -> int:
    best = 0
    q: deque[float] = deque()
    for t in sorted(starts):
        q.append(t)
        while q[0] <= t - window:
            q.popleft()
        best = max(best, len(q))
    return best


@pytest.mark.parametrize(("rate", "burst"), [(50.0, 5), (10.0, 1), (55.0, 4)])
def test_no_one_second_window_exceeds_rate_plus_burst(rate: float, burst: int) -> None:
    clock = ManualClock()
    bucket = TokenBucket(rate, clock, burst=burst)
    starts = []
    for _ in range(600):
        bucket.acquire()
        starts.append(clock.monotonic())
    assert _max_in_window(starts, 1.0) <= rate + burst
    # ...and it is not needlessly slow: 600 requests take about 600/rate seconds.
    elapsed = starts[-1] - starts[0]
    assert (600 - burst) / rate - 0.01 <= elapsed <= 600 / rate + 0.01


def test_idle_time_refills_only_up_to_the_burst() -> None:
    clock = ManualClock()
    bucket = TokenBucket(50, clock, burst=5)
    clock.advance(3600)
    waits = [bucket.acquire() for _ in range(8)]
    assert waits[:5] == [0, 0, 0, 0, 0]
    assert waits[5] == pytest.approx(1 / 50)


def test_pause_for_holds_every_caller_and_restarts_gently() -> None:
    clock = ManualClock()
    bucket = TokenBucket(50, clock, burst=5)
    bucket.pause_for(7.0)
    start = clock.monotonic()
    bucket.acquire()
    assert clock.monotonic() - start == pytest.approx(7.0)
    # The pause did not fill the bucket: the next permits are paced, not a burst of 5.
    assert bucket.acquire() == pytest.approx(1 / 50)


def test_concurrent_reservations_never_share_a_slot() -> None:
    clock = ManualClock()  # frozen: nobody sleeps, so waits are the scheduled slots
    bucket = TokenBucket(50, clock, burst=5)
    waits: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        mine = [bucket.reserve() for _ in range(50)]
        with lock:
            waits.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    slots = sorted(round(w * 50) for w in waits if w > 0)
    assert len(waits) == 400
    assert waits.count(0.0) == 5
    assert slots == list(range(1, 396))
    assert bucket.granted == 400


def test_registry_shares_one_bucket_per_tenant_and_only_slows_down() -> None:
    clock = ManualClock()
    registry = LimiterRegistry()
    a = registry.bucket(LimiterKey("https://api", 1), rate=50, clock=clock)
    b = registry.bucket(LimiterKey("https://api", 1), rate=55, clock=clock)
    c = registry.bucket(LimiterKey("https://api", 1), rate=20, clock=clock)
    other = registry.bucket(LimiterKey("https://api", 2), rate=50, clock=clock)
    assert a is b is c
    assert a.rate == 20
    assert other is not a


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="rate"):
        TokenBucket(0, ManualClock())
    with pytest.raises(ValueError, match="burst"):
        TokenBucket(10, ManualClock(), burst=0)
