"""`AP_Invoice_bus`: A/P Invoice Data Entry, with its lines (`oLines`), batches, and the trap.

Key `APDivisionNo$ + VendorNo$ + InvoiceNo$`. What `nSetKey` answers:
- 2 for a new invoice;
- 1 when the key is already in data entry (`AP_InvoiceHeader`): the invoice and its lines
  are loaded, and **an amount set with `nSetValue("InvoiceAmt", x)` is an adjustment added
  to the amount already there**. New lines are added to the old ones, and once they balance
  `nWrite` succeeds: the entry now carries old + new amount. Writing a duplicate never fails;
- 2 when the key is only posted (`AP_OpenInvoice` / `AP_InvoiceHistoryHeader`): a new
  entry is started with `Adjustment$ = "Y"` (dates, terms and comment copied from the posted
  invoice); the register then adds its amount to the posted invoice.

`nWrite` refuses (0 + `sLastErrorMsg`) unless: the A/P module date is set; the vendor is on
file and not inactive; `InvoiceDate$` is set; every line's AccountKey is on file and
active; and the lines plus `SalesTaxAmt` plus `FreightAmt` sum to `InvoiceAmt`
(undistributed balance zero). A line added with `nAddLine` but never written with
`oLines.nWrite()` is discarded.

Tax and freight (A/P Options `CalcSalesTaxInAP = "Y"` only; otherwise `SalesTaxAmt` and
`FreightAmt` cannot be set): the header's `TaxSchedule` defaults from the vendor. At
`nWrite` `TaxableAmt` / `NonTaxableAmt` are computed from the lines' `TaxClass` ("NT" is
non-taxable), and when the schedule has a rate Sage computes `SalesTaxAmt` itself
(taxable x rate, replacing what was entered) -- so an invoice whose lines already include
the tax goes out of balance, as in Sage. Header tax and freight post to the division's
`SalesTaxAcctKey` / `FreightAcctKey`, which must be set.

Batches (A/P Options `BatchProcessing = "Y"`): select one first with `nSelectBatch(no)` or
`nSelectNewBatch(placeholder, "N", comment)` -> `(1, "00001")`; a batch is held by the
object that selected it (another user gets "Batch 00001 is in use by another user."). With a
batch selected, the object browses only that batch's invoices (`browse_restriction`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from ml_connector.sandbox.sage100 import database as db
from ml_connector.sandbox.sage100 import schema
from ml_connector.sandbox.sage100.business import BusinessObject
from ml_connector.sandbox.sage100.catalog import (
    account_problem,
    ap_option,
    division_exists,
    tax_rate,
    terms_exists,
)
from ml_connector.sandbox.sage100.com import com_call
from ml_connector.sandbox.sage100.lines import ApInvoiceLines
from ml_connector.sandbox.sage100.records import Record
from ml_connector.sandbox.sage100.schema import DELETE_INVOICE_LINES, Col
from ml_connector.sandbox.sage100.values import coerce, money

if TYPE_CHECKING:
    from ml_connector.sandbox.sage100.behaviour import SandboxBehaviour
    from ml_connector.sandbox.sage100.session import SySession

BATCH_TABLE = "GL_CompanyActiveBatch"
BATCH_TYPE = "IN"


def due_date(invoice_date: str, days: int) -> str:
    from datetime import datetime, timedelta

    day = datetime.strptime(invoice_date, "%Y%m%d") + timedelta(days=days)  # noqa: DTZ007  # calendar date
    return day.strftime("%Y%m%d")


class ApInvoiceBus(BusinessObject):
    """`AP_Invoice_bus` over AP_InvoiceHeader and AP_InvoiceDetail."""

    def __init__(self, session: SySession) -> None:
        super().__init__(session, schema.AP_INVOICE_HEADER, task="AP_Invoice_ui")
        self._lines_obj = ApInvoiceLines(self)
        self.lines: list[Record] = []
        self.base_amount: float | None = None
        self.batch = ""
        self._batch_lock = ""
        # the vendor whose defaults the invoice being edited takes (its lines' G/L account),
        # read when the key is set, as the Invoice Data Entry screen does
        self._vendor: tuple[tuple[str, str], Record | None] | None = None

    @property
    def oLines(self) -> ApInvoiceLines:  # Sage's COM name
        self._gate("oLines", inject=False)
        return self._lines_obj

    @property
    def uses_batches(self) -> bool:
        return ap_option(self.session, "BatchProcessing") == "Y"

    def browse_restriction(self) -> tuple[str, tuple[object, ...]] | None:
        """With a batch selected, browsing (result sets, nMoveFirst...) sees only that batch
        (the sandbox's choice; `behaviour.batch_browse = "all"` sees every batch)."""
        if (
            self.batch
            and self.session.script.behaviour.batch_browse == "selected"
            and self.uses_batches
        ):
            return "BatchNo = ?", (self.batch,)
        return None

    # ---- key -----------------------------------------------------------------------

    def set_key(self, key: object) -> int:
        self.lines, self.base_amount, self._vendor = [], None, None
        self._lines_obj.reset()
        if self.uses_batches and not self.batch:
            self._leave_edit()
            return self._fail("A batch must be selected first (nSelectBatch or nSelectNewBatch).")
        result = super().set_key(key)
        if result == 1:
            assert self._rec is not None
            if self.uses_batches and self._rec["BatchNo"] != self.batch:
                self._leave_edit()
                self._rec = None
                return self._fail(f"This invoice is in batch {self._rec_batch(key)}.")
            self.base_amount = float(self._rec["InvoiceAmt"])
            self.lines = [
                dict(r)
                for r in self.conn.execute(
                    "SELECT * FROM AP_InvoiceDetail WHERE APDivisionNo = ? AND VendorNo = ? "
                    "AND InvoiceNo = ? ORDER BY LineKey",
                    tuple(self._keys[c] for c in self.spec.key),
                )
            ]
        return result

    def _rec_batch(self, key: object) -> str:
        del key
        row = self.conn.execute(
            "SELECT BatchNo FROM AP_InvoiceHeader WHERE APDivisionNo = ? AND VendorNo = ? "
            "AND InvoiceNo = ?",
            tuple(self._keys[c] for c in self.spec.key),
        ).fetchone()
        return str(row[0]) if row else ""

    def check_key(self, parts: dict[str, str]) -> str | None:
        if not division_exists(self.session, parts["APDivisionNo"]):
            return f"Division {parts['APDivisionNo']} is not on file."
        if self.behaviour.receipt_of_invoice == "refuse":
            vendor = self.vendor_row(parts)
            if vendor is not None and vendor.get("UsePOReceiptOfInvoice") == "Y":
                return (
                    f"Vendor {parts['APDivisionNo']}-{parts['VendorNo']} uses P/O Receipt of "
                    "Invoice Entry: enter its invoices there."
                )
        return None

    @property
    def behaviour(self) -> SandboxBehaviour:
        return self.session.script.behaviour

    def new_record(self, parts: dict[str, str]) -> Record:
        rec = super().new_record(parts)
        rec["BatchNo"] = self.batch
        vendor = self.vendor_row(parts)
        self._vendor = ((parts["APDivisionNo"], parts["VendorNo"]), vendor)
        rec["TermsCode"] = (
            str(vendor["TermsCode"]) if vendor else ap_option(self.session, "DefaultTermsCode")
        )
        rec["HoldPayment"] = str(vendor["HoldPayment"]) if vendor else "N"
        rec["TaxSchedule"] = str(vendor["TaxSchedule"]) if vendor else ""
        posted = self.conn.execute(
            "SELECT InvoiceDate, InvoiceDueDate, TermsCode, Comment FROM AP_OpenInvoice "
            "WHERE APDivisionNo = ? AND VendorNo = ? AND InvoiceNo = ? UNION ALL "
            "SELECT InvoiceDate, InvoiceDueDate, TermsCode, Comment FROM AP_InvoiceHistoryHeader "
            "WHERE APDivisionNo = ? AND VendorNo = ? AND InvoiceNo = ?",
            tuple(parts[c] for c in self.spec.key) * 2,
        ).fetchone()
        if posted is not None:  # the key was posted: this entry adjusts it
            rec["Adjustment"] = "Y"
            for col in ("InvoiceDate", "InvoiceDueDate", "TermsCode", "Comment"):
                rec[col] = posted[col]
        return rec

    def invoice_vendor(self) -> Record | None:
        """The vendor of the invoice being edited, read once per key."""
        assert self._rec is not None  # an invoice is being edited
        which = (str(self._rec["APDivisionNo"]), str(self._rec["VendorNo"]))
        if self._vendor is None or self._vendor[0] != which:
            self._vendor = (which, self.vendor_row(self._rec))
        return self._vendor[1]

    def vendor_row(self, parts: dict[str, str] | Record) -> Record | None:
        row = self.conn.execute(
            "SELECT * FROM AP_Vendor WHERE APDivisionNo = ? AND VendorNo = ?",
            (parts["APDivisionNo"], parts["VendorNo"]),
        ).fetchone()
        return dict(row) if row is not None else None

    # ---- values --------------------------------------------------------------------

    def check_value(self, col: Col, value: str | float) -> str | None:
        if col.name == "TermsCode" and value and not terms_exists(self.session, str(value)):
            return f"Terms code {value} is not on file."
        if col.name == "TaxSchedule" and value and tax_rate(self.session, str(value)) is None:
            return f"Tax schedule {value} is not on file."
        taxing = col.name in ("SalesTaxAmt", "FreightAmt", "TaxSchedule")
        if taxing and value and ap_option(self.session, "CalcSalesTaxInAP") != "Y":
            return f"{col.boi_name} cannot be entered: A/P does not calculate sales tax."
        if col.name == "SalesTaxAmt" and value and self._untaxing_schedule():
            return f"Sales tax cannot be entered: tax schedule {self._schedule()} computes no tax."
        return None

    def _schedule(self) -> str:
        return str(self._rec["TaxSchedule"]) if self._rec is not None else ""

    def _untaxing_schedule(self) -> bool:
        """With `zero_rate_tax = "refuse"`: the invoice has a schedule whose rate is 0."""
        schedule = self._schedule()
        return (
            self.behaviour.zero_rate_tax == "refuse"
            and bool(schedule)
            and tax_rate(self.session, schedule) == 0
        )

    def assign(self, col: Col, value: str | float) -> None:
        assert self._rec is not None
        if col.name == "InvoiceAmt" and self.base_amount is not None:
            # The trap: on an invoice already in entry the amount given is an adjustment.
            value = float(money(self.base_amount) + money(value))
        self._rec[col.name] = value

    # ---- write ---------------------------------------------------------------------

    def check_write(self) -> str | None:
        rec = self._rec
        assert rec is not None
        vendor = self.vendor_row(rec)
        who = f"{rec['APDivisionNo']}-{rec['VendorNo']}"
        if vendor is None:
            return f"Vendor {who} is not on file."
        if vendor["VendorStatus"] == "I":
            return f"Vendor {who} is inactive."
        if self.uses_batches and not self._batch_row(self.batch):
            return f"Batch {self.batch} is not on file."
        if not rec["InvoiceDate"]:
            return "Invoice date is required."
        for line in self.lines:
            problem = account_problem(self.session, str(line["AccountKey"]))
            if problem:
                return f"Line {line.get('LineKey') or ''}: {problem}".replace("Line : ", "")
        if money(rec["SalesTaxAmt"]) and self._untaxing_schedule():
            return f"Sales tax cannot be entered: tax schedule {self._schedule()} computes no tax."
        problem = self._compute_tax(rec, replace_tax=self.behaviour.tax_computed == "at_write")
        if problem:
            return problem
        distributed = sum((money(line["DistributionAmt"]) for line in self.lines), Decimal("0.00"))
        undistributed = (
            money(rec["InvoiceAmt"])
            - distributed
            - money(rec["SalesTaxAmt"])
            - money(rec["FreightAmt"])
        )
        if undistributed:
            computed = (
                f" (sales tax {money(rec['SalesTaxAmt'])} computed by tax schedule "
                f"{rec['TaxSchedule']})"
                if self._rate(rec)
                else ""
            )
            return (
                f"The invoice is out of balance. The undistributed balance is {undistributed}; "
                f"it must be 0.00.{computed}"
            )
        return None

    def _rate(self, rec: Record) -> float:
        schedule = str(rec["TaxSchedule"])
        if not schedule or ap_option(self.session, "CalcSalesTaxInAP") != "Y":
            return 0.0
        return tax_rate(self.session, schedule) or 0.0

    def _compute_tax(self, rec: Record, *, replace_tax: bool = True) -> str | None:
        """Taxable / non-taxable from the lines; Sage's own sales tax under a taxing schedule
        (`replace_tax`: at `nWrite` by default; as each line is written with
        `behaviour.tax_computed = "per_line"`, see `lines_written`)."""
        zero = Decimal("0.00")
        taxable = sum(
            (money(x["DistributionAmt"]) for x in self.lines if x.get("TaxClass") != "NT"), zero
        )
        non_taxable = sum(
            (money(x["DistributionAmt"]) for x in self.lines if x.get("TaxClass") == "NT"), zero
        )
        rec["TaxableAmt"], rec["NonTaxableAmt"] = float(taxable), float(non_taxable)
        rate = self._rate(rec)
        if rate and replace_tax:
            rec["SalesTaxAmt"] = float(money(taxable * Decimal(str(rate)) / 100))
        division = self.conn.execute(
            "SELECT SalesTaxAcctKey, FreightAcctKey FROM AP_Division WHERE APDivisionNo = ?",
            (rec["APDivisionNo"],),
        ).fetchone()
        for column, account, what in (("SalesTaxAmt", "SalesTaxAcctKey", "sales tax"),
                                      ("FreightAmt", "FreightAcctKey", "freight")):  # fmt: skip
            if money(rec[column]) and (division is None or not division[account]):
                return f"Division {rec['APDivisionNo']} has no {what} account."
        return None

    def lines_written(self) -> None:
        """A line was written: with `tax_computed = "per_line"` Sage computes the header's
        tax from the lines so far (the accounts are checked at `nWrite`)."""
        if self.behaviour.tax_computed == "per_line" and self._rec is not None:
            self._compute_tax(self._rec)

    def store(self, rec: Record, *, new: bool) -> None:
        if not rec["InvoiceDueDate"] and rec["InvoiceDate"]:
            row = self.conn.execute(
                "SELECT DaysBeforeDue FROM AP_TermsCode WHERE TermsCode = ?", (rec["TermsCode"],)
            ).fetchone()
            rec["InvoiceDueDate"] = due_date(str(rec["InvoiceDate"]), int(row[0]) if row else 30)
        if not new:  # keep the created stamp
            old = self._by_key({c: str(rec[c]) for c in self.spec.key})
            if old is not None:
                for c in ("DateCreated", "TimeCreated", "UserCreatedKey"):
                    rec[c] = old[c]
        super().store(rec, new=new)
        key = tuple(rec[c] for c in self.spec.key)
        self.conn.execute(
            DELETE_INVOICE_LINES,
            key,
        )
        used = [int(str(line["LineKey"])) for line in self.lines if line.get("LineKey")]
        next_key = max(used, default=0) + 1
        names = [c.name for c in schema.AP_INVOICE_DETAIL.columns]
        for line in self.lines:
            if not line.get("LineKey"):
                line["LineKey"] = f"{next_key:06d}"
                next_key += 1
                for c in ("Created", "Updated"):
                    line[f"Date{c}"], line[f"Time{c}"] = rec["DateUpdated"], rec["TimeUpdated"]
                    line[f"User{c}Key"] = self.session.user_key
            line.update(zip(self.spec.key, key, strict=True))
            self.conn.execute(
                f"INSERT INTO AP_InvoiceDetail ({', '.join(names)}) "  # noqa: S608  # schema names
                f"VALUES ({', '.join('?' for _ in names)})",
                [line.get(n, "") for n in names],
            )
        self.lines, self.base_amount = [], None
        self._lines_obj.reset()

    def delete_rows(self, rec: Record) -> None:
        super().delete_rows(rec)
        self.conn.execute(
            DELETE_INVOICE_LINES,
            tuple(rec[c] for c in self.spec.key),
        )

    # ---- batches -------------------------------------------------------------------

    def _batch_row(self, batch: str) -> Record | None:
        row = self.conn.execute(
            "SELECT * FROM GL_CompanyActiveBatch WHERE ModuleCode = 'A/P' AND BatchType = ? "
            "AND BatchNo = ?",
            (BATCH_TYPE, batch),
        ).fetchone()
        return dict(row) if row is not None else None

    def _take_batch(self, batch: str) -> int:
        lock_key = f"A/P{BATCH_TYPE}{batch}"
        now = self.session.now_epoch()
        other = db.try_lock(
            self.conn,
            BATCH_TABLE,
            lock_key,
            holder=self.session.id,
            user=self.session.user_logon,
            expires_at=now + 3600,
            now=now,
        )
        if other is not None:
            return self._fail(f"Batch {batch} is in use by another user.")
        self._drop_batch()
        self.batch, self._batch_lock = batch, lock_key
        return self._ok()

    def _drop_batch(self) -> None:
        if self._batch_lock:
            db.unlock(self.conn, BATCH_TABLE, self._batch_lock, holder=self.session.id)
        self.batch, self._batch_lock = "", ""

    def _release(self) -> None:
        super()._release()
        self._drop_batch()

    @com_call
    def nSelectBatch(self, batch_no: str) -> int:
        if not self.uses_batches:
            return self._fail("Batch processing is not enabled for A/P invoices.")
        batch, error = coerce(schema.GL_COMPANY_ACTIVE_BATCH.by_name["BATCHNO"], batch_no)
        if error:
            return self._fail(error)
        if self._batch_row(str(batch)) is None:
            return self._fail(f"Batch {batch} is not on file.")
        return self._take_batch(str(batch))

    @com_call
    def nSelectNewBatch(
        self, batch_no: object = None, private: str = "N", comment: str = ""
    ) -> tuple[int, str]:
        del batch_no  # by-reference output
        if not self.uses_batches:
            return self._fail("Batch processing is not enabled for A/P invoices."), ""
        if str(private).upper() not in ("Y", "N"):
            return self._fail(f"Invalid value {private!r} for private batch. Use Y or N."), ""
        with db.transaction(self.conn):
            row = self.conn.execute(
                "SELECT NextBatchNo FROM AP_Options WHERE ModuleCode = 'A/P'"
            ).fetchone()
            number = int(row[0] or "1") if row else 1
            while self._batch_row(f"{number:05d}") is not None:
                number += 1
            batch = f"{number:05d}"
            date, time = self.session.stamp()
            self.conn.execute(
                "INSERT INTO GL_CompanyActiveBatch (ModuleCode, BatchType, BatchNo, Comment, "
                "PrivateBatch, BatchStatus, DateCreated, TimeCreated, UserCreatedKey, DateUpdated, "
                "TimeUpdated, UserUpdatedKey) VALUES ('A/P', ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?)",
                (
                    BATCH_TYPE,
                    batch,
                    str(comment)[:30],
                    str(private).upper(),
                    date,
                    time,
                    self.session.user_key,
                    date,
                    time,
                    self.session.user_key,
                ),
            )
            self.conn.execute(
                "UPDATE AP_Options SET NextBatchNo = ? WHERE ModuleCode = 'A/P'",
                (f"{number + 1:05d}",),
            )
        result = self._take_batch(batch)
        return result, batch if result else ""
