"""One writer per pair across processes: `held_lease` takes the pair's lease in the state
database for a cycle, renews it from a thread while the cycle runs, and gives it up.

    with held_lease(store, pair, command="sync --once", clock=clock) as lease:
        engine.run_cycle(should_stop=lambda: stop() or lease.lost())

A second process finds the lease held and gets `PairBusyError` naming the holder (host,
pid, command, since when). A holder that died does not block the pair: its lease expires
(`ttl` after its last renewal), and on the same machine it is taken over at once when its
pid no longer runs. A holder that lost its lease (stalled past the expiry, e.g. a suspended
machine, and another process took over) sees `lost()` turn true and ends its cycle after
the document in flight; the ledger's unique Sage key and the look-up in Sage before every
write still stop a double write in that window.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta

import structlog

from ml_connector.clock import Clock
from ml_connector.errors import ConnectorError
from ml_connector.store.errors import PairBusyError
from ml_connector.store.port import PairId, PairLease, StateStore

log = structlog.get_logger(__name__)

DEFAULT_TTL = timedelta(seconds=120)


def pid_running(pid: int) -> bool:
    """Whether a process with this id runs on this machine (a zombie counts as gone).
    When unsure, True: the lease then waits for its expiry, which is the safe side."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        return _windows_pid_running(pid)
    try:
        os.kill(pid, 0)  # signal 0: only checks that the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, belongs to another user
        return True
    except OSError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            state = stat.read().rpartition(")")[2].split()[:1]
    except OSError:  # no /proc (macOS) or it just ended
        return True
    return state != ["Z"]


if sys.platform == "win32":
    import ctypes
    from ctypes import wintypes

    def _windows_pid_running(pid: int) -> bool:
        # os.kill(pid, 0) would *terminate* the process on Windows: ask the kernel instead
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.get_last_error() == 5  # ERROR_ACCESS_DENIED: it exists
        try:
            code = wintypes.DWORD()
            if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
                return True
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)


class HeldLease:
    """A lease this process holds; renewed from a daemon thread until `release`."""

    def __init__(self, store: StateStore, lease: PairLease, ttl: timedelta, clock: Clock) -> None:
        self._store = store
        self.lease = lease
        self._ttl = ttl
        self._clock = clock
        self._lost = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(
            target=self._renew_loop, name=f"lease-{lease.pair}", daemon=True
        )
        self._thread.start()

    def lost(self) -> bool:
        """True once another process took the pair over (the cycle should end now)."""
        return self._lost.is_set()

    def renew(self) -> bool:
        """Move the expiry `ttl` ahead; False (and `lost()`) when the lease is gone."""
        expires = self._clock.now() + self._ttl
        if self._store.renew_lease(self.lease.pair, self.lease.holder, expires):
            self.lease = replace(self.lease, expires_at=expires)
            return True
        self._lost.set()
        log.error("lease taken over by another process", pair=self.lease.pair)
        return False

    def _renew_loop(self) -> None:
        interval = max(self._ttl.total_seconds() / 4, 0.05)
        while not self._done.wait(interval):
            try:
                if not self.renew():
                    return
            except ConnectorError as exc:  # busy database: try again, unless expired meanwhile
                log.warning("could not renew the lease", pair=self.lease.pair, error=exc.describe())
                if self._clock.now() >= self.lease.expires_at:
                    self._lost.set()
                    return

    def release(self) -> None:
        self._done.set()
        self._thread.join()
        self._store.release_lease(self.lease.pair, self.lease.holder)


def take_lease(
    store: StateStore,
    pair: PairId,
    *,
    command: str,
    clock: Clock,
    ttl: timedelta = DEFAULT_TTL,
    host: str | None = None,
    pid: int | None = None,
) -> HeldLease:
    """Take the pair's lease or raise `PairBusyError` naming its holder."""
    me_host = host or socket.gethostname()
    now = clock.now()
    wanted = PairLease(
        pair=pair,
        holder=uuid.uuid4().hex,
        host=me_host,
        pid=os.getpid() if pid is None else pid,
        command=command,
        acquired_at=now,
        expires_at=now + ttl,
    )

    def holder_gone(current: PairLease) -> bool:
        return current.host == me_host and not pid_running(current.pid)

    got = store.take_lease(wanted, holder_gone=holder_gone)
    if got.holder != wanted.holder:
        raise PairBusyError(got)
    return HeldLease(store, got, ttl, clock)


@contextmanager
def held_lease(
    store: StateStore,
    pair: PairId,
    *,
    command: str,
    clock: Clock,
    ttl: timedelta = DEFAULT_TTL,
) -> Iterator[HeldLease]:
    """`take_lease` for the length of a block, released at its end (also on an error)."""
    lease = take_lease(store, pair, command=command, clock=clock, ttl=ttl)
    try:
        yield lease
    finally:
        lease.release()
