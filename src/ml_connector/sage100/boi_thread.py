"""The one thread every BOI call runs on.

`BoiThread` is a worker thread with a queue: callers on any thread submit a function and
wait for its result. COM objects are apartment-bound, so the ProvideX.Script object, the
SY_Session and every business object are created and used on that thread only. `on_start`
/ `on_stop` prepare and release the thread (COM: CoInitialize / CoUninitialize); if
`on_start` fails, every call fails with that error instead of waiting.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from ml_connector.sage100.errors import SageSessionError

T = TypeVar("T")


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
        return future.result(timeout)

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
