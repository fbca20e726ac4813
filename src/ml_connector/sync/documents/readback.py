"""A written invoice whose read-back has not passed yet: what was sent is kept, and a later
cycle reads the invoice back again instead of sending it to a person.

`create_invoice` reads every invoice back after `nWrite`. When Sage answers the write but
the read-back then fails (`SageVerifyError`), the writer records what it sent in the audit
log (`read_back_failed`, committed at once): that event is the proof that this key holds a
write of ours, and the invoice to compare with. The ledger keeps the started write (INTENT,
the Sage key, the "writing" mark), so the document is handled again by recovery, before
anything else is decided about it (`InvoiceWriter.recover`), and `check` decides:

- in A/P Invoice Data Entry: the full read-back again (`Sage100.verify_invoice`). Equal ->
  WRITTEN, audited as verified later; different -> review "read back differently" (never
  written again); could not run again -> `SageReadBackError`, one more attempt of the
  document (the processor), review after `max_attempts`;
- posted since (open invoices or history, where data entry's lines no longer are): the
  header that recovery compares after a crash (amount and our marker) -> WRITTEN, audited as
  "header only"; anything else -> review "read back differently";
- not under its key anywhere: someone removed it after Sage accepted it. It is not written
  again (a clerk may have deleted it on purpose) and not forgotten: review.

A crash between `nWrite` and the event leaves no event: recovery then recognises the
invoice as it always has (key, amount and marker: `ours.is_ours`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from ml_connector.errors import ConnectorError
from ml_connector.sage100.errors import (
    RecordLockedError,
    SageReadBackError,
    SageSessionError,
    SageVerifyError,
)
from ml_connector.sage100.port import (
    AccountKey,
    ApInvoiceLine,
    ExistingInvoice,
    NewApInvoice,
)
from ml_connector.store.port import LedgerEntry, LedgerStatus, ReviewKind
from ml_connector.sync import state
from ml_connector.sync.context import CycleContext
from ml_connector.sync.documents.ours import key_ref, marker, to_key
from ml_connector.sync.documents.source import SourceDocument
from ml_connector.sync.state import WRITING, write_started
from ml_connector.sync.summary import Outcome

ACTION = "read_back_failed"


@dataclass(frozen=True, slots=True)
class Verified:
    """The invoice in Sage is the one that was sent: `how` says what was compared."""

    found: ExistingInvoice
    how: str


# --- what was sent, kept in the audit log -------------------------------------------------


def _sent_details(inv: NewApInvoice) -> dict[str, Any]:
    return {
        "invoice_date": inv.invoice_date.isoformat(),
        "amount": str(inv.amount),
        "batch_no": inv.batch_no,
        "sales_tax": str(inv.sales_tax),
        "freight": str(inv.freight),
        "lines": [
            {
                "account_key": x.account_key,
                "amount": str(x.amount),
                "job_no": x.job_no,
                "cost_code": x.cost_code,
                "cost_type": x.cost_type,
            }
            for x in inv.lines
        ],
    }


def _sent_invoice(entry: LedgerEntry, sent: dict[str, Any]) -> NewApInvoice:
    """What the read-back compares (amount, batch, header tax and freight, each line's
    account, amount and Job Cost), rebuilt from the event."""
    assert entry.sage_key is not None  # the caller checked
    return NewApInvoice(
        key=to_key(entry.sage_key),
        invoice_date=date.fromisoformat(sent["invoice_date"]),
        amount=Decimal(sent["amount"]),
        lines=tuple(
            ApInvoiceLine(
                AccountKey(x["account_key"]),
                Decimal(x["amount"]),
                job_no=x["job_no"],
                cost_code=x["cost_code"],
                cost_type=x["cost_type"],
            )
            for x in sent["lines"]
        ),
        batch_no=sent["batch_no"],
        sales_tax=Decimal(sent["sales_tax"]),
        freight=Decimal(sent["freight"]),
    )


def record_unverified(
    ctx: CycleContext, doc: SourceDocument, invoice: NewApInvoice, exc: SageVerifyError
) -> None:
    """Sage answered the write; its read-back failed (`exc`). Keep what was sent, durably,
    before the processor decides what the failure means (no record in a dry run)."""
    if ctx.dry_run:
        return
    could_run = not could_not_run(exc)
    with ctx.store.transaction() as tx:
        ctx.audit(
            tx,
            ACTION,
            f"{doc.label} written to Sage as {invoice.key} (Sage accepted the write), but "
            + ("it read back differently" if could_run else "it could not be read back")
            + f": {exc.message}",
            doc=doc,
            details={
                "sage_key": str(invoice.key),
                "read_back_ran": could_run,
                "error": type(exc).__name__,
                "sent": _sent_details(invoice),
            },
        )
    ctx.commit()  # the proof that the key holds our write outlives a crash


def sent_invoice(ctx: CycleContext, doc: SourceDocument, entry: LedgerEntry) -> NewApInvoice | None:
    """What was sent under the entry's key by a write whose read-back failed, or None."""
    if entry.sage_key is None:
        return None
    with ctx.store.transaction() as tx:
        event = tx.last_audit(ctx.pair, doc.kind, doc.doc_id, ACTION)
    if event is None or event.details.get("sage_key") != str(to_key(entry.sage_key)):
        return None
    return _sent_invoice(entry, dict(event.details["sent"]))


