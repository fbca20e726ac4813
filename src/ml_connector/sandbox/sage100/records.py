"""Generic Sage business objects over one table: `_svc` (read) and `_bus` (read/write).

Read (`ServiceObject`, every `_svc` and `_bus`): `nSetKeyValue`, `nFind`, `nGetValue`,
`nMoveFirst` / `nMoveNext` / `nEOF`, `nSetBrowseFilter`, `nGetResultSets`, `sGetColumns`,
`sGetKeyColumns`, `nGetRecord`.
Write (`BusinessObject`, `_bus` only): `nSetKey`, `nSetValue`, `nWrite`, `nDelete`, `nClear`.

Keys: set each part with `nSetKeyValue("Col$", v)` then call `nSetKey()` / `nFind()`; or
pass the whole key, its parts padded to their Sage lengths (`"00FERGUS "` ...). When the
leading parts are already set, a short argument is taken as the last part (`nSetKeyValue(
"APDivisionNo$", "00")` then `nFind("FERGUS")`).

`nSetKey` holds the record for this session (another session gets 0 and the in-use
message) until `nWrite`, `nDelete`, `nClear`, `DropObject` or the session's cleanup.
By-reference outputs come back as a tuple `(return value, out1, ...)`.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from ml_connector.sandbox.sage100 import database as db
from ml_connector.sandbox.sage100.com import IN_USE_MESSAGE, SEP, ComObject, com_call
from ml_connector.sandbox.sage100.expressions import (
    ExpressionError,
    compile_filter,
    compile_value,
    pvx_str,
)
from ml_connector.sandbox.sage100.schema import Col, TableSpec
from ml_connector.sandbox.sage100.values import coerce

if TYPE_CHECKING:
    from ml_connector.sandbox.sage100.session import SySession

Record = dict[str, str | float]
LOCK_SECONDS = 600.0


class ServiceObject(ComObject):
    """A read-only view of one Sage table (`AP_Vendor_svc`, `GL_Account_svc`, ...)."""

    def __init__(self, session: SySession, spec: TableSpec, *, system: bool = False) -> None:
        super().__init__(session)
        self.spec = spec
        self.conn: sqlite3.Connection = session.system if system else _company(session)
        self._keys: dict[str, str] = {}
        self._rec: Record | None = None
        self._browse = ""

    # ---- helpers -------------------------------------------------------------------

    def padded_key(self, values: dict[str, str]) -> str:
        return "".join(values.get(c.name, "").ljust(c.length) for c in self.spec.key_cols)

    def lock_key(self, values: dict[str, str]) -> str:
        return self.padded_key(values).rstrip()

    def _parse_key(self, key: object) -> dict[str, str] | str:
        """Key parts from an nSetKey/nFind argument (or from nSetKeyValue when None)."""
        cols = self.spec.key_cols
        if key is None or key == "":
            parts = dict(self._keys)
        elif not isinstance(key, str):
            return "The key must be a string."
        else:
            leading = cols[:-1]
            if (
                leading
                and all(self._keys.get(c.name) for c in leading)
                and len(key.rstrip()) <= cols[-1].length
            ):
                parts = {c.name: self._keys[c.name] for c in leading}
                parts[cols[-1].name] = key
            else:
                parts, pos = {}, 0
                for i, c in enumerate(cols):
                    end = len(key) if i == len(cols) - 1 else pos + c.length
                    parts[c.name] = key[pos:end]
                    pos = end
        out: dict[str, str] = {}
        for c in cols:
            value, error = coerce(c, parts.get(c.name, "").rstrip())
            if error:
                return error
            if not value:
                return f"The key is incomplete: {c.boi_name} has not been set."
            out[c.name] = str(value)
        return out

    def _select(self, where: str, params: tuple[object, ...]) -> Record | None:
        row = self.conn.execute(
            f"SELECT * FROM {self.spec.name} WHERE {where} ORDER BY {self.spec.key_sql} LIMIT 1",  # noqa: S608  # names from the schema
            params,
        ).fetchone()
        return dict(row) if row is not None else None

    def _by_key(self, parts: dict[str, str]) -> Record | None:
        where = " AND ".join(f"{c} = ?" for c in self.spec.key)
        return self._select(where, tuple(parts[c] for c in self.spec.key))

    def _value(self, col: Col) -> str | float:
        if self._rec is None:
            return col.default()
        value = self._rec.get(col.name, col.default())
        return value if value is not None else col.default()

    def _current_padded(self) -> str:
        assert self._rec is not None  # callers check
        return self.padded_key({c: str(self._rec[c]) for c in self.spec.key})

    # ---- read API ------------------------------------------------------------------

    @com_call
    def nSetKeyValue(self, column: str, value: object) -> int:
        col = self.spec.column(str(column))
        if col is None or col.name not in self.spec.key:
            return self._fail(f"{column} is not a key column of {self.spec.name}.")
        stored, error = coerce(col, value.rstrip() if isinstance(value, str) else value)
        if error:
            return self._fail(error)
        self._keys[col.name] = str(stored)
        return self._ok()

    @com_call
    def nFind(self, key: object = None) -> int:
        self._leave_edit()
        parts = self._parse_key(key)
        if isinstance(parts, str):
            self._rec = None
            return self._fail(parts)
        self._rec = self._by_key(parts)
        if self._rec is None:
            return self._fail("")
        return self._ok()

    @com_call
    def nGetValue(self, column: str, value: object = None) -> tuple[int, str | float]:
        del value  # the by-reference placeholder
        col = self.spec.column(str(column))
        if col is None:
            return self._fail(f"{column} is not a column of {self.spec.name}."), ""
        return self._ok(), self._value(col)

    @com_call
    def nSetBrowseFilter(self, prefix: str) -> int:
        self._browse = str(prefix)
        return self._ok()

    def _browse_where(self, after: str | None) -> tuple[str, tuple[object, ...]]:
        clauses, params = ["1"], []
        if self._browse:
            clauses.append(f"{self.spec.key_sql} >= ? AND {self.spec.key_sql} < ?")
            params += [self._browse, self._browse + "\U0010ffff"]
        if after is not None:
            clauses.append(f"{self.spec.key_sql} > ?")
            params.append(after)
        return " AND ".join(clauses), tuple(params)

    @com_call
    def nMoveFirst(self) -> int:
        self._leave_edit()
        self._rec = self._select(*self._browse_where(None))
        return self._ok() if self._rec is not None else self._fail("")

    @com_call
    def nMoveNext(self) -> int:
        if self._rec is None:
            return self._fail("")
        self._rec = self._select(*self._browse_where(self._current_padded()))
        return self._ok() if self._rec is not None else self._fail("")

    @com_call
    def nEOF(self) -> int:
        return 1 if self._rec is None else 0

    @com_call
    def nGetResultSets(  # Sage's signature
        self,
        value_expr: str,
        key_expr: str,
        values: object = None,
        keys: object = None,
        filter_expr: str = "",
        begin: str = "",
        end: str = "",
    ) -> tuple[int, str, str]:
        del values, keys  # by-reference placeholders
        try:
            val = compile_value(str(value_expr), self.spec)
            key = compile_value(str(key_expr), self.spec)
            cond = compile_filter(str(filter_expr or ""), self.spec)
        except ExpressionError as exc:
            return self._fail(str(exc)), "", ""
        where, params = ["1"], list(val.params + key.params)
        if cond is not None:
            where.append(cond.text)
            params += cond.params
        if begin:
            where.append(f"{self.spec.key_sql} >= ?")
            params.append(str(begin))
        if end:
            where.append(f"{self.spec.key_sql} <= ?")
            params.append(str(end) + "\U0010ffff")
        sql = (
            f"SELECT {val.text}, {key.text}, {self.spec.key_sql} FROM {self.spec.name} "  # noqa: S608  # compiled, parameterised
            f"WHERE {' AND '.join(where)}"
        )
        # Sorted here rather than by SQL, so that SQLite picks the filter's index.
        rows = sorted(self.conn.execute(sql, params).fetchall(), key=lambda r: str(r[2]))
        return (
            self._ok(),
            "".join(f"{r[0] or ''}{SEP}" for r in rows),
            "".join(f"{r[1] or ''}{SEP}" for r in rows),
        )

    @com_call
    def sGetColumns(self, table: str = "") -> str:
        del table  # the main table; lines objects answer for their own table
        return "".join(c.boi_name + SEP for c in self.spec.columns)

    @com_call
    def sGetKeyColumns(self) -> str:
        return "".join(c.boi_name + SEP for c in self.spec.key_cols)

    @com_call
    def nGetRecord(self, record: object = None, columns: object = None) -> tuple[int, str, str]:
        del record, columns
        cols = self.spec.columns
        values = []
        for c in cols:
            v = self._value(c)
            values.append(pvx_str(v) if isinstance(v, float) else str(v))
        return (
            self._ok(),
            "".join(v + SEP for v in values),
            "".join(c.boi_name + SEP for c in cols),
        )

    def _leave_edit(self) -> None:
        """Reading another record abandons an edit in progress (bus objects)."""


def _company(session: SySession) -> sqlite3.Connection:
    if session.company is None:  # NewObject refuses before this
        raise RuntimeError("no company")
    return session.company


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
        self._leave_edit()
        self._rec = None
        return self._ok()

    @com_call
    def nDelete(self, key: object = None) -> int:
        if key not in (None, "") and self.set_key(key) == 0:
            return 0
        if self._state != "edit" or self._rec is None:
            self._leave_edit()
            return self._fail("The record was not found.")
        refusal = self.require_right("RemoveAccess", "remove")
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
