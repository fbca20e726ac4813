"""The per-session index of AP invoice numbers, normalised, for reference + amount lookups.

`find_invoices_by_reference` must find an invoice keyed by hand under any vendor, in
entry, open invoices or history, and must stay fast against 100,000 history rows. One
`nGetResultSets` per table fills the index when the session first needs it; afterwards a
refresh (at most every `reference_index_max_age_seconds`) re-reads data entry whole (it is
small: unposted invoices) and only the open and history rows stamped on or after the
newest stamp already seen. The index is rebuilt from scratch every
`reference_index_rebuild_seconds` and with every new session, which also forgets rows
deleted in Sage. Invoices the adapter writes are added at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import structlog

from ml_connector.sage100.boi_reads import InvoiceRow, read_invoice_rows
from ml_connector.sage100.boi_session import BoiSession
from ml_connector.sage100.changestamp import changed_since_filter
from ml_connector.sage100.port import (
    ChangeStamp,
    ExistingInvoice,
    InvoiceWhere,
    normalise_reference,
)

log = structlog.get_logger(__name__)

_CACHE_KEY = "invoice_index"


@dataclass(slots=True)
class InvoiceIndex:
    """Rows by normalised invoice number; each row remembered by its identity."""

    built_at: float
    refreshed_at: float
    by_ref: dict[str, dict[str, ExistingInvoice]] = field(default_factory=dict)
    ref_of: dict[str, str] = field(default_factory=dict)
    newest: dict[InvoiceWhere, ChangeStamp | None] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ref_of)

    def put(self, row_id: str, invoice: ExistingInvoice) -> None:
        self.drop(row_id)
        ref = normalise_reference(invoice.key.invoice_no)
        self.by_ref.setdefault(ref, {})[row_id] = invoice
        self.ref_of[row_id] = ref

    def drop(self, row_id: str) -> None:
        ref = self.ref_of.pop(row_id, None)
        if ref is not None:
            bucket = self.by_ref[ref]
            bucket.pop(row_id, None)
            if not bucket:
                del self.by_ref[ref]

    def load(self, where: InvoiceWhere, rows: list[InvoiceRow]) -> None:
        newest = self.newest.get(where)
        for row in rows:
            self.put(row.row_id, row.invoice)
            for stamp in (row.updated, row.created):
                if stamp is not None and (newest is None or stamp > newest):
                    newest = stamp
        self.newest[where] = newest

    def lookup(self, reference: str, amount: Decimal) -> list[ExistingInvoice]:
        """Invoices whose normalised number matches and whose amount equals `amount`.

        History rows of one invoice are added up; an invoice matches when its total or any
        one of its rows equals the amount (an adjustment must not hide the original).
        """
        bucket = self.by_ref.get(normalise_reference(reference), {})
        totals: dict[tuple[str, object], ExistingInvoice] = {}
        single_match: set[tuple[str, object]] = set()
        for inv in bucket.values():
            k = (inv.where, inv.key)
            if inv.amount == amount:
                single_match.add(k)
            seen = totals.get(k)
            totals[k] = (
                inv
                if seen is None
                else ExistingInvoice(
                    seen.key,
                    seen.where,
                    seen.invoice_date or inv.invoice_date,
                    seen.amount + inv.amount,
                    seen.comment or inv.comment,
                    seen.batch_no or inv.batch_no,
                )
            )
        order = {"entry": 0, "open": 1, "history": 2}
        hits = [inv for k, inv in totals.items() if inv.amount == amount or k in single_match]
        return sorted(hits, key=lambda i: (order[i.where], i.key))


def build(s: BoiSession) -> InvoiceIndex:
    now = s.clock.monotonic()
    index = InvoiceIndex(built_at=now, refreshed_at=now)
    for where in ("entry", "open", "history"):
        index.load(where, read_invoice_rows(s, where))
    log.info("sage_invoice_index_built", rows=len(index), session=s.serial)
    return index


def refresh(s: BoiSession, index: InvoiceIndex) -> None:
    """Data entry whole; open and history from the newest stamp seen (by day)."""
    entry_ids = [rid for rid in index.ref_of if rid.startswith("entry|")]
    for rid in entry_ids:
        index.drop(rid)
    index.load("entry", read_invoice_rows(s, "entry"))
    for where in ("open", "history"):
        since = index.newest.get(where)
        if since is None:
            index.load(where, read_invoice_rows(s, where))
        else:
            index.load(where, read_invoice_rows(s, where, filter_expr=changed_since_filter(since)))
    index.refreshed_at = s.clock.monotonic()


def current(s: BoiSession) -> InvoiceIndex:
    """The session's index, built or refreshed as its age requires."""
    index: InvoiceIndex | None = s.cache.get(_CACHE_KEY)
    now = s.clock.monotonic()
    settings = s.settings
    if index is None or now - index.built_at >= settings.reference_index_rebuild_seconds:
        index = build(s)
        s.cache[_CACHE_KEY] = index
    elif now - index.refreshed_at >= settings.reference_index_max_age_seconds:
        refresh(s, index)
    return index


def note_written(s: BoiSession, invoice: ExistingInvoice) -> None:
    """Add an invoice the adapter just wrote, so the next lookup sees it without a refresh."""
    index: InvoiceIndex | None = s.cache.get(_CACHE_KEY)
    if index is not None:
        k = invoice.key
        index.put(f"entry|{k.division_no}|{k.vendor_no}|{k.invoice_no}|", invoice)
