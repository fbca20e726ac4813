"""The per-session index of AP invoice numbers, by reference key, for duplicate lookups.

`find_invoices_by_reference` must find an invoice keyed by hand under any vendor, in
entry, open invoices or history, and must stay fast against 100,000 history rows. One
`nGetResultSets` per table fills the index when the session first needs it; afterwards a
refresh (at most every `reference_index_max_age_seconds`) re-reads data entry whole (it is
small: unposted invoices) and only the open and history rows stamped on or after the
newest stamp already seen. The index is rebuilt from scratch every
`reference_index_rebuild_seconds` and with every new session, which also forgets rows
deleted in Sage. Invoices the adapter writes are added at once. Each row is filed under
every key of its invoice number (`references.reference_keys`: strong and loose).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import structlog

from ml_connector.sage100.boi_reads import invoice_object, sage_money
from ml_connector.sage100.boi_session import BoiSession
from ml_connector.sage100.changestamp import parse_sage_date
from ml_connector.sage100.port import (
    ApInvoiceKey,
    DivisionNo,
    ExistingInvoice,
    InvoiceWhere,
    SageInvoiceNo,
    SageVendorNo,
)
from ml_connector.sage100.references import reference_keys
from ml_connector.sage100.resultsets import any_of, parse_tuples, quote, read_values

log = structlog.get_logger(__name__)

_CACHE_KEY = "invoice_index"
_ORDER = {"entry": 0, "open": 1, "history": 2}

# One indexed row: where, division, vendor, invoice number, amount (text), invoice date (text).
IndexRow = tuple[str, str, str, str, str, str]
RowId = tuple[str, str, str, str, str]  # where, division, vendor, invoice, history sequence


@dataclass(slots=True)
class InvoiceIndex:
    """Rows by normalised invoice number; each row remembered by its identity.

    Rows are kept as plain tuples (amounts as Sage's text) so that 100,000 history rows
    cost little; `ExistingInvoice` values are made only for the hits of a lookup.
    """

    built_at: float
    refreshed_at: float
    by_ref: dict[str, dict[RowId, IndexRow]] = field(default_factory=dict)  # by every key
    ref_of: dict[RowId, frozenset[str]] = field(default_factory=dict)
    newest_day: dict[str, str] = field(default_factory=dict)  # YYYYMMDD, per table
    entries: set[RowId] = field(default_factory=set)  # rows of data entry, re-read whole

    def __len__(self) -> int:
        return len(self.ref_of)

    def put(self, row_id: RowId, row: IndexRow) -> None:
        self.drop(row_id)
        keys = reference_keys(row[3]).all
        for ref in keys:
            self.by_ref.setdefault(ref, {})[row_id] = row
        self.ref_of[row_id] = keys
        if row_id[0] == "entry":
            self.entries.add(row_id)

    def drop(self, row_id: RowId) -> None:
        keys = self.ref_of.pop(row_id, frozenset())
        self.entries.discard(row_id)
        for ref in keys:
            bucket = self.by_ref[ref]
            bucket.pop(row_id, None)
            if not bucket:
                del self.by_ref[ref]

    def load(self, where: InvoiceWhere, records: list[list[str]]) -> None:
        """Records of `index_columns(where)`, as parsed from the result set."""
        newest = self.newest_day.get(where, "")
        history = where == "history"
        for f in records:
            div, vendor, number = f[0].rstrip(), f[1].rstrip(), f[2].rstrip()
            seq = f[7].rstrip() if history else ""
            self.put((where, div, vendor, number, seq), (where, div, vendor, number, f[4], f[3]))
            newest = max(newest, f[5].strip(), f[6].strip())
        self.newest_day[where] = newest

    def lookup(self, reference: str, amount: Decimal | None) -> list[ExistingInvoice]:
        """Invoices whose number shares a key (strong or loose) with `reference` and, unless
        `amount` is None, whose amount equals `amount`.

        History rows of one invoice are added up; an invoice matches when its total or any
        one of its rows equals the amount (an adjustment must not hide the original).
        """
        bucket: dict[RowId, IndexRow] = {}
        for ref in sorted(reference_keys(reference).all):
            bucket.update(self.by_ref.get(ref, {}))
        totals: dict[tuple[str, str, str, str], Decimal] = {}
        first: dict[tuple[str, str, str, str], IndexRow] = {}
        single: set[tuple[str, str, str, str]] = set()
        for row in bucket.values():
            k = (row[0], row[1], row[2], row[3])
            value = sage_money(row[4], source="reference index")
            totals[k] = totals.get(k, Decimal("0.00")) + value
            first.setdefault(k, row)
            if value == amount:
                single.add(k)
        hits = [
            ExistingInvoice(
                key=ApInvoiceKey(DivisionNo(k[1]), SageVendorNo(k[2]), SageInvoiceNo(k[3])),
                where=k[0],  # type: ignore[arg-type]  # one of entry/open/history
                invoice_date=parse_sage_date(first[k][5]),
                amount=total,
            )
            for k, total in totals.items()
            if amount is None or total == amount or k in single
        ]
        return sorted(hits, key=lambda i: (_ORDER[i.where], i.key))


def index_columns(s: BoiSession, where: InvoiceWhere) -> list[str]:
    c = s.settings.columns
    amount = {
        "entry": c.invoice_amount,
        "open": c.open_invoice_amount,
        "history": c.history_invoice_amount,
    }[where]
    cols = ["APDivisionNo$", "VendorNo$", "InvoiceNo$", "InvoiceDate$", amount]
    cols += ["DateUpdated$", "DateCreated$"]
    return [*cols, "HeaderSeqNo$"] if where == "history" else cols


def _read(s: BoiSession, where: InvoiceWhere, since_day: str = "") -> list[list[str]]:
    cols = index_columns(s, where)
    name = invoice_object(s, where)
    source = f"{name.removesuffix('#lookup')} ({where})"
    filter_expr = (
        any_of(f"DateUpdated$>={quote(since_day)}", f"DateCreated$>={quote(since_day)}")
        if since_day
        else ""
    )
    values = read_values(
        s.obj(name),
        cols,
        key_column="APDivisionNo$+VendorNo$+InvoiceNo$",
        source=source,
        filter_expr=filter_expr,
    )
    return parse_tuples(values, cols, source=source)


def build(s: BoiSession) -> InvoiceIndex:
    now = s.clock.monotonic()
    index = InvoiceIndex(built_at=now, refreshed_at=now)
    for where in ("entry", "open", "history"):
        index.load(where, _read(s, where))
    log.info("sage_invoice_index_built", rows=len(index), session=s.serial)
    return index


def refresh(s: BoiSession, index: InvoiceIndex) -> None:
    """Data entry whole; open and history from the newest day seen."""
    for rid in list(index.entries):
        index.drop(rid)
    index.load("entry", _read(s, "entry"))
    for where in ("open", "history"):
        index.load(where, _read(s, where, since_day=index.newest_day.get(where, "")))
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
        day = invoice.invoice_date.strftime("%Y%m%d") if invoice.invoice_date else ""
        row = ("entry", k.division_no, k.vendor_no, k.invoice_no, str(invoice.amount), day)
        index.put(("entry", k.division_no, k.vendor_no, k.invoice_no, ""), row)
