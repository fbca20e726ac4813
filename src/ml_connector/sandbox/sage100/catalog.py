"""Which objects `NewObject` can make, the task each needs, and the vendor's own rules.

| Object                          | Table                   | Task needed (current program) |
|---------------------------------|-------------------------|-------------------------------|
| AP_Vendor_bus                   | AP_Vendor               | AP_Vendor_ui                  |
| AP_Invoice_bus (+ oLines)       | AP_InvoiceHeader/Detail | AP_Invoice_ui                 |
| AP_InvoiceRegister_upd          | (posting)               | AP_InvoiceRegister_ui, AP_Invoice_ui |
| *_svc (read-only)               | see `SERVICES`          | any program set               |
| AP_InvoiceHistoryInquiry_bus    | AP_InvoiceHistoryHeader | any program set (read-only)   |

A `_bus` object is refused (NewObject answers 0, the reason in the session's
`sLastErrorMsg`) unless the current program is one of its tasks and the user's roles give
some right on it; what it may then do (create, change, remove) follows those rights.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ml_connector.sandbox.sage100 import schema, system_schema
from ml_connector.sandbox.sage100.business import BusinessObject
from ml_connector.sandbox.sage100.com import ComObject
from ml_connector.sandbox.sage100.records import Record, ServiceObject
from ml_connector.sandbox.sage100.schema import Col

if TYPE_CHECKING:
    from ml_connector.sandbox.sage100.session import SySession

SERVICES: dict[str, schema.TableSpec] = {
    "AP_VENDOR_SVC": schema.AP_VENDOR,
    "AP_DIVISION_SVC": schema.AP_DIVISION,
    "AP_OPTIONS_SVC": schema.AP_OPTIONS,
    "AP_TERMSCODE_SVC": schema.AP_TERMS_CODE,
    "GL_ACCOUNT_SVC": schema.GL_ACCOUNT,
    "GL_ACCOUNTSTRUCTURE_SVC": schema.GL_ACCOUNT_STRUCTURE,
    "AP_INVOICEHEADER_SVC": schema.AP_INVOICE_HEADER,
    "AP_INVOICEDETAIL_SVC": schema.AP_INVOICE_DETAIL,
    "AP_OPENINVOICE_SVC": schema.AP_OPEN_INVOICE,
    "AP_INVOICEHISTORYHEADER_SVC": schema.AP_INVOICE_HISTORY_HEADER,
    # the AR analogue's business object is AR_InvoiceHistoryInquiry_bus (FL44); read-only here
    "AP_INVOICEHISTORYINQUIRY_BUS": schema.AP_INVOICE_HISTORY_HEADER,
    "AP_INVOICEHISTORYDETAIL_SVC": schema.AP_INVOICE_HISTORY_DETAIL,
    "GL_COMPANYACTIVEBATCH_SVC": schema.GL_COMPANY_ACTIVE_BATCH,
    "SY_COMPANY_SVC": system_schema.SY_COMPANY,
    "SY_SALESTAXSCHEDULE_SVC": schema.SY_SALES_TAX_SCHEDULE,
    "JC_JOB_SVC": schema.JC_JOB,
    "JC_JOBCOSTDETAIL_SVC": schema.JC_JOB_COST_DETAIL,
}

BUS_TASKS: dict[str, tuple[str, ...]] = {
    "AP_VENDOR_BUS": ("AP_Vendor_ui",),
    "AP_INVOICE_BUS": ("AP_Invoice_ui",),
    "AP_INVOICEREGISTER_UPD": ("AP_InvoiceRegister_ui", "AP_Invoice_ui"),
}


def create_object(session: SySession, name: str) -> ComObject | str:
    """The object for `name`, or the refusal message."""
    upper = name.upper()
    if session.script.behaviour.refuses(name):
        return f"Object {name} was not found."
    if upper in SERVICES:
        spec = SERVICES[upper]
        return ServiceObject(session, spec, system=spec is system_schema.SY_COMPANY)
    tasks = BUS_TASKS.get(upper)
    if tasks is None:
        return f"Object {name} was not found."
    if session.program.upper() not in {t.upper() for t in tasks}:
        return (
            f"{name} is not available from the current program ({session.program}); "
            f'set nSetProgram(nLookupTask("{tasks[0]}")) first.'
        )
    if not any(session.rights(session.task_key).values()):
        return f"You do not have security access to {session.program}."
    if upper == "AP_VENDOR_BUS":
        return ApVendorBus(session)
    if upper == "AP_INVOICE_BUS":
        from ml_connector.sandbox.sage100.invoice import ApInvoiceBus

        return ApInvoiceBus(session)
    from ml_connector.sandbox.sage100.register import ApInvoiceRegisterUpd

    return ApInvoiceRegisterUpd(session)


def division_exists(session: SySession, division: str) -> bool:
    assert session.company is not None  # objects exist only with a company
    return (
        session.company.execute(
            "SELECT 1 FROM AP_Division WHERE APDivisionNo = ?", (division,)
        ).fetchone()
        is not None
    )


def account_problem(session: SySession, account_key: str) -> str | None:
    """Why an AccountKey cannot take postings (unknown, inactive, deleted), or None."""
    assert session.company is not None
    row = session.company.execute(
        "SELECT Account, Status FROM GL_Account WHERE AccountKey = ?", (account_key,)
    ).fetchone()
    if row is None:
        return f"AccountKey {account_key} is not on file."
    if row["Status"] != "A":
        state = "inactive" if row["Status"] == "I" else "deleted"
        return f"Account {row['Account']} is {state}."
    return None


def tax_rate(session: SySession, schedule: str) -> float | None:
    """The schedule's rate (percent), or None when it is not on file."""
    assert session.company is not None
    row = session.company.execute(
        "SELECT TaxRate FROM SY_SalesTaxSchedule WHERE TaxSchedule = ?", (schedule,)
    ).fetchone()
    return None if row is None else float(row[0])


