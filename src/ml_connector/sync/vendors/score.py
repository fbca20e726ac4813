"""How alike two parsed vendor names are, on a 0-100 scale, and why.

Owns the fuzzy score used by the vendor matcher. The score is a weighted overlap (Dice) of
the two names' words: distinctive words ("ferguson", "apex", "84") weigh 3, initials and
two-letter words 1, trade words (supply, plumbing, roofing) 1, filler words (enterprises,
group, sales) 0.7. Words pair up one to one: equal words count fully; a clear typo in a
distinctive word (one edit, with rapidfuzz's OSA distance) counts 0.8; a distinctive word
that is a prefix of the other ("ferg" / "ferguson") 0.75, an initial ("n" / "north") 0.5;
the last word of a name Sage cut at 30 characters counts fully when it is a prefix of the
other's word. Two different trade words never pair.

Then two penalties, because different words in the same place usually mean different
companies: when both names keep distinctive words the other lacks ("Johnson Supply" vs
"Johnstone Supply" after no pairing), or both keep trade words the other lacks ("Apex
Supply" vs "Apex Roofing"), the score is multiplied by 0.85 for each. Two different branch
numbers cap the score at 40: "Ferguson #1187" is not "Ferguson #2210". The same words in
another order ("Plumbing Supply of Dallas" / "Dallas Plumbing Supply") score at most 88:
enough for review, never for a link on its own. Likewise a distinctive word that only one
name has ("N. Texas Plumbing Supply" / "Texas Plumbing Supply"): at most 88. So a fuzzy
link needs every distinctive word to pair up; only trade and filler words may differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from rapidfuzz.distance import OSA

from ml_connector.sync.vendors.names import TRADE_WORDS, ParsedName, is_generic, token_weight

TYPO_SIMILARITY: Final = 0.8
PREFIX_SIMILARITY: Final = 0.75
INITIAL_SIMILARITY: Final = 0.5
CONFLICT_FACTOR: Final = 0.85
REORDERED_CAP: Final = 88.0
EXTRA_WORD_CAP: Final = 88.0
BRANCH_CONFLICT_CAP: Final = 40.0


@dataclass(frozen=True, slots=True)
class NameComparison:
    score: float  # 0..100
    shared: tuple[str, ...]  # words of the first name that paired with the second
    only_first: tuple[str, ...]
    only_second: tuple[str, ...]
    branch_conflict: bool = False
    word_conflict: bool = False  # each name keeps distinctive (or trade) words the other lacks

    def explain(self) -> str:
        """A short phrase for a clerk: what the names share and where they differ."""
        if self.branch_conflict:
            return "different branch numbers"
        if not self.only_first and not self.only_second:
            return "same words"
        parts = []
        if self.shared:
            parts.append("shares " + " ".join(self.shared))
        if self.only_first or self.only_second:
            first = " ".join(self.only_first) or "-"
            second = " ".join(self.only_second) or "-"
            parts.append(f"differs: {first} / {second}")
        return "; ".join(parts) if parts else "nothing in common"


def _word_similarity(a: str, b: str, a_cut: bool, b_cut: bool) -> float:
    if a == b:
        return 1.0
    if (a_cut and b.startswith(a)) or (b_cut and a.startswith(b)):
        return 1.0
    if is_generic(a) or is_generic(b) or a.isdigit() or b.isdigit():
        return 0.0
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= 3 and long_.startswith(short):
        return PREFIX_SIMILARITY
    if len(short) == 1 and long_.startswith(short):
        return INITIAL_SIMILARITY  # "N. Texas" / "North Texas"
    if len(short) >= 5 and OSA.distance(a, b, score_cutoff=1) <= 1:
        return TYPO_SIMILARITY
    return 0.0


def compare_names(a: ParsedName, b: ParsedName) -> NameComparison:
    """Score `a` against `b` (symmetric apart from the explanation's order)."""
    branch_conflict = a.branch is not None and b.branch is not None and a.branch != b.branch
    if a.compact and a.compact == b.compact:
        score = BRANCH_CONFLICT_CAP if branch_conflict else 100.0
        return NameComparison(score, a.tokens, (), (), branch_conflict)
    a_last = len(a.tokens) - 1 if a.maybe_truncated else -1
    b_last = len(b.tokens) - 1 if b.maybe_truncated else -1
    pairs: list[tuple[float, int, int]] = []
    for i, ta in enumerate(a.tokens):
        for j, tb in enumerate(b.tokens):
            sim = 1.0 if ta == tb else _word_similarity(ta, tb, i == a_last, j == b_last)
            if sim > 0.0:
                pairs.append((sim, i, j))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    used_a: set[int] = set()
    used_b: set[int] = set()
    chosen: list[tuple[int, int]] = []
    matched = 0.0
    for sim, i, j in pairs:
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        chosen.append((i, j))
        matched += sim * (token_weight(a.tokens[i]) + token_weight(b.tokens[j]))
    total = sum(map(token_weight, a.tokens)) + sum(map(token_weight, b.tokens))
    score = 100.0 * matched / total if total else 0.0
    only_a = tuple(t for i, t in enumerate(a.tokens) if i not in used_a)
    only_b = tuple(t for j, t in enumerate(b.tokens) if j not in used_b)
    word_conflict = False
    if any(not is_generic(t) for t in only_a) and any(not is_generic(t) for t in only_b):
        score *= CONFLICT_FACTOR
        word_conflict = True
    if any(t in TRADE_WORDS for t in only_a) and any(t in TRADE_WORDS for t in only_b):
        score *= CONFLICT_FACTOR
        word_conflict = True
    order = [j for _, j in sorted(chosen)]
    if order != sorted(order):
        score = min(score, REORDERED_CAP)
    cut_a = a.tokens[a_last] if a_last >= 0 and a_last not in used_a else None
    cut_b = b.tokens[b_last] if b_last >= 0 and b_last not in used_b else None
    if any(not is_generic(t) for t in only_a if t != cut_a) or any(
        not is_generic(t) for t in only_b if t != cut_b
    ):
        score = min(score, EXTRA_WORD_CAP)
    if branch_conflict:
        score = min(score, BRANCH_CONFLICT_CAP)
    shared = tuple(a.tokens[i] for i in sorted(used_a))
    return NameComparison(round(score, 1), shared, only_a, only_b, branch_conflict, word_conflict)
