"""Plain BOI calls, one at a time, for the discovery probe and the live self-test's cleanup.

The adapter (`BoiSage100`) hides the BOI surface behind the `Sage100` port and decides
what to ask; the probe needs the opposite: every call and its raw answer, kept even when it
fails. `RawBoi` is a logged-on SY_Session (Init, SY_Session, nSetUser, nSetCompany; per
module nSetDate, nSetModule, nSetProgram(nLookupTask(task))) whose objects are made by name
with `try_object`, a refusal being an answer rather than an error. `on_boi_thread(factory,
job)` runs `job(script)` on a thread of its own (COM: CoInitialize first), as every BOI
call must run on the thread that created the object.

`split_list` reads ProvideX lists (`sGetColumns`, `sGetKeyColumns`, result sets), whose
separator byte 0x8A arrives as U+0160 "Š" through COM on a Windows-1252 host and as U+008A
elsewhere; it accepts both and says which it saw.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import structlog

from ml_connector.clock import Clock, SystemClock
from ml_connector.errors import Sage100Error
from ml_connector.sage100.boi_calls import ComCallError, Guarded, check, last_error
from ml_connector.sage100.boi_session import (
    ScriptFactory,
    ThreadBoundFactory,
    enter_context,
    script_error,
)
from ml_connector.sage100.boi_thread import BoiThread
from ml_connector.sage100.changestamp import format_sage_date
from ml_connector.sage100.errors import SageUnavailableError
from ml_connector.sage100.settings import BoiSettings

log = structlog.get_logger(__name__)

T = TypeVar("T")

SEP_COM = "\u0160"  # "Š": byte 0x8A read as Windows-1252, what COM hands over
SEP_RAW = "\x8a"  # U+008A: the same byte read as Latin-1


def split_list(raw: object) -> tuple[list[str], str]:
    """A ProvideX list as its items (a trailing separator dropped) and the separator seen:
    "U+0160", "U+008A", "both" or "" (none: one item or empty)."""
    text = "" if raw is None else str(raw)
    com, plain = SEP_COM in text, SEP_RAW in text
    seen = "both" if com and plain else "U+0160" if com else "U+008A" if plain else ""
    items = text.replace(SEP_COM, SEP_RAW).split(SEP_RAW)
    if items and items[-1] == "":
        items.pop()
    return items, seen


def on_boi_thread(factory: ScriptFactory, job: Callable[[Guarded], T], timeout: float) -> T:
    """Run `job(script)` on a fresh BOI thread (COM initialised there), then end it."""
    if isinstance(factory, ThreadBoundFactory):
        thread = BoiThread(
            "sage100-raw", on_start=factory.thread_started, on_stop=factory.thread_stopping
        )
    else:
        thread = BoiThread("sage100-raw")
    try:
        return thread.run(lambda: job(Guarded(factory(), "ProvideX.Script")), timeout=timeout)
    finally:
        thread.stop()


@dataclass
class RawBoi:
    """One SY_Session, opened with `open()`; every object made is dropped by `close()`."""

    script: Guarded
    settings: BoiSettings
    clock: Clock = field(default_factory=SystemClock)
    session: Guarded | None = None
    objects: list[Guarded] = field(default_factory=list)
    context: tuple[str, str] | None = None
    tasks: dict[str, object] = field(default_factory=dict)  # task -> nLookupTask's answer

    def open(self) -> None:
        s = self.settings
        try:
            self.script.Init(s.home)
            session = self.script.NewObject("SY_Session")
        except ComCallError as exc:
            raise SageUnavailableError(
                f"ProvideX.Script could not start a session from Home {s.home!r}: {exc.message}",
                operation="Init",
                hint="Check the Home path (MAS90\\Home) and the Sage workstation installation.",
            ) from exc
        if not session:
            raise SageUnavailableError(
                f"NewObject('SY_Session') failed: {script_error(self.script) or 'no message'}",
                operation="NewObject",
            )
        self.session = session
        check(
            session.nSetUser(s.user, s.password.get_secret_value()),
            session,
            f"nSetUser({s.user})",
            phase="session",
            step="logon",
        )
        check(
            session.nSetCompany(s.company),
            session,
            f"nSetCompany({s.company})",
            phase="session",
            step="company",
        )

    @property
    def module_date(self) -> str:
        day = self.settings.module_date or self.clock.now().astimezone().date()
        return format_sage_date(day)

    def use(self, module: str, task: str) -> None:
        """Module date, module and program for objects of `module` under `task`."""
        if self.context == (module, task):
            return
        enter_context(
            self.require(),
            module,
            task,
            self.module_date,
            self.settings.company,
            tasks=self.tasks,
        )
        self.context = (module, task)

    def try_object(self, name: str, module: str, task: str) -> tuple[Guarded | None, str]:
        """(the object, "") or (None, why NewObject refused it: its message or exception)."""
        try:
            self.use(module, task)
        except Sage100Error as exc:
            return None, exc.message
        session = self.require()
        try:
            made = self.script.NewObject(name, session)
        except ComCallError as exc:  # the reason is on the session (oSS.sLastErrorMsg)
            said = last_error(session)
            return None, f"NewObject raised: {exc.message}" + (f" ({said})" if said else "")
        if not made:
            msg = last_error(session) or script_error(self.script)
            return None, msg or "NewObject answered 0 with no message"
        self.objects.append(made)
        return made, ""

    def require(self) -> Guarded:
        if self.session is None:
            raise SageUnavailableError("the probe's Sage session is not open", operation="boi")
        return self.session

    def close(self) -> None:
        """Drop every object, then the session; errors are logged, never raised."""
        for obj in self.objects:
            _quietly("DropObject", obj.DropObject)
        self.objects.clear()
        if self.session is not None:
            _quietly("nCleanup", self.session.nCleanup)
            _quietly("DropObject", self.session.DropObject)
            self.session = None


def _quietly(what: str, fn: Callable[[], Any]) -> None:
    try:
        fn()
    except Sage100Error as exc:
        log.warning("sage_raw_teardown_failed", step=what, error=exc.message)
