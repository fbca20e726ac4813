"""The scheduler: catch-up, no overlap, backoff while down, cron, clean stop."""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from ml_connector.app.service.scheduler import CycleOutcome, Schedule, Scheduler
from ml_connector.clock import ManualClock, SystemClock
from ml_connector.errors import ConfigError


def test_interval_schedule_with_jitter_stays_within_bounds() -> None:
    schedule = Schedule(interval=timedelta(minutes=15), jitter=timedelta(seconds=30))
    start = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    rng = random.Random(7)
    for _ in range(50):
        due = schedule.next_after(start, rng)
        assert timedelta(minutes=15) <= due - start <= timedelta(minutes=15, seconds=30)


def test_cron_schedule_finds_the_next_slot() -> None:
    schedule = Schedule(interval=None, cron="*/30 6-18 * * 1-5")
    friday_evening = datetime(2026, 5, 1, 18, 45, tzinfo=UTC)  # a Friday
    assert schedule.next_after(friday_evening, random.Random(0)) == datetime(
        2026, 5, 4, 6, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"interval": None, "cron": None},
        {"interval": timedelta(minutes=5), "cron": "* * * * *"},
        {"interval": timedelta(0)},
        {"interval": None, "cron": "every tuesday"},
    ],
)
def test_bad_schedules_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        Schedule(**kwargs)  # type: ignore[arg-type]


def _stop_after(
    n: int, outcomes: list[CycleOutcome], log: list[tuple[str, datetime]], clock: ManualClock
) -> tuple[Callable[[str, Callable[[], bool]], CycleOutcome], list[Scheduler]]:
    holder: list[Scheduler] = []

    def run_cycle(pair: str, stop_requested: Callable[[], bool]) -> CycleOutcome:
        log.append((pair, clock.now()))
        if len(log) >= n:
            holder[0].stop()
        return outcomes[min(len(log) - 1, len(outcomes) - 1)]

    return run_cycle, holder


def test_catch_up_then_every_interval() -> None:
    clock = ManualClock(datetime(2026, 5, 1, 12, 0, tzinfo=UTC))
    log: list[tuple[str, datetime]] = []
    run_cycle, holder = _stop_after(3, [CycleOutcome.OK], log, clock)
    scheduler = Scheduler({"main": Schedule(interval=timedelta(minutes=15))}, run_cycle, clock)
    holder.append(scheduler)
    scheduler.run()
    times = [t for _, t in log]
    assert times == [
        datetime(2026, 5, 1, 12, 0, tzinfo=UTC),
        datetime(2026, 5, 1, 12, 15, tzinfo=UTC),
        datetime(2026, 5, 1, 12, 30, tzinfo=UTC),
    ]


def test_backs_off_while_a_system_is_down_then_returns_to_the_interval() -> None:
    clock = ManualClock(datetime(2026, 5, 1, 12, 0, tzinfo=UTC))
    log: list[tuple[str, datetime]] = []
    outcomes = [CycleOutcome.DOWN] * 7 + [CycleOutcome.OK]
    run_cycle, holder = _stop_after(10, outcomes, log, clock)
    schedule = Schedule(interval=timedelta(minutes=15), down_backoff_start=timedelta(seconds=30))
    scheduler = Scheduler({"main": schedule}, run_cycle, clock)
    holder.append(scheduler)
    scheduler.run()
    gaps = [(b - a).total_seconds() for (_, a), (_, b) in itertools.pairwise(log)]
    # 30 s, 1, 2, 4, 8 min, then capped at the 15-minute interval, then back to normal.
    assert gaps == [30, 60, 120, 240, 480, 900, 900, 900, 900]


def test_cycles_of_one_pair_never_overlap_and_stop_is_clean() -> None:
    running = {"a": 0, "b": 0}
    overlap = []
    seen_stop = threading.Event()
    lock = threading.Lock()
    holder: list[Scheduler] = []

    def run_cycle(pair: str, stop_requested: Callable[[], bool]) -> CycleOutcome:
        with lock:
            running[pair] += 1
            if running[pair] > 1:
                overlap.append(pair)
            stopping = pair == "a" and holder[0].cycles["a"] >= 3 and holder[0].cycles["b"] >= 2
            if stopping:  # ask for a stop while this cycle is in flight
                threading.Timer(0.01, holder[0].stop).start()
        for _ in range(1000 if stopping else 5):  # checks for a stop between "documents"
            if stop_requested():
                seen_stop.set()
                break
            time.sleep(0.002)
        with lock:
            running[pair] -= 1
        return CycleOutcome.OK

    schedules = {
        "a": Schedule(interval=timedelta(milliseconds=5)),
        "b": Schedule(interval=timedelta(milliseconds=5)),
    }
    scheduler = Scheduler(schedules, run_cycle, SystemClock())
    holder.append(scheduler)
    scheduler.start()
    assert scheduler.join(timeout=30)
    assert overlap == []
    assert scheduler.cycles["a"] >= 4
    assert scheduler.cycles["b"] >= 2
    assert seen_stop.is_set()


def test_a_crashing_cycle_does_not_kill_the_loop() -> None:
    clock = ManualClock()
    calls: list[int] = []
    holder: list[Scheduler] = []

    def run_cycle(pair: str, stop_requested: Callable[[], bool]) -> CycleOutcome:
        calls.append(1)
        if len(calls) == 3:
            holder[0].stop()
        if len(calls) == 1:
            raise RuntimeError("boom")
        return CycleOutcome.OK

    scheduler = Scheduler({"main": Schedule()}, run_cycle, clock)
    holder.append(scheduler)
    scheduler.run()
    assert len(calls) == 3
