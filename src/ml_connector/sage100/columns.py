"""Column names checked against the live system (`sGetColumns`) once per process.

Public references leave some names open (the header amount `InvoiceAmt`, the line amount
`DistributionAmt`, ...). `BoiSettings.columns` holds the names to use; with
`discover_columns` on, each is looked up in what the business object reports, and when it
is missing a known alternative that is present is used instead (and reported as a check).
"""

from __future__ import annotations

from typing import Any

import structlog

from ml_connector.sage100.boi_session import BoiSession
from ml_connector.sage100.resultsets import RECORD_SEP
from ml_connector.sage100.settings import BoiColumns

log = structlog.get_logger(__name__)

# field of BoiColumns -> (object, alternatives in order of likelihood)
_CANDIDATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "invoice_amount": ("AP_Invoice_bus", ("InvoiceAmt", "InvoiceAmount", "InvoiceTotal")),
    "invoice_comment": ("AP_Invoice_bus", ("Comment", "InvoiceComment")),
    "invoice_due_date": ("AP_Invoice_bus", ("InvoiceDueDate", "DueDate")),
    "open_invoice_amount": ("AP_OpenInvoice_svc", ("InvoiceAmt", "InvoiceAmount")),
    "history_invoice_amount": ("AP_InvoiceHistoryHeader_svc", ("InvoiceAmt", "InvoiceAmount")),
    "line_amount": ("lines", ("DistributionAmt", "DistributionAmount", "Amount", "ExtensionAmt")),
    "line_account": ("lines", ("AccountKey",)),
    "line_comment": ("lines", ("CommentText", "Comment")),
    "vendor_status": ("AP_Vendor_svc", ("VendorStatus", "Status")),
    "vendor_email": ("AP_Vendor_svc", ("EmailAddress", "EMailAddress")),
}


def column_names(raw: object) -> set[str]:
    """`sGetColumns` output (chr(138)-separated, `$` on strings) as bare names."""
    text = "" if raw is None else str(raw)
    return {n.strip().removesuffix("$") for n in text.split(RECORD_SEP) if n.strip()}


def choose(
    configured: BoiColumns, available: dict[str, set[str]]
) -> tuple[BoiColumns, list[tuple[str, str]]]:
    """Pick each column from what each object reports. Pure; `available` maps object -> names."""
    updates: dict[str, str] = {}
    notes: list[tuple[str, str]] = []
    for field, (source, alternatives) in _CANDIDATES.items():
        names = available.get(source)
        current = str(getattr(configured, field))
        if not names or current in names:
            continue
        found = next((a for a in alternatives if a in names), None)
        if found is None:
            notes.append((f"column {field}", f"{current} not reported by {source}; kept"))
            log.warning("sage_column_unconfirmed", field=field, column=current, source=source)
            continue
        updates[field] = found
        notes.append((f"column {field}", f"{found} (from {source}; {current} is not there)"))
        log.info("sage_column_discovered", field=field, column=found, source=source)
    return configured.model_copy(update=updates), notes


def discover_columns(s: BoiSession) -> tuple[BoiColumns, list[tuple[str, str]]]:
    """Ask each object for its columns, then `choose`."""
    available: dict[str, set[str]] = {}
    for source in {src for src, _ in _CANDIDATES.values()}:
        obj: Any = s.obj("AP_Invoice_bus").oLines if source == "lines" else s.obj(source)
        available[source] = column_names(obj.sGetColumns())
    return choose(s.settings.columns, available)
