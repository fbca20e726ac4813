"""The review queue as a person reads it: one row per problem.

Open review items are grouped so that one decision is one row:
- vendor items (ambiguous / unknown vendor) of one ServiceTitan vendor: the vendor step's
  own item and one per bill waiting on it;
- unmapped-GL items whose unmapped lines name the same ServiceTitan GL account(s);
- anything else: one item, one row.
Each problem carries its bills (from the ledger: amount, date, reference, vendor name),
their total, and the candidates the matcher scored (with their Sage status; `suggested`
is the one to pre-select, the same as the CLI's: never an inactive vendor). `primary` is
the item the actions act on; the others follow it (see `ml_connector.app.web.actions`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from ml_connector.store.port import DocKind, LedgerEntry, PairId, ReviewItem, ReviewKind
from ml_connector.sync.review import suggested_candidate

VENDOR_KINDS = frozenset({ReviewKind.AMBIGUOUS_VENDOR, ReviewKind.UNKNOWN_VENDOR})

KIND_TITLES: Mapping[ReviewKind, str] = {
    ReviewKind.AMBIGUOUS_VENDOR: "Which Sage vendor?",
    ReviewKind.UNKNOWN_VENDOR: "Vendor not in Sage",
    ReviewKind.UNMAPPED_GL: "No GL account",
    ReviewKind.SUSPECTED_DUPLICATE: "Suspected duplicate",
    ReviewKind.CHANGED_AFTER_EXPORT: "Changed after it was written",
    ReviewKind.SAGE_REJECTED: "Sage refused it",
    ReviewKind.INVALID_DOCUMENT: "Bill cannot be written as it is",
    ReviewKind.EXPORT_MARK_FAILED: "Not marked exported in ServiceTitan",
}

# a Sage vendor's VendorStatus as a person reads it (an item may predate the status: "")
VENDOR_STATUS: Mapping[str, str] = {"A": "active", "I": "inactive in Sage", "T": "temporary"}


@dataclass(frozen=True, slots=True)
class Bill:
    item: ReviewItem
    entry: LedgerEntry | None

    @property
    def amount(self) -> Decimal | None:
        if self.entry is not None and self.entry.amount is not None:
            return self.entry.amount
        raw = self.item.details.get("amount")
        try:
            return None if raw is None else Decimal(str(raw))
        except InvalidOperation:
            return None

    @property
    def document_date(self) -> date | None:
        return self.entry.document_date if self.entry is not None else None

    @property
    def reference(self) -> str:
        if self.entry is not None and self.entry.reference:
            return self.entry.reference
        return str(self.item.details.get("reference") or "")


@dataclass(frozen=True, slots=True)
class Problem:
    pair: PairId
    kind: ReviewKind
    primary: ReviewItem
    items: tuple[ReviewItem, ...]
    bills: tuple[Bill, ...]
    candidates: tuple[Mapping[str, Any], ...] = field(default=())
    st_gl_accounts: tuple[str, ...] = field(default=())

    @property
    def title(self) -> str:
        return KIND_TITLES.get(self.kind, str(self.kind))

    @property
    def suggested(self) -> str | None:
        """The candidate to pre-select, as division-vendor: the one `review list` suggests
        (the best that is not inactive in Sage; None when every one is)."""
        return suggested_candidate(dict(c) for c in self.candidates)

    @property
    def vendor_name(self) -> str:
        for item in self.items:
            name = item.details.get("st_vendor_name")
            if name:
                return str(name)
        for bill in self.bills:
            if bill.entry is not None and bill.entry.vendor_name:
                return bill.entry.vendor_name
        return ""

    @property
    def total(self) -> Decimal | None:
        amounts = [b.amount for b in self.bills if b.amount is not None]
        return sum(amounts, Decimal("0.00")) if amounts else None

    @property
    def dates(self) -> tuple[date | None, date | None]:
        found = sorted(d for d in (b.document_date for b in self.bills) if d is not None)
        return (found[0], found[-1]) if found else (None, None)

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(i.id for i in self.items if i.id is not None)


def _group_key(item: ReviewItem) -> tuple[Any, ...]:
    if item.kind in VENDOR_KINDS and item.details.get("st_vendor_id") is not None:
        return ("vendor", item.pair, int(item.details["st_vendor_id"]))
    if item.kind is ReviewKind.UNMAPPED_GL:
        accounts = gl_accounts_of(item)
        if accounts:
            return ("gl", item.pair, accounts)
    return ("item", item.id)


def gl_accounts_of(item: ReviewItem) -> tuple[str, ...]:
    """The ServiceTitan GL accounts of an unmapped-GL item's unmapped lines."""
    lines = item.details.get("unmapped") or []
    found = {str(line.get("st_gl_account")) for line in lines if line.get("st_gl_account")}
    return tuple(sorted(found))


def doc_keys(items: Iterable[ReviewItem]) -> list[tuple[PairId, DocKind, int]]:
    return [(i.pair, i.doc_kind, i.doc_id) for i in items if i.doc_kind is not None and i.doc_id]


def group(
    items: Sequence[ReviewItem], ledger: Mapping[tuple[PairId, DocKind, int], LedgerEntry]
) -> list[Problem]:
    """Open items as problems, oldest problem first."""
    groups: dict[tuple[Any, ...], list[ReviewItem]] = {}
    for item in items:
        groups.setdefault(_group_key(item), []).append(item)
    problems: list[Problem] = []
    for members in groups.values():
        # the vendor step's own item (no document) is the one to act on, else the oldest
        primary = next((m for m in members if m.doc_id is None), members[0])
        bills = tuple(
            Bill(m, ledger.get((m.pair, m.doc_kind, m.doc_id)))
            for m in members
            if m.doc_kind is not None and m.doc_id is not None
        )
        candidates: tuple[Mapping[str, Any], ...] = ()
        for m in (primary, *members):
            found = m.details.get("candidates")
            if found:
                candidates = tuple(found)
                break
        problems.append(
            Problem(
                pair=primary.pair,
                kind=primary.kind,
                primary=primary,
                items=tuple(members),
                bills=bills,
                candidates=candidates,
                st_gl_accounts=gl_accounts_of(primary),
            )
        )
    return problems
