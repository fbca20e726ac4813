"""The process-wide rate limiter and token cache are shared per clock time line.

Tests run each local sandbox on a free port, so a later test's sandbox can get an address
an earlier test used. The bucket and the token that earlier client left in the process's
registries were kept on its own clock: a client on the new test's `ManualClock` that took
them would "wait" on the old clock, the sandbox's limiter (on the new clock) would see no
wait at all, and back-to-back requests would draw 429s until the retries ran out (the flaky
`test_cycles_neither_recreate_nor_ping_pong`). Here the earlier client is made on purpose.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from ml_connector.clock import ManualClock, SystemClock, timeline
from ml_connector.sandbox.servicetitan.server import running_sandbox
from ml_connector.servicetitan.auth import TokenCache, TokenKey
from ml_connector.servicetitan.client import ServiceTitanClient
from ml_connector.servicetitan.ratelimit import LimiterKey, LimiterRegistry


class _Shifted(SystemClock):
    """The machine's clock with `now` moved back (monotonic time and sleep unchanged)."""

    def now(self) -> datetime:
        return super().now() - timedelta(minutes=5)


class _Scaled(SystemClock):
    """A clock that counts its own monotonic seconds: not the machine's time line."""

    def monotonic(self) -> float:
        return super().monotonic() * 10


def test_timelines_every_system_clock_is_one_every_manual_clock_its_own() -> None:
    a, b = ManualClock(), ManualClock()
    assert timeline(SystemClock()) == timeline(SystemClock()) == timeline(_Shifted())
    assert timeline(a) is a
    assert timeline(a) != timeline(b)
    assert timeline(a) != timeline(SystemClock())
    assert timeline(_Scaled()) != timeline(SystemClock())


def test_registry_gives_a_client_on_another_clock_its_own_bucket() -> None:
    registry = LimiterRegistry()
    key = LimiterKey("http://127.0.0.1:40000", 1234567)
    earlier, now = ManualClock(), ManualClock()
    left_over = registry.bucket(key, rate=50, clock=earlier)
    for _ in range(100):
        left_over.acquire()
    mine = registry.bucket(key, rate=50, clock=now)
    assert mine is not left_over
    assert registry.bucket(key, rate=50, clock=now) is mine
    # its waits move its own clock, and only that one
    before = earlier.monotonic()
    for _ in range(10):
        mine.acquire()
    assert now.monotonic() > 1000.0
    assert earlier.monotonic() == before
    # clients on the machine's clock still meet in one bucket, whatever object they hold
    machine = registry.bucket(key, rate=50, clock=SystemClock())
    assert registry.bucket(key, rate=50, clock=_Shifted()) is machine
    assert machine is not mine


def test_token_cache_keeps_a_slot_per_clock() -> None:
    cache = TokenCache()
    key = TokenKey("http://127.0.0.1:40000", "http://127.0.0.1:40000/connect/token", 1, "c")
    a, b = ManualClock(), ManualClock()
    assert cache.slot(key, a) is cache.slot(key, a)
    assert cache.slot(key, a) is not cache.slot(key, b)
    assert cache.slot(key, SystemClock()) is cache.slot(key, _Shifted())


def test_a_client_left_at_the_same_address_on_another_clock_does_not_pace_the_next(
    tmp_path: Path,
) -> None:
    clock = ManualClock()
    with running_sandbox(tmp_path / "st", size=5, clock=clock) as sb:
        # what an earlier test left in the process's registries for this very address
        with ServiceTitanClient.for_local(sb, clock=ManualClock()) as earlier:
            earlier.check_connection()
        # the new world's client: same process registries, the sandbox's clock
        with ServiceTitanClient.for_local(sb, clock=clock) as client:
            started = clock.monotonic()
            for _ in range(150):  # back to back: well past 60 in any second unless paced
                client.check_connection()
            assert client.stats.rate_limited == 0
            # paced at the client's 50 per second (burst 5) on the sandbox's own clock
            assert clock.monotonic() - started >= (150 - 5) / 50 - 0.01
        assert sb.stats()["sent_429"] == 0
