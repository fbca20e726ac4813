"""Creating a sandbox root: the system database, a company database, users and seed data.

    ROOT/SYSTEM.sqlite     SY_Company, SY_User, SY_UserCompany, SY_UserRole, SY_Task,
                           SY_RoleSecurity (Sage's MAS_SYSTEM)
    ROOT/<COMPANY>.sqlite  AP_*, GL_* tables with Sage's names (see schema.py)
    ROOT/sandbox.toml      optional [faults]

`init_root` (and `ml-connector sandbox sage100 init`) creates both databases, the user
(default `sandbox` / `sandbox`, with every right on every task and access to every
company) and the company (default `ABC`), then seeds it: `demo` (see seed.py) or `none`
(only A/P Options, division 00, terms codes and a three-segment account structure).
`data_dir/<COMPANY>/<Table>.json` files (arrays of rows keyed by Sage column names, with
or without the `$`) then replace the rows of their tables, loaded as given.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import tzinfo
from pathlib import Path

from ml_connector.clock import Clock, SystemClock
from ml_connector.sandbox.sage100 import database as db
from ml_connector.sandbox.sage100 import schema, seed, system_schema
from ml_connector.sandbox.sage100.chart import AccountFormatError, AccountPlan
from ml_connector.sandbox.sage100.database import insert_row
from ml_connector.sandbox.sage100.demo import write_demo
from ml_connector.sandbox.sage100.seed import COMPANY_NAME

ADMIN_ROLE = "SANDBOX_ADMIN"


class SandboxSetupError(Exception):
    """The sandbox root cannot be created as asked."""


def init_root(  # the command's options
    root: Path,
    *,
    company: str = "ABC",
    user: str = "sandbox",
    password: str = "sandbox",  # noqa: S107  # the documented sandbox default
    seed: str = "demo",
    data_dir: Path | None = None,
    company_name: str | None = None,
    batches: bool = False,
    account_format: str = "9999-99-999",
    force: bool = True,
    clock: Clock | None = None,
    tz: tzinfo | None = None,
) -> None:
    """Create (or re-create, when `force`) a company in `root`, with its user and seed."""
    code = company.upper()
    if len(code) != 3 or not code.isalnum():
        raise SandboxSetupError(f"company code {company!r} must be 3 letters or digits")
    if seed not in ("demo", "none"):
        raise SandboxSetupError(f"unknown seed {seed!r}: use demo or none")
    try:
        plan = AccountPlan.parse(account_format)
    except AccountFormatError as exc:
        raise SandboxSetupError(str(exc)) from exc
    root.mkdir(parents=True, exist_ok=True)
    clock = clock or SystemClock()
    local = db.server_local(clock.now(), tz)
    stamp = db.sage_stamp(local)
    path = db.company_db_path(root, code)
    if path.exists():
        if not force:
            raise SandboxSetupError(f"{path} exists; use --force to replace it")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    _init_system(root, code, company_name or _default_name(seed, code), stamp)
    add_user(root, user, password)
    conn = db.connect(path)
    try:
        with db.transaction(conn):
            for spec in schema.COMPANY_TABLES.values():
                for stmt in spec.ddl():
                    conn.execute(stmt)
            conn.execute(schema.LOCK_DDL)
            audit = _audit(stamp)
            _base(conn, audit, batches=batches, plan=plan)
            if seed == "demo":
                write_demo(conn, audit, batches=batches, plan=plan)
        if data_dir is not None:
            load_data(conn, data_dir / code, audit)
    finally:
        conn.close()


def _default_name(seed: str, code: str) -> str:
    return COMPANY_NAME if seed == "demo" else f"Sandbox Company {code}"


def _audit(stamp: tuple[str, str]) -> dict[str, str]:
    date_, time_ = stamp
    return {
        "DateCreated": date_,
        "TimeCreated": time_,
        "UserCreatedKey": "0000000001",
        "DateUpdated": date_,
        "TimeUpdated": time_,
        "UserUpdatedKey": "0000000001",
    }


def _init_system(root: Path, code: str, name: str, stamp: tuple[str, str]) -> None:
    conn = db.connect(root / db.SYSTEM_DB)
    try:
        with db.transaction(conn):
            for stmt in system_schema.SYSTEM_DDL:
                conn.execute(stmt)
            conn.executemany(
                "INSERT OR IGNORE INTO SY_Task (TaskKey, ProgramName, TaskName, ModuleCode) "
                "VALUES (?, ?, ?, ?)",
                system_schema.TASKS,
            )
            conn.executemany(
                "INSERT OR IGNORE INTO SY_RoleSecurity VALUES (?, ?, 'Y', 'Y', 'Y', 'Y')",
                [(ADMIN_ROLE, t[0]) for t in system_schema.TASKS],
            )
            conn.execute(
                "INSERT OR REPLACE INTO SY_Company (CompanyCode, CompanyName, AllowExternalAccess, "
                "DateCreated, TimeCreated) VALUES (?, ?, 'Y', ?, ?)",
                (code, name[:30], *stamp),
            )
    finally:
        conn.close()


def add_user(
    root: Path,
    user: str,
    password: str,
    *,
    rights: Mapping[str, str] | None = None,
    companies: tuple[str, ...] = ("*",),
    locked: bool = False,
) -> None:
    """Create or replace a Sage user.

    `rights` maps a task program name to the rights given ("CMRV": create, modify, remove,
    view; "V" view only); None gives every right on every task.
    """
    conn = db.connect(root / db.SYSTEM_DB)
    try:
        with db.transaction(conn):
            row = conn.execute(
                "SELECT UserKey FROM SY_User WHERE UserLogon = ?", (user,)
            ).fetchone()
            if row is not None:
                key = str(row[0])
            else:
                count = conn.execute("SELECT COUNT(*) FROM SY_User").fetchone()[0]
                key = f"{int(count) + 1:010d}"
            digest, salt = db.hash_password(password)
            conn.execute(
                "INSERT OR REPLACE INTO SY_User (UserKey, UserLogon, UserCode, PasswordHash, "
                "PasswordSalt, Locked) VALUES (?, ?, ?, ?, ?, ?)",
                (key, user, user[:3].upper(), digest, salt, "Y" if locked else "N"),
            )
            conn.execute("DELETE FROM SY_UserRole WHERE UserKey = ?", (key,))
            conn.execute("DELETE FROM SY_UserCompany WHERE UserKey = ?", (key,))
            conn.executemany(
                "INSERT INTO SY_UserCompany VALUES (?, ?)", [(key, c.upper()) for c in companies]
            )
            if rights is None:
                conn.execute("INSERT INTO SY_UserRole VALUES (?, ?)", (key, ADMIN_ROLE))
                return
            role = f"ROLE_{key}"
            conn.execute("DELETE FROM SY_RoleSecurity WHERE SecurityRole = ?", (role,))
            conn.execute("INSERT INTO SY_UserRole VALUES (?, ?)", (key, role))
            for program, given in rights.items():
                task = conn.execute(
                    "SELECT TaskKey FROM SY_Task WHERE ProgramName = ?", (program,)
                ).fetchone()
                if task is None:
                    raise SandboxSetupError(f"unknown task {program!r}")
                flags = ["Y" if ch in given.upper() else "N" for ch in "CMRV"]
                conn.execute(
                    "INSERT INTO SY_RoleSecurity VALUES (?, ?, ?, ?, ?, ?)", (role, task[0], *flags)
                )
    finally:
        conn.close()


def set_company_access(root: Path, company: str, *, external_access: bool) -> None:
    """Company Maintenance > Preferences > allow external access."""
    conn = db.connect(root / db.SYSTEM_DB)
    try:
        conn.execute(
            "UPDATE SY_Company SET AllowExternalAccess = ? WHERE CompanyCode = ?",
            ("Y" if external_access else "N", company.upper()),
        )
    finally:
        conn.close()


def _base(
    conn: sqlite3.Connection, audit: dict[str, str], *, batches: bool, plan: AccountPlan
) -> None:
    insert_row(
        conn,
        schema.AP_OPTIONS,
        {
            "ModuleCode": "A/P",
            "BatchProcessing": "Y" if batches else "N",
            "Divisions": "N",
            "DefaultTermsCode": "01",
            "NextBatchNo": "00001",
            **audit,
        },
    )
    for code, desc, days, disc_days, rate in seed.TERMS:
        insert_row(
            conn,
            schema.AP_TERMS_CODE,
            {
                "TermsCode": code,
                "TermsCodeDesc": desc,
                "DaysBeforeDue": float(days),
                "DiscountDays": float(disc_days),
                "DiscountRate": rate,
                **audit,
            },
        )
    for no, desc, length, separator in plan.structure():
        insert_row(
            conn,
            schema.GL_ACCOUNT_STRUCTURE,
            {
                "SegmentNo": no,
                "SegmentDesc": desc,
                "SegmentLength": float(length),
                "SeparatorChar": separator,
                **audit,
            },
        )
    insert_row(
        conn,
        schema.AP_DIVISION,
        {"APDivisionNo": "00", "APDivisionDesc": "Default Division", **audit},
    )


def load_data(conn: sqlite3.Connection, folder: Path, audit: Mapping[str, str]) -> None:
    """Replace tables with `folder/<Table>.json` rows (Sage column names, `$` optional)."""
    if not folder.is_dir():
        raise SandboxSetupError(f"{folder} is not a folder of <Table>.json files")
    with db.transaction(conn):
        for path in sorted(folder.glob("*.json")):
            spec = schema.COMPANY_TABLES.get(path.stem)
            if spec is None:
                raise SandboxSetupError(f"{path.name}: {path.stem} is not a sandbox table")
            rows = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(rows, list):
                raise SandboxSetupError(f"{path.name} must hold an array of rows")
            conn.execute(f"DELETE FROM {spec.name}")  # noqa: S608  # a schema name
            for i, raw in enumerate(rows):
                row: dict[str, object] = dict(audit)
                for name, value in dict(raw).items():
                    col = spec.by_name.get(str(name).rstrip("$").upper())
                    if col is None:
                        raise SandboxSetupError(
                            f"{path.name} row {i}: no column {name!r} in {spec.name}"
                        )
                    row[col.name] = float(value) if col.kind == "N" else str(value)
                insert_row(conn, spec, row)