def job_cost_problem(session: SySession, job_no: str, cost_code: str, cost_type: str) -> str | None:
    """Why a line cannot carry this job / cost code / cost type, or None."""
    assert session.company is not None
    conn = session.company
    if conn.execute("SELECT 1 FROM JC_Job LIMIT 1").fetchone() is None:
        return "Job Cost is not integrated with A/P: JobNo cannot be entered."
    row = conn.execute("SELECT JobStatus FROM JC_Job WHERE JobNo = ?", (job_no,)).fetchone()
    if row is None:
        return f"Job {job_no} is not on file."
    if row["JobStatus"] != "A":
        return f"Job {job_no} is not active."
    if not cost_code or not cost_type:
        return f"A cost code and a cost type are required for job {job_no}."
    found = conn.execute(
        "SELECT 1 FROM JC_JobCostDetail WHERE JobNo = ? AND CostCode = ? AND CostType = ?",
        (job_no, cost_code, cost_type),
    ).fetchone()
    if found is None:
        return f"Cost code {cost_code} cost type {cost_type} is not on file for job {job_no}."
    return None


def terms_exists(session: SySession, code: str) -> bool:
    assert session.company is not None
    return (
        session.company.execute(
            "SELECT 1 FROM AP_TermsCode WHERE TermsCode = ?", (code,)
        ).fetchone()
        is not None
    )


def ap_option(session: SySession, column: str) -> str:
    assert session.company is not None
    row = session.company.execute(
        f"SELECT {column} FROM AP_Options WHERE ModuleCode = 'A/P'"  # noqa: S608  # fixed names
    ).fetchone()
    return str(row[0]) if row is not None else ""


class ApVendorBus(BusinessObject):
    """`AP_Vendor_bus`: Vendor Maintenance."""

    def __init__(self, session: SySession) -> None:
        super().__init__(session, schema.AP_VENDOR, task="AP_Vendor_ui")

    def check_key(self, parts: dict[str, str]) -> str | None:
        if not division_exists(self.session, parts["APDivisionNo"]):
            return f"Division {parts['APDivisionNo']} is not on file."
        vendor = parts["VendorNo"]
        if not all(ch.isalnum() or ch in "-&." for ch in vendor):
            return f"Vendor number {vendor!r} contains characters Sage does not allow."
        return None

    def new_record(self, parts: dict[str, str]) -> Record:
        rec = super().new_record(parts)
        rec["VendorStatus"] = "A"
        rec["TermsCode"] = ap_option(self.session, "DefaultTermsCode")
        return rec

    def check_value(self, col: Col, value: str | float) -> str | None:
        if col.name == "TermsCode" and value and not terms_exists(self.session, str(value)):
            return f"Terms code {value} is not on file."
        if col.name == "TaxSchedule" and value and tax_rate(self.session, str(value)) is None:
            return f"Tax schedule {value} is not on file."
        if col.name == "AccountKey" and value:
            return account_problem(self.session, str(value))
        return None

    def check_write(self) -> str | None:
        assert self._rec is not None
        if not str(self._rec.get("VendorName", "")).strip():
            return "VendorName is required."
        return None

    def check_delete(self, rec: Record) -> str | None:
        key = (rec["APDivisionNo"], rec["VendorNo"])
        for table, what in (
            ("AP_InvoiceHeader", "invoices in data entry"),
            ("AP_OpenInvoice", "open invoices"),
            ("AP_InvoiceHistoryHeader", "invoice history"),
        ):
            found = self.conn.execute(
                f"SELECT 1 FROM {table} WHERE APDivisionNo = ? AND VendorNo = ? LIMIT 1",  # noqa: S608  # fixed names
                key,
            ).fetchone()
            if found is not None:
                return f"Vendor {key[0]}-{key[1]} has {what} and cannot be deleted."
        return None
