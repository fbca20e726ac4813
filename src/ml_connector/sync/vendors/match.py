"""Which Sage vendor a ServiceTitan vendor is: link, create, or ask a person.

Owns `VendorMatcher` and its decisions. The caller checks existing links first; then:

1. Codes: a user's mapping, the Sage number kept in the ServiceTitan vendor's
   externalData, the bill's `vendorNumber` read as a Sage vendor number. Every code is
   weighed (`vendors.codes`): a code whose vendor's name is clearly different, a code
   naming one vendor while the name names another, or two codes naming different vendors
   go to review. (A bill's vendorNumber that is no Sage number is ignored, since vendors
   put their own account numbers there.)
2. The normalised name, exactly (also: the first 30 characters, as Sage cuts VendorName;
   the legal name before "dba"; the controller's alias table, `vendors.aliases`; the same
   words in another order). Branch numbers must agree where Sage keeps branches apart.
3. A fuzzy score (see `vendors.score`): link only at `auto_link_score` or above and at least
   `margin` ahead of the runner-up (or, below that, the same branch number with only filler
   words apart, `name_rules.same_branch_filler_only`); between `review_score` and that,
   review.
4. Nothing close: create (with a proposed number) when allowed, else review.

A link is only ever made to an active Sage vendor. Sage vendors are indexed once, with
blocking on distinctive words, so each decision scores a handful of vendors, not all.
"""

from __future__ import annotations

import heapq
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from ml_connector.sage100.port import VENDOR_NAME_LEN, SageVendor, sage_vendor_no
from ml_connector.sync.vendors.aliases import apply_alias, check_aliases
from ml_connector.sync.vendors.codes import CodeFinding, weigh_codes
from ml_connector.sync.vendors.decision import (
    MatchSettings,
    Outcome,
    VendorCandidate,
    VendorDecision,
)
from ml_connector.sync.vendors.name_rules import (
    blocking_keys,
    initials,
    same_branch_filler_only,
    same_core,
    word_set,
)
from ml_connector.sync.vendors.names import (
    ParsedName,
    parse_vendor_name,
    truncated_like_sage,
)
from ml_connector.sync.vendors.numbers import propose_vendor_no
from ml_connector.sync.vendors.score import NameComparison, compare_names

__all__ = [
    "MatchSettings",
    "Outcome",
    "VendorCandidate",
    "VendorDecision",
    "VendorMatcher",
    "propose_vendor_no",
]

MAX_CANDIDATES = 5
SHORTLIST = 15


@dataclass(frozen=True, slots=True)
class _Entry:
    vendor: SageVendor
    parsed: ParsedName

    @property
    def active(self) -> bool:
        return self.vendor.status != "I"

    @property
    def label(self) -> str:
        return f"{self.vendor.division_no}-{self.vendor.vendor_no} {self.vendor.name!r}"

    def candidate(self, score: float, reason: str) -> VendorCandidate:
        v = self.vendor
        return VendorCandidate(v.division_no, v.vendor_no, v.name, score, reason, v.status)


def _shown(score: float) -> str:
    """A score for a clerk: whole points, rounded down, so 89.6 never reads as the 90 that
    would have linked."""
    return str(int(score))


RARE_WORD_VENDORS = 3  # a distinctive word in at most this many Sage names is "rare"


