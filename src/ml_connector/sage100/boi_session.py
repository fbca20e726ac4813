"""The BOI session, and the runner that keeps one per process on the BOI thread.

`BoiSession` is one logged-on SY_Session: Init(Home), SY_Session, nLogon / nSetUser,
nSetCompany, then per module nSetDate + nSetModule + nSetProgram(nLookupTask(task)) before
business objects of that module are created or used. Teardown drops every object, then
nCleanup and DropObject on the session.

`BoiRunner` owns a `BoiThread` (boi_thread.py) and the session: opened on first use,
recycled after `session_max_age_seconds`, and dropped after any COM-level exception; the
call that met the exception raises `SageSessionError` (retry) and the next call opens a new
session. `acquire_runner` shares one runner between adapters of one Sage installation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, runtime_checkable

import structlog

from ml_connector.clock import Clock
from ml_connector.errors import Sage100Error
from ml_connector.sage100.boi_calls import ComCallError, Guarded, check, last_error, return_code
from ml_connector.sage100.boi_thread import BoiThread
from ml_connector.sage100.changestamp import format_sage_date
from ml_connector.sage100.errors import SageLoginError, SageSessionError, SageUnavailableError
from ml_connector.sage100.settings import BoiSettings

__all__ = ["BoiRunner", "BoiSession", "BoiThread", "ScriptFactory", "acquire_runner"]

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
        BoiObject("AP_InvoiceDetail_svc", "A/P", "AP_Invoice_ui"),
        BoiObject("AP_Division_svc", "A/P", "AP_Invoice_ui"),
        BoiObject("AP_Options_svc", "A/P", "AP_Invoice_ui"),
        BoiObject("SY_Company_svc", "A/P", "AP_Invoice_ui"),
        BoiObject("AP_Vendor_bus", "A/P", "AP_Vendor_ui"),
        BoiObject("AP_Vendor_svc", "A/P", "AP_Vendor_ui"),
        BoiObject("GL_Account_svc", "G/L", "GL_Account_ui"),
        BoiObject("GL_AccountStructure_svc", "G/L", "GL_Account_ui"),
    )
}


class BoiSession:
    """One logged-on SY_Session and the business objects created through it.

    Lives on the BOI thread only. One session can serve several companies of the same
    Sage installation: `prepare(settings)` switches company (`nSetCompany`, objects made
    again) when a job is for another one. `cache` holds per-company data (the reference
    index) for the current company.
    """

    def __init__(self, script: Guarded, settings: BoiSettings, clock: Clock, serial: int) -> None:
        self.script = script
        self.settings = settings
        self.clock = clock
        self.serial = serial
        self.opened_at = clock.monotonic()
        self.company = ""
        self.checks: list[tuple[str, str]] = []
        self._caches: dict[str, dict[str, Any]] = {}
        self._session: Guarded | None = None
        self._objects: dict[str, Guarded] = {}
        self._context: tuple[str, str, str] | None = None

    @property
    def cache(self) -> dict[str, Any]:
        return self._caches.setdefault(self.company, {})

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
        self.prepare(s)

    def prepare(self, settings: BoiSettings) -> None:
        """Make the session ready for a job of `settings`' company (switching if needed)."""
        self.settings = settings
        if settings.company == self.company:
            return
        session = self._require_session()
        self._drop_objects()
        self.company = ""
        self._context = None
        check(
            session.nSetCompany(settings.company),
            session,
            f"nSetCompany({settings.company})",
            phase="session",
            step="company",
        )
        self.company = settings.company
        self.checks.append(("company", f"company {settings.company} opened"))
        self.use_context("A/P", "AP_Invoice_ui")
        self.checks.append(("module date", f"A/P module date {self.module_date}"))

    def use_context(self, module: str, task: str) -> None:
        """Switch the session's module, module date and program (security context)."""
        if self._context == (module, task, self.module_date):
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
        self._context = (module, task, self.module_date)

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

    def _drop_objects(self) -> None:
        for name, obj in list(self._objects.items()):
            _quietly(f"{name}.DropObject", obj.DropObject)
        self._objects.clear()

    def close(self) -> None:
        """Best-effort teardown: every error is logged, none is raised."""
        self._drop_objects()
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
    """Runs jobs `job(session)` on the BOI thread, with one session.

    Adapters of several companies of one Sage installation share one runner (and so one
    thread and one session) through `acquire_runner`; each job brings its own settings.
    """

    def __init__(self, factory: ScriptFactory, clock: Clock) -> None:
        self._factory = factory
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

    def run(self, operation: str, settings: BoiSettings, job: Callable[[BoiSession], T]) -> T:
        return self._thread.run(
            lambda: self._run_here(operation, settings, job),
            timeout=settings.call_timeout_seconds,
        )

    def close(self) -> None:
        self._thread.stop(final=self._drop)

    def _run_here(self, operation: str, settings: BoiSettings, job: Callable[[BoiSession], T]) -> T:
        try:
            return job(self._current(settings))
        except ComCallError as exc:
            self._drop()
            raise SageSessionError(
                f"{operation}: the Sage session failed in COM ({exc.message}); it was dropped "
                "and the next call opens a new one",
                operation=operation,
                hint="Retried automatically. If it keeps happening, check the Sage server and "
                "the bitness of Python against ProvideX (docs/sage-adapter.md).",
            ) from exc

    def _current(self, settings: BoiSettings) -> BoiSession:
        s = self._session
        if s is not None and self._clock.monotonic() - s.opened_at > (
            settings.session_max_age_seconds
        ):
            log.info("sage_session_recycled", serial=s.serial)
            self._drop()
            s = None
        if s is None:
            self._serial += 1
            script = self._factory()
            s = BoiSession(Guarded(script, "ProvideX.Script"), settings, self._clock, self._serial)
            self._session = s
            try:
                s.open()
            except BaseException:
                self._drop()
                raise
            log.info("sage_session_opened", serial=s.serial, company=settings.company)
        else:
            s.prepare(settings)
        return s

    def _drop(self) -> None:
        s, self._session = self._session, None
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
