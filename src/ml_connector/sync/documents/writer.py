"""The exactly-once write path (DESIGN §5) and the duplicate policy, read top to bottom.

Sage 100 has no idempotency keys, so the ledger is ours. `InvoiceWriter.write` runs the
steps of `write_steps` in order:

1. choose the key: the invoice number (`invoice_no`), refusing a key another document of
   the vendor holds in the ledger;
2. recover (`InvoiceWriter.recover`, run by the processor before anything else is decided):
   an earlier attempt's INTENT whose invoice is in Sage with the intended amount and our
   marker (or an empty comment after a write was started) is ours -> WRITTEN; one that Sage
   accepted but could not read back is read back now (`readback`);
3. look up Sage under the key (entry, open, history): found -> ALREADY_IN_SAGE;
4. check duplicates (`duplicates`): the same reference in another form under the same
   vendor, or the same amount with the reference in another or a re-keyed form under any
   vendor -> SUSPECTED_DUPLICATE (review, not written), unless a person resolved that
   review (steps 3 and 4 ask Sage in one `look_before_write`);
5. write: record the intent (document, fingerprint, target key, amount) with the
   "writing" mark and commit it, then `create_invoice` (which refuses anything but a new
   key: never an adjustment). The lookups before it only read: nothing of the document is
   in the ledger until its intent, or the outcome it reached without a write;
6. record the outcome: WRITTEN with the Sage key, the audit event and the mark-as-exported
   outbox item in one transaction, durable with the next commit (at the latest the next
   write's intent, before that write reaches Sage).

A crash at any line leaves either no new INTENT (nothing was sent), or a "writing" INTENT
whose key recovery looks up first (a write whose outcome had not been committed yet is one
of these).
The header comment starts with our marker ("ST bill 123 ...") and the line comments carry
the full reference and job number.
"""

from __future__ import annotations

from ml_connector.sage100.errors import InvoiceExistsError, SageVerifyError
from ml_connector.sage100.port import ApInvoiceKey, ExistingInvoice
from ml_connector.store.port import LedgerEntry, ReviewKind
from ml_connector.sync.context import CycleContext
from ml_connector.sync.documents import readback
from ml_connector.sync.documents import write_steps as step
from ml_connector.sync.documents.changes import changed_after_export
from ml_connector.sync.documents.duplicates import SuspectedDuplicate
from ml_connector.sync.documents.lines import Distribution
from ml_connector.sync.documents.ours import is_ours, key_ref, to_key
from ml_connector.sync.documents.resolve import ResolvedVendor
from ml_connector.sync.documents.source import SourceDocument
from ml_connector.sync.state import RECOVERABLE
from ml_connector.sync.summary import Outcome


