"""How the engine recognises its own invoices in Sage.

The header comment of every invoice we write starts with a marker unique to the source
document ("ST bill 123", then the reference). After a crash between the Sage write and the
ledger commit, an invoice found under the key of this document's INTENT, with the intended
amount and our marker, is ours: it is recorded as written, never written again. Should the
comment come back empty, the "writing" mark committed just before the write decides.
"""

from __future__ import annotations

from ml_connector.sage100.port import (
    COMMENT_LEN,
    ApInvoiceKey,
    DivisionNo,
    ExistingInvoice,
    SageInvoiceNo,
    SageVendorNo,
)
from ml_connector.store.port import LedgerEntry, SageKeyRef
from ml_connector.sync.documents.source import SourceDocument
from ml_connector.sync.state import RECOVERABLE, WRITING

__all__ = ["RECOVERABLE", "WRITING", "header_comment", "is_ours", "key_ref", "marker", "to_key"]


def marker(doc: SourceDocument) -> str:
    """The start of our header comment, unique to the document: 'ST bill 123'."""
    return f"ST {'bill' if doc.kind.value == 'ap_bill' else 'inv'} {doc.doc_id}"


def header_comment(doc: SourceDocument) -> str:
    ref = f" {doc.reference}" if doc.reference else ""
    return f"{marker(doc)}{ref}"[:COMMENT_LEN]


def key_ref(key: ApInvoiceKey) -> SageKeyRef:
    return SageKeyRef(key.division_no, key.vendor_no, key.invoice_no)


def to_key(ref: SageKeyRef) -> ApInvoiceKey:
    return ApInvoiceKey(
        DivisionNo(ref.division_no), SageVendorNo(ref.vendor_no), SageInvoiceNo(ref.invoice_no)
    )


def is_ours(existing: ExistingInvoice, prior: LedgerEntry | None, doc: SourceDocument) -> bool:
    """Sage holds what an earlier attempt of ours wrote (its ledger commit was lost)."""
    if prior is None or prior.status not in RECOVERABLE or prior.sage_key is None:
        return False
    if key_ref(existing.key) != prior.sage_key or existing.amount != prior.amount:
        return False
    if existing.comment:
        mark = marker(doc)
        return existing.comment == mark or existing.comment.startswith(mark + " ")
    return prior.last_error == WRITING
