"""`_bus` objects: edit, create and delete records of one table (`nSetKey`, `nSetValue`,
`nWrite`, `nDelete`, `nClear`), with Sage's rights, module-date and lock rules.

`nSetKey` holds the record for this session (another session gets 0 and the in-use
message) until `nWrite`, `nDelete`, `nClear`, `DropObject` or the session's cleanup.
Subclasses add their table's rules through the hooks `check_key`, `new_record`,
`check_value`, `check_write`, `store` and `delete_rows`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ml_connector.sandbox.sage100 import database as db
from ml_connector.sandbox.sage100.com import IN_USE_MESSAGE, com_call
from ml_connector.sandbox.sage100.records import Record, ServiceObject
from ml_connector.sandbox.sage100.schema import Col, TableSpec
from ml_connector.sandbox.sage100.values import coerce

if TYPE_CHECKING:
    from ml_connector.sandbox.sage100.session import SySession

LOCK_SECONDS = 600.0


class BusinessObject(ServiceObject):
    """A `_bus` object: edit, create and delete records of one table."""

    module = "A/P"

    def __init__(self, session: SySession, spec: TableSpec, *, task: str) -> None:
        super().__init__(session, spec)
        self.session = session
        self.task_key = session.task_key_of(task)
        self.task = task
        self._state = ""  # "", "new", "edit"
        self._lock: str | None = None

    # ---- hooks ---------------------------------------------------------------------

    def check_key(self, parts: dict[str, str]) -> str | None:
        """A refusal for this key (e.g. an unknown division), or None."""
        del parts
        return None

    def new_record(self, parts: dict[str, str]) -> Record:
        rec: Record = {c.name: c.default() for c in self.spec.columns}
        rec.update(parts)
        return rec

    def check_value(self, col: Col, value: str | float) -> str | None:
        del col, value
        return None

    def check_write(self) -> str | None:
        return None

    def store(self, rec: Record, *, new: bool) -> None:
        """Insert or update the record (inside the write transaction)."""
        date, time = self.session.stamp()
        rec["DateUpdated"], rec["TimeUpdated"], rec["UserUpdatedKey"] = (
            date,
            time,
            self.session.user_key,
        )
        if new:
            rec["DateCreated"], rec["TimeCreated"], rec["UserCreatedKey"] = (
                rec["DateUpdated"],
                rec["TimeUpdated"],
                rec["UserUpdatedKey"],
            )
        names = [c.name for c in self.spec.columns]
        self.conn.execute(
            f"INSERT OR REPLACE INTO {self.spec.name} ({', '.join(names)}) "  # noqa: S608  # schema names
            f"VALUES ({', '.join('?' for _ in names)})",
            [rec.get(n, "") for n in names],
        )

    def check_delete(self, rec: Record) -> str | None:
        """A refusal to delete this record (e.g. a vendor with invoices), or None."""
        del rec
        return None

    def delete_rows(self, rec: Record) -> None:
        where = " AND ".join(f"{c} = ?" for c in self.spec.key)
        self.conn.execute(
            f"DELETE FROM {self.spec.name} WHERE {where}",  # noqa: S608  # schema names
            [rec[c] for c in self.spec.key],
        )

    # ---- locks ---------------------------------------------------------------------

    def hold(self, table: str, key: str) -> str | None:
        """Take the lock on a record for this session; the in-use message when refused."""
        now = self.session.now_epoch()
        other = db.try_lock(
            self.conn,
            table,
            key,
            holder=self.session.id,
            user=self.session.user_logon,
            expires_at=now + LOCK_SECONDS,
            now=now,
        )
        return IN_USE_MESSAGE if other is not None else None

    def _release(self) -> None:
        self._release_record()

    def _release_record(self) -> None:
        if self._lock is not None:
            db.unlock(self.conn, self.spec.name, self._lock, holder=self.session.id)
            self._lock = None

    def _leave_edit(self) -> None:
        self._release_record()
        self._state = ""

    def require_module_date(self) -> str | None:
        if not self.session.module_dates.get(self.module):
            return f"The {self.module} module date has not been set (nSetDate)."
        return None

    def require_right(self, right: str, verb: str) -> str | None:
        if not self.session.rights(self.task_key).get(right):
            return f"You do not have security rights to {verb} records in {self.task}."
        return None

    # ---- write API -----------------------------------------------------------------

    @com_call
    def nSetKey(self, key: object = None) -> int:
        return self.set_key(key)

    def set_key(self, key: object) -> int:
        self._leave_edit()
        self._rec = None
        parts = self._parse_key(key)
        if isinstance(parts, str):
            return self._fail(parts)
        refusal = self.check_key(parts)
        if refusal:
            return self._fail(refusal)
        lock_key = self.lock_key(parts)
        if self.session.lock_fault():
            return self._fail(IN_USE_MESSAGE)
        in_use = self.hold(self.spec.name, lock_key)
        if in_use:
            return self._fail(in_use)
        self._lock = lock_key
        self._keys = dict(parts)
        existing = self._by_key(parts)
        if existing is not None:
            self._rec, self._state = existing, "edit"
            return self._ok(1)
        self._rec, self._state = self.new_record(parts), "new"
        return self._ok(2)

    @com_call
    def nSetValue(self, column: str, value: object) -> int:
        if self._state not in ("new", "edit") or self._rec is None:
            return self._fail("No record is being edited: call nSetKey first.")
        col = self.spec.column(str(column))
        if col is None:
            return self._fail(f"{column} is not a column of {self.spec.name}.")
        if col.name in self.spec.key:
            return self._fail(f"{col.boi_name} is part of the key: use nSetKeyValue, then nSetKey.")
        if col.read_only:
            return self._fail(f"{col.boi_name} cannot be changed.")
        stored, error = coerce(col, value)
        if error is None:
            error = self.check_value(col, stored)
        if error:
            return self._fail(error)
        self.assign(col, stored)
        return self._ok()

    def assign(self, col: Col, value: str | float) -> None:
        assert self._rec is not None  # nSetValue checks
        self._rec[col.name] = value

    @com_call
    def nWrite(self) -> int:
        if self._state not in ("new", "edit") or self._rec is None or self._lock is None:
            return self._fail("No record is being edited: call nSetKey first.")
        if self.session.lock_fault():
            return self._fail(IN_USE_MESSAGE)
        if db.held_by_other(
            self.conn,
            self.spec.name,
            self._lock,
            holder=self.session.id,
            now=self.session.now_epoch(),
        ):
            return self._fail(IN_USE_MESSAGE)
        new = self._state == "new"
        refusal = (
            self.require_module_date()
            or self.require_right(
                "CreateAccess" if new else "ModifyAccess", "create" if new else "change"
            )
            or self.check_write()
        )
        if refusal:
            return self._fail(refusal)
        with db.transaction(self.conn):
            self.store(self._rec, new=new)
            self._leave_edit()  # the record's lock goes with its write: one commit
        self._rec = None
        return self._ok()

    @com_call
    def nDelete(self, key: object = None) -> int:
        if key not in (None, "") and self.set_key(key) == 0:
            return 0
        if self._state != "edit" or self._rec is None:
            self._leave_edit()
            return self._fail("The record was not found.")
        refusal = self.require_right("RemoveAccess", "remove") or self.check_delete(self._rec)
        if refusal:
            return self._fail(refusal)
        with db.transaction(self.conn):
            self.delete_rows(self._rec)
        self._leave_edit()
        self._rec = None
        return self._ok()

    @com_call
    def nClear(self) -> int:
        self._leave_edit()
        self._rec = None
        self._keys = {}
        return self._ok()