class InvoiceWriter:
    def __init__(self, ctx: CycleContext) -> None:
        self._ctx = ctx

    def recover(self, doc: SourceDocument, fp: str, prior: LedgerEntry) -> Outcome | None:
        """Step 2: an earlier attempt's INTENT (or the REVIEW it went to, keeping its key)
        whose invoice is in Sage and ours -> WRITTEN.

        Runs before anything else is decided about the document (even if it has been
        canceled since: what is in Sage is then reported as changed after export). A write
        that Sage accepted but whose read-back failed is read back again (`readback`)."""
        if prior.status not in RECOVERABLE or prior.sage_key is None:
            return None
        sent = readback.sent_invoice(self._ctx, doc, prior)
        found = self._ctx.sage.find_invoice(to_key(prior.sage_key))
        if sent is not None:
            checked = readback.check(self._ctx, doc, fp, prior, sent, found)
            if isinstance(checked, Outcome):
                return checked
            return self._recovered(doc, fp, prior, checked.found, verified=checked.how)
        for earlier in found:
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
        amount = doc.total
        if amount is None:  # checked by documents.problems before; kept for the type checker
            raise ValueError(f"{doc.label} has no total")

        # 1. choose the key
        choice = step.choose_key(ctx, doc, vendor)
        key, label = choice.key, str(choice.key)
        if choice.same_reference_holder is not None:
            return self._same_number_elsewhere(doc, fp, prior, vendor, choice)

        if ctx.dry_run:  # nothing goes to the ledger: the run remembers the key it takes
            step.claim_key(ctx, doc, key)

        # 3. look up Sage under the exact key, and 4. the reference, in one go (the session
        # and its invoice index, shared by every document, are made ready first: a failure
        # there is not this document's)
        ctx.sage_ready(invoice_index=True)
        looked = step.look_before_write(ctx, doc, key, amount)
        found = looked.under_key[0] if looked.under_key else None
        if found is not None:
            return self._already(
                doc,
                fp,
                prior,
                key,
                found,
                f"{doc.label}: {label} is already in Sage "
                f"({found.where}, amount {found.amount}; this bill {amount})",
            )

        # 4. check duplicates: same reference and amount under any vendor
        dups = step.check_duplicates(ctx, doc, fp, key, amount, looked)
        if dups:
            return self._suspected_duplicate(doc, fp, prior, vendor, choice, dups)

        if ctx.dry_run:
            return ctx.outcome(
                doc,
                Outcome.WOULD_WRITE,
                f"would write {label} for {amount}",
                vendor=vendor.label,
                invoice_no=key.invoice_no,
            )

        # 5. write: the intent, with its "writing" mark, is committed before create_invoice
        invoice = step.new_invoice(ctx, doc, key, amount, dist)
        step.record_intent(ctx, doc, fp, prior, key)
        ctx.commit()  # durable before Sage is written
        try:
            written = step.write_to_sage(ctx, invoice)
        except SageVerifyError as exc:
            # Sage answered the write; the read-back after it failed: keep what was sent,
            # for the read-back of a later cycle (the processor decides the rest)
            readback.record_unverified(ctx, doc, invoice, exc)
            raise
        if isinstance(written, InvoiceExistsError):
            return self._already(
                doc,
                fp,
                prior,
                key,
                None,
                f"{doc.label}: {label} appeared in Sage just before the write "
                f"({written.where or 'entry'})",
            )

        # 6. record the outcome, with the audit event and the outbox item. It is made
        # durable by the next commit: the next write's intent (before that write reaches
        # Sage), the batch's one-second commit, or the end of the cycle; until then a crash
        # leaves this document's "writing" INTENT, which recovery finds in Sage and records
        # (one fsync a written bill instead of two)
        step.record_written(ctx, doc, fp, prior, vendor, dist, written)
        return ctx.outcome(
            doc,
            Outcome.WRITTEN,
            f"written as {label} for {amount}",
            vendor=vendor.label,
            invoice_no=key.invoice_no,
        )

    # --- the ends that write nothing -------------------------------------------------------
    def _same_number_elsewhere(
        self,
        doc: SourceDocument,
        fp: str,
        prior: LedgerEntry | None,
        vendor: ResolvedVendor,
        choice: step.KeyChoice,
    ) -> Outcome:
        """Another ServiceTitan document of this vendor carries the same invoice number:
        the same invoice keyed twice when the amounts agree, else a person decides."""
        ctx = self._ctx
        holder = choice.same_reference_holder
        assert holder is not None  # the caller checked
        key, label, amount = choice.key, str(choice.key), doc.total
        found = step.look_up_sage(ctx, key)
        if found is not None and found.amount == amount:
            return self._already(
                doc,
                fp,
                prior,
                None,
                found,
                f"{doc.label}: {label} is already in Sage ({found.where}, same "
                f"amount {amount}), written for ServiceTitan {holder.label}",
            )
        in_sage = f"; {label} is in Sage for {found.amount}" if found else ""
        return ctx.send_to_review(
            doc,
            fp,
            ReviewKind.SUSPECTED_DUPLICATE,
            f"{doc.label} ({amount}) has the same vendor and invoice number as ServiceTitan "
            f"{holder.label} ({holder.amount}){in_sage}",
            "if both are real invoices, correct the reference in ServiceTitan (the bill is "
            "then picked up again); otherwise ignore this item",
            prior=prior,
            details={
                "other_document": holder.label,
                "other_amount": holder.amount,
                "invoice_no": choice.invoice_no,
                "amount": amount,
            },
            outcome=Outcome.SUSPECTED_DUPLICATE,
            vendor=vendor.label,
            invoice_no=choice.invoice_no,
        )

    def _suspected_duplicate(
        self,
        doc: SourceDocument,
        fp: str,
        prior: LedgerEntry | None,
        vendor: ResolvedVendor,
        choice: step.KeyChoice,
        dups: list[SuspectedDuplicate],
    ) -> Outcome:
        d, amount = dups[0], doc.total
        return self._ctx.send_to_review(
            doc,
            fp,
            ReviewKind.SUSPECTED_DUPLICATE,
            f"{doc.label} ({amount}, reference {doc.reference!r}) looks like {d.invoice.key} "
            f"({d.invoice.where}, amount {d.invoice.amount}) already in Sage: {d.why}",
            "if it is a different invoice, resolve this item to write it; otherwise ignore it",
            prior=prior,
            sage_key=key_ref(choice.key),
            details={
                "invoice_no": choice.invoice_no,
                "amount": str(amount),
                "matches": [x.describe() for x in dups[:5]],
            },
            outcome=Outcome.SUSPECTED_DUPLICATE,
            vendor=vendor.label,
            invoice_no=choice.invoice_no,
        )

    def _already(
        self,
        doc: SourceDocument,
        fp: str,
        prior: LedgerEntry | None,
        key: ApInvoiceKey | None,
        found: ExistingInvoice | None,
        reason: str,
    ) -> Outcome:
        step.record_already(self._ctx, doc, fp, prior, key, found, reason)
        return self._ctx.outcome(
            doc,
            Outcome.ALREADY_IN_SAGE,
            reason,
            vendor=f"{key.division_no}-{key.vendor_no}" if key else "",
            invoice_no=key.invoice_no if key else "",
        )

    def _recovered(
        self,
        doc: SourceDocument,
        fp: str,
        prior: LedgerEntry,
        found: ExistingInvoice,
        *,
        verified: str = "",
    ) -> Outcome:
        ctx = self._ctx
        label = str(found.key)
        vendor = f"{found.key.division_no}-{found.key.vendor_no}"
        if ctx.dry_run:
            return ctx.outcome(
                doc,
                Outcome.RECOVERED,
                f"{label} is in Sage from an earlier attempt",
                vendor=vendor,
                invoice_no=found.key.invoice_no,
            )
        step.record_recovered(ctx, doc, prior, found, verified=verified)
        ctx.commit()
        outcome = ctx.outcome(
            doc,
            Outcome.RECOVERED,
            f"{label} read back ({verified}); recorded"
            if verified
            else f"{label} written before a crash; recorded",
            vendor=vendor,
            invoice_no=found.key.invoice_no,
        )
        if prior.fingerprint != fp:
            with ctx.store.transaction() as tx:
                entry = tx.get_ledger(ctx.pair, doc.kind, doc.doc_id)
            if entry is not None:
                changed_after_export(ctx, doc, fp, entry)
        return outcome
