"""Between database rows and the port's value types (and the web app's users), both ways.

Enums are stored as their values; a Sage key is three nullable columns, all set or none;
missing timestamps are filled from the store's clock by the caller.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row

from ml_connector.store.browse import Role, User
from ml_connector.store.port import (
    AuditEvent,
    DocKind,
    LedgerEntry,
    LedgerStatus,
    OutboxItem,
    PairId,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
    RunRecord,
    SageKeyRef,
    VendorLink,
)


def describe_key(key: SageKeyRef) -> str:
    return f"Sage invoice {key.division_no}-{key.vendor_no} {key.invoice_no}"


def _doc_kind(value: str | None) -> DocKind | None:
    return None if value is None else DocKind(value)


def run(row: Row[Any]) -> RunRecord:
    return RunRecord(
        id=int(row.id),
        pair=PairId(row.pair),
        started_at=row.started_at,
        finished_at=row.finished_at,
        status=row.status,
        dry_run=bool(row.dry_run),
        summary=row.summary,
    )


def ledger_values(entry: LedgerEntry, now: datetime) -> dict[str, Any]:
    key = entry.sage_key
    return {
        "pair": entry.pair,
        "kind": entry.kind.value,
        "doc_id": entry.doc_id,
        "fingerprint": entry.fingerprint,
        "status": entry.status.value,
        "sage_division_no": key.division_no if key else None,
        "sage_vendor_no": key.vendor_no if key else None,
        "sage_invoice_no": key.invoice_no if key else None,
        "amount": entry.amount,
        "reference": entry.reference,
        "attempts": entry.attempts,
        "last_error": entry.last_error,
        "written_fingerprint": entry.written_fingerprint,
        "updated_at": entry.updated_at or now,
        "vendor_name": entry.vendor_name[:255],
        "document_date": entry.document_date,
    }


def ledger_entry(row: Row[Any]) -> LedgerEntry:
    key = None
    if row.sage_invoice_no is not None:
        key = SageKeyRef(row.sage_division_no, row.sage_vendor_no, row.sage_invoice_no)
    return LedgerEntry(
        pair=PairId(row.pair),
        kind=DocKind(row.kind),
        doc_id=int(row.doc_id),
        fingerprint=row.fingerprint,
        status=LedgerStatus(row.status),
        sage_key=key,
        amount=row.amount,
        reference=row.reference,
        attempts=int(row.attempts),
        last_error=row.last_error,
        written_fingerprint=row.written_fingerprint,
        updated_at=row.updated_at,
        vendor_name=row.vendor_name,
        document_date=row.document_date,
    )


def link_values(link: VendorLink, now: datetime) -> dict[str, Any]:
    return {
        "pair": link.pair,
        "st_vendor_id": link.st_vendor_id,
        "division_no": link.division_no,
        "vendor_no": link.vendor_no,
        "method": link.method,
        "score": link.score,
        "created_at": link.created_at or now,
        "created_by": link.created_by,
    }


def vendor_link(row: Row[Any]) -> VendorLink:
    return VendorLink(
        pair=PairId(row.pair),
        st_vendor_id=int(row.st_vendor_id),
        division_no=row.division_no,
        vendor_no=row.vendor_no,
        method=row.method,
        score=None if row.score is None else float(row.score),
        created_at=row.created_at,
        created_by=row.created_by,
    )


def review_open_key(item: ReviewItem) -> str:
    """The dedupe key of an open review item (unique per pair while the item is OPEN)."""
    doc_kind = item.doc_kind.value if item.doc_kind else ""
    doc_id = "" if item.doc_id is None else str(item.doc_id)
    return f"{item.kind.value}|{doc_kind}|{doc_id}|{item.subject}"


def describe_review(item: ReviewItem) -> str:
    about = f"{item.doc_kind.value} {item.doc_id}" if item.doc_kind else item.subject
    return f"review {item.kind.value}" + (f" for {about}" if about else "")


def review_values(item: ReviewItem, now: datetime) -> dict[str, Any]:
    is_open = item.status is ReviewStatus.OPEN
    created = item.created_at or now
    return {
        "pair": item.pair,
        "kind": item.kind.value,
        "doc_kind": item.doc_kind.value if item.doc_kind else None,
        "doc_id": item.doc_id,
        "subject": item.subject,
        "reason": item.reason,
        "suggestion": item.suggestion,
        "details": item.details,
        "status": item.status.value,
        "open_key": review_open_key(item) if is_open else None,
        "created_at": created,
        "updated_at": created,
        "resolved_at": item.resolved_at,
        "resolved_by": item.resolved_by,
        "note": item.note,
    }


def review_item(row: Row[Any]) -> ReviewItem:
    return ReviewItem(
        pair=PairId(row.pair),
        kind=ReviewKind(row.kind),
        doc_kind=_doc_kind(row.doc_kind),
        doc_id=None if row.doc_id is None else int(row.doc_id),
        reason=row.reason,
        suggestion=row.suggestion,
        details=row.details,
        status=ReviewStatus(row.status),
        id=int(row.id),
        created_at=row.created_at,
        resolved_at=row.resolved_at,
        resolved_by=row.resolved_by,
        note=row.note,
        subject=row.subject,
    )


def audit_values(event: AuditEvent) -> dict[str, Any]:
    return {
        "at": event.at,
        "pair": event.pair,
        "action": event.action,
        "actor": event.actor,
        "doc_kind": event.doc_kind.value if event.doc_kind else None,
        "doc_id": event.doc_id,
        "run_id": event.run_id,
        "message": event.message,
        "details": event.details,
    }


def audit_event(row: Row[Any]) -> AuditEvent:
    return AuditEvent(
        at=row.at,
        pair=PairId(row.pair),
        action=row.action,
        actor=row.actor,
        doc_kind=_doc_kind(row.doc_kind),
        doc_id=None if row.doc_id is None else int(row.doc_id),
        run_id=None if row.run_id is None else int(row.run_id),
        message=row.message,
        details=row.details,
        id=int(row.id),
    )


def outbox_values(item: OutboxItem, now: datetime) -> dict[str, Any]:
    return {
        "pair": item.pair,
        "operation": item.operation,
        "payload": item.payload,
        "attempts": item.attempts,
        "last_error": item.last_error,
        "created_at": item.created_at or now,
        "done_at": item.done_at,
    }


def outbox_item(row: Row[Any]) -> OutboxItem:
    return OutboxItem(
        pair=PairId(row.pair),
        operation=row.operation,
        payload=row.payload,
        id=int(row.id),
        attempts=int(row.attempts),
        last_error=row.last_error,
        created_at=row.created_at,
        done_at=row.done_at,
    )


def user(row: Row[Any]) -> User:
    return User(
        username=row.username,
        password_hash=row.password_hash,
        role=Role(row.role),
        active=bool(row.active),
        created_at=row.created_at,
        created_by=row.created_by,
        updated_at=row.updated_at,
        last_login_at=row.last_login_at,
        id=int(row.id),
    )
