"""The one thread every BOI call runs on.

`BoiThread` is a worker thread with a queue: callers on any thread submit a function and
wait for its result. COM objects are apartment-bound, so the ProvideX.Script object, the
SY_Session and every business object are created and used on that thread only. `on_start`
/ `on_stop` prepare and release the thread (COM: CoInitialize / CoUninitialize); if
`on_start` fails, every call fails with that error instead of waiting.

A call that does not come back within its timeout raises `BoiCallTimedOutError` (a
`SageSessionError`: retry). An out-of-process COM call cannot be cancelled, so the thread
is then `abandon`ed: calls still queued behind the stuck one fail at once, and the thread
ends (running `final` to drop its session) whenever the stuck call returns.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from ml_connector.sage100.errors import SageSessionError

T = TypeVar("T")


class BoiCallTimedOutError(SageSessionError):
    """A BOI call did not come back in time; its thread and session are abandoned."""


class BoiThread:
    """One daemon thread running submitted functions in order."""

    def __init__(
        self,
        name: str = "sage100-boi",
        *,
        on_start: Callable[[], None] | None = None,
        on_stop: Callable[[], None] | None = None,
    ) -> None:
        self._queue: queue.Queue[tuple[Callable[[], Any], Future[Any]] | None] = queue.Queue()
        self._on_start = on_start
        self._on_stop = on_stop
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._lock = threading.Lock()
        self._started = False
        self._stopped = False

    @property
    def ident(self) -> int | None:
        return self._thread.ident

    def run(self, fn: Callable[[], T], timeout: float | None = None) -> T:
        """Run `fn` on the BOI thread and return its result (or raise its exception)."""
        if threading.current_thread() is self._thread:
            return fn()
        future: Future[T] = Future()
        with self._lock:
            if self._stopped:
                raise SageSessionError("the Sage connection is closed", operation="boi")
            if not self._started:
                self._thread.start()
                self._started = True
            self._queue.put((fn, future))
        try:
            return future.result(timeout)
        except TimeoutError as exc:
            if future.done():  # the function itself raised TimeoutError
                raise
            raise BoiCallTimedOutError(
                f"Sage did not answer within {timeout:g} s", operation="boi"
            ) from exc

    def abandon(self, final: Callable[[], None] | None = None) -> None:
        """Stop taking calls without waiting: queued calls fail now; the thread runs `final`
        and ends when the call it is stuck in returns."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            pending: list[Future[Any]] = []
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    pending.append(item[1])
            if self._started:
                if final is not None:
                    self._queue.put((final, Future()))
                self._queue.put(None)
        for future in pending:
            if future.set_running_or_notify_cancel():
                future.set_exception(
                    SageSessionError(
                        "the Sage session was abandoned after a call that did not come back",
                        operation="boi",
                    )
                )

    def stop(self, final: Callable[[], None] | None = None) -> None:
        """Run `final` on the thread (if it ever started), then end the thread."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            started = self._started
            if started:
                if final is not None:
                    done: Future[Any] = Future()
                    self._queue.put((final, done))
                self._queue.put(None)
        if started:
            self._thread.join(timeout=60)

    def _loop(self) -> None:
        start_error: BaseException | None = None
        if self._on_start is not None:
            try:
                self._on_start()
            except BaseException as exc:  # noqa: BLE001 - every caller is told, none hangs
                start_error = exc
        try:
            while (item := self._queue.get()) is not None:
                fn, future = item
                if not future.set_running_or_notify_cancel():
                    continue
                if start_error is not None:
                    future.set_exception(start_error)
                    continue
                try:
                    future.set_result(fn())
                except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
                    future.set_exception(exc)
        finally:
            if self._on_stop is not None and start_error is None:
                self._on_stop()
