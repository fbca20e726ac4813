"""The exactly-once write path (DESIGN §5) and the duplicate policy.

Sage 100 has no idempotency keys, so the ledger is ours:

1. Pick the invoice number (`invoice_no`), refusing a key another document of the vendor
   holds in the ledger.
2. Recovery: if an earlier attempt left an INTENT for this document and Sage has that key
   with the intended amount and our marker (or an empty comment after a write was started),
   it is ours: the write happened and its ledger commit was lost -> WRITTEN.
3. Record an INTENT (document, fingerprint, target key, amount) and commit.
4. Look the key up in Sage (entry, open, history): found and not ours -> ALREADY_IN_SAGE.
5. The duplicate policy (`duplicates`): the same reference in another form under the same
   vendor, or the same amount with the reference in another or a re-keyed form under any
   vendor -> SUSPECTED_DUPLICATE (review, not written), unless a person resolved that
   review for this revision.
6. Mark the intent "writing" and commit, then `create_invoice` (which refuses anything but
   a new key: never an adjustment).
7. WRITTEN with the Sage key, the audit event and the mark-as-exported outbox item in one
   transaction.

The header comment starts with our marker ("ST bill 123 ...") and the line comments carry
the full reference and job number.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ml_connector.sage100.errors import InvoiceExistsError
from ml_connector.sage100.port import (
    ApInvoiceKey,
    DivisionNo,
    ExistingInvoice,
    NewApInvoice,
    SageInvoiceNo,
    SageVendorNo,
)
from ml_connector.store.port import (
    LedgerEntry,
    LedgerStatus,
    ReviewKind,
    ReviewStatus,
    SageKeyRef,
)
from ml_connector.sync.context import CycleContext
from ml_connector.sync.documents.changes import changed_after_export
from ml_connector.sync.documents.duplicates import suspected_duplicates
from ml_connector.sync.documents.invoice_no import assign_invoice_no, canonical_reference
from ml_connector.sync.documents.lines import Distribution
from ml_connector.sync.documents.ours import (
    RECOVERABLE,
    WRITING,
    header_comment,
    is_ours,
    key_ref,
    to_key,
)
from ml_connector.sync.documents.outbox import enqueue_export
from ml_connector.sync.documents.resolve import ResolvedVendor
from ml_connector.sync.documents.source import SourceDocument
from ml_connector.sync.summary import Outcome


@dataclass(frozen=True, slots=True)
class _Holder:
    canonical: str
    label: str
    amount: Decimal | None


class InvoiceWriter:
    def __init__(self, ctx: CycleContext) -> None:
        self._ctx = ctx

    def _holder(
        self, doc: SourceDocument, vendor: ResolvedVendor, invoice_no: str
    ) -> _Holder | None:
        ctx = self._ctx
        claim = ctx.dry_claims.get((vendor.division_no, vendor.vendor_no, invoice_no))
        if claim is not None and (claim[0], claim[1]) != (doc.kind, doc.doc_id):
            return _Holder(canonical_reference(claim[2]), f"{claim[0]} {claim[1]}", claim[3])
        with ctx.store.transaction() as tx:
            other = tx.find_ledger_by_sage_key(
                ctx.pair, SageKeyRef(vendor.division_no, vendor.vendor_no, invoice_no)
            )
        if other is None or (other.kind, other.doc_id) == (doc.kind, doc.doc_id):
            return None
        return _Holder(
            canonical_reference(other.reference), f"{other.kind} {other.doc_id}", other.amount
        )

    def recover(self, doc: SourceDocument, fp: str, prior: LedgerEntry) -> Outcome | None:
        """Step 2: an earlier attempt's INTENT (or the REVIEW it went to, keeping its key)
        whose invoice is in Sage and ours -> WRITTEN.

        Runs before anything else is decided about the document (even if it has been
        canceled since: what is in Sage is then reported as changed after export)."""
        if prior.status not in RECOVERABLE or prior.sage_key is None:
            return None
        for earlier in self._ctx.sage.find_invoice(to_key(prior.sage_key)):
            if is_ours(earlier, prior, doc):
                return self._recovered(doc, fp, prior, earlier)
        return None

    def write(
        self,
        doc: SourceDocument,
        fp: str,
        prior: LedgerEntry | None,
        vendor: ResolvedVendor,
        dist: Distribution,
    ) -> Outcome:
        ctx = self._ctx
        sage = ctx.sage
        amount = doc.total
        if amount is None:  # checked by documents.problems before; kept for the type checker
            raise ValueError(f"{doc.label} has no total")

        # 1. the invoice number
        holders: dict[str, _Holder | None] = {}

        def held_by(candidate: str) -> str | None:
            holders[candidate] = self._holder(doc, vendor, candidate)
            h = holders[candidate]
            return None if h is None else h.canonical

        invoice_no = assign_invoice_no(doc.reference, doc.doc_id, held_by)
        key = ApInvoiceKey(
            DivisionNo(vendor.division_no),
            SageVendorNo(vendor.vendor_no),
            SageInvoiceNo(invoice_no),
        )
        label = str(key)
        same_ref_holder = holders.get(invoice_no)

        if same_ref_holder is not None:
            # Another ServiceTitan document of this vendor carries the same invoice number:
            # the same invoice keyed twice when the amounts agree, else a person decides.
            found_any = sage.find_invoice(key)
            if found_any and found_any[0].amount == amount:
                return self._already(
                    doc,
                    fp,
                    prior,
                    None,
                    found_any[0],
                    f"{doc.label}: {label} is already in Sage ({found_any[0].where}, same "
                    f"amount {amount}), written for ServiceTitan {same_ref_holder.label}",
                )
            in_sage = f"; {label} is in Sage for {found_any[0].amount}" if found_any else ""
            return ctx.send_to_review(
                doc,
                fp,
                ReviewKind.SUSPECTED_DUPLICATE,
                f"{doc.label} ({amount}) has the same vendor and invoice number as ServiceTitan "
                f"{same_ref_holder.label} ({same_ref_holder.amount}){in_sage}",
                "if both are real invoices, correct the reference in ServiceTitan (the bill is "
                "then picked up again); otherwise ignore this item",
                prior=prior,
                details={
                    "other_document": same_ref_holder.label,
                    "other_amount": same_ref_holder.amount,
                    "invoice_no": invoice_no,
                    "amount": amount,
                },
                outcome=Outcome.SUSPECTED_DUPLICATE,
                vendor=vendor.label,
                invoice_no=invoice_no,
            )

        # 3. the intent, committed before anything is looked up or written
        if ctx.dry_run:
            ctx.dry_claims[(vendor.division_no, vendor.vendor_no, invoice_no)] = (
                doc.kind,
                doc.doc_id,
                doc.reference,
                amount,
            )
        else:
            with ctx.store.transaction() as tx:
                tx.put_ledger(
                    ctx.entry(
                        doc,
                        fp,
                        LedgerStatus.INTENT,
                        prior=prior,
                        sage_key=key_ref(key),
                        last_error="intent",
                    )
                )

        # 4. the exact key in Sage
        found = sage.find_invoice(key)
        if found:
            return self._already(
                doc,
                fp,
                prior,
                key,
                found[0],
                f"{doc.label}: {label} is already in Sage "
                f"({found[0].where}, amount {found[0].amount}; this bill {amount})",
            )

        # 5. the same invoice keyed by hand in another form (`duplicates`)
        dups = suspected_duplicates(sage, doc.reference, amount, key)
        if dups and not self._duplicate_waived(doc, fp):
            d = dups[0]
            return ctx.send_to_review(
                doc,
                fp,
                ReviewKind.SUSPECTED_DUPLICATE,
                f"{doc.label} ({amount}, reference {doc.reference!r}) looks like {d.invoice.key} "
                f"({d.invoice.where}, amount {d.invoice.amount}) already in Sage: {d.why}",
                "if it is a different invoice, resolve this item to write it; otherwise ignore it",
                prior=prior,
                sage_key=key_ref(key),
                details={
                    "invoice_no": invoice_no,
                    "amount": str(amount),
                    "matches": [x.describe() for x in dups[:5]],
                },
                outcome=Outcome.SUSPECTED_DUPLICATE,
                vendor=vendor.label,
                invoice_no=invoice_no,
            )

        if ctx.dry_run:
            return ctx.outcome(
                doc,
                Outcome.WOULD_WRITE,
                f"would write {label} for {amount}",
                vendor=vendor.label,
                invoice_no=invoice_no,
            )

        # 6. write
        batch_no = ctx.batch_no()
        with ctx.store.transaction() as tx:
            tx.put_ledger(
                ctx.entry(
                    doc,
                    fp,
                    LedgerStatus.INTENT,
                    prior=prior,
                    sage_key=key_ref(key),
                    last_error=WRITING,
                    attempts=(prior.attempts if prior else 0) + 1,
                )
            )
        invoice = NewApInvoice(
            key=key,
            invoice_date=doc.document_date or ctx.clock.now().date(),
            amount=amount,
            lines=dist.lines,
            due_date=doc.due_date,
            comment=header_comment(doc),
            hold_payment=doc.hold_payment,
            batch_no=batch_no,
        )
        try:
            written = sage.create_invoice(invoice)
        except InvoiceExistsError as exc:
            return self._already(
                doc,
                fp,
                prior,
                key,
                None,
                f"{doc.label}: {label} appeared in Sage just before the write "
                f"({exc.where or 'entry'})",
            )

        # 7. done, in one transaction with the audit event and the outbox item
        with ctx.store.transaction() as tx:
            tx.put_ledger(
                ctx.entry(
                    doc,
                    fp,
                    LedgerStatus.WRITTEN,
                    prior=prior,
                    sage_key=key_ref(key),
                    written_fingerprint=fp,
                    attempts=(prior.attempts if prior else 0) + 1,
                )
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
                    "invoice_no": invoice_no,
                    "amount": str(amount),
                    "lines": written.line_count,
                    "batch_no": written.batch_no,
                    "vendor_how": vendor.how,
                    "gl": list(dist.rules),
                    "fingerprint": fp,
                },
            )
            if dist.fallback_used:
                ctx.audit(
                    tx,
                    "gl_fallback_used",
                    f"{doc.label}: line(s) {', '.join(dist.fallback_used)} "
                    "put on the fallback account",
                    doc=doc,
                    details={"lines": list(dist.fallback_used)},
                )
            enqueue_export(ctx, tx, doc, label)
        return ctx.outcome(
            doc,
            Outcome.WRITTEN,
            f"written as {label} for {amount}",
            vendor=vendor.label,
            invoice_no=invoice_no,
        )

    # --- helpers -------------------------------------------------------------------------
    def _duplicate_waived(self, doc: SourceDocument, fp: str) -> bool:
        """A person resolved a suspected-duplicate review of this revision: write it."""
        ctx = self._ctx
        with ctx.store.transaction() as tx:
            resolved = tx.list_reviews(ctx.pair, ReviewStatus.RESOLVED)
        return any(
            r.kind is ReviewKind.SUSPECTED_DUPLICATE
            and r.doc_kind == doc.kind
            and r.doc_id == doc.doc_id
            and r.details.get("fingerprint") == fp
            for r in resolved
        )

    def _recovered(
        self, doc: SourceDocument, fp: str, prior: LedgerEntry, found: ExistingInvoice
    ) -> Outcome:
        ctx = self._ctx
        label = str(found.key)
        if ctx.dry_run:
            return ctx.outcome(
                doc,
                Outcome.RECOVERED,
                f"{label} is in Sage from an earlier attempt",
                vendor=f"{found.key.division_no}-{found.key.vendor_no}",
                invoice_no=found.key.invoice_no,
            )
        with ctx.store.transaction() as tx:
            tx.put_ledger(
                ctx.entry(
                    doc,
                    prior.fingerprint,
                    LedgerStatus.WRITTEN,
                    prior=prior,
                    sage_key=key_ref(found.key),
                    written_fingerprint=prior.fingerprint,
                )
            )
            ctx.audit(
                tx,
                "written",
                f"{doc.label} found in Sage as {label} ({found.where}) from an earlier attempt "
                "whose ledger commit was lost: recorded as written, not written again",
                doc=doc,
                details={"sage_key": label, "recovered": True, "amount": str(found.amount)},
            )
            enqueue_export(ctx, tx, doc, label)
        outcome = ctx.outcome(
            doc,
            Outcome.RECOVERED,
            f"{label} written before a crash; recorded",
            vendor=f"{found.key.division_no}-{found.key.vendor_no}",
            invoice_no=found.key.invoice_no,
        )
        if prior.fingerprint != fp:
            with ctx.store.transaction() as tx:
                entry = tx.get_ledger(ctx.pair, doc.kind, doc.doc_id)
            if entry is not None:
                changed_after_export(ctx, doc, fp, entry)
        return outcome

    def _already(
        self,
        doc: SourceDocument,
        fp: str,
        prior: LedgerEntry | None,
        key: ApInvoiceKey | None,
        found: ExistingInvoice | None,
        reason: str,
    ) -> Outcome:
        ctx = self._ctx
        if not ctx.dry_run:
            with ctx.store.transaction() as tx:
                tx.put_ledger(
                    ctx.entry(
                        doc,
                        fp,
                        LedgerStatus.ALREADY_IN_SAGE,
                        prior=prior,
                        sage_key=key_ref(key) if key else None,
                        last_error=reason[:500],
                    )
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
        vendor = f"{key.division_no}-{key.vendor_no}" if key else ""
        return ctx.outcome(
            doc,
            Outcome.ALREADY_IN_SAGE,
            reason,
            vendor=vendor,
            invoice_no=key.invoice_no if key else "",
        )
