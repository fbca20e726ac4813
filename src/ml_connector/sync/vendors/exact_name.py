"""The normalised name, exactly: which Sage vendor has this very name.

Owns `by_exact_name`. The same name is looked for as keyed, as Sage cuts VendorName (30
characters), as the legal name before "dba" (on either side), and as the same words in
another order (unless the words hold a whole other Sage vendor's name). Branch numbers must
agree where Sage keeps branches apart; several active vendors with one name, or only
inactive ones, go to review.
"""

from __future__ import annotations

from ml_connector.sage100.port import VENDOR_NAME_LEN
from ml_connector.sync.vendors.decision import VendorDecision
from ml_connector.sync.vendors.index import IndexedVendor, VendorIndex
from ml_connector.sync.vendors.name_rules import word_set
from ml_connector.sync.vendors.names import ParsedName, parse_vendor_name, truncated_like_sage
from ml_connector.sync.vendors.outcomes import Candidates, create, inactive, link, review


def by_exact_name(index: VendorIndex, query: ParsedName) -> VendorDecision | None:
    """The decision when some Sage vendor has this name; None when none has."""
    group = index.by_name.get(query.compact, [])
    method = "exact name"
    if not group and len(query.raw.strip()) > VENDOR_NAME_LEN:
        cut = parse_vendor_name(truncated_like_sage(query.raw))
        group = [e for e in index.by_name.get(cut.compact, ()) if e.parsed.maybe_truncated]
        method = "exact name (Sage's 30-character cut)"
    if not group and query.owner:
        group = index.by_name.get("".join(query.owner), [])
        method = "exact name (legal name before dba)"
    if not group:
        group = index.by_owner.get(query.compact, [])
        method = "exact name (Sage's legal name before dba)"
    if not group and len(query.tokens) > 1 and not index.contains_another(query):
        group = index.by_words.get(word_set(query), [])
        method = "exact name (words in another order)"
    if not group:
        return None
    return _decide_branch(index, query, group, method)


def _decide_branch(
    index: VendorIndex, query: ParsedName, group: list[IndexedVendor], method: str
) -> VendorDecision:
    same = [e for e in group if e.parsed.branch == query.branch]
    unbranched = [e for e in group if e.parsed.branch is None]
    others = [e for e in group if e.parsed.branch not in (None, query.branch)]
    candidates = tuple(e.candidate(index.compare(query, e).score, method) for e in group)
    if same:
        return _one_of(same, method, candidates)
    if query.branch is not None:
        if unbranched and not others:
            if len(unbranched) == 1 and unbranched[0].active:
                entry = unbranched[0]
                why = f"Same name as Sage vendor {entry.label}, which has no branch number"
                return link(entry, method, 100.0, candidates, why + " (the only one).")
            return _one_of(unbranched, method, candidates)
        listed = ", ".join(e.label for e in group)
        if unbranched:
            return review(
                method,
                None,
                candidates,
                f"Sage has {listed}; none is branch #{query.branch}. "
                "Pick the vendor or create one for this branch.",
            )
        return create(
            index,
            query,
            candidates,
            f"Sage keeps this vendor's branches apart ({listed}) and has none for "
            f"branch #{query.branch}.",
        )
    listed = ", ".join(e.label for e in group)
    return review(
        method,
        None,
        candidates,
        f"This name has no branch number and Sage has it only with one: {listed}. Pick the branch.",
    )


def _one_of(entries: list[IndexedVendor], method: str, candidates: Candidates) -> VendorDecision:
    active = [e for e in entries if e.active]
    if len(active) == 1:
        entry = active[0]
        return link(entry, method, 100.0, candidates, f"Same name as {entry.label}.")
    if not active:
        return inactive(method, 100.0, candidates, entries[0])
    listed = ", ".join(e.label for e in active)
    return review(
        method,
        100.0,
        candidates,
        f"Several active Sage vendors have this name: {listed}. Pick one "
        "(and consider merging the duplicates in Sage).",
    )
