"""The runner that keeps one BOI session per process, on the BOI thread.

`BoiRunner` owns a `BoiThread` (boi_thread.py) and the session on it: opened on first use,
recycled after `session_max_age_seconds`, and dropped after any COM-level exception; the
call that met the exception raises `SageSessionError` (retry) and the next call opens a new
session. A call that does not come back within `call_timeout_seconds` abandons its thread
and session. `acquire_runner` shares one runner between adapters of one Sage installation.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

import structlog

from ml_connector.clock import Clock
from ml_connector.sage100.boi_calls import ComCallError, Guarded
from ml_connector.sage100.boi_session import BoiSession, ScriptFactory, ThreadBoundFactory
from ml_connector.sage100.boi_thread import BoiCallTimedOutError, BoiThread
from ml_connector.sage100.errors import SageSessionError
from ml_connector.sage100.settings import BoiSettings

__all__ = ["BoiRunner", "acquire_runner", "release_runner"]

log = structlog.get_logger(__name__)

T = TypeVar("T")


class _Worker:
    """One BOI thread and the session that lives on it."""

    __slots__ = ("session", "thread")

    def __init__(self, thread: BoiThread) -> None:
        self.thread = thread
        self.session: BoiSession | None = None


class BoiRunner:
    """Runs jobs `job(session)` on the BOI thread, with one session.

    Adapters of several companies of one Sage installation share one runner (and so one
    thread and one session) through `acquire_runner`; each job brings its own settings.
    A call that does not come back within `call_timeout_seconds` abandons the thread and its
    session (`BoiThread.abandon`) and raises `SageSessionError`; the next call starts a new
    thread and session. A late completion of the stuck call is harmless: every write
    starts with the duplicate checks.
    """

    def __init__(self, factory: ScriptFactory, clock: Clock) -> None:
        self._factory = factory
        self._clock = clock
        self._lock = threading.Lock()
        self._worker: _Worker | None = None
        self._closed = False
        self._serials = itertools.count(1)
        self._serial = 0

    def _new_thread(self) -> BoiThread:
        factory = self._factory
        if isinstance(factory, ThreadBoundFactory):
            return BoiThread(on_start=factory.thread_started, on_stop=factory.thread_stopping)
        return BoiThread()

    def _current_worker(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise SageSessionError("the Sage connection is closed", operation="boi")
            if self._worker is None:
                self._worker = _Worker(self._new_thread())
            return self._worker

    @property
    def live_serial(self) -> int:
        """The serial of the session open now (0: none), read without asking the thread: a
        session dropped or recycled since a caller last saw it has another serial."""
        worker = self._worker
        session = worker.session if worker is not None else None
        return session.serial if session is not None else 0

    @property
    def thread_ident(self) -> int | None:
        return self._current_worker().thread.ident

    def run(self, operation: str, settings: BoiSettings, job: Callable[[BoiSession], T]) -> T:
        worker = self._current_worker()
        try:
            return worker.thread.run(
                lambda: self._run_here(worker, operation, settings, job),
                timeout=settings.call_timeout_seconds,
            )
        except BoiCallTimedOutError as exc:
            self._abandon(worker)
            log.error(
                "sage_call_timed_out",
                operation=operation,
                seconds=settings.call_timeout_seconds,
            )
            raise SageSessionError(
                f"{operation}: Sage did not answer within {settings.call_timeout_seconds:g} s; "
                "the call was abandoned with its session, and the next call opens a new one",
                operation=operation,
                hint="Retried automatically; a write that completes late is found by the "
                "duplicate checks. If it keeps happening, check the Sage server's load and "
                "the connector's call_timeout_seconds.",
            ) from exc

    def _abandon(self, worker: _Worker) -> None:
        with self._lock:
            if self._worker is worker:
                self._worker = None
        worker.thread.abandon(final=lambda: self._drop(worker))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            worker, self._worker = self._worker, None
        if worker is not None:
            worker.thread.stop(final=lambda: self._drop(worker))

    def _run_here(
        self,
        worker: _Worker,
        operation: str,
        settings: BoiSettings,
        job: Callable[[BoiSession], T],
    ) -> T:
        try:
            return job(self._current(worker, settings))
        except ComCallError as exc:
            self._drop(worker)
            raise SageSessionError(
                f"{operation}: the Sage session failed in COM ({exc.message}); it was dropped "
                "and the next call opens a new one",
                operation=operation,
                hint="Retried automatically. If it keeps happening, check the Sage server and "
                "the bitness of Python against ProvideX (docs/sage-adapter.md).",
            ) from exc

    def _current(self, worker: _Worker, settings: BoiSettings) -> BoiSession:
        s = worker.session
        if s is not None and self._clock.monotonic() - s.opened_at > (
            settings.session_max_age_seconds
        ):
            log.info("sage_session_recycled", serial=s.serial)
            self._drop(worker)
            s = None
        if s is None:
            serial = next(self._serials)
            self._serial = max(self._serial, serial)
            script = self._factory()
            s = BoiSession(Guarded(script, "ProvideX.Script"), settings, self._clock, serial)
            worker.session = s
            try:
                s.open()
            except BaseException:
                self._drop(worker)
                raise
            log.info("sage_session_opened", serial=s.serial, company=settings.company)
        else:
            s.prepare(settings)
        return s

    def _drop(self, worker: _Worker) -> None:
        s, worker.session = worker.session, None
        if s is not None:
            s.close()
            log.info("sage_session_dropped", serial=s.serial)


# ---- one session per process ---------------------------------------------------------

_SHARED: dict[Hashable, tuple[BoiRunner, int]] = {}
_SHARED_LOCK = threading.Lock()


def _share_key(factory: ScriptFactory, settings: BoiSettings) -> Hashable | None:
    """Adapters share a runner when their factory says it makes the same COM server
    (`share_key`) and they log on to the same Home as the same user."""
    key = getattr(factory, "share_key", None)
    if key is None:
        return None
    return (key, settings.home.casefold(), settings.user.casefold())


def acquire_runner(factory: ScriptFactory, settings: BoiSettings, clock: Clock) -> BoiRunner:
    """The process's runner for this Sage installation and user (made on first use)."""
    key = _share_key(factory, settings)
    if key is None:
        return BoiRunner(factory, clock)
    with _SHARED_LOCK:
        runner, users = _SHARED.get(key, (None, 0))
        if runner is None:
            runner, users = BoiRunner(factory, clock), 0
        _SHARED[key] = (runner, users + 1)
        return runner


def release_runner(runner: BoiRunner) -> None:
    """Give a runner back; the last user closes it (session torn down, thread ended)."""
    with _SHARED_LOCK:
        for key, (shared, users) in list(_SHARED.items()):
            if shared is runner:
                if users > 1:
                    _SHARED[key] = (shared, users - 1)
                    return
                del _SHARED[key]
                break
    runner.close()
