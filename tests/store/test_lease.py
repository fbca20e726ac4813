"""One writer per pair across processes: the pair lease on SQLite and PostgreSQL.

Real processes race for it (their holding times never overlap), a SIGKILLed holder frees
the pair at once on the same machine, a stalled one (SIGSTOP) loses it at its expiry and
notices when it wakes, and a holder on another machine is waited for until its expiry.
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from ml_connector.clock import ManualClock, SystemClock
from ml_connector.store.errors import PairBusyError
from ml_connector.store.lease import pid_running, take_lease
from ml_connector.store.port import PairId, PairLease
from ml_connector.store.sql import SqlStateStore

MAIN = PairId("main")
TTL = timedelta(seconds=60)

needs_signals = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")

# A process that takes the lease (waiting while it is busy), says so, and holds it.
HOLDER = """
import sys, time
from datetime import timedelta
from ml_connector.clock import SystemClock
from ml_connector.store.errors import PairBusyError
from ml_connector.store.lease import take_lease
from ml_connector.store.port import PairId
from ml_connector.store.sql import SqlStateStore

url, ttl, hold, rounds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
store = SqlStateStore.open(url)
clock = SystemClock()
busy_seen = 0
for _ in range(rounds):
    deadline = time.monotonic() + 120
    while True:
        try:
            lease = take_lease(store, PairId("main"), command="test", clock=clock,
                               ttl=timedelta(seconds=ttl))
            break
        except PairBusyError as exc:
            busy_seen += 1
            assert exc.lease.pid > 0 and exc.lease.host
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)
    start = time.time()
    print(f"held {lease.lease.pid}", flush=True)
    end = start
    while end - start < hold:
        time.sleep(0.05)
        end = time.time()
    if lease.lost():
        print("lost", flush=True)
        sys.exit(0)
    lease.release()
    print(f"interval {start!r} {end!r}", flush=True)
