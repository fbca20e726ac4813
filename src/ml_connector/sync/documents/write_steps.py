"""The steps of the exactly-once write (DESIGN §5), each small and on its own; `writer`
runs them top to bottom.

choose_key -> (recover) -> look_before_write -> check_duplicates -> record_intent ->
write_to_sage -> record_written; the decisions that end the path without a write are
recorded by `record_already` and the review helpers of the context.

Every ledger change goes through `state.put`, which refuses a transition the state table
does not hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ml_connector.sage100.errors import InvoiceExistsError
from ml_connector.sage100.port import (
    ApInvoiceKey,
    BeforeWrite,
    DivisionNo,
    ExistingInvoice,
    NewApInvoice,
    SageInvoiceNo,
    SageVendorNo,
    WrittenInvoice,
)
from ml_connector.store.port import (
    LedgerEntry,
    LedgerStatus,
    ReviewKind,
    ReviewStatus,
    SageKeyRef,
)
from ml_connector.sync import state
from ml_connector.sync.context import CycleContext
from ml_connector.sync.documents.duplicates import SuspectedDuplicate, suspected_duplicates
from ml_connector.sync.documents.invoice_no import assign_invoice_no, canonical_reference
from ml_connector.sync.documents.lines import Distribution
from ml_connector.sync.documents.ours import header_comment, key_ref
from ml_connector.sync.documents.outbox import enqueue_export
from ml_connector.sync.documents.resolve import ResolvedVendor
from ml_connector.sync.documents.source import SourceDocument
from ml_connector.sync.state import WRITING


@dataclass(frozen=True, slots=True)
class Holder:
    """Another document of the same vendor that holds an invoice number."""

    canonical: str
    label: str
    amount: Decimal | None


@dataclass(frozen=True, slots=True)
class KeyChoice:
    """The Sage key for a document, and who else holds its invoice number (if anyone)."""

    key: ApInvoiceKey
    same_reference_holder: Holder | None  # another document with the same reference

    @property
    def invoice_no(self) -> str:
        return self.key.invoice_no


# --- 1. choose the key -------------------------------------------------------------------


def holder(
    ctx: CycleContext, doc: SourceDocument, vendor: ResolvedVendor, invoice_no: str
) -> Holder | None:
    """The other document (ledger, or this dry run's claims) holding the invoice number."""
    claim = ctx.dry_claims.get((vendor.division_no, vendor.vendor_no, invoice_no))
    if claim is not None and (claim[0], claim[1]) != (doc.kind, doc.doc_id):
        return Holder(canonical_reference(claim[2]), f"{claim[0]} {claim[1]}", claim[3])
    with ctx.store.transaction() as tx:
        other = tx.find_ledger_by_sage_key(
            ctx.pair, SageKeyRef(vendor.division_no, vendor.vendor_no, invoice_no)
        )
    if other is None or (other.kind, other.doc_id) == (doc.kind, doc.doc_id):
        return None
    return Holder(
        canonical_reference(other.reference), f"{other.kind} {other.doc_id}", other.amount
    )


def choose_key(ctx: CycleContext, doc: SourceDocument, vendor: ResolvedVendor) -> KeyChoice:
    """The invoice number (`invoice_no`): a number another document of the vendor holds
    with a different reference is passed over; one held with the same reference is kept
    and its holder reported (the same invoice, or a person decides)."""
    holders: dict[str, Holder | None] = {}

    def held_by(candidate: str) -> str | None:
        holders[candidate] = found = holder(ctx, doc, vendor, candidate)
        return None if found is None else found.canonical

    invoice_no = assign_invoice_no(doc.reference, doc.doc_id, held_by)
    key = ApInvoiceKey(
        DivisionNo(vendor.division_no), SageVendorNo(vendor.vendor_no), SageInvoiceNo(invoice_no)
    )
    return KeyChoice(key, holders.get(invoice_no))


def claim_key(ctx: CycleContext, doc: SourceDocument, key: ApInvoiceKey) -> None:
    """A dry run writes nothing to the ledger: it remembers the key it would take, so that
    the documents after it in the run find it held (`holder`)."""
    ctx.dry_claims[(key.division_no, key.vendor_no, key.invoice_no)] = (
        doc.kind,
        doc.doc_id,
        doc.reference,
        doc.total,
    )


# --- 3. look up Sage ---------------------------------------------------------------------


def look_up_sage(ctx: CycleContext, key: ApInvoiceKey) -> ExistingInvoice | None:
    """The invoice under exactly this key in entry, open or history (entry first), as
    looked up before a first write (`Sage100.find_invoice_to_write`)."""
    found = ctx.sage.find_invoice_to_write(key)
    return found[0] if found else None


def look_before_write(
    ctx: CycleContext, doc: SourceDocument, key: ApInvoiceKey, amount: Decimal
) -> BeforeWrite:
    """Steps 3 and 4 ask Sage together (`Sage100.look_before_write`): the invoice under
    exactly this key (`under_key`, entry first), and the invoices sharing a key with the
    bill's reference that the duplicate policy weighs."""
    return ctx.sage.look_before_write(key, doc.reference, amount)


# --- 4. check duplicates -----------------------------------------------------------------


def duplicate_waived(ctx: CycleContext, doc: SourceDocument, fp: str) -> bool:
    """A person resolved a suspected-duplicate review of this revision: write it."""
    with ctx.store.transaction() as tx:
        resolved = tx.list_reviews(ctx.pair, ReviewStatus.RESOLVED)
    return any(
        r.kind is ReviewKind.SUSPECTED_DUPLICATE
        and r.doc_kind == doc.kind
        and r.doc_id == doc.doc_id
        and r.details.get("fingerprint") == fp
        for r in resolved
    )


def check_duplicates(
    ctx: CycleContext,
    doc: SourceDocument,
    fp: str,
    key: ApInvoiceKey,
    amount: Decimal,
    looked: BeforeWrite,
) -> list[SuspectedDuplicate]:
    """The duplicate policy (`duplicates`): the same invoice keyed by hand in another form
    under another key, unless a person resolved that review for this revision (then none)."""
    dups = suspected_duplicates(looked, doc.reference, amount, key)
    if dups and duplicate_waived(ctx, doc, fp):
        return []
    return dups


# --- 5. write: the intent, then Sage ----------------------------------------------------


def record_intent(
    ctx: CycleContext, doc: SourceDocument, fp: str, prior: LedgerEntry | None, key: ApInvoiceKey
) -> None:
    """INTENT with the Sage key and the "writing" mark, one attempt more: `create_invoice`
    is about to be called for `key`, and the caller commits this before it is (DESIGN §5:
    the intent is durable before Sage is written). Nothing earlier in the write path
    writes the ledger: the lookups only read, and a document that ends before the write
    records its own outcome in its place."""
    with ctx.store.transaction() as tx:
        state.put(tx, _attempt(ctx, doc, fp, prior, key, LedgerStatus.INTENT, WRITING))


def _attempt(
    ctx: CycleContext,
    doc: SourceDocument,
    fp: str,
    prior: LedgerEntry | None,
    key: ApInvoiceKey,
    status: LedgerStatus,
    last_error: str = "",
    written_fingerprint: str | None = None,
) -> LedgerEntry:
    """The entry of this write attempt: under `key`, one attempt more than `prior` (the
    intent counts it; its outcome keeps the count)."""
    return ctx.entry(
        doc,
        fp,
        status,
        prior=prior,
        sage_key=key_ref(key),
        last_error=last_error,
        attempts=(prior.attempts if prior else 0) + 1,
        written_fingerprint=written_fingerprint,
    )


def new_invoice(
    ctx: CycleContext, doc: SourceDocument, key: ApInvoiceKey, amount: Decimal, dist: Distribution
) -> NewApInvoice:
    return NewApInvoice(
        key=key,
        invoice_date=doc.document_date or ctx.clock.now().date(),
        amount=amount,
        lines=dist.lines,
        due_date=doc.due_date,
        comment=header_comment(doc),
        hold_payment=doc.hold_payment,
        batch_no=ctx.batch_no(),
        sales_tax=dist.sales_tax,
        freight=dist.freight,
    )


def write_to_sage(ctx: CycleContext, invoice: NewApInvoice) -> WrittenInvoice | InvoiceExistsError:
    """`create_invoice` (a new key only: never an adjustment). An invoice that appeared
    under the key just before the write comes back as the error, for `record_already`."""
    try:
        return ctx.sage.create_invoice(invoice)
    except InvoiceExistsError as exc:
        return exc


# --- 6. record the outcome ---------------------------------------------------------------


def record_written(
    ctx: CycleContext,
    doc: SourceDocument,
    fp: str,
    prior: LedgerEntry | None,
    vendor: ResolvedVendor,
    dist: Distribution,
    written: WrittenInvoice,
) -> None:
    """WRITTEN with the Sage key, the audit event and the mark-as-exported outbox item, in
    one transaction."""
    key, amount = written.key, written.amount
    label = str(key)
    with ctx.store.transaction() as tx:
        state.put(
            tx, _attempt(ctx, doc, fp, prior, key, LedgerStatus.WRITTEN, written_fingerprint=fp)
        )
        ctx.audit(
            tx,
            "written",
            f"{doc.label} written to Sage as {label} for {amount}"
            + (f" in batch {written.batch_no}" if written.batch_no else "")
            + (" (on hold)" if doc.hold_payment else ""),
            doc=doc,
            details={
                "sage_key": label,
                "invoice_no": key.invoice_no,
                "amount": str(amount),
                "lines": written.line_count,
                "batch_no": written.batch_no,
                "vendor_how": vendor.how,
                "gl": list(dist.rules),
                "header_sales_tax": str(dist.sales_tax),
                "header_freight": str(dist.freight),
                "fingerprint": fp,
            },
        )
        if dist.fallback_used:
            ctx.audit(
                tx,
                "gl_fallback_used",
                f"{doc.label}: line(s) {', '.join(dist.fallback_used)} put on the fallback account",
                doc=doc,
                details={"lines": list(dist.fallback_used)},
            )
        enqueue_export(ctx, tx, doc, label)


def record_recovered(
    ctx: CycleContext,
    doc: SourceDocument,
    prior: LedgerEntry,
    found: ExistingInvoice,
    *,
    verified: str = "",
) -> None:
    """An earlier attempt's write found in Sage: WRITTEN (the revision that was sent), with
    the audit event and the outbox item. `verified`: what a later read-back compared, for a
    write whose read-back right after `nWrite` failed."""
    label = str(found.key)
    if verified:
        message = (
            f"{doc.label} written to Sage as {label} ({found.where}) by an earlier attempt "
            f"whose read-back failed; verified later ({verified}): recorded as written"
        )
    else:
        message = (
            f"{doc.label} found in Sage as {label} ({found.where}) from an earlier attempt "
            "whose ledger commit was lost: recorded as written, not written again"
        )
    with ctx.store.transaction() as tx:
        state.put(
            tx,
            ctx.entry(
                doc,
                prior.fingerprint,
                LedgerStatus.WRITTEN,
                prior=prior,
                sage_key=key_ref(found.key),
                written_fingerprint=prior.fingerprint,
            ),
        )
        details: dict[str, object] = {
            "sage_key": label,
            "recovered": True,
            "amount": str(found.amount),
        }
        if verified:
            details["verified_later"] = verified
        ctx.audit(tx, "written", message, doc=doc, details=details)
        enqueue_export(ctx, tx, doc, label)


def record_already(
    ctx: CycleContext,
    doc: SourceDocument,
    fp: str,
    prior: LedgerEntry | None,
    key: ApInvoiceKey | None,
    found: ExistingInvoice | None,
    reason: str,
) -> None:
    """ALREADY_IN_SAGE with the audit event (nothing in a dry run)."""
    if ctx.dry_run:
        return
    with ctx.store.transaction() as tx:
        state.put(
            tx,
            ctx.entry(
                doc,
                fp,
                LedgerStatus.ALREADY_IN_SAGE,
                prior=prior,
                sage_key=key_ref(key) if key else None,
                last_error=reason[:500],
            ),
        )
        ctx.audit(
            tx,
            "already_in_sage",
            reason,
            doc=doc,
            details={
                "sage_key": str(key) if key else "",
                "where": found.where if found else "",
                "sage_amount": str(found.amount) if found else "",
                "amount": str(doc.total),
            },
        )
