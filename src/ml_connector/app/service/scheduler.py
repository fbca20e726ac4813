"""The scheduler behind `ml-connector run`: when each pair's cycle runs.

- A schedule is an interval (default every 15 minutes) or a cron expression, plus jitter
  so that many installations do not hit ServiceTitan at the same second.
- A catch-up cycle runs at start for every pair.
- A pair's cycles never overlap: each pair has one worker thread that runs a cycle, then
  waits for the next due time.
- While a system is down (the cycle reports `DOWN`), the pair backs off exponentially from
  `down_backoff_start` up to its regular interval, instead of hammering it.
- `wake(pair)` brings a pair's next cycle forward (a webhook said something changed).
- `stop()` asks every worker to finish: the cycle in flight is told through `stop_requested`
  (the engine finishes or safely abandons the document in flight) and no new cycle starts.
"""

from __future__ import annotations

import enum
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from croniter import croniter

from ml_connector.clock import Clock, SystemClock
from ml_connector.errors import ConfigError

log = structlog.get_logger(__name__)


class CycleOutcome(enum.Enum):
    OK = "ok"  # the cycle ran (review items included)
    DOWN = "down"  # a system could not be reached: back off
    FAILED = "failed"  # the cycle could not run for another reason (logged); keep the schedule


@dataclass(frozen=True, slots=True)
class Schedule:
    """Every `interval`, or at the times of `cron` (one of the two), plus up to `jitter`."""

    interval: timedelta | None = timedelta(minutes=15)
    cron: str | None = None
    jitter: timedelta = timedelta(seconds=0)
    down_backoff_start: timedelta = timedelta(seconds=30)

    def __post_init__(self) -> None:
        if (self.interval is None) == (self.cron is None):
            raise ConfigError("a schedule needs exactly one of an interval or a cron expression")
        if self.interval is not None and self.interval <= timedelta(0):
            raise ConfigError(f"schedule interval must be positive, not {self.interval}")
        if self.cron is not None and not croniter.is_valid(self.cron):
            raise ConfigError(
                f"not a valid cron expression: {self.cron!r}",
                hint="use five fields, e.g. '*/15 6-20 * * 1-5' (every 15 minutes, 6-20h, Mon-Fri)",
            )

    def next_after(self, moment: datetime, rng: random.Random) -> datetime:
        """The next due time after `moment`, jitter included."""
        if self.cron is not None:
            base: datetime = croniter(self.cron, moment).get_next(datetime)
        else:
            assert self.interval is not None  # guaranteed by __post_init__
            base = moment + self.interval
        jitter = self.jitter.total_seconds()
        return base + timedelta(seconds=rng.uniform(0, jitter)) if jitter > 0 else base

    def regular_gap(self) -> timedelta:
        """The interval, or for cron a day's ceiling; used to cap the down backoff."""
        return self.interval if self.interval is not None else timedelta(hours=1)


RunCycle = Callable[[str, Callable[[], bool]], CycleOutcome]


class Scheduler:
    """Runs `run_cycle(pair, stop_requested)` for each pair on its schedule until stopped."""

    def __init__(
        self,
        schedules: Mapping[str, Schedule],
        run_cycle: RunCycle,
        clock: Clock,
        *,
        catch_up: bool = True,
        seed: int | None = None,
    ) -> None:
        if not schedules:
            raise ConfigError("nothing to schedule: the config has no pairs")
        self._schedules = dict(schedules)
        self._run_cycle = run_cycle
        self._clock = clock
        self._catch_up = catch_up
        self._rng = random.Random(seed)  # noqa: S311 - jitter, not a secret
        self._stop = threading.Event()
        self._wake = {pair: threading.Event() for pair in self._schedules}
        self._threads: list[threading.Thread] = []
        self.cycles: dict[str, int] = dict.fromkeys(self._schedules, 0)
        self._lock = threading.Lock()

    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()
        for event in self._wake.values():
            event.set()

    def wake(self, pair: str) -> None:
        """Run `pair`'s next cycle now (or right after the one in flight)."""
        if pair in self._wake:
            self._wake[pair].set()

    def start(self) -> None:
        for pair in self._schedules:
            thread = threading.Thread(
                target=self._pair_loop, args=(pair,), name=f"cycle-{pair}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for every worker to end; True when all have."""
        for thread in self._threads:
            thread.join(timeout)
        return not any(t.is_alive() for t in self._threads)

    def run(self) -> None:
        """Start and block until `stop()` is called (from a signal handler or the service)."""
        self.start()
        self.join()

    def _wait_until(self, pair: str, due: datetime) -> bool:
        """Sleep until `due`, a wake-up or a stop; True when it is time to run."""
        woken = self._wake[pair]
        while not self._stop.is_set():
            remaining = (due - self._clock.now()).total_seconds()
            if remaining <= 0 or woken.is_set():
                woken.clear()
                return True
            if isinstance(self._clock, SystemClock):
                # Wake at least once a second so a stop is seen quickly.
                woken.wait(min(remaining, 1.0))
            else:
                self._clock.sleep(remaining)  # a test clock: time jumps
        return False

    def _pair_loop(self, pair: str) -> None:
        schedule = self._schedules[pair]
        now = self._clock.now()
        with self._lock:
            due = now if self._catch_up else schedule.next_after(now, self._rng)
        down_streak = 0
        while self._wait_until(pair, due):
            started = self._clock.now()
            try:
                outcome = self._run_cycle(pair, self.stop_requested)
            except Exception:  # the loop must outlive any one cycle; logged with its traceback
                log.exception("cycle crashed", pair=pair)
                outcome = CycleOutcome.FAILED
            with self._lock:
                self.cycles[pair] += 1
            if self._stop.is_set():
                break
            if outcome is CycleOutcome.DOWN:
                down_streak += 1
                backoff = schedule.down_backoff_start * (2 ** (down_streak - 1))
                backoff = min(backoff, schedule.regular_gap())
                due = self._clock.now() + backoff
                log.warning("system down, backing off", pair=pair, retry_in=str(backoff))
            else:
                down_streak = 0
                with self._lock:
                    due = schedule.next_after(started, self._rng)
                if due <= self._clock.now():  # the cycle outran the schedule: no pile-up
                    with self._lock:
                        due = schedule.next_after(self._clock.now(), self._rng)
        log.info("scheduler stopped", pair=pair)
