"""Read access to one Sage table: the `_svc` objects (and the read half of every `_bus`).

`nSetKeyValue`, `nFind`, `nGetValue`, `nMoveFirst` / `nMoveNext` / `nEOF`,
`nSetBrowseFilter`, `nGetResultSets`, `sGetColumns`, `sGetKeyColumns`, `nGetRecord`.

Keys: set each part with `nSetKeyValue("Col$", v)` then call `nFind()` (or `nSetKey()` on a
`_bus`); or pass the whole key, its parts padded to their Sage lengths (`"00FERGUS "` ...).
When the leading parts are already set, a short argument is taken as the last part
(`nSetKeyValue("APDivisionNo$", "00")` then `nFind("FERGUS")`).
By-reference outputs come back as a tuple `(return value, out1, ...)`.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from ml_connector.sandbox.sage100.com import SEP, ComObject, com_call
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
        return self._ok(), self.by_ref(self._value(col))

    @com_call
    def nSetBrowseFilter(self, prefix: str) -> int:
        self._browse = str(prefix)
        return self._ok()

    def _browse_where(self, after: str | None) -> tuple[str, tuple[object, ...]]:
        clauses, params = ["1"], []
        restriction = self.browse_restriction()
        if restriction is not None:
            clauses.append(restriction[0])
            params += list(restriction[1])
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
        lenient = self._owner().script.behaviour.unknown_variables == "empty"
        try:
            val = compile_value(str(value_expr), self.spec, lenient=lenient)
            key = compile_value(str(key_expr), self.spec, lenient=lenient)
            cond = compile_filter(str(filter_expr or ""), self.spec, lenient=lenient)
        except ExpressionError as exc:
            return self._fail(str(exc)), "", ""
        where, params = ["1"], list(val.params + key.params)
        if cond is not None:
            where.append(cond.text)
            params += cond.params
        restriction = self.browse_restriction()
        if restriction is not None:
            where.append(restriction[0])
            params += restriction[1]
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
            self.com_text("".join(f"{r[0] or ''}{SEP}" for r in rows)),
            self.com_text("".join(f"{r[1] or ''}{SEP}" for r in rows)),
        )

    def browse_restriction(self) -> tuple[str, tuple[object, ...]] | None:
        """An extra SQL condition on what this object may browse (a selected batch)."""
        return None

    @com_call
    def sGetDataSources(self) -> str:
        """The tables behind the object, main table first."""
        return self.com_text(f"{self.spec.name}{SEP}")

    @com_call
    def sGetColumns(self, table: str = "") -> str:
        """The columns of `table` (a data source; "" or this object's table: its own)."""
        if str(table).strip() and str(table).strip().upper() != self.spec.name.upper():
            return ""
        return self.com_text("".join(c.boi_name + SEP for c in self.spec.columns))

    @com_call
    def sGetKeyColumns(self) -> str:
        return self.com_text("".join(c.boi_name + SEP for c in self.spec.key_cols))

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
            self.com_text("".join(v + SEP for v in values)),
            self.com_text("".join(c.boi_name + SEP for c in cols)),
        )

    def _leave_edit(self) -> None:
        """Reading another record abandons an edit in progress (bus objects)."""


def _company(session: SySession) -> sqlite3.Connection:
    if session.company is None:  # NewObject refuses before this
        raise RuntimeError("no company")
    return session.company
