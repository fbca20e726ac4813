"""The three things a vendor decision can say, built one way for every rule.

Owns `link`, `review`, `inactive` (a review: the match is an inactive Sage vendor, and a
link is only ever made to an active one), `create` (with a proposed free number; a review
when creating vendors is turned off) and `shown`, how a score reads to a clerk.
"""

from __future__ import annotations

from ml_connector.sync.vendors.decision import VendorCandidate, VendorDecision
from ml_connector.sync.vendors.index import IndexedVendor, VendorIndex
from ml_connector.sync.vendors.names import ParsedName
from ml_connector.sync.vendors.numbers import propose_vendor_no

Candidates = tuple[VendorCandidate, ...]


def shown(score: float) -> str:
    """A score for a clerk: whole points, rounded down, so 89.6 never reads as the 90 that
    would have linked."""
    return str(int(score))


def link(
    entry: IndexedVendor, method: str, score: float | None, candidates: Candidates, reason: str
) -> VendorDecision:
    v = entry.vendor
    return VendorDecision("link", v.division_no, v.vendor_no, method, score, candidates, reason)


def review(method: str, score: float | None, candidates: Candidates, reason: str) -> VendorDecision:
    return VendorDecision("review", None, None, method, score, candidates, reason)


def inactive(
    method: str, score: float | None, candidates: Candidates, entry: IndexedVendor
) -> VendorDecision:
    return review(
        method,
        score,
        candidates,
        f"The matching Sage vendor {entry.label} is inactive. Reactivate it in Sage or "
        "pick another vendor.",
    )


def create(
    index: VendorIndex, query: ParsedName, candidates: Candidates, reason: str
) -> VendorDecision:
    settings = index.settings
    if not settings.create_missing:
        return review(
            "none", None, candidates, reason + " Creating vendors is turned off: pick one."
        )
    division = settings.default_division
    number = propose_vendor_no(query.raw, lambda no: index.is_taken(division, no))
    return VendorDecision(
        "create",
        division,
        number,
        "none",
        None,
        candidates,
        reason + f" A new Sage vendor {division}-{number} is proposed.",
    )
