"""Draining the mark-as-exported outbox after the Sage writes of a cycle.

Outbox items are enqueued in the same transaction as WRITTEN, so a crash between the Sage
write and ServiceTitan's mark-as-exported cannot lose the mark. Each call's per-item
`success` is checked: a failed item is retried next cycle, and after
`export_max_attempts` failures it goes to review (EXPORT_MARK_FAILED) and leaves the outbox.
A transient error (429 after retries, 5xx) fails the whole batch for the next cycle; a STOP
error (credentials, licence) is reported and the items wait.
"""

from __future__ import annotations

from ml_connector.errors import Action, ServiceTitanError
from ml_connector.servicetitan.records import ExportResult
from ml_connector.store.port import DocKind, OutboxItem, ReviewItem, ReviewKind, StateTx
from ml_connector.sync.context import CycleContext
from ml_connector.sync.documents.source import SourceDocument

BILL_OP = "mark_ap_bill_exported"
INVOICE_OP = "mark_invoice_exported"
CHUNK = 100


def enqueue_export(ctx: CycleContext, tx: StateTx, doc: SourceDocument, label: str) -> None:
    """In the WRITTEN transaction: owe ServiceTitan a mark-as-exported (when enabled)."""
    if not ctx.settings.mark_exported:
        return
    op = BILL_OP if doc.kind is DocKind.AP_BILL else INVOICE_OP
    payload = {"id": doc.doc_id, "external_id": label, "message": f"Sage 100 AP invoice {label}"}
    tx.add_outbox(
        OutboxItem(pair=ctx.pair, operation=op, payload=payload, created_at=ctx.clock.now())
    )


def _call(ctx: CycleContext, op: str, items: list[OutboxItem]) -> list[ExportResult]:
    if op == BILL_OP:
        return ctx.source.mark_ap_bills_exported([int(i.payload["id"]) for i in items])
    return ctx.source.mark_invoices_exported(
        [
            (
                int(i.payload["id"]),
                str(i.payload.get("external_id", "")),
                str(i.payload.get("message", "")),
            )
            for i in items
        ]
    )


def _failed(ctx: CycleContext, item: OutboxItem, error: str) -> None:
    attempts = item.attempts + 1
    now = ctx.clock.now()
    with ctx.store.transaction() as tx:
        if item.id is None:
            return
        if attempts < ctx.settings.export_max_attempts:
            tx.fail_outbox(item.id, error[:500], now)
            return
        doc_id = int(item.payload["id"])
        kind = DocKind.AP_BILL if item.operation == BILL_OP else DocKind.INVOICE
        what = "AP bill" if kind is DocKind.AP_BILL else "invoice"
        reason = (
            f"{what} {doc_id} is in Sage ({item.payload.get('external_id', '')}) but ServiceTitan "
            f"refused to mark it exported {attempts} times: {error}"
        )
        tx.fail_outbox(item.id, error[:500], now)
        tx.complete_outbox(item.id, now)  # out of the outbox: a person takes over
        review_id = tx.add_review(
            ReviewItem(
                pair=ctx.pair,
                kind=ReviewKind.EXPORT_MARK_FAILED,
                doc_kind=kind,
                doc_id=doc_id,
                reason=reason,
                suggestion="mark it exported in ServiceTitan by hand, or retry this item",
                details={"operation": item.operation, **dict(item.payload), "error": error},
                created_at=now,
            )
        )
        ctx.audit(
            tx, "export_mark_failed", reason, details={"review_id": review_id, "doc_id": doc_id}
        )
    ctx.count("sent_to_review")


def drain_outbox(ctx: CycleContext) -> None:
    with ctx.store.transaction() as tx:
        pending = tx.pending_outbox(ctx.pair)
    for op in (BILL_OP, INVOICE_OP):
        items = [i for i in pending if i.operation == op]
        for start in range(0, len(items), CHUNK):
            chunk = items[start : start + CHUNK]
            try:
                results = _call(ctx, op, chunk)
            except ServiceTitanError as exc:
                ctx.errors.append(f"mark as exported: {exc.describe()}")
                if exc.action is Action.STOP:
                    return
                for item in chunk:
                    _failed(ctx, item, exc.message)
                continue
            by_id = {r.id: r for r in results}
            for item in chunk:
                result = by_id.get(int(item.payload["id"]))
                if result is not None and result.success:
                    if item.id is not None:
                        with ctx.store.transaction() as tx:
                            tx.complete_outbox(item.id, ctx.clock.now())
                            ctx.audit(
                                tx,
                                "marked_exported",
                                f"ServiceTitan {item.payload['id']} marked exported",
                                details=dict(item.payload),
                            )
                    ctx.count("exports_marked")
                else:
                    error = (result.error_message if result else None) or "no result for this id"
                    _failed(ctx, item, error)
            ctx.commit()  # one commit per chunk marked in ServiceTitan
