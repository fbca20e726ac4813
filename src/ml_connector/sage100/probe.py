"""`sage probe`: every fact about one Sage 100 company that the BOI adapter depends on.

Run on the Sage server (or against the sandbox), read-only: which object names `NewObject`
accepts for each role, the data sources, columns and key columns of each, which of the
candidate column names exist, the separator COM hands over, what `nGetResultSets` answers
for no rows, the GL account format read both ways, the A/P options, the history key, how
`nSetKey` answers for a key only posted to open invoices and one only in history (each
followed by `nClear`, never a write), by-reference reads of a numeric column, whether
numeric vendor numbers are zero-filled, and how data entry answers for a P/O Receipt of
Invoice vendor and under a vendor's tax schedule (a new entry, cleared with `nClear`; the
header's `nWrite` is never called). Column facts: `probe_columns.py`; data: `probe_keys.py`.

Each fact is `{question, observed, conclusion, settled, use}`: `use` is the value the
adapter (and `check`) can act on, None when the server did not settle it. `run_probe`
returns one JSON-able dict without the password (it is scrubbed from every string, too).
"""

from __future__ import annotations

import platform
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from ml_connector import __version__
from ml_connector.clock import Clock, SystemClock
from ml_connector.errors import Sage100Error
from ml_connector.sage100.boi_calls import ComCallError, Guarded
from ml_connector.sage100.boi_session import ScriptFactory
from ml_connector.sage100.raw_boi import RawBoi, on_boi_thread
from ml_connector.sage100.settings import BoiSettings

PROBE_VERSION = 1

# role -> (candidate object names in order, module, task, main table)
OBJECT_ROLES: dict[str, tuple[tuple[str, ...], str, str, str]] = {
    "invoice_entry": (("AP_Invoice_bus",), "A/P", "AP_Invoice_ui", "AP_InvoiceHeader"),
    "open_invoices": (
        ("AP_OpenInvoice_svc", "AP_OpenInvoice_bus"),
        "A/P",
        "AP_Invoice_ui",
        "AP_OpenInvoice",
    ),
    "invoice_history": (
        ("AP_InvoiceHistoryHeader_svc", "AP_InvoiceHistoryInquiry_bus"),
        "A/P",
        "AP_Invoice_ui",
        "AP_InvoiceHistoryHeader",
    ),
    "ap_options": (("AP_Options_svc", "AP_Options_bus"), "A/P", "AP_Invoice_ui", "AP_Options"),
    "ap_divisions": (("AP_Division_svc",), "A/P", "AP_Invoice_ui", "AP_Division"),
    "vendors": (("AP_Vendor_svc",), "A/P", "AP_Vendor_ui", "AP_Vendor"),
    "vendor_entry": (("AP_Vendor_bus",), "A/P", "AP_Vendor_ui", "AP_Vendor"),
    "gl_accounts": (("GL_Account_svc",), "G/L", "GL_Account_ui", "GL_Account"),
    "account_structure": (
        ("GL_AccountStructure_svc",),
        "G/L",
        "GL_Account_ui",
        "GL_AccountStructure",
    ),
    "company": (("SY_Company_svc",), "A/P", "AP_Invoice_ui", "SY_Company"),
    # optional: Job Cost (none accepted = no Job Cost), and the open-batch list in which the
    # connector finds its batch again after a restart (names as in BoiNames)
    "job_cost_jobs": (("JC_Job_svc",), "A/P", "AP_Invoice_ui", "JC_Job"),
    "job_cost_details": (("JC_JobCostDetail_svc",), "A/P", "AP_Invoice_ui", "JC_JobCostDetail"),
    "batch_registry": (
        ("GL_CompanyActiveBatch_svc",),
        "G/L",
        "GL_Account_ui",
        "GL_CompanyActiveBatch",
    ),
}
LINES_ROLE, LINES_TABLE = "invoice_lines", "AP_InvoiceDetail"

