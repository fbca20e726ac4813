"""A document edited (or canceled) in ServiceTitan after it was written to Sage.

It is never written again. The ledger keeps it WRITTEN with the fingerprint that reached
Sage and notes the new revision in `last_error`; a CHANGED_AFTER_EXPORT review item says
what changed so that a person can adjust Sage by hand. The audit event is recorded once per
new revision, however often the document is re-read.
"""

from __future__ import annotations

from dataclasses import replace

from ml_connector.store.port import LedgerEntry, ReviewItem, ReviewKind
from ml_connector.sync import state
from ml_connector.sync.context import CycleContext, jsonable
from ml_connector.sync.documents.source import SourceDocument
from ml_connector.sync.summary import Outcome

NOTE = "changed after export: "


def changed_after_export(
    ctx: CycleContext, doc: SourceDocument, fp: str, entry: LedgerEntry
) -> Outcome:
    key = entry.sage_key
    label = f"{key.division_no}-{key.vendor_no} invoice {key.invoice_no}" if key else "Sage"
    what = (
        "was canceled in ServiceTitan"
        if doc.canceled
        else f"changed in ServiceTitan (amount now {doc.total}, was {entry.amount})"
        if doc.total != entry.amount
        else "changed in ServiceTitan (lines, accounts, dates or hold flag)"
    )
    reason = f"{doc.label} {what} after it was written to Sage as {label}"
    vendor = f"{key.division_no}-{key.vendor_no}" if key else ""
    invoice_no = key.invoice_no if key else ""
    if entry.last_error == NOTE + fp:
        # already reported for this revision: still waiting for a person
        ctx.count("unchanged")
        return Outcome.CHANGED_AFTER_EXPORT
    if not ctx.dry_run:
        details = {
            "fingerprint": fp,
            "written_fingerprint": entry.written_fingerprint or entry.fingerprint,
            "sage_key": label,
            "written_amount": entry.amount,
            "amount_now": doc.total,
            "canceled": doc.canceled,
        }
        with ctx.store.transaction() as tx:
            state.put(tx, replace(entry, last_error=NOTE + fp, updated_at=ctx.clock.now()))
            review_id = tx.add_review(
                ReviewItem(
                    pair=ctx.pair,
                    kind=ReviewKind.CHANGED_AFTER_EXPORT,
                    doc_kind=doc.kind,
                    doc_id=doc.doc_id,
                    reason=reason,
                    suggestion=(
                        "void or adjust the invoice in Sage by hand, then resolve this item "
                        "(the new revision is accepted; nothing is written again)"
                    ),
                    details=jsonable(details),
                    created_at=ctx.clock.now(),
                )
            )
            ctx.audit(
                tx,
                "changed_after_export",
                reason,
                doc=doc,
                details={"review_id": review_id, **details},
            )
    return ctx.outcome(
        doc, Outcome.CHANGED_AFTER_EXPORT, reason, vendor=vendor, invoice_no=invoice_no
    )