def could_not_run(exc: SageVerifyError) -> bool:
    """The read-back could not run (COM, locks): `SageReadBackError`, or a verify error
    caused by a session failure or a lock. It found nothing wrong."""
    return isinstance(exc, SageReadBackError) or isinstance(
        exc.__cause__, SageSessionError | RecordLockedError
    )


# --- the later read-back ------------------------------------------------------------------


def check(
    ctx: CycleContext,
    doc: SourceDocument,
    fp: str,
    entry: LedgerEntry,
    sent: NewApInvoice,
    found: list[ExistingInvoice],
) -> Verified | Outcome:
    """Read back again what `sent` wrote (`found`: `find_invoice` of its key). Raises
    `SageReadBackError` when the read-back cannot run; the ledger then holds the started
    write, whatever it held before (a review the document went to, a person's re-queue)."""
    _keep_started(ctx, doc, entry)
    entry_copy = next((f for f in found if f.where == "entry"), None)
    if entry_copy is not None:
        try:
            ctx.sage.verify_invoice(sent)
        except SageVerifyError as exc:
            if could_not_run(exc):
                raise
            return review_unverified(ctx, doc, fp, entry, exc, read_back_ran=True)
        return Verified(entry_copy, "read back in full (A/P Invoice Data Entry)")
    if not found:
        return _review_gone(ctx, doc, entry, sent)
    posted = found[0]
    mark = marker(doc)
    problems = []
    if posted.amount != sent.amount:
        problems.append(f"amount {posted.amount} instead of {sent.amount}")
    if posted.comment and not (posted.comment == mark or posted.comment.startswith(mark + " ")):
        problems.append(f"comment {posted.comment!r} does not start with {mark!r}")
    if problems:
        differs = SageVerifyError(
            f"{sent.key} ({posted.where}) reads back differently: {'; '.join(problems)}",
            operation="verify_invoice",
            record=str(sent.key),
        )
        return review_unverified(ctx, doc, fp, entry, differs, read_back_ran=True)
    return Verified(posted, f"header only: posted ({posted.where}) before it could be read back")


def _keep_started(ctx: CycleContext, doc: SourceDocument, entry: LedgerEntry) -> None:
    """INTENT with the key and the "writing" mark: what a started write holds."""
    if ctx.dry_run or write_started(entry):
        return
    with ctx.store.transaction() as tx:
        current = tx.get_ledger(ctx.pair, doc.kind, doc.doc_id)
        if current is None or write_started(current):
            return
        state.put(
            tx,
            replace(
                current,
                status=LedgerStatus.INTENT,
                sage_key=entry.sage_key,
                amount=entry.amount,
                fingerprint=entry.fingerprint,  # the revision that was sent
                last_error=WRITING,
                updated_at=ctx.clock.now(),
            ),
        )


def review_unverified(
    ctx: CycleContext,
    doc: SourceDocument,
    fp: str,
    prior: LedgerEntry | None,
    exc: ConnectorError,
    *,
    read_back_ran: bool,
) -> Outcome:
    """Written, and its read-back found something else (or, from an adapter that does not
    tell the two apart, could not run): a person compares; the key of the started write
    stays with the document, so it is never written again. `fp` and `prior`: the document's
    revision and ledger entry, for a write that was never marked started."""
    started = _started(ctx, doc)
    how = "it read back differently" if read_back_ran else "it could not be read back"
    return ctx.send_to_review(
        doc,
        started.fingerprint if started else fp,  # the revision sent to Sage
        ReviewKind.SAGE_REJECTED,
        f"{doc.label}: written to Sage, but {how}: {exc.describe()}",
        "compare the invoice in A/P Invoice Data Entry with the ServiceTitan bill, correct "
        "it in Sage, then ignore this item (it is not written again)",
        prior=started or prior,
        details={"error": type(exc).__name__},
        sage_key=started.sage_key if started else None,
        amount=started.amount if started else None,
    )


def _review_gone(
    ctx: CycleContext, doc: SourceDocument, entry: LedgerEntry, sent: NewApInvoice
) -> Outcome:
    started = _started(ctx, doc) or entry
    return ctx.send_to_review(
        doc,
        started.fingerprint,
        ReviewKind.SAGE_REJECTED,
        f"{doc.label}: written to Sage as {sent.key} for {sent.amount} (Sage accepted the "
        "write), but it is no longer in A/P Invoice Data Entry, open invoices or history",
        "find out who removed it in Sage; key it again by hand if it belongs there, then "
        "ignore this item (the connector does not write it again)",
        prior=started,
        details={"sage_key": str(sent.key), "amount": sent.amount},
        sage_key=key_ref(sent.key),
        amount=sent.amount,
    )


def _started(ctx: CycleContext, doc: SourceDocument) -> LedgerEntry | None:
    with ctx.store.transaction() as tx:
        current = tx.get_ledger(ctx.pair, doc.kind, doc.doc_id)
    return current if write_started(current) else None