# column role -> (object role, candidate names in order). Names match BoiColumns fields
# where the adapter has one.
COLUMN_ROLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "invoice_amount": ("invoice_entry", ("InvoiceAmt", "InvoiceAmount", "InvoiceTotal")),
    "invoice_comment": ("invoice_entry", ("Comment", "InvoiceComment")),
    "invoice_due_date": ("invoice_entry", ("InvoiceDueDate", "DueDate")),
    "invoice_adjustment": ("invoice_entry", ("Adjustment",)),
    "invoice_tax_schedule": ("invoice_entry", ("TaxSchedule",)),
    "non_taxable_amount": ("invoice_entry", ("NonTaxableAmt", "NonTaxableAmount")),
    "taxable_amount": ("invoice_entry", ("TaxableAmt", "TaxableAmount")),
    "sales_tax_amount": ("invoice_entry", ("SalesTaxAmt", "SalesTaxAmount")),
    "freight_amount": ("invoice_entry", ("FreightAmt", "FreightAmount")),
    "line_amount": (
        LINES_ROLE,
        ("DistributionAmt", "DistributionAmount", "Amount", "ExtensionAmt"),
    ),
    "line_account": (LINES_ROLE, ("AccountKey",)),
    "line_comment": (LINES_ROLE, ("CommentText", "Comment")),
    "line_job": (LINES_ROLE, ("JobNo",)),
    "line_cost_code": (LINES_ROLE, ("CostCode",)),
    "line_cost_type": (LINES_ROLE, ("CostType",)),
    "open_invoice_amount": ("open_invoices", ("InvoiceAmt", "InvoiceAmount")),
    "history_invoice_amount": ("invoice_history", ("InvoiceAmt", "InvoiceAmount")),
    "history_header_seq": ("invoice_history", ("HeaderSeqNo",)),
    "vendor_status": ("vendors", ("VendorStatus", "Status")),
    "vendor_email": ("vendors", ("EmailAddress", "EMailAddress")),
    "tax_schedule": ("vendors", ("TaxSchedule",)),
    "vendor_receipt_of_invoice": (
        "vendors",
        ("UsePOReceiptOfInvoice", "UsePOReceiptOfInvoiceEntry", "POReceiptOfInvoice"),
    ),
    "divisions_flag": ("ap_options", ("Divisions", "APDivisionsInUse")),
    "batch_flag": ("ap_options", ("BatchProcessing", "BatchEntry", "InvoiceBatchEntry")),
    "options_sales_tax": ("ap_options", ("CalcSalesTaxInAP", "CalculateSalesTax", "SalesTaxInAP")),
    "job_cost_status": ("job_cost_jobs", ("JobStatus",)),
    "job_cost_detail_code": ("job_cost_details", ("CostCode",)),
    "job_cost_detail_type": ("job_cost_details", ("CostType",)),
    "batch_comment": ("batch_registry", ("Comment",)),
    "gl_account": ("gl_accounts", ("Account",)),
    "gl_raw_account": ("gl_accounts", ("RawAccount",)),
    "gl_account_key": ("gl_accounts", ("AccountKey",)),
}


@dataclass
class Probe:
    """The facts gathered so far, and the objects found for each role."""

    raw: RawBoi
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)
    objects: dict[str, Guarded] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # role -> accepted object name
    columns: dict[str, list[str]] = field(default_factory=dict)  # role -> bare names
    reported: dict[str, list[str]] = field(default_factory=dict)  # role -> names as reported

    def add(
        self,
        fact: str,
        question: str,
        observed: Any,
        conclusion: str,
        *,
        use: Any = None,
        settled: bool = True,
    ) -> None:
        self.facts[fact] = {
            "question": question,
            "observed": observed,
            "conclusion": conclusion,
            "settled": settled,
            "use": use,
        }

    def step(self, fact: str, question: str, fn: Callable[[], None]) -> None:
        """Run one fact's gathering; a failure is recorded as that fact, the rest go on."""
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - a probe records what failed and goes on
            text = exc.message if isinstance(exc, Sage100Error) else f"{type(exc).__name__}: {exc}"
            self.add(
                fact,
                question,
                {"error": text},
                f"could not be established: {text}",
                settled=False,
            )

    def role_of(self, role: str) -> Guarded | None:
        return self.objects.get(role)

    def need(self, role: str) -> Guarded:
        """The object accepted for `role`; a fact that needs one fails without it."""
        obj = self.objects.get(role)
        if obj is None:
            raise ValueError(f"no object was accepted for {role}")
        return obj


