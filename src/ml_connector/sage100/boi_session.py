"""The BOI session: logon, company, module/date/program switching, objects, teardown.

`BoiSession` is one logged-on SY_Session: Init(Home), SY_Session, nSetUser (or nLogon, the
unified login, when enabled), nSetCompany, then per module nSetDate + nSetModule +
nSetProgram(nLookupTask(task)) before business objects of that module are created or used.
Teardown drops every object, then nCleanup and DropObject on the session. The runner that
keeps one session per process on the BOI thread is in `boi_runner.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

import structlog

from ml_connector.clock import Clock
from ml_connector.errors import Sage100Error
from ml_connector.sage100.boi_calls import ComCallError, Guarded, check, last_error, return_code
from ml_connector.sage100.boi_thread import BoiThread
from ml_connector.sage100.changestamp import format_sage_date
from ml_connector.sage100.errors import SageLoginError, SageSessionError, SageUnavailableError
from ml_connector.sage100.settings import BoiSettings

if TYPE_CHECKING:
    from ml_connector.sage100.names import SageNames

__all__ = ["BoiSession", "BoiThread", "ScriptFactory", "ThreadBoundFactory"]

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


LOOKUP = "#lookup"  # suffix: a second instance of an object, never given a batch


def object_spec(name: str) -> BoiObject:
    """Module and task an object is made and used under (by its name's module prefix).

    `AP_Invoice_bus#lookup` is a second `AP_Invoice_bus` (used only to look invoices up,
    never with a batch selected: a bus object with a batch selected may see only that
    batch).
    """
    upper = name.upper()
    if upper.startswith("GL_"):
        return BoiObject(name, "G/L", "GL_Account_ui")
    if upper.startswith("AP_VENDOR"):
        return BoiObject(name, "A/P", "AP_Vendor_ui")
    return BoiObject(name, "A/P", "AP_Invoice_ui")


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
        self.user = settings.user  # the Sage user actually logged on (nLogon may differ)
        self.names: SageNames | None = None  # set by the adapter once resolved
        self.checks: list[tuple[str, str]] = []
        self._caches: dict[str, dict[str, Any]] = {}
        self._session: Guarded | None = None
        self._objects: dict[str, Guarded] = {}
        self._context: tuple[str, str, str] | None = None
        self._today: tuple[datetime | None, str] = (None, "")  # (UTC minute, local date)

    @property
    def cache(self) -> dict[str, Any]:
        return self._caches.setdefault(self.company, {})

    @property
    def module_date(self) -> str:
        """The configured module date, else today on this machine's calendar. Asked before
        every object is used: the local date is worked out once a minute (a UTC offset is
        whole minutes, so the local date only turns on a minute)."""
        if self.settings.module_date is not None:
            return format_sage_date(self.settings.module_date)
        now = self.clock.now()
        minute = now.replace(second=0, microsecond=0)
        if minute != self._today[0]:
            self._today = (minute, format_sage_date(now.astimezone().date()))
        return self._today[1]

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
            # No session yet to hold the message: ProvideX.Script may or may not have an
            # sLastErrorMsg of its own (the sandbox's has none), so ask without depending on it.
            raise SageUnavailableError(
                f"NewObject('SY_Session') failed: {script_error(self.script) or 'no message'}",
                operation="NewObject",
                hint="Check the Home path and the Sage workstation installation.",
            )
        self._session = session
        how = "nSetUser"
        if s.try_unified_login and return_code(session.nLogon()) == 1:
            how = "nLogon (unified login)"
            self.user = _session_user(session) or "(a user Sage did not name)"
            if self.user.casefold() != s.user.casefold():
                log.warning("sage_unified_login_user", configured=s.user, actual=self.user)
                how += f"; the configured user is {s.user}"
        else:
            check(
                session.nSetUser(s.user, s.password.get_secret_value()),
                session,
                f"nSetUser({s.user})",
                phase="session",
                step="logon",
            )
        self.checks.append(("logon", f"logged on as {self.user} via {how}"))
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
        day = self.module_date
        if self._context == (module, task, day):
            return
        enter_context(self._require_session(), module, task, day, self.settings.company)
        self._context = (module, task, day)

    def obj(self, name: str) -> Guarded:
        """The business object `name`, created on first use, in its module's context."""
        made = self.try_obj(name, probing=False)
        if isinstance(made, str):
            spec = object_spec(name)
            raise SageLoginError(
                f"NewObject({name.removesuffix(LOOKUP)}) failed: {made}",
                operation="NewObject",
                hint=f"Give the Sage user rights to {spec.task} (Role Maintenance), and "
                f"check that the {spec.module} module is set up for company "
                f"{self.settings.company}.",
            )
        return made

    def try_obj(self, name: str, *, probing: bool = True) -> Guarded | str:
        """The object `name`, or Sage's reason for refusing to make it.

        A refused `NewObject` leaves its reason on the session (`oSS.sLastErrorMsg`), not on
        ProvideX.Script. pvxcom may answer 0 or raise a COM exception for a name it cannot
        make (public code sees both: UAF's object discovery catches "Error: 90" exceptions,
        SGE wraps NewObject in try/catch). A raise is a refusal as long as the session still
        answers (its message, else the exception's text); when the session does not answer
        either, the COM failure propagates and the session is dropped. `probing` also turns
        a task this user may not run into a refusal instead of a `SageLoginError`.
        """
        spec = object_spec(name)
        try:
            self.use_context(spec.module, spec.task)
        except SageLoginError as exc:
            if not probing:
                raise
            return f"{spec.task} is not available to this user ({exc.message})"
        found = self._objects.get(name)
        if found is not None:
            return found
        session = self._require_session()
        try:
            created: Guarded = self.script.NewObject(name.removesuffix(LOOKUP), session)
        except ComCallError as exc:
            try:
                said = last_error(session)  # the session still answers: a refusal
            except ComCallError:
                raise exc from None
            log.info("sage_new_object_raised", name=name, error=exc.message, message=said)
            return said or f"NewObject raised {exc.message}"
        if not created:
            return last_error(session) or "no message from Sage"
        self._objects[name] = created
        return created

    def still_answers(self) -> None:
        """Raise `ComCallError` when the session itself no longer answers (after a COM
        exception a probe may tolerate: an unknown name, not a dead server)."""
        last_error(self._require_session())

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


def script_error(script: Guarded) -> str:
    """ProvideX.Script's own `sLastErrorMsg` where it has one, else "" (never raises)."""
    try:
        return last_error(script)
    except (ComCallError, AttributeError):
        return ""


def _session_user(session: Guarded) -> str:
    """The logon of the Sage user the session runs as (`sUserLogon`), "" when not told."""
    try:
        value = session.sUserLogon
    except ComCallError as exc:
        log.warning("sage_session_user_unknown", error=exc.message)
        return ""
    return "" if value is None else str(value).strip()


def _quietly(what: str, fn: Callable[[], object]) -> None:
    try:
        fn()
    except Sage100Error as exc:
        log.warning("sage_teardown_failed", step=what, error=exc.message)


def enter_context(
    session: Any,
    module: str,
    task: str,
    module_date: str,
    company: str,
    *,
    tasks: dict[str, Any] | None = None,
) -> None:
    """Module date, module and program (the security context) of a logged-on `SY_Session`,
    as every BOI script sets them before `NewObject`. `tasks`: where to note the answer of
    `nLookupTask` (0 included) before it is checked."""
    check(
        session.nSetDate(module, module_date),
        session,
        f"nSetDate({module}, {module_date})",
        phase="session",
        step="module date",
    )
    check(session.nSetModule(module), session, f"nSetModule({module})", phase="session")
    task_id = session.nLookupTask(task)
    if tasks is not None:
        tasks[task] = task_id
    if return_code(task_id) == 0:
        raise SageLoginError(
            f"nLookupTask({task}): Sage knows no such task: {last_error(session)}",
            operation="nLookupTask",
            hint=f"Check that the {module} module is installed for company {company} and "
            f"that the Sage user's role includes {task}.",
        )
    check(
        session.nSetProgram(task_id),
        session,
        f"nSetProgram({task})",
        phase="session",
        step="rights",
    )
