"""Codes: what each code a ServiceTitan vendor carries says, and all of them weighed together.

Owns `decide_code` (one code against its Sage vendor's name) and `weigh_codes`. A code is
a claim that the vendor is one Sage vendor: a user's mapping, the Sage number kept in the
vendor's externalData, the bill's `vendorNumber`. A code is trusted only when nothing
contradicts it, because a code keyed on the wrong vendor posts every bill to the wrong
payee:

- a code whose Sage vendor's name is clearly different is a conflict (`decide_code`; a
  bill's vendorNumber that is no Sage number is ignored, since vendors put their own
  account numbers there);
- two codes that name different Sage vendors: review, whichever is more trusted;
- a code that names one Sage vendor while the name alone names another (an exact name, or
  a fuzzy link) is a conflict: review, whatever the scores. A name that alone is ambiguous
  (several branches, a close score) does not contradict a code that is among its
  candidates; that is what the code is for.
"""

from __future__ import annotations

from dataclasses import dataclass

from ml_connector.sync.vendors.decision import VendorCandidate, VendorDecision
from ml_connector.sync.vendors.index import VendorIndex
from ml_connector.sync.vendors.names import ParsedName
from ml_connector.sync.vendors.outcomes import inactive, link, review, shown
from ml_connector.sync.vendors.score import NameComparison

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


def decide_code(
    index: VendorIndex, query: ParsedName, method: str, code: str
) -> VendorDecision | None:
    """What one code alone says: link to its Sage vendor when the names do not contradict
    it, else review; None for a bill's vendor number that is no Sage number."""
    entries = index.lookup_code(code)
    where = WHERE[method]
    if not entries:
        if method == "vendor number":
            return None  # often the vendor's own account number, not a Sage one
        return review(method, None, (), f"{where} ({code}) is not a Sage vendor. Check the number.")
    scored = [(index.compare(query, e), e) for e in entries]
    scored.sort(key=lambda p: -p[0].score)
    candidates = tuple(e.candidate(c.score, f"{method} {code}") for c, e in scored)
    if method == "mapping":
        agreeing = scored
    else:
        agreeing = [(c, e) for c, e in scored if names_agree(index, c)]
    if not agreeing:
        comparison, entry = scored[0]
        return review(
            method,
            comparison.score,
            candidates + index.name_candidates(query),
            f"{where} ({code}) is Sage vendor {entry.label}, but this vendor is called "
            f"{query.raw!r} (name score {shown(comparison.score)}). "
            "Check which vendor is meant.",
        )
    if len(agreeing) > 1 and agreeing[0][0].score == agreeing[1][0].score:
        listed = ", ".join(e.label for _, e in agreeing)
        return review(
            method, None, candidates, f"{where} ({code}) fits several Sage vendors: {listed}."
        )
    comparison, entry = agreeing[0]
    if not entry.active:
        return inactive(method, comparison.score, candidates, entry)
    return link(
        entry,
        method,
        comparison.score,
        candidates,
        f"{where} ({code}) is Sage vendor {entry.label}"
        + ("." if method == "mapping" else f"; the names agree ({comparison.explain()})."),
    )


def names_agree(index: VendorIndex, comparison: NameComparison) -> bool:
    """A code is trusted when the names do not contradict it: no other branch, no words
    that set the companies apart ("Smith Plumbing" / "SMITH ELECTRIC"), and a score of
    at least `conflict_score` (a renamed vendor may score low without contradicting)."""
    if comparison.branch_conflict or comparison.word_conflict:
        return False
    return comparison.score >= index.settings.conflict_score


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


def _conflict(
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
        return _conflict(
            "codes disagree",
            findings,
            (),
            f"The codes of {name!r} disagree: {said}. Check which vendor is meant and "
            "correct the other code.",
        )
    named = _named_by(by_name)
    if by_name is not None and named and _key(first.decision) not in named:
        return _conflict(
            "code conflict",
            findings,
            by_name.candidates,
            f"{WHERE[first.method]} ({first.code}) is Sage vendor {_label(first.decision)}, "
            f"but the name {name!r} is Sage vendor "
            f"{', '.join(sorted(f'{d}-{v}' for d, v in named))} ({by_name.method}). "
            "Check which vendor is meant.",
        )
    return first.decision