def run_probe(
    settings: BoiSettings,
    factory: ScriptFactory,
    *,
    clock: Clock | None = None,
    pair: str = "",
    mode: str = "boi",
    mask: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Every fact, as one JSON-able dict. The password is never put in; every value in
    `mask` (the caller passes the password when it is a real secret) is masked anyway."""
    clock = clock or SystemClock()
    header: dict[str, Any] = {
        "probe_version": PROBE_VERSION,
        "created_at": clock.now().astimezone(UTC).isoformat(),
        "ml_connector_version": __version__,
        "pair": pair,
        "mode": mode,
        "company": settings.company,
        "sage_user": settings.user,
        "home": settings.home,
        "platform": {
            "system": sys.platform,
            "python": platform.python_version(),
            "python_bits": struct.calcsize("P") * 8,
        },
    }

    def job(script: Guarded) -> dict[str, dict[str, Any]]:
        probe = Probe(RawBoi(script, settings, clock))
        try:
            gather(probe)
        finally:
            probe.raw.close()
        return probe.facts

    try:
        facts = on_boi_thread(factory, job, settings.call_timeout_seconds)
    except (Sage100Error, TimeoutError) as exc:
        if isinstance(exc, Sage100Error):
            why = exc.message + (f" ({exc.hint})" if exc.hint else "")
        else:
            why = f"Sage did not answer within {settings.call_timeout_seconds:g} s"
        facts = {
            "session": {
                "question": "Can the probe log on to the company?",
                "observed": {"error": why},
                "conclusion": f"no: {why}",
                "settled": False,
                "use": None,
            }
        }
    report = {
        **header,
        "facts": facts,
        "conclusions": {k: f["use"] for k, f in facts.items() if f["settled"]},
    }
    for secret in mask:
        report = scrub(report, secret)
    return report


def scrub(value: Any, secret: str) -> Any:
    """`value` with `secret` masked in every string (defence in depth: it is never put in)."""
    if not secret:
        return value
    if isinstance(value, str):
        return value.replace(secret, "***")
    if isinstance(value, dict):
        return {scrub(k, secret): scrub(v, secret) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v, secret) for v in value]
    return value


def gather(probe: Probe) -> None:
    """Every fact, in order; each one that fails is recorded and the next is tried."""
    from ml_connector.sage100 import probe_keys, probe_whole_key  # the second half
    from ml_connector.sage100.probe_columns import column_roles, columns

    raw = probe.raw
    raw.open()
    session = raw.require()
    probe.add(
        "session",
        "Can the probe log on to the company?",
        {"user": _prop(session, "sUserCode"), "company": _prop(session, "sCompanyCode")},
        f"logged on as {raw.settings.user} to company {raw.settings.company} with nSetUser",
        use=True,
    )
    probe.step("objects", "Which object names does NewObject accept?", lambda: _objects(probe))
    probe.add(
        "tasks",
        "Which tasks does nLookupTask know?",
        {t: repr(v) for t, v in raw.tasks.items()},
        "tasks found: " + (", ".join(t for t, v in raw.tasks.items() if v) or "none"),
        use=sorted(t for t, v in raw.tasks.items() if v),
    )
    probe.step("module_date", "What module date does Sage hold?", lambda: _module_date(probe))
    probe.step("data_sources", "Data sources and columns of each object", lambda: columns(probe))
    probe.step("columns", "Which candidate column names exist?", lambda: column_roles(probe))
    probe_keys.gather_keys(probe)
    probe.step("whole_key", probe_whole_key.QUESTION, lambda: probe_whole_key.whole_key(probe))


def _prop(obj: Guarded, name: str) -> str:
    try:
        value = getattr(obj, name)
    except ComCallError as exc:
        return f"(not available: {exc.message[:120]})"
    return "" if value is None else str(value).strip()


def configured_first(
    settings: BoiSettings, role: str, built_in: tuple[str, ...]
) -> tuple[str, ...]:
    """The names the pair's settings give for `role` (object names in `settings.names`, when
    this adapter has them; a column in `settings.columns`), then the probe's own, once each."""
    given: Any = getattr(getattr(settings, "names", None), role, None)
    if given is None:
        given = getattr(settings.columns, role, None)
    first = (given,) if isinstance(given, str) else tuple(given or ())
    return tuple(dict.fromkeys((*first, *built_in)))


def _objects(probe: Probe) -> None:
    observed: dict[str, dict[str, str]] = {}
    for role, (candidates, module, task, _table) in OBJECT_ROLES.items():
        tried: dict[str, str] = {}
        for name in configured_first(probe.raw.settings, role, candidates):
            obj, why = probe.raw.try_object(name, module, task)
            tried[name] = "accepted" if obj is not None else f"refused: {why}"
            if obj is not None and role not in probe.objects:
                probe.objects[role], probe.names[role] = obj, name
        observed[role] = tried
    entry = probe.objects.get("invoice_entry")
    if entry is not None:
        try:
            lines = entry.oLines
        except ComCallError as exc:
            observed[LINES_ROLE] = {"AP_Invoice_bus.oLines": f"refused: {exc.message}"}
        else:
            probe.objects[LINES_ROLE], probe.names[LINES_ROLE] = lines, "AP_Invoice_bus.oLines"
            observed[LINES_ROLE] = {"AP_Invoice_bus.oLines": "accepted"}
    missing = [r for r in (*OBJECT_ROLES, LINES_ROLE) if r not in probe.names]
    conclusion = "use " + ", ".join(f"{r}={n}" for r, n in probe.names.items())
    if missing:
        conclusion += "; no object accepted for " + ", ".join(missing)
    probe.add(
        "objects",
        "Which object names does NewObject accept?",
        observed,
        conclusion,
        use={role: probe.names.get(role) for role in (*OBJECT_ROLES, LINES_ROLE)},
    )


def _module_date(probe: Probe) -> None:
    session = probe.raw.require()
    held = _prop(session, "sModuleDate")
    probe.add(
        "module_date",
        "What module date does Sage hold after nSetDate?",
        {"asked": probe.raw.module_date, "sModuleDate": held},
        f"nSetDate({probe.raw.module_date}) was accepted; Sage holds {held or '(no value)'}",
        use=held or probe.raw.module_date,
    )
