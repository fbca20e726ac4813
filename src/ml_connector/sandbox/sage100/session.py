"""`ProvideXScript` (the COM object) and `SY_Session`: logon, company, dates, task rights.

Sequence, as on a Sage server:

    pvx = ProvideXScript(root)
    pvx.Init(home)                          # first call; any Home path is accepted
    ss = pvx.NewObject("SY_Session")
    ss.nLogon()                              # 0: no unified login (unless behaviour says)
    ss.nSetUser("sandbox", "sandbox")        # 1, or 0 + sLastErrorMsg
    ss.nSetCompany("ABC")                    # 1, or 0 (unknown, no access, external access off)
    ss.nSetDate("A/P", "20260115")           # module (posting) date, needed before writes
    ss.nSetModule("A/P")
    ss.nSetProgram(ss.nLookupTask("AP_Invoice_ui"))   # rights are checked here
    bus = pvx.NewObject("AP_Invoice_bus", ss)  # refused: raises, ss.sLastErrorMsg says why

Faults (`ROOT/sandbox.toml`) are read when the session starts. A COM error (injected, or
any later call on a poisoned session) raises `SandboxComError`.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from ml_connector.clock import Clock, SystemClock
from ml_connector.sandbox.sage100 import database as db
from ml_connector.sandbox.sage100.behaviour import SandboxBehaviour
from ml_connector.sandbox.sage100.com import ComObject, com_call
from ml_connector.sandbox.sage100.expressions import pvx_str
from ml_connector.sandbox.sage100.faults import (
    FaultPlan,
    disconnected,
    provide_x_error,
    server_timezone,
    wrong_thread,
)
from ml_connector.sandbox.sage100.schema import MODULES

if TYPE_CHECKING:
    import random


class ProvideXScript:
    """The sandbox's `ProvideX.Script` COM object over a sandbox root folder."""

    def __init__(
        self,
        root: Path | str,
        *,
        clock: Clock | None = None,
        tz: tzinfo | None = None,
        apartment: str = "sta",
        behaviour: SandboxBehaviour | None = None,
    ) -> None:
        if apartment not in ("sta", "free"):
            raise ValueError("apartment must be 'sta' or 'free'")
        self.root = Path(root)
        self.behaviour = behaviour or SandboxBehaviour()
        # As a COM object made in a single-threaded apartment (pywin32's default), the
        # script and everything it makes may only be called from the thread that made it.
        self.owner_thread = threading.get_ident() if apartment == "sta" else None
        self.clock = clock or SystemClock()
        # The Sage server's zone: given, else [server] timezone in sandbox.toml, else local.
        self.tz = tz if tz is not None else server_timezone(self.root)
        self._home: str | None = None

    def check_thread(self) -> None:
        if self.owner_thread is not None and threading.get_ident() != self.owner_thread:
            raise wrong_thread()

    def Init(self, home: str) -> None:  # Sage's COM name
        self.check_thread()
        if not isinstance(home, str) or not home.strip():
            raise provide_x_error("Init needs the MAS90\\Home path")
        if not (self.root / db.SYSTEM_DB).exists():
            raise provide_x_error(f"Error #12: File does not exist ({self.root}: no SYSTEM.sqlite)")
        self._home = home

    def NewObject(self, name: str, session: object = None) -> object:
        self.check_thread()
        if self._home is None:
            raise provide_x_error("Init must be called before NewObject")
        if name.upper() == "SY_SESSION":
            return SySession(self)
        if not isinstance(session, SySession) or session.script is not self:
            raise provide_x_error(f"NewObject({name!r}) needs this script's SY_Session")
        session._enter("NewObject")
        return session._new_object(name)


