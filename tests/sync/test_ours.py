"""Recognising our own invoice in Sage after a crash (and never someone else's)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ml_connector.sage100.port import (
    ApInvoiceKey,
    DivisionNo,
    ExistingInvoice,
    SageInvoiceNo,
    SageVendorNo,
)
from ml_connector.store.port import DocKind, LedgerEntry, LedgerStatus, PairId, SageKeyRef
from ml_connector.sync.documents.ours import WRITING, header_comment, is_ours
from ml_connector.sync.documents.source import SourceDocument

KEY = ApInvoiceKey(DivisionNo("00"), SageVendorNo("FERGUS"), SageInvoiceNo("INV-1"))


def doc(doc_id: int) -> SourceDocument:
    return SourceDocument(
        kind=DocKind.AP_BILL,
        doc_id=doc_id,
        stream="s",
        reference="INV-1",
        total=Decimal("10.00"),
        lines=(),
        document_date=date(2026, 1, 2),
    )


def intent(last_error: str = "intent", amount: str = "10.00") -> LedgerEntry:
    return LedgerEntry(
        pair=PairId("main"),
        kind=DocKind.AP_BILL,
        doc_id=12,
        fingerprint="v1:x",
        status=LedgerStatus.INTENT,
        sage_key=SageKeyRef("00", "FERGUS", "INV-1"),
        amount=Decimal(amount),
        last_error=last_error,
    )


def found(comment: str, amount: str = "10.00") -> ExistingInvoice:
    return ExistingInvoice(KEY, "entry", date(2026, 1, 2), Decimal(amount), comment=comment)


def test_our_marker_identifies_the_document_exactly() -> None:
    assert header_comment(doc(12)) == "ST bill 12 INV-1"
    assert is_ours(found("ST bill 12 INV-1"), intent(), doc(12))
    assert not is_ours(found("ST bill 123 INV-1"), intent(), doc(12))  # not a prefix match
    assert not is_ours(found("keyed by hand"), intent(WRITING), doc(12))


def test_without_a_comment_only_a_started_write_counts() -> None:
    assert is_ours(found(""), intent(WRITING), doc(12))
    assert not is_ours(found(""), intent("intent"), doc(12))


def test_another_amount_or_no_intent_is_never_ours() -> None:
    assert not is_ours(found("ST bill 12 INV-1", "11.00"), intent(WRITING), doc(12))
    assert not is_ours(found("ST bill 12 INV-1"), None, doc(12))
