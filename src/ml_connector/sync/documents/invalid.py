"""Documents ServiceTitan sent that did not validate (a wrong type, a null where a value
must be, an absurd amount): the client skips them in its lists and hands them over as
`InvalidRecordError`s; here each one is recorded against its document, so that nothing
read is dropped without a trace and the cursor may pass it.

A document not yet in Sage goes to review (ledger REVIEW, an INVALID_DOCUMENT review
item, an audit event), the reason naming it ("AP bill 123: ap-bills 123 does not
validate: billAmount: ..."). A document already written, or whose write was started,
keeps its ledger entry (and so its Sage key); it gets the review item and the audit event
only. A fixed record is a new revision: it is read and processed again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from ml_connector.servicetitan.errors import InvalidRecordError
from ml_connector.store.port import DocKind, LedgerStatus, ReviewItem, ReviewKind
from ml_connector.sync.context import CycleContext, jsonable
from ml_connector.sync.documents.source import SourceDocument
from ml_connector.sync.summary import Outcome

_KINDS = {"ap-bills": DocKind.AP_BILL, "invoices": DocKind.INVOICE}
SUGGESTION = (
    "correct the record in ServiceTitan (the reason names the field); it is read again when"
    " it changes"
)


def _doc_id(record_id: object) -> int | None:
    if isinstance(record_id, bool):
        return None
    if isinstance(record_id, int):
        return record_id if record_id > 0 else None
    if isinstance(record_id, str) and record_id.strip().isdigit():
        return int(record_id.strip())
    return None


def invalid_fingerprint(error: InvalidRecordError) -> str:
    """Stands for the invalid revision: the same problems read again are recognised."""
    digest = hashlib.sha256("\n".join(error.problems).encode("utf-8")).hexdigest()
    return f"invalid:{digest[:40]}"


def record_invalid(ctx: CycleContext, errors: Iterable[InvalidRecordError], stream: str) -> None:
    """Record every invalid document of `errors` read from `stream` (see the module doc)."""
    for error in errors:
        kind = _KINDS.get(error.resource)
        if kind is None:
            continue  # reference data (vendors, GL accounts): the client logged it
        doc_id = _doc_id(error.record_id)
        if doc_id is None:
            # nothing to hang it on: the cycle reports it (and exits non-zero), the log has it
            ctx.errors.append(f"stream {stream}: {error.describe()}")
            continue
        _record_one(ctx, error, kind, doc_id, stream)


def _record_one(
    ctx: CycleContext, error: InvalidRecordError, kind: DocKind, doc_id: int, stream: str
) -> None:
    doc = SourceDocument(
        kind=kind,
        doc_id=doc_id,
        stream=stream,
        reference="",
        total=None,
        lines=(),
        document_date=None,
    )
    fp = invalid_fingerprint(error)
    reason = f"{doc.label}: {error.message}"
    with ctx.store.transaction() as tx:
        prior = tx.get_ledger(ctx.pair, kind, doc_id)
    if prior is not None and prior.fingerprint == fp:
        ctx.count("unchanged")  # the same invalid revision, read again (look-back)
        return
    keeps_entry = prior is not None and (
        prior.status is LedgerStatus.WRITTEN
        or (prior.status is LedgerStatus.INTENT and prior.sage_key is not None)
    )
    if not keeps_entry:
        ctx.send_to_review(
            doc,
            fp,
            ReviewKind.INVALID_DOCUMENT,
            reason,
            SUGGESTION,
            prior=prior,
            details={"problems": error.problems},
        )
        return
    details = {"problems": error.problems, "fingerprint": fp}
    if not ctx.dry_run:
        with ctx.store.transaction() as tx:
            review_id = tx.add_review(
                ReviewItem(
                    pair=ctx.pair,
                    kind=ReviewKind.INVALID_DOCUMENT,
                    doc_kind=kind,
                    doc_id=doc_id,
                    reason=reason,
                    suggestion=SUGGESTION,
                    details=jsonable(details),
                    created_at=ctx.clock.now(),
                )
            )
            ctx.audit(
                tx,
                "sent_to_review",
                reason,
                doc=doc,
                details={"review_id": review_id, "review_kind": "invalid_document", **details},
            )
    ctx.outcome(doc, Outcome.REVIEW, reason)