class SySession(ComObject):
    """`SY_Session`: who, which company, which module date, which task."""

    def __init__(self, script: ProvideXScript) -> None:
        super().__init__(None)
        self.script = script
        self.root = script.root
        self.clock = script.clock
        self.id = uuid.uuid4().hex
        self.poisoned = False
        self.system = db.connect(self.root / db.SYSTEM_DB)
        self.faults = FaultPlan.load(self.root)
        self.rng: random.Random = self.faults.rng(self._next_session_no())
        self.user_key = ""
        self.user_logon = ""
        self.user_code = ""
        self.company_code = ""
        self.company: sqlite3.Connection | None = None
        self.module = ""
        self.module_dates: dict[str, str] = {}
        self.task_key = 0
        self.program = ""
        self._objects: list[ComObject] = []

    # ---- the fault gate ------------------------------------------------------------

    def _owner(self) -> SySession:
        return self

    def _enter(self, method: str, *, inject: bool = True) -> None:
        self.script.check_thread()
        if self.poisoned:
            raise disconnected()
        if self._dropped:
            raise provide_x_error(f"Error #65: session was dropped before {method}")
        if self.faults.call_latency_ms:
            self.clock.sleep(self.faults.call_latency_ms / 1000.0)
        if inject and self.faults.com_error_rate and self.rng.random() < self.faults.com_error_rate:
            self.poisoned = True
            # The ProvideX process behind the session is gone: the OS frees its record locks.
            if self.company is not None:
                db.unlock_all(self.company, holder=self.id)
            raise provide_x_error(
                f"Error #200: ProvideX fault in {method} (sandbox com_error_rate)"
            )

    def lock_fault(self) -> bool:
        """True when this nSetKey/nWrite should fail as if another user held the record."""
        return bool(self.faults.lock_rate) and self.rng.random() < self.faults.lock_rate

    def _next_session_no(self) -> int:
        with db.transaction(self.system):
            self.system.execute(
                "INSERT INTO SY_SandboxCounter (Name, Value) VALUES ('session', 1) "
                "ON CONFLICT(Name) DO UPDATE SET Value = Value + 1"
            )
            row = self.system.execute(
                "SELECT Value FROM SY_SandboxCounter WHERE Name = 'session'"
            ).fetchone()
        return int(row[0])

    # ---- time ----------------------------------------------------------------------

    def now_epoch(self) -> float:
        return self.clock.now().timestamp()

    def local_now(self) -> datetime:
        return db.server_local(self.clock.now(), self.script.tz)

    def stamp(self) -> tuple[str, str]:
        return db.sage_stamp(self.local_now())

    # ---- logon ---------------------------------------------------------------------

    @com_call
    def nLogon(self) -> int:
        """Unified login: the Windows account maps to `behaviour.unified_login_user`."""
        mapped = self.script.behaviour.unified_login_user
        if mapped is None:
            return self._fail("", 0)  # no unified login: use nSetUser
        row = self.system.execute(
            "SELECT UserKey, UserLogon, UserCode, Locked FROM SY_User WHERE UserLogon = ?",
            (mapped,),
        ).fetchone()
        if row is None or row["Locked"] == "Y":
            return self._fail("Unified login is not available for this Windows user.", 0)
        self.user_key, self.user_logon, self.user_code = (
            row["UserKey"],
            row["UserLogon"],
            row["UserCode"],
        )
        return self._ok()

    @com_call
    def nSetUser(self, user: str, password: str) -> int:
        row = self.system.execute(
            "SELECT UserKey, UserLogon, UserCode, PasswordHash, PasswordSalt, Locked FROM SY_User "
            "WHERE UserLogon = ?",
            (str(user).strip(),),
        ).fetchone()
        if row is None or not db.check_password(
            str(password), row["PasswordHash"], row["PasswordSalt"]
        ):
            return self._fail("Invalid user logon or password.")
        if row["Locked"] == "Y":
            return self._fail(
                f"User logon {row['UserLogon']} is locked. Contact your administrator."
            )
        self.user_key, self.user_logon, self.user_code = (
            row["UserKey"],
            row["UserLogon"],
            row["UserCode"],
        )
        return self._ok()

    @com_call
    def nSetCompany(self, code: str) -> int:
        code = str(code).strip().upper()
        if not self.user_key:
            return self._fail("A user must be logged on before the company is set (nSetUser).")
        row = self.system.execute(
            "SELECT CompanyCode, AllowExternalAccess FROM SY_Company WHERE CompanyCode = ?", (code,)
        ).fetchone()
        path = db.company_db_path(self.root, code)
        if row is None or len(code) != 3 or not path.exists():
            return self._fail(f"Company code {code} is invalid.")
        access = self.system.execute(
            "SELECT 1 FROM SY_UserCompany WHERE UserKey = ? AND CompanyCode IN (?, '*')",
            (self.user_key, code),
        ).fetchone()
        if access is None:
            return self._fail(f"You do not have access to company {code}.")
        if row["AllowExternalAccess"] != "Y":
            return self._fail(f"External access is not allowed for company {code}.")
        self._drop_company()
        self.company = db.connect(path)
        db.ensure_lock_table(self.company)
        self.company.create_function("PVX_STR", 1, pvx_str, deterministic=True)
        self.company_code = code
        return self._ok()

    @com_call
    def nSetDate(self, module: str, date_text: str) -> int:
        module = str(module).upper()
        if module not in MODULES:
            return self._fail(f"Module {module} is invalid.")
        text = str(date_text)
        try:
            datetime.strptime(text, "%Y%m%d")  # noqa: DTZ007  # a calendar date, no zone
        except ValueError:
            return self._fail(f"Invalid date {text!r}: use YYYYMMDD.")
        if len(text) != 8:
            return self._fail(f"Invalid date {text!r}: use YYYYMMDD.")
        self.module_dates[module] = text
        return self._ok()

    @com_call
    def nSetModule(self, module: str) -> int:
        module = str(module).upper()
        if module not in MODULES:
            return self._fail(f"Module {module} is invalid.")
        if self.company is None:
            return self._fail("The company has not been set (nSetCompany).")
        self.module = module
        return self._ok()

    @com_call
    def nLookupTask(self, program: str) -> int:
        row = self.system.execute(
            "SELECT TaskKey FROM SY_Task WHERE ProgramName = ?", (str(program),)
        ).fetchone()
        if row is None:
            return self._fail(f"Task {program} was not found.")
        return self._ok(int(row[0]))

    @com_call
    def nSetProgram(self, task_key: int) -> int:
        task = self.system.execute(
            "SELECT TaskKey, ProgramName, TaskName, ModuleCode FROM SY_Task WHERE TaskKey = ?",
            (int(task_key) if isinstance(task_key, int | float) else -1,),
        ).fetchone()
        if task is None:
            return self._fail("Invalid program (task) id.")
        if not self.user_key:
            return self._fail("A user must be logged on before the program is set (nSetUser).")
        if self.module != task["ModuleCode"]:
            return self._fail(
                f"{task['ProgramName']} belongs to module {task['ModuleCode']}; "
                f'call nSetModule("{task["ModuleCode"]}") first.'
            )
        if not any(self.rights(int(task["TaskKey"])).values()):
            return self._fail(f"You do not have security access to {task['TaskName']}.")
        self.task_key, self.program = int(task["TaskKey"]), str(task["ProgramName"])
        return self._ok()

    def rights(self, task_key: int) -> dict[str, bool]:
        """The user's Create/Modify/Remove/View rights on a task (any role grants)."""
        rows = self.system.execute(
            "SELECT CreateAccess, ModifyAccess, RemoveAccess, ViewAccess FROM SY_RoleSecurity "
            "JOIN SY_UserRole USING (SecurityRole) WHERE UserKey = ? AND TaskKey = ?",
            (self.user_key, task_key),
        ).fetchall()
        names = ("CreateAccess", "ModifyAccess", "RemoveAccess", "ViewAccess")
        return {n: any(r[n] == "Y" for r in rows) for n in names}

    def task_key_of(self, program: str) -> int:
        row = self.system.execute(
            "SELECT TaskKey FROM SY_Task WHERE ProgramName = ?", (program,)
        ).fetchone()
        return int(row[0]) if row else 0

    # ---- properties ----------------------------------------------------------------

    @property
    def sModuleDate(self) -> str:
        self._gate("sModuleDate", inject=False)
        return self.module_dates.get(self.module, "")

    @property
    def sModuleCode(self) -> str:
        self._gate("sModuleCode", inject=False)
        return self.module

    @property
    def sCompanyCode(self) -> str:
        self._gate("sCompanyCode", inject=False)
        return self.company_code

    @property
    def sUserCode(self) -> str:
        self._gate("sUserCode", inject=False)
        return self.user_code

    @property
    def sUserLogon(self) -> str:
        self._gate("sUserLogon", inject=False)
        return self.user_logon

    @property
    def nProgram(self) -> int:
        self._gate("nProgram", inject=False)
        return self.task_key

    # ---- objects -------------------------------------------------------------------

    def _new_object(self, name: str) -> object:
        from ml_connector.sandbox.sage100.catalog import create_object

        if not self.user_key:
            return self._refuse_object("A user must be logged on first (nSetUser).")
        if self.company is None:
            return self._refuse_object("The company has not been set (nSetCompany).")
        if not self.task_key:
            return self._refuse_object(
                f"{name}: the program has not been set (nSetProgram(nLookupTask(...)))."
            )
        made = create_object(self, name)
        if isinstance(made, str):
            return self._refuse_object(made)
        self._objects.append(made)
        self._ok()
        return made

    def _refuse_object(self, message: str) -> int:
        """A refused NewObject: the reason goes on the session (`oSS.sLastErrorMsg`), and
        NewObject raises a COM exception carrying it (`behaviour.new_object_refusal`
        "raise", as pvxcom does in public code) or answers 0 ("zero")."""
        code = self._fail(message)
        if self.script.behaviour.new_object_refusal == "raise":
            raise provide_x_error(f"Error #90: {message}")
        return code

    def _forget(self, obj: ComObject) -> None:
        if obj in self._objects:
            self._objects.remove(obj)

    def _drop_company(self) -> None:
        for obj in list(self._objects):
            obj._release()
            obj._dropped = True
        self._objects.clear()
        if self.company is not None:
            db.unlock_all(self.company, holder=self.id)
            self.company.close()
            self.company = None

    @com_call
    def nCleanup(self) -> int:
        self._drop_company()
        self.company_code = ""
        return self._ok()

    def DropObject(self) -> None:
        self._gate("DropObject", inject=False)
        self._drop_company()
        self.system.close()
        self._dropped = True
