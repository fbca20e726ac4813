"""Which Sage vendor a ServiceTitan vendor is: link, create, or ask a person.

Owns `VendorMatcher`, which runs the decision in this order (each step in its own module).
The caller checks existing links first; then:

1. Codes: a user's mapping, the Sage number kept in the ServiceTitan vendor's
   externalData, the bill's `vendorNumber` read as a Sage vendor number. Every code is
   weighed (`vendors.codes`): a code whose vendor's name is clearly different, a code
   naming one vendor while the name names another, or two codes naming different vendors
   go to review. (A bill's vendorNumber that is no Sage number is ignored, since vendors
   put their own account numbers there.)
2. The normalised name, exactly (`vendors.exact_name`; also: the first 30 characters, as
   Sage cuts VendorName; the legal name before "dba"; the controller's alias table,
   `vendors.aliases`; the same words in another order). Branch numbers must agree where
   Sage keeps branches apart.
3. A fuzzy score (`vendors.name_score`; the score itself is `vendors.score`): link only
   at `auto_link_score` or above and at least `margin` ahead of the runner-up (or, below
   that, the same branch number with only filler words apart,
   `name_rules.same_branch_filler_only`); between `review_score` and that, review.
4. Nothing close: create (with a proposed number) when allowed, else review
   (`vendors.outcomes` builds every decision).

A link is only ever made to an active Sage vendor. Sage vendors are indexed once
(`vendors.index`), with blocking on distinctive words, so each decision scores a handful
of vendors, not all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from ml_connector.sage100.port import SageVendor
from ml_connector.sync.vendors.codes import CodeFinding, decide_code, weigh_codes
from ml_connector.sync.vendors.decision import (
    MatchSettings,
    Outcome,
    VendorCandidate,
    VendorDecision,
)
from ml_connector.sync.vendors.exact_name import by_exact_name
from ml_connector.sync.vendors.index import VendorIndex
from ml_connector.sync.vendors.name_score import by_score
from ml_connector.sync.vendors.names import parse_vendor_name
from ml_connector.sync.vendors.numbers import propose_vendor_no
from ml_connector.sync.vendors.outcomes import review

__all__ = [
    "MatchSettings",
    "Outcome",
    "VendorCandidate",
    "VendorDecision",
    "VendorMatcher",
    "propose_vendor_no",
]


class VendorMatcher:
    """Decides, for one ServiceTitan vendor at a time, which Sage vendor it is."""

    def __init__(
        self, sage_vendors: Iterable[SageVendor], settings: MatchSettings | None = None
    ) -> None:
        self.settings = settings or MatchSettings()
        self._index = VendorIndex(self.settings)
        for vendor in sage_vendors:
            self.add(vendor)

    def add(self, vendor: SageVendor) -> None:
        """Index one more Sage vendor (for example one the engine just created)."""
        self._index.add(vendor)

    def is_taken(self, division_no: str, vendor_no: str) -> bool:
        return self._index.is_taken(division_no, vendor_no)

    def decide(
        self,
        *,
        name: str,
        vendor_number: str | None = None,
        external_number: str | None = None,
        mapped_number: str | None = None,
    ) -> VendorDecision:
        index = self._index
        query = index.parse(name)
        # 2 and 3: what the name alone says (codes are weighed against it)
        by_name = (by_exact_name(index, query) or by_score(index, query)) if query.compact else None
        # 1: every code, most trusted first
        codes = (
            ("mapping", mapped_number),
            ("external data", external_number),
            ("vendor number", vendor_number),
        )
        findings = [
            CodeFinding(method, code.strip().upper(), decision)
            for method, code in codes
            if code and code.strip()
            for decision in [decide_code(index, query, method, code.strip().upper())]
            if decision is not None
        ]
        if findings:
            return weigh_codes(query.raw, findings, by_name)
        if by_name is None:
            return review("none", None, (), f"The vendor name {name!r} has nothing to match on.")
        aliased = query.tokens != parse_vendor_name(name).tokens
        if by_name.outcome == "link" and (
            aliased or (by_name.division_no or "", by_name.vendor_no or "") in index.aliased
        ):  # the audit log says why two different names were taken as one
            return replace(
                by_name,
                method=f"{by_name.method} (alias table)",
                reason=f"{by_name.reason} The alias table gives these names as one.",
            )
        return by_name

    def code_targets(self, code: str) -> list[tuple[str, str]]:
        """The Sage vendors (division, number) a code names; empty when it is no Sage
        number."""
        found = self._index.lookup_code(code.strip().upper())
        return [(e.vendor.division_no, e.vendor.vendor_no) for e in found]

    def propose_number(self, name: str, division_no: str | None = None) -> str:
        """A free vendor number for `name` in `division_no` (default division if None)."""
        division = division_no or self.settings.default_division
        taken: Callable[[str], bool] = lambda no: self.is_taken(division, no)  # noqa: E731
        return propose_vendor_no(name, taken)
