"""Weighing every code a ServiceTitan vendor carries against each other and its name.

Owns `weigh_codes`. A code is a claim that the vendor is one Sage vendor: a user's
mapping, the Sage number kept in the vendor's externalData, the bill's `vendorNumber`. A
code is trusted only when nothing contradicts it, because a code keyed on the wrong
vendor posts every bill to the wrong payee:

- a code whose Sage vendor's name is clearly different is a conflict (decided per code by
  the matcher, `VendorMatcher._from_code`);
- two codes that name different Sage vendors: review, whichever is more trusted;
- a code that names one Sage vendor while the name alone names another (an exact name, or
  a fuzzy link) is a conflict: review, whatever the scores. A name that alone is ambiguous
  (several branches, a close score) does not contradict a code that is among its
  candidates; that is what the code is for.
"""

from __future__ import annotations

from dataclasses import dataclass

from ml_connector.sync.vendors.decision import VendorCandidate, VendorDecision

WHERE = {
    "mapping": "The vendor mapping",
    "external data": "The Sage vendor number kept on the ServiceTitan vendor",
    "vendor number": "The bill's vendor number",
}


@dataclass(frozen=True, slots=True)
class CodeFinding:
    method: str  # "mapping", "external data" or "vendor number"
    code: str
    decision: VendorDecision  # what this code alone says: link, or review


def _key(d: VendorDecision | VendorCandidate) -> tuple[str | None, str | None]:
    return (d.division_no, d.vendor_no)


def _label(d: VendorDecision) -> str:
    return f"{d.division_no}-{d.vendor_no}"


def _named_by(by_name: VendorDecision | None) -> set[tuple[str | None, str | None]]:
    """The Sage vendors the name alone designates (empty: it designates none)."""
    if by_name is None:
        return set()
    if by_name.outcome == "link":
        return {_key(by_name)}
    if by_name.outcome == "review" and by_name.method.startswith("exact name"):
        return {_key(c) for c in by_name.candidates}
    return set()


def _review(
    method: str, findings: list[CodeFinding], extra: tuple[VendorCandidate, ...], reason: str
) -> VendorDecision:
    seen: dict[tuple[str | None, str | None], VendorCandidate] = {}
    for c in [c for f in findings for c in f.decision.candidates] + list(extra):
        seen.setdefault(_key(c), c)
    return VendorDecision("review", None, None, method, None, tuple(seen.values()), reason)


def weigh_codes(
    name: str, findings: list[CodeFinding], by_name: VendorDecision | None
) -> VendorDecision:
    """One decision from every code found (most trusted first) and the name's own."""
    first = findings[0]
    doubtful = [f for f in findings if f.decision.outcome != "link"]
    if doubtful:
        return doubtful[0].decision
    targets = {_key(f.decision) for f in findings}
    if len(targets) > 1:
        said = "; ".join(
            f"{WHERE[f.method].lower()} ({f.code}) is {_label(f.decision)}" for f in findings
        )
        return _review(
            "codes disagree",
            findings,
            (),
            f"The codes of {name!r} disagree: {said}. Check which vendor is meant and "
            "correct the other code.",
        )
    named = _named_by(by_name)
    if by_name is not None and named and _key(first.decision) not in named:
        return _review(
            "code conflict",
            findings,
            by_name.candidates,
            f"{WHERE[first.method]} ({first.code}) is Sage vendor {_label(first.decision)}, "
            f"but the name {name!r} is Sage vendor "
            f"{', '.join(sorted(f'{d}-{v}' for d, v in named))} ({by_name.method}). "
            "Check which vendor is meant.",
        )
    return first.decision
