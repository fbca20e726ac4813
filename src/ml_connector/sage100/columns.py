"""Column names checked against what the live system reports (`sGetColumns`).

Public references leave some names open (the header amount `InvoiceAmt`, the line amount
`DistributionAmt`, ...). `BoiSettings.columns` holds the names to use; each is looked up in
what its object reports, and when it is missing a known alternative that is present is used
instead (and reported). ProvideX reads an unknown column as "" or 0, so a column the
adapter cannot do without (the amounts and the line's AccountKey) that the object does not
report is a setup error, not a guess; the others are kept with a warning.
"""

from __future__ import annotations

import structlog

from ml_connector.sage100.errors import SageLoginError
from ml_connector.sage100.settings import BoiColumns

log = structlog.get_logger(__name__)

# field of BoiColumns -> (object role, alternatives in order of likelihood)
_CANDIDATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "invoice_amount": ("entry", ("InvoiceAmt", "InvoiceAmount", "InvoiceTotal")),
    "invoice_comment": ("entry", ("Comment", "InvoiceComment")),
    "invoice_due_date": ("entry", ("InvoiceDueDate", "DueDate")),
    "open_invoice_amount": ("open", ("InvoiceAmt", "InvoiceAmount")),
    "history_invoice_amount": ("history", ("InvoiceAmt", "InvoiceAmount")),
    "line_amount": ("lines", ("DistributionAmt", "DistributionAmount", "Amount", "ExtensionAmt")),
    "line_account": ("lines", ("AccountKey",)),
    "line_comment": ("lines", ("CommentText", "Comment")),
    "vendor_status": ("vendors", ("VendorStatus", "Status")),
    "vendor_email": ("vendors", ("EmailAddress", "EMailAddress")),
}
# without these the adapter writes or compares wrong amounts or accounts
_ESSENTIAL = {
    "invoice_amount",
    "open_invoice_amount",
    "history_invoice_amount",
    "line_amount",
    "line_account",
}


def choose_columns(
    configured: BoiColumns, available: dict[str, set[str]]
) -> tuple[BoiColumns, list[tuple[str, str]]]:
    """Pick each column from what each object reports. Pure; `available` maps object role
    (entry, lines, open, history, vendors) -> bare names reported ("" set: not reported)."""
    updates: dict[str, str] = {}
    notes: list[tuple[str, str]] = []
    for name, (source, alternatives) in _CANDIDATES.items():
        names = available.get(source)
        current = str(getattr(configured, name))
        if not names or current in names:
            continue
        found = next((a for a in alternatives if a in names), None)
        if found is None:
            if name in _ESSENTIAL:
                tried = ", ".join(dict.fromkeys((current, *alternatives)))
                raise SageLoginError(
                    f"the {source} object reports none of the columns tried for {name} "
                    f"(tried: {tried})",
                    operation="resolve_names",
                    hint=f"Set columns.{name} in the Sage settings to the column this Sage "
                    "version uses (`ml-connector sage probe` lists the columns of each object).",
                )
            notes.append((f"column {name}", f"{current} not reported by {source}; kept"))
            log.warning("sage_column_unconfirmed", field=name, column=current, source=source)
            continue
        updates[name] = found
        notes.append((f"column {name}", f"{found} (from {source}; {current} is not there)"))
        log.info("sage_column_discovered", field=name, column=found, source=source)
    return configured.model_copy(update=updates), notes
