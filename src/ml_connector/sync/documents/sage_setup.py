"""What the Sage vendor's own setup says about writing a document to A/P Invoice Data Entry.

Two setups send a document to review (`ReviewKind.SAGE_VENDOR_SETUP`) before anything is
mapped or written, each with a reason naming the document and the vendor:

- the vendor uses P/O Receipt of Invoice Entry: Sage expects its invoices there, matched to
  the purchase order (an A/P invoice would leave the PO open or backordered);
- the vendor has a tax schedule that is not listed as non-taxing
  (`SyncSettings.non_taxing_tax_schedules`): Sage would compute sales tax on the lines on
  top of the tax ServiceTitan already charged, and the invoice would not balance.
"""

from __future__ import annotations

from ml_connector.sage100.port import DivisionNo, SageVendor, SageVendorNo
from ml_connector.store.port import ReviewKind
from ml_connector.sync.context import CycleContext
from ml_connector.sync.documents.resolve import ResolvedVendor, VendorReview
from ml_connector.sync.documents.source import SourceDocument


def sage_vendor(ctx: CycleContext, vendor: ResolvedVendor) -> SageVendor | None:
    """The resolved vendor's Sage record: from the cycle's vendor list, else read."""
    for v in ctx.sage_vendors():
        if v.division_no == vendor.division_no and v.vendor_no == vendor.vendor_no:
            return v
    return ctx.sage.vendor(DivisionNo(vendor.division_no), SageVendorNo(vendor.vendor_no))


def setup_review(
    ctx: CycleContext, doc: SourceDocument, vendor: ResolvedVendor
) -> VendorReview | None:
    """A review when the Sage vendor's setup forbids this write, else None."""
    record = sage_vendor(ctx, vendor)
    if record is None:
        return None  # a vendor just created, or gone: the write path says what is wrong
    who = f"Sage vendor {vendor.label} ({record.name})"
    details = {"vendor": vendor.label, "tax_schedule": record.tax_schedule}
    if record.receipt_of_invoice:
        po = (
            " (a bill against a ServiceTitan purchase order)"
            if doc.bill_type == "Procurement"
            else ""
        )
        return VendorReview(
            ReviewKind.SAGE_VENDOR_SETUP,
            f"{doc.label}{po}: {who} uses P/O Receipt of Invoice Entry, so its invoices belong "
            "in Purchase Order Receipt of Invoice, matched to the purchase order, not in "
            "A/P Invoice Data Entry; not written",
            "enter the invoice in P/O Receipt of Invoice Entry and ignore this item, or clear "
            "the vendor's Receipt of Invoice option in Sage and resolve this item",
            {**details, "receipt_of_invoice": True},
        )
    schedule = record.tax_schedule.strip().upper()
    allowed = {s.strip().upper() for s in ctx.settings.non_taxing_tax_schedules}
    if schedule and schedule not in allowed:
        return VendorReview(
            ReviewKind.SAGE_VENDOR_SETUP,
            f"{doc.label}: {who} has tax schedule {schedule}; Sage would compute sales tax "
            "on the invoice lines on top of the tax ServiceTitan already charged, and the "
            "invoice would not balance; not written",
            f"clear the vendor's tax schedule in Sage (or, if schedule {schedule} computes no "
            "tax, list it under non_taxing_tax_schedules), then resolve this item",
            details,
        )
    return None