class VendorMatcher:
    """Decides, for one ServiceTitan vendor at a time, which Sage vendor it is."""

    def __init__(
        self, sage_vendors: Iterable[SageVendor], settings: MatchSettings | None = None
    ) -> None:
        self.settings = settings or MatchSettings()
        self._entries: list[_Entry] = []
        self._by_code: dict[str, list[_Entry]] = defaultdict(list)
        self._by_name: dict[str, list[_Entry]] = defaultdict(list)
        self._by_owner: dict[str, list[_Entry]] = defaultdict(list)
        self._postings: dict[str, list[int]] = defaultdict(list)
        self._by_initials: dict[str, list[_Entry]] = defaultdict(list)
        self._by_words: dict[str, list[_Entry]] = defaultdict(list)
        self._numbers: set[tuple[str, str]] = set()
        self._aliases = check_aliases(self.settings.aliases)
        self._aliased: set[tuple[str, str]] = set()  # Sage vendors whose name is an alias
        for vendor in sage_vendors:
            self.add(vendor)

    def add(self, vendor: SageVendor) -> None:
        """Index one more Sage vendor (for example one the engine just created)."""
        self._numbers.add((vendor.division_no, sage_vendor_no(vendor.vendor_no)))
        wanted = self.settings.divisions
        if wanted is not None and vendor.division_no not in wanted:
            return
        entry = _Entry(vendor, self._parse(vendor.name))
        if entry.parsed.tokens != parse_vendor_name(vendor.name).tokens:
            self._aliased.add((vendor.division_no, vendor.vendor_no))
        index = len(self._entries)
        self._entries.append(entry)
        self._by_code[sage_vendor_no(vendor.vendor_no)].append(entry)
        self._by_name[entry.parsed.compact].append(entry)
        if len(entry.parsed.tokens) > 1:
            self._by_words[word_set(entry.parsed)].append(entry)
        if entry.parsed.owner:
            self._by_owner["".join(entry.parsed.owner)].append(entry)
        for key in blocking_keys(entry.parsed):
            self._postings[key].append(index)
        for letters in initials(entry.parsed):
            self._by_initials[letters].append(entry)

    def _parse(self, name: str) -> ParsedName:
        return apply_alias(self._aliases, parse_vendor_name(name))

    def is_taken(self, division_no: str, vendor_no: str) -> bool:
        # Sage zero-fills all-digit numbers: "123" is taken when "0000123" is
        return (division_no, sage_vendor_no(vendor_no)) in self._numbers

    def decide(
        self,
        *,
        name: str,
        vendor_number: str | None = None,
        external_number: str | None = None,
        mapped_number: str | None = None,
    ) -> VendorDecision:
        query = self._parse(name)
        codes = (
            ("mapping", mapped_number),
            ("external data", external_number),
            ("vendor number", vendor_number),
        )
        by_name = (self._by_exact_name(query) or self._by_score(query)) if query.compact else None
        findings = [
            CodeFinding(method, code.strip().upper(), decision)
            for method, code in codes
            if code and code.strip()
            for decision in [self._from_code(query, method, code.strip().upper())]
            if decision is not None
        ]
        if findings:
            return weigh_codes(query.raw, findings, by_name)
        if by_name is None:
            return self._review(
                "none", None, (), f"The vendor name {name!r} has nothing to match on."
            )
        aliased = query.tokens != parse_vendor_name(name).tokens
        if by_name.outcome == "link" and (
            aliased or (by_name.division_no or "", by_name.vendor_no or "") in self._aliased
        ):  # the audit log says why two different names were taken as one
            return replace(
                by_name,
                method=f"{by_name.method} (alias table)",
                reason=f"{by_name.reason} The alias table gives these names as one.",
            )
        return by_name

    # -- 1. codes ------------------------------------------------------------------------

    def _lookup_code(self, code: str) -> list[_Entry]:
        found = list(self._by_code.get(code, ()))
        if code.isdigit() and len(code) < 7:
            found += self._by_code.get(code.zfill(7), [])
        division, sep, number = code.partition("-")
        if sep and len(division) == 2 and division.isdigit():
            found += [e for e in self._by_code.get(number, ()) if e.vendor.division_no == division]
        return list({id(e): e for e in found}.values())

    def code_targets(self, code: str) -> list[tuple[str, str]]:
        """The Sage vendors (division, number) a code names; empty when it is no Sage
        number."""
        found = self._lookup_code(code.strip().upper())
        return [(e.vendor.division_no, e.vendor.vendor_no) for e in found]

    def _from_code(self, query: ParsedName, method: str, code: str) -> VendorDecision | None:
        entries = self._lookup_code(code)
        where = {
            "mapping": "The vendor mapping",
            "external data": "The Sage vendor number kept on the ServiceTitan vendor",
            "vendor number": "The bill's vendor number",
        }[method]
        if not entries:
            if method == "vendor number":
                return None  # often the vendor's own account number, not a Sage one
            return self._review(
                method, None, (), f"{where} ({code}) is not a Sage vendor. Check the number."
            )
        scored = [(self._compare(query, e), e) for e in entries]
        scored.sort(key=lambda p: -p[0].score)
        candidates = tuple(e.candidate(c.score, f"{method} {code}") for c, e in scored)
        if method == "mapping":
            agreeing = scored
        else:
            agreeing = [(c, e) for c, e in scored if self._names_agree(c)]
        if not agreeing:
            comparison, entry = scored[0]
            return self._review(
                method,
                comparison.score,
                candidates + self._name_candidates(query),
                f"{where} ({code}) is Sage vendor {entry.label}, but this vendor is called "
                f"{query.raw!r} (name score {_shown(comparison.score)}). "
                "Check which vendor is meant.",
            )
        if len(agreeing) > 1 and agreeing[0][0].score == agreeing[1][0].score:
            listed = ", ".join(e.label for _, e in agreeing)
            return self._review(
                method, None, candidates, f"{where} ({code}) fits several Sage vendors: {listed}."
            )
        comparison, entry = agreeing[0]
        if not entry.active:
            return self._inactive(method, comparison.score, candidates, entry)
        return self._link(
            entry,
            method,
            comparison.score,
            candidates,
            f"{where} ({code}) is Sage vendor {entry.label}"
            + ("." if method == "mapping" else f"; the names agree ({comparison.explain()})."),
        )

    def _names_agree(self, comparison: NameComparison) -> bool:
        """A code is trusted when the names do not contradict it: no other branch, no words
        that set the companies apart ("Smith Plumbing" / "SMITH ELECTRIC"), and a score of
        at least `conflict_score` (a renamed vendor may score low without contradicting)."""
        if comparison.branch_conflict or comparison.word_conflict:
            return False
        return comparison.score >= self.settings.conflict_score

    # -- 2. the normalised name ----------------------------------------------------------

    def _by_exact_name(self, query: ParsedName) -> VendorDecision | None:
        group = self._by_name.get(query.compact, [])
        method = "exact name"
        if not group and len(query.raw.strip()) > VENDOR_NAME_LEN:
            cut = parse_vendor_name(truncated_like_sage(query.raw))
            group = [e for e in self._by_name.get(cut.compact, ()) if e.parsed.maybe_truncated]
            method = "exact name (Sage's 30-character cut)"
        if not group and query.owner:
            group = self._by_name.get("".join(query.owner), [])
            method = "exact name (legal name before dba)"
        if not group:
            group = self._by_owner.get(query.compact, [])
            method = "exact name (Sage's legal name before dba)"
        if not group and len(query.tokens) > 1 and not self._contains_another(query):
            group = self._by_words.get(word_set(query), [])
            method = "exact name (words in another order)"
        if not group:
            return None
        return self._decide_branch(query, group, method)

    def _contains_another(self, query: ParsedName) -> bool:
        """Some Sage vendor's whole name is part of this one ("PLUMBING SUPPLY CO" in
        "Plumbing Supply of Dallas"): the words may be a place or branch of that vendor,
        not another order of the same name."""
        words = sorted(set(query.tokens))
        for size in range(1, len(words)):
            for subset in itertools.combinations(words, size):
                if self._by_words.get(" ".join(subset)) or self._by_name.get("".join(subset)):
                    return True
        return False

    def _decide_branch(
        self, query: ParsedName, group: list[_Entry], method: str
    ) -> VendorDecision | None:
        same = [e for e in group if e.parsed.branch == query.branch]
        unbranched = [e for e in group if e.parsed.branch is None]
        others = [e for e in group if e.parsed.branch not in (None, query.branch)]
        candidates = tuple(e.candidate(self._compare(query, e).score, method) for e in group)
        if same:
            return self._one_of(same, method, candidates)
        if query.branch is not None:
            if unbranched and not others:
                if len(unbranched) == 1 and unbranched[0].active:
                    entry = unbranched[0]
                    why = f"Same name as Sage vendor {entry.label}, which has no branch number"
                    return self._link(entry, method, 100.0, candidates, why + " (the only one).")
                return self._one_of(unbranched, method, candidates)
            listed = ", ".join(e.label for e in group)
            if unbranched:
                return self._review(
                    method,
                    None,
                    candidates,
                    f"Sage has {listed}; none is branch #{query.branch}. "
                    "Pick the vendor or create one for this branch.",
                )
            return self._create(
                query,
                candidates,
                f"Sage keeps this vendor's branches apart ({listed}) and has none for "
                f"branch #{query.branch}.",
            )
        listed = ", ".join(e.label for e in group)
        return self._review(
            method,
            None,
            candidates,
            f"This name has no branch number and Sage has it only with one: {listed}. "
            "Pick the branch.",
        )

    def _one_of(
        self, entries: list[_Entry], method: str, candidates: tuple[VendorCandidate, ...]
    ) -> VendorDecision:
        active = [e for e in entries if e.active]
        if len(active) == 1:
            entry = active[0]
            return self._link(entry, method, 100.0, candidates, f"Same name as {entry.label}.")
        if not active:
            return self._inactive(method, 100.0, candidates, entries[0])
        listed = ", ".join(e.label for e in active)
        return self._review(
            method,
            100.0,
            candidates,
            f"Several active Sage vendors have this name: {listed}. Pick one "
            "(and consider merging the duplicates in Sage).",
        )

    # -- 3. the fuzzy score --------------------------------------------------------------

    def _compare(self, query: ParsedName, entry: _Entry) -> NameComparison:
        best = compare_names(query, entry.parsed)
        if query.owner and best.score < 100.0:
            owner = ParsedName(query.raw, query.owner, query.branch)
            alt = compare_names(owner, entry.parsed)
            best = alt if alt.score > best.score else best
        return best

    def _scored(self, query: ParsedName) -> list[tuple[NameComparison, _Entry]]:
        """The closest Sage vendors, best first. Vendors sharing blocking keys are ranked
        by how rare the shared keys are; only the first `SHORTLIST` are scored in full."""
        overlap: dict[int, float] = defaultdict(float)
        for key in sorted(blocking_keys(query)):
            posting = self._postings.get(key, ())
            if posting:
                weight = 1.0 / len(posting)
                for i in posting:
                    overlap[i] += weight
        # ties broken by index order, so the outcome never depends on hash seeds
        ranked = heapq.nlargest(SHORTLIST, overlap.items(), key=lambda kv: (kv[1], -kv[0]))
        shortlist = [i for i, _ in ranked]
        scored = [(self._compare(query, self._entries[i]), self._entries[i]) for i in shortlist]
        scored.sort(key=lambda p: (-p[0].score, p[1].vendor.division_no, p[1].vendor.vendor_no))
        return scored

    def _kin(self, query: ParsedName, other: ParsedName) -> bool:
        """Too weak to link, too strong to create a second vendor: one name's distinctive
        words all appear in the other, or they share a rare distinctive word ("Grainger")."""
        if same_core(query, other):
            return True
        shared = set(query.distinctive) & set(other.distinctive)
        return any(
            len(w) >= 4 and len(self._postings.get("t:" + w, ())) <= RARE_WORD_VENDORS
            for w in shared
        )

    def _name_candidates(self, query: ParsedName) -> tuple[VendorCandidate, ...]:
        floor = self.settings.review_score / 2
        return tuple(
            e.candidate(c.score, c.explain())
            for c, e in self._scored(query)[:MAX_CANDIDATES]
            if c.score >= floor
        )

    def _by_score(self, query: ParsedName) -> VendorDecision:
        s = self.settings
        scored = self._scored(query)
        shown = [(c, e) for c, e in scored[:MAX_CANDIDATES] if c.score >= s.review_score / 2]
        candidates = tuple(e.candidate(c.score, c.explain()) for c, e in shown)
        method = "name score"
        if not scored or scored[0][0].score < s.review_score:
            kin = [e for _, e in scored if self._kin(query, e.parsed)]
            kin += [e for e in self._by_initials.get(query.compact, ()) if e not in kin]
            if kin:
                shown_entries = [x for _, x in shown]
                score_of = {id(e): c for c, e in scored}
                candidates += tuple(
                    e.candidate(score_of[id(e)].score, score_of[id(e)].explain())
                    if id(e) in score_of
                    else e.candidate(0.0, "initials of this name")
                    for e in kin
                    if e not in shown_entries
                )
                listed = ", ".join(e.label for e in kin[:MAX_CANDIDATES])
                return self._review(
                    method,
                    scored[0][0].score if scored else None,
                    candidates[: MAX_CANDIDATES * 2],
                    f"No Sage vendor is close enough to link, but {listed} shares a "
                    "distinctive word or the initials of this name. Pick it, or create a new "
                    "vendor if it is another company.",
                )
            closest = (
                f" The closest, {scored[0][1].label}, scores {_shown(scored[0][0].score)}."
                if scored
                else ""
            )
            return self._create(query, candidates, "No Sage vendor has a similar name." + closest)
        best, entry = scored[0]
        runner_up = scored[1][0].score if len(scored) > 1 else 0.0
        if best.score >= s.auto_link_score and best.score - runner_up >= s.margin:
            if not entry.active:
                return self._inactive(method, best.score, candidates, entry)
            return self._link(
                entry,
                method,
                best.score,
                candidates,
                f"Closest Sage vendor is {entry.label} (score {_shown(best.score)}: "
                f"{best.explain()}); the next scores {_shown(runner_up)}.",
            )
        if (
            best.score >= s.review_score
            and best.score - runner_up >= s.margin
            and entry.active
            and same_branch_filler_only(query, entry.parsed, best)
        ):
            return self._link(
                entry,
                "name score (same branch number)",
                best.score,
                candidates,
                f"Closest Sage vendor is {entry.label}: the same branch number and the same "
                f"distinctive words; only {' '.join(best.only_first + best.only_second)} "
                f"differs. The next scores {_shown(runner_up)}.",
            )
        if best.score >= s.auto_link_score:
            other = scored[1][1]
            why = (
                f"Two Sage vendors are about as close: {entry.label} (score {_shown(best.score)}) "
                f"and {other.label} (score {_shown(runner_up)}). Pick one."
            )
        else:
            why = (
                f"No Sage vendor has this name. The closest, {entry.label}, scores "
                f"{_shown(best.score)} ({best.explain()}): too far to link without a person."
            )
        return self._review(method, best.score, candidates, why)

    # -- outcomes ------------------------------------------------------------------------

    def _link(
        self,
        entry: _Entry,
        method: str,
        score: float | None,
        candidates: tuple[VendorCandidate, ...],
        reason: str,
    ) -> VendorDecision:
        v = entry.vendor
        return VendorDecision("link", v.division_no, v.vendor_no, method, score, candidates, reason)

    def _review(
        self,
        method: str,
        score: float | None,
        candidates: tuple[VendorCandidate, ...],
        reason: str,
    ) -> VendorDecision:
        return VendorDecision("review", None, None, method, score, candidates, reason)

    def _inactive(
        self,
        method: str,
        score: float | None,
        candidates: tuple[VendorCandidate, ...],
        entry: _Entry,
    ) -> VendorDecision:
        return self._review(
            method,
            score,
            candidates,
            f"The matching Sage vendor {entry.label} is inactive. Reactivate it in Sage or "
            "pick another vendor.",
        )

    def _create(
        self, query: ParsedName, candidates: tuple[VendorCandidate, ...], reason: str
    ) -> VendorDecision:
        if not self.settings.create_missing:
            return self._review(
                "none", None, candidates, reason + " Creating vendors is turned off: pick one."
            )
        division = self.settings.default_division
        number = propose_vendor_no(query.raw, lambda no: self.is_taken(division, no))
        return VendorDecision(
            "create",
            division,
            number,
            "none",
            None,
            candidates,
            reason + f" A new Sage vendor {division}-{number} is proposed.",
        )

    def propose_number(self, name: str, division_no: str | None = None) -> str:
        """A free vendor number for `name` in `division_no` (default division if None)."""
        division = division_no or self.settings.default_division
        taken: Callable[[str], bool] = lambda no: self.is_taken(division, no)  # noqa: E731
        return propose_vendor_no(name, taken)
