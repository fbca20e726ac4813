"""The fuzzy score: a decision from how close the nearest Sage vendors' names are.

Owns `by_score`, used when no Sage vendor has the name exactly. The score itself is
`vendors.score`; here it decides:

- at `auto_link_score` or above and at least `margin` ahead of the runner-up: link (to an
  active vendor; an inactive one goes to review);
- at `review_score` or above, `margin` ahead, with the same branch number and only filler
  words apart (`name_rules.same_branch_filler_only`): link;
- otherwise at `review_score` or above: review (two close vendors, or too far to link);
- below `review_score`: review when a Sage vendor shares a rare distinctive word or the
  initials (a second vendor for the same company is worse than a question), else create.
"""

from __future__ import annotations

from ml_connector.sync.vendors.decision import VendorDecision
from ml_connector.sync.vendors.index import MAX_CANDIDATES, IndexedVendor, VendorIndex
from ml_connector.sync.vendors.name_rules import same_branch_filler_only
from ml_connector.sync.vendors.names import ParsedName
from ml_connector.sync.vendors.outcomes import Candidates, create, inactive, link, review, shown
from ml_connector.sync.vendors.score import NameComparison

METHOD = "name score"


def by_score(index: VendorIndex, query: ParsedName) -> VendorDecision:
    s = index.settings
    scored = index.closest(query)
    shown_pairs = [(c, e) for c, e in scored[:MAX_CANDIDATES] if c.score >= s.review_score / 2]
    candidates = tuple(e.candidate(c.score, c.explain()) for c, e in shown_pairs)
    if not scored or scored[0][0].score < s.review_score:
        return _nothing_close(index, query, scored, [e for _, e in shown_pairs], candidates)
    best, entry = scored[0]
    runner_up = scored[1][0].score if len(scored) > 1 else 0.0
    if best.score >= s.auto_link_score and best.score - runner_up >= s.margin:
        if not entry.active:
            return inactive(METHOD, best.score, candidates, entry)
        return link(
            entry,
            METHOD,
            best.score,
            candidates,
            f"Closest Sage vendor is {entry.label} (score {shown(best.score)}: "
            f"{best.explain()}); the next scores {shown(runner_up)}.",
        )
    if (
        best.score >= s.review_score
        and best.score - runner_up >= s.margin
        and entry.active
        and same_branch_filler_only(query, entry.parsed, best)
    ):
        return link(
            entry,
            "name score (same branch number)",
            best.score,
            candidates,
            f"Closest Sage vendor is {entry.label}: the same branch number and the same "
            f"distinctive words; only {' '.join(best.only_first + best.only_second)} "
            f"differs. The next scores {shown(runner_up)}.",
        )
    if best.score >= s.auto_link_score:
        other = scored[1][1]
        why = (
            f"Two Sage vendors are about as close: {entry.label} (score {shown(best.score)}) "
            f"and {other.label} (score {shown(runner_up)}). Pick one."
        )
    else:
        why = (
            f"No Sage vendor has this name. The closest, {entry.label}, scores "
            f"{shown(best.score)} ({best.explain()}): too far to link without a person."
        )
    return review(METHOD, best.score, candidates, why)


def _nothing_close(
    index: VendorIndex,
    query: ParsedName,
    scored: list[tuple[NameComparison, IndexedVendor]],
    shown_entries: list[IndexedVendor],
    candidates: Candidates,
) -> VendorDecision:
    """Below `review_score`: review if a Sage vendor is kin to the name, else create."""
    kin = [e for _, e in scored if index.kin(query, e.parsed)]
    kin += [e for e in index.by_initials.get(query.compact, ()) if e not in kin]
    if kin:
        score_of = {id(e): c for c, e in scored}
        candidates += tuple(
            e.candidate(score_of[id(e)].score, score_of[id(e)].explain())
            if id(e) in score_of
            else e.candidate(0.0, "initials of this name")
            for e in kin
            if e not in shown_entries
        )
        listed = ", ".join(e.label for e in kin[:MAX_CANDIDATES])
        return review(
            METHOD,
            scored[0][0].score if scored else None,
            candidates[: MAX_CANDIDATES * 2],
            f"No Sage vendor is close enough to link, but {listed} shares a "
            "distinctive word or the initials of this name. Pick it, or create a new "
            "vendor if it is another company.",
        )
    closest = (
        f" The closest, {scored[0][1].label}, scores {shown(scored[0][0].score)}." if scored else ""
    )
    return create(index, query, candidates, "No Sage vendor has a similar name." + closest)
