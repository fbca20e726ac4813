"""The BOI session and the one thread every BOI call runs on.

`BoiThread` is a worker thread with a queue: callers on any thread submit a function and
wait for its result. COM objects are apartment-bound, so the ProvideX.Script object, the
SY_Session and every business object are created and used on that thread only.

`BoiSession` is one logged-on SY_Session: Init(Home), SY_Session, nLogon / nSetUser,
nSetCompany, then per module nSetDate + nSetModule + nSetProgram(nLookupTask(task)) before
business objects of that module are created or used. Teardown drops every object, then
nCleanup and DropObject on the session.

`BoiRunner` owns both: one session per process, opened on first use, recycled after
`session_max_age_seconds`, and dropped after any COM-level exception; the call that met the
exception raises `SageSessionError` (retry) and the next call opens a new session.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, runtime_checkable

import structlog

from ml_connector.clock import Clock
from ml_connector.errors import Sage100Error
from ml_connector.sage100.boi_calls import ComCallError, Guarded, check, last_error, return_code
from ml_connector.sage100.changestamp import format_sage_date
from ml_connector.sage100.errors import SageLoginError, SageSessionError, SageUnavailableError
from ml_connector.sage100.settings import BoiSettings

log = structlog.get_logger(__name__)

T = TypeVar("T")

ScriptFactory = Callable[[], Any]


@runtime_checkable
class ThreadBoundFactory(Protocol):
    """A factory that must prepare the BOI thread (COM: CoInitialize / CoUninitialize)."""

    def __call__(self) -> Any: ...

    def thread_started(self) -> None: ...

    def thread_stopping(self) -> None: ...


@dataclass(frozen=True, slots=True)
class BoiObject:
    """A business object and the module and task (security context) it is used under."""

    name: str
    module: str
    task: str


OBJECTS = {
    o.name: o
    for o in (
        BoiObject("AP_Invoice_bus", "A/P", "AP_Invoice_ui"),
        BoiObject("AP_OpenInvoice_svc", "A/P", "AP_Invoice_ui"),
        BoiObject("AP_InvoiceHistoryHeader_svc", "A/P", "AP_Invoice_ui"),
        BoiObject("AP_Division_svc", "A/P", "AP_Invoice_ui"),
        BoiObject("AP_Options_svc", "A/P", "AP_Invoice_ui"),
        BoiObject("SY_Company_svc", "A/P", "AP_Invoice_ui"),
        BoiObject("AP_Vendor_bus", "A/P", "AP_Vendor_ui"),
        BoiObject("AP_Vendor_svc", "A/P", "AP_Vendor_ui"),
        BoiObject("GL_Account_svc", "G/L", "GL_Account_ui"),
        BoiObject("GL_AccountStructure_svc", "G/L", "GL_Account_ui"),
    )
}


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
        if self._on_start is not None:
            self._on_start()
        try:
            while (item := self._queue.get()) is not None:
                fn, future = item
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    future.set_result(fn())
                except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
                    future.set_exception(exc)
        finally:
            if self._on_stop is not None:
                self._on_stop()


class BoiSession:
    """One logged-on SY_Session and the business objects created through it.

    Lives on the BOI thread only. `cache` holds per-session data (the reference index).
    """

    def __init__(self, script: Guarded, settings: BoiSettings, clock: Clock, serial: int) -> None:
        self.script = script
        self.settings = settings
        self.clock = clock
        self.serial = serial
        self.opened_at = clock.monotonic()
        self.cache: dict[str, Any] = {}
        self.checks: list[tuple[str, str]] = []
        self._session: Guarded | None = None
        self._objects: dict[str, Guarded] = {}
        self._context: tuple[str, str] | None = None

    @property
    def module_date(self) -> str:
        day = self.settings.module_date or self.clock.now().astimezone().date()
        return format_sage_date(day)

    def open(self) -> None:
        s = self.settings
        try:
            self.script.Init(s.home)
            session = self.script.NewObject("SY_Session")
        except ComCallError as exc:
            raise SageUnavailableError(
                f"ProvideX.Script could not start a session from Home {s.home!r}: {exc.message}",
                operation="Init",
                hint="Set the Sage Home path to the MAS90\\Home folder (a UNC path such as "
                "\\\\server\\Sage\\MAS90\\Home when running as a service) and check that the "
                "service account can read it.",
            ) from exc
        if not session:
            raise SageUnavailableError(
                f"NewObject('SY_Session') failed: {last_error(self.script)}",
                operation="NewObject",
                hint="Check the Home path and the Sage workstation installation.",
            )
        self._session = session
        how = "nSetUser"
        if s.try_unified_login and return_code(session.nLogon()) == 1:
            how = "nLogon (unified login)"
        else:
            check(
                session.nSetUser(s.user, s.password.get_secret_value()),
                session,
                f"nSetUser({s.user})",
                phase="session",
                step="logon",
            )
        self.checks.append(("logon", f"logged on as {s.user} via {how}"))
        check(
            session.nSetCompany(s.company),
            session,
            f"nSetCompany({s.company})",
            phase="session",
            step="company",
        )
        self.checks.append(("company", f"company {s.company} opened"))
        self.use_context("A/P", "AP_Invoice_ui")
        self.checks.append(("module date", f"A/P module date {self.module_date}"))

    def use_context(self, module: str, task: str) -> None:
        """Switch the session's module, module date and program (security context)."""
        if self._context == (module, task):
            return
        session = self._require_session()
        check(
            session.nSetDate(module, self.module_date),
            session,
            f"nSetDate({module}, {self.module_date})",
            phase="session",
            step="module date",
        )
        check(session.nSetModule(module), session, f"nSetModule({module})", phase="session")
        task_id = session.nLookupTask(task)
        if return_code(task_id) == 0:
            raise SageLoginError(
                f"nLookupTask({task}): Sage knows no such task: {last_error(session)}",
                operation="nLookupTask",
                hint=f"Check that the {module} module is installed for company "
                f"{self.settings.company} and that the Sage user's role includes {task}.",
            )
        check(
            session.nSetProgram(task_id),
            session,
            f"nSetProgram({task})",
            phase="session",
            step="rights",
        )
        self._context = (module, task)

    def obj(self, name: str) -> Guarded:
        """The business object `name`, created on first use, in its module's context."""
        spec = OBJECTS[name]
        self.use_context(spec.module, spec.task)
        found = self._objects.get(name)
        if found is not None:
            return found
        session = self._require_session()
        created: Guarded = self.script.NewObject(name, session)
        if not created:
            msg = last_error(self.script) or last_error(session)
            raise SageLoginError(
                f"NewObject({name}) failed: {msg or 'no message from Sage'}",
                operation="NewObject",
                hint=f"Give the Sage user rights to {spec.task} (Role Maintenance), and "
                f"check that the {spec.module} module is set up for company "
                f"{self.settings.company}.",
            )
        self._objects[name] = created
        return created

    def close(self) -> None:
        """Best-effort teardown: every error is logged, none is raised."""
        for name, obj in list(self._objects.items()):
            _quietly(f"{name}.DropObject", obj.DropObject)
        self._objects.clear()
        if self._session is not None:
            _quietly("SY_Session.nCleanup", self._session.nCleanup)
            _quietly("SY_Session.DropObject", self._session.DropObject)
            self._session = None
        self._context = None

    def _require_session(self) -> Guarded:
        if self._session is None:
            raise SageSessionError("the Sage session is not open", operation="boi")
        return self._session