print(f"busy {busy_seen}", flush=True)
store.close()
"""


def _holder(url: str, *, ttl: float, hold: float, rounds: int = 1) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", HOLDER, url, str(ttl), str(hold), str(rounds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_held(proc: subprocess.Popen[str]) -> int:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("held "), (line, proc.stderr.read() if proc.stderr else "")
    return int(line.split()[1])


def test_free_lease_is_taken_and_a_second_holder_is_told_who_holds_it(
    store: SqlStateStore, clock: ManualClock
) -> None:
    first = take_lease(store, MAIN, command="run", clock=clock, ttl=TTL, host="sage-srv", pid=4242)
    try:
        with pytest.raises(PairBusyError) as busy:
            take_lease(store, MAIN, command="sync --once", clock=clock, ttl=TTL, host="laptop")
        held = busy.value.lease
        assert (held.host, held.pid, held.command) == ("sage-srv", 4242, "run")
        assert held.acquired_at == clock.now()
        text = busy.value.describe()
        for part in ("pid 4242", "sage-srv", "`run`", clock.now().strftime("%Y-%m-%d %H:%M:%S")):
            assert part in text
        assert store.get_lease(MAIN) == first.lease
        # another pair is not blocked
        other = take_lease(store, PairId("north"), command="run", clock=clock, ttl=TTL)
        other.release()
    finally:
        first.release()
    assert store.get_lease(MAIN) is None
    again = take_lease(store, MAIN, command="sync --once", clock=clock, ttl=TTL, host="laptop")
    again.release()


def test_an_expired_lease_is_taken_over_and_its_old_holder_learns_it_lost_it(
    store: SqlStateStore, clock: ManualClock
) -> None:
    # a holder on another machine: its pid cannot be checked from here, only its expiry
    old = take_lease(store, MAIN, command="run", clock=clock, ttl=TTL, host="other", pid=1)
    clock.advance(TTL.total_seconds() - 1)
    with pytest.raises(PairBusyError):
        take_lease(store, MAIN, command="sync --once", clock=clock, ttl=TTL)
    clock.advance(1)
    new = take_lease(store, MAIN, command="sync --once", clock=clock, ttl=TTL)
    try:
        assert store.get_lease(MAIN) == new.lease
        assert old.renew() is False
        assert old.lost()
        old.release()  # gives up nothing: the lease is no longer its own
        assert store.get_lease(MAIN) == new.lease
        assert new.renew() is True
        assert not new.lost()
    finally:
        new.release()


def test_renewal_moves_the_expiry_and_keeps_since(store: SqlStateStore, clock: ManualClock) -> None:
    held = take_lease(store, MAIN, command="run", clock=clock, ttl=TTL, host="other", pid=1)
    since = held.lease.acquired_at
    clock.advance(50)
    assert held.renew()
    clock.advance(50)  # 100 s after taking it, 50 s after the renewal
    with pytest.raises(PairBusyError) as busy:
        take_lease(store, MAIN, command="sync --once", clock=clock, ttl=TTL)
    assert busy.value.lease.acquired_at == since
    assert busy.value.lease.expires_at == since + timedelta(seconds=110)
    held.release()


def test_a_dead_pid_on_this_machine_frees_the_pair_at_once(
    store: SqlStateStore, clock: ManualClock
) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead_pid = int(gone.stdout)
    assert not pid_running(dead_pid)
    assert pid_running(os.getpid())
    here = socket.gethostname()
    take_lease(store, MAIN, command="run", clock=clock, ttl=TTL, host=here, pid=dead_pid)
    # the same pid on another machine says nothing about that machine: wait for expiry
    take_lease(store, PairId("b"), command="run", clock=clock, ttl=TTL, host="x", pid=dead_pid)
    mine = take_lease(store, MAIN, command="sync --once", clock=clock, ttl=TTL)
    assert mine.lease.pid == os.getpid()
    with pytest.raises(PairBusyError):
        take_lease(store, PairId("b"), command="sync --once", clock=clock, ttl=TTL)
    mine.release()


def test_processes_racing_for_the_lease_never_hold_it_at_once(store_url: str) -> None:
    SqlStateStore.open(store_url).close()  # migrated once, before the race
    procs = [_holder(store_url, ttl=30, hold=0.15, rounds=4) for _ in range(4)]
    intervals: list[tuple[float, float]] = []
    busy = 0
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err[-2000:]
        for line in out.splitlines():
            if line.startswith("interval "):
                _, start, end = line.split()
                intervals.append((float(start), float(end)))
            elif line.startswith("busy "):
                busy += int(line.split()[1])
    assert len(intervals) == 16
    intervals.sort()
    for (_, end), (start, _) in itertools.pairwise(intervals):
        assert end <= start, "two processes held the lease at once"
    assert busy > 0, "no process ever found the lease busy: the race did not happen"


@needs_signals
def test_a_sigkilled_holder_does_not_block_the_pair(store_url: str) -> None:
    SqlStateStore.open(store_url).close()
    proc = _holder(store_url, ttl=600, hold=600)
    pid = _wait_held(proc)
    store = SqlStateStore.open(store_url)
    clock = SystemClock()
    try:
        with pytest.raises(PairBusyError) as busy:
            take_lease(store, MAIN, command="sync --once", clock=clock)
        assert busy.value.lease.pid == pid
        assert busy.value.lease.host == socket.gethostname()
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)  # reaped: the pid is gone (a zombie counts as gone too)
        lease = take_lease(store, MAIN, command="sync --once", clock=clock)  # no 600 s wait
        assert lease.lease.pid == os.getpid()
        lease.release()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
        store.close()


@needs_signals
def test_a_stalled_holder_loses_the_lease_at_its_expiry_and_stops(store_url: str) -> None:
    SqlStateStore.open(store_url).close()
    proc = _holder(store_url, ttl=1.0, hold=4.0)
    pid = _wait_held(proc)
    store = SqlStateStore.open(store_url)
    clock = SystemClock()
    try:
        os.kill(pid, signal.SIGSTOP)  # alive, but renews nothing
        deadline = time.monotonic() + 30
        while True:
            try:
                lease = take_lease(store, MAIN, command="sync --once", clock=clock, ttl=TTL)
                break
            except PairBusyError as exc:
                holder = exc.lease.pid
            assert holder == pid
            assert time.monotonic() < deadline, "the stalled holder's lease never expired"
            time.sleep(0.1)
        assert pid_running(pid)  # taken over by expiry, not by the pid check
        os.kill(pid, signal.SIGCONT)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err[-2000:]
        assert "lost" in out.split()  # it noticed, and stopped
        assert store.get_lease(MAIN) == lease.lease  # and left ours alone
        lease.release()
    finally:
        if proc.poll() is None:
            os.kill(pid, signal.SIGCONT)
            proc.kill()
            proc.communicate()
        store.close()


def test_lease_row_round_trips_exactly(store: SqlStateStore, clock: ManualClock) -> None:
    lease = PairLease(MAIN, "tok", "h" * 255, 2**40, "run", clock.now(), clock.now() + TTL)
    assert store.take_lease(lease, holder_gone=lambda _c: False) == lease
    assert store.get_lease(MAIN) == lease
    store.release_lease(MAIN, "someone-else")
    assert store.get_lease(MAIN) == lease
    store.release_lease(MAIN, "tok")
    assert store.get_lease(MAIN) is None
