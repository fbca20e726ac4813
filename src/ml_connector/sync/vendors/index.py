"""The Sage vendors the matcher chooses among, indexed once.

Owns `VendorIndex` and its `IndexedVendor`s: each Sage vendor's parsed name (after the
controller's alias table), found by its number, its normalised name, its legal name before
"dba", its words in any order and its initials; and blocking on distinctive words, so a
query is scored against a shortlist (`closest`), not every vendor. The decisions built on
it live in `codes`, `exact_name` and `name_score`; `match.VendorMatcher` runs them.
"""

from __future__ import annotations

import heapq
import itertools
from collections import defaultdict
from dataclasses import dataclass

from ml_connector.sage100.port import SageVendor, sage_vendor_no
from ml_connector.sync.vendors.aliases import apply_alias, check_aliases
from ml_connector.sync.vendors.decision import MatchSettings, VendorCandidate
from ml_connector.sync.vendors.name_rules import blocking_keys, initials, same_core, word_set
from ml_connector.sync.vendors.names import ParsedName, parse_vendor_name
from ml_connector.sync.vendors.score import NameComparison, compare_names

MAX_CANDIDATES = 5  # candidates shown to a person for one decision
SHORTLIST = 15  # Sage vendors scored in full for one name
RARE_WORD_VENDORS = 3  # a distinctive word in at most this many Sage names is "rare"


@dataclass(frozen=True, slots=True)
class IndexedVendor:
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
        return VendorCandidate(v.division_no, v.vendor_no, v.name, score, reason)


class VendorIndex:
    """Every Sage vendor of the matched divisions, by each key a decision looks it up by."""

    def __init__(self, settings: MatchSettings) -> None:
        self.settings = settings
        self.entries: list[IndexedVendor] = []
        self.by_code: dict[str, list[IndexedVendor]] = defaultdict(list)
        self.by_name: dict[str, list[IndexedVendor]] = defaultdict(list)
        self.by_owner: dict[str, list[IndexedVendor]] = defaultdict(list)
        self.by_initials: dict[str, list[IndexedVendor]] = defaultdict(list)
        self.by_words: dict[str, list[IndexedVendor]] = defaultdict(list)
        self.postings: dict[str, list[int]] = defaultdict(list)
        self.numbers: set[tuple[str, str]] = set()  # every division, not only the matched
        self.aliased: set[tuple[str, str]] = set()  # Sage vendors whose name is an alias
        self._aliases = check_aliases(settings.aliases)

    def add(self, vendor: SageVendor) -> None:
        self.numbers.add((vendor.division_no, sage_vendor_no(vendor.vendor_no)))
        wanted = self.settings.divisions
        if wanted is not None and vendor.division_no not in wanted:
            return
        entry = IndexedVendor(vendor, self.parse(vendor.name))
        if entry.parsed.tokens != parse_vendor_name(vendor.name).tokens:
            self.aliased.add((vendor.division_no, vendor.vendor_no))
        index = len(self.entries)
        self.entries.append(entry)
        self.by_code[sage_vendor_no(vendor.vendor_no)].append(entry)
        self.by_name[entry.parsed.compact].append(entry)
        if len(entry.parsed.tokens) > 1:
            self.by_words[word_set(entry.parsed)].append(entry)
        if entry.parsed.owner:
            self.by_owner["".join(entry.parsed.owner)].append(entry)
        for key in blocking_keys(entry.parsed):
            self.postings[key].append(index)
        for letters in initials(entry.parsed):
            self.by_initials[letters].append(entry)

    def parse(self, name: str) -> ParsedName:
        """A name as the matcher reads it: normalised, then through the alias table."""
        return apply_alias(self._aliases, parse_vendor_name(name))

    def is_taken(self, division_no: str, vendor_no: str) -> bool:
        # Sage zero-fills all-digit numbers: "123" is taken when "0000123" is
        return (division_no, sage_vendor_no(vendor_no)) in self.numbers

    def lookup_code(self, code: str) -> list[IndexedVendor]:
        """The Sage vendors a code names: the number as keyed, zero-filled, or "00-NUMBER"."""
        found = list(self.by_code.get(code, ()))
        if code.isdigit() and len(code) < 7:
            found += self.by_code.get(code.zfill(7), [])
        division, sep, number = code.partition("-")
        if sep and len(division) == 2 and division.isdigit():
            found += [e for e in self.by_code.get(number, ()) if e.vendor.division_no == division]
        return list({id(e): e for e in found}.values())

    def compare(self, query: ParsedName, entry: IndexedVendor) -> NameComparison:
        """The name's score against one Sage vendor (its legal name before "dba" too)."""
        best = compare_names(query, entry.parsed)
        if query.owner and best.score < 100.0:
            owner = ParsedName(query.raw, query.owner, query.branch)
            alt = compare_names(owner, entry.parsed)
            best = alt if alt.score > best.score else best
        return best

    def closest(self, query: ParsedName) -> list[tuple[NameComparison, IndexedVendor]]:
        """The closest Sage vendors, best first. Vendors sharing blocking keys are ranked
        by how rare the shared keys are; only the first `SHORTLIST` are scored in full."""
        overlap: dict[int, float] = defaultdict(float)
        for key in sorted(blocking_keys(query)):
            posting = self.postings.get(key, ())
            if posting:
                weight = 1.0 / len(posting)
                for i in posting:
                    overlap[i] += weight
        # ties broken by index order, so the outcome never depends on hash seeds
        ranked = heapq.nlargest(SHORTLIST, overlap.items(), key=lambda kv: (kv[1], -kv[0]))
        shortlist = [self.entries[i] for i, _ in ranked]
        scored = [(self.compare(query, e), e) for e in shortlist]
        scored.sort(key=lambda p: (-p[0].score, p[1].vendor.division_no, p[1].vendor.vendor_no))
        return scored

    def name_candidates(self, query: ParsedName) -> tuple[VendorCandidate, ...]:
        """The closest Sage vendors worth showing a person (at least half `review_score`)."""
        floor = self.settings.review_score / 2
        return tuple(
            e.candidate(c.score, c.explain())
            for c, e in self.closest(query)[:MAX_CANDIDATES]
            if c.score >= floor
        )

    def kin(self, query: ParsedName, other: ParsedName) -> bool:
        """Too weak to link, too strong to create a second vendor: one name's distinctive
        words all appear in the other, or they share a rare distinctive word ("Grainger")."""
        if same_core(query, other):
            return True
        shared = set(query.distinctive) & set(other.distinctive)
        return any(
            len(w) >= 4 and len(self.postings.get("t:" + w, ())) <= RARE_WORD_VENDORS
            for w in shared
        )

    def contains_another(self, query: ParsedName) -> bool:
        """Some Sage vendor's whole name is part of this one ("PLUMBING SUPPLY CO" in
        "Plumbing Supply of Dallas"): the words may be a place or branch of that vendor,
        not another order of the same name."""
        words = sorted(set(query.tokens))
        for size in range(1, len(words)):
            for subset in itertools.combinations(words, size):
                if self.by_words.get(" ".join(subset)) or self.by_name.get("".join(subset)):
                    return True
        return False