def _quietly(what: str, fn: Callable[[], object]) -> None:
    try:
        fn()
    except Sage100Error as exc:
        log.warning("sage_teardown_failed", step=what, error=exc.message)


class BoiRunner:
    """Runs jobs `job(session)` on the BOI thread, with one session per process."""

    def __init__(self, factory: ScriptFactory, settings: BoiSettings, clock: Clock) -> None:
        self._factory = factory
        self._settings = settings
        self._clock = clock
        if isinstance(factory, ThreadBoundFactory):
            self._thread = BoiThread(
                on_start=factory.thread_started, on_stop=factory.thread_stopping
            )
        else:
            self._thread = BoiThread()
        self._session: BoiSession | None = None
        self._serial = 0

    @property
    def thread_ident(self) -> int | None:
        return self._thread.ident

    def run(self, operation: str, job: Callable[[BoiSession], T]) -> T:
        return self._thread.run(
            lambda: self._run_here(operation, job), timeout=self._settings.call_timeout_seconds
        )

    def close(self) -> None:
        self._thread.stop(final=self._drop)

    def _run_here(self, operation: str, job: Callable[[BoiSession], T]) -> T:
        try:
            return job(self._current())
        except ComCallError as exc:
            self._drop()
            raise SageSessionError(
                f"{operation}: the Sage session failed in COM ({exc.message}); it was dropped "
                "and the next call opens a new one",
                operation=operation,
                hint="Retried automatically. If it keeps happening, check the Sage server and "
                "the bitness of Python against ProvideX (docs/sage-adapter.md).",
            ) from exc

    def _current(self) -> BoiSession:
        s = self._session
        if s is not None and self._clock.monotonic() - s.opened_at > (
            self._settings.session_max_age_seconds
        ):
            log.info("sage_session_recycled", serial=s.serial)
            self._drop()
            s = None
        if s is None:
            self._serial += 1
            script = self._factory()
            s = BoiSession(
                Guarded(script, "ProvideX.Script"), self._settings, self._clock, self._serial
            )
            self._session = s
            try:
                s.open()
            except BaseException:
                self._drop()
                raise
            log.info("sage_session_opened", serial=s.serial, company=self._settings.company)
        return s

    def _drop(self) -> None:
        s, self._session = self._session, None
        if s is not None:
            s.close()
            log.info("sage_session_dropped", serial=s.serial)
