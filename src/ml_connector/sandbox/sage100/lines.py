"""`oLines` of AP_Invoice_bus: the distribution lines (AP_InvoiceDetail) being edited.

`nAddLine()` answers 2 and starts a line (AccountKey defaults to the vendor's G/L account);
`nSetValue`, then `nWrite()` adds it to the invoice (a line never written is dropped).
`nMoveFirst` / `nMoveNext` / `nEOF` walk the written lines; `nDelete()` removes the current one.
Nothing reaches the database before the header's `nWrite()`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ml_connector.sandbox.sage100 import schema
from ml_connector.sandbox.sage100.catalog import account_problem, job_cost_problem
from ml_connector.sandbox.sage100.com import SEP, ComObject, com_call
from ml_connector.sandbox.sage100.records import Record
from ml_connector.sandbox.sage100.values import coerce

if TYPE_CHECKING:
    from ml_connector.sandbox.sage100.invoice import ApInvoiceBus


class ApInvoiceLines(ComObject):
    """`oLines` of AP_Invoice_bus: the distribution lines (AP_InvoiceDetail)."""

    def __init__(self, bus: ApInvoiceBus) -> None:
        super().__init__(bus.session)
        self.bus = bus
        self.spec = schema.AP_INVOICE_DETAIL
        self.reset()

    def reset(self) -> None:
        self.current: Record | None = None
        self.index: int | None = None  # position in bus.lines when editing a written line

    def _editable(self) -> bool:
        return self.bus._state in ("new", "edit") and self.bus._rec is not None

    @com_call
    def nAddLine(self) -> int:
        if not self._editable():
            return self._fail("No invoice is being edited: call nSetKey on the header first.")
        assert self.bus._rec is not None
        line: Record = {c.name: c.default() for c in self.spec.columns}
        vendor = self.bus.invoice_vendor()
        if vendor is not None and vendor["AccountKey"]:
            line["AccountKey"] = vendor["AccountKey"]  # the vendor's default G/L account
        line["LineKey"] = ""
        line["TaxClass"] = "TX" if self.bus._rec.get("TaxSchedule") else "NT"
        self.current, self.index = line, None
        return self._ok(2)

    @com_call
    def nSetValue(self, column: str, value: object) -> int:
        if self.current is None:
            return self._fail("No line is selected: call nAddLine first.")
        col = self.spec.column(str(column))
        if col is None:
            return self._fail(f"{column} is not a column of AP_InvoiceDetail.")
        if col.name in self.spec.key or col.read_only:
            return self._fail(f"{col.boi_name} cannot be changed.")
        stored, error = coerce(col, value)
        if error is None and col.name == "AccountKey":
            error = account_problem(self.bus.session, str(stored)) if stored else None
        if error:
            return self._fail(error)
        self.current[col.name] = stored
        return self._ok()

    @com_call
    def nGetValue(self, column: str, value: object = None) -> tuple[int, str | float]:
        del value
        col = self.spec.column(str(column))
        if col is None:
            return self._fail(f"{column} is not a column of AP_InvoiceDetail."), ""
        line = self.current or {}
        return self._ok(), self.by_ref(line.get(col.name, col.default()) or col.default())

    @com_call
    def nWrite(self) -> int:
        if self.current is None or not self._editable():
            return self._fail("No line is selected: call nAddLine first.")
        if not self.current.get("AccountKey"):
            return self._fail("AccountKey is required.")
        job = str(self.current.get("JobNo") or "")
        if job:
            problem = job_cost_problem(
                self.bus.session,
                job,
                str(self.current.get("CostCode") or ""),
                str(self.current.get("CostType") or ""),
            )
            if problem:
                return self._fail(problem)
        elif self.current.get("CostCode") or self.current.get("CostType"):
            return self._fail("JobNo is required with a cost code.")
        if self.index is None:
            self.bus.lines.append(self.current)
        else:
            self.bus.lines[self.index] = self.current
        self.reset()
        self.bus.lines_written()
        return self._ok()

    @com_call
    def nDelete(self) -> int:
        if self.index is None:
            self.reset()
            return self._fail("No written line is selected.")
        del self.bus.lines[self.index]
        self.reset()
        self.bus.lines_written()
        return self._ok()

    def _goto(self, index: int) -> int:
        if 0 <= index < len(self.bus.lines):
            self.current, self.index = dict(self.bus.lines[index]), index
            return self._ok()
        self.reset()
        return self._fail("")

    @com_call
    def nMoveFirst(self) -> int:
        return self._goto(0)

    @com_call
    def nMoveNext(self) -> int:
        return self._goto(self.index + 1 if self.index is not None else len(self.bus.lines))

    @com_call
    def nEOF(self) -> int:
        return 1 if self.current is None else 0

    @com_call
    def sGetColumns(self, table: str = "") -> str:
        if str(table).strip() and str(table).strip().upper() != self.spec.name.upper():
            return ""
        return self.com_text("".join(c.boi_name + SEP for c in self.spec.columns))

    @com_call
    def sGetDataSources(self) -> str:
        return self.com_text(f"{self.spec.name}{SEP}")

    def DropObject(self) -> None:  # owned by the header: nothing to release
        self._gate("DropObject", inject=False)
