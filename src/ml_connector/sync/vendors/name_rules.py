"""Pure rules on pairs of parsed vendor names that the matcher builds its decisions on.

Owns the tests that need no Sage index: blocking keys (which Sage vendors are worth
scoring), kinship (too alike to create a second vendor, too weak to link), initials,
the word set (the same words in another order), and the shared-branch rule (the same
branch number and distinctive words, differing only by filler words).
"""

from __future__ import annotations

from ml_connector.sync.vendors.names import FILLER_WORDS, TRADE_WORDS, ParsedName
from ml_connector.sync.vendors.score import NameComparison


def blocking_keys(parsed: ParsedName) -> set[str]:
    distinctive = parsed.distinctive
    if not distinctive:
        return {"g:" + t for t in parsed.tokens}
    keys = set()
    for token in distinctive:
        keys.add("t:" + token)
        if len(token) >= 4:
            keys.add("p:" + token[:4])  # abbreviations, truncation, typos late in the word
    return keys


def same_core(a: ParsedName, b: ParsedName) -> bool:
    """All distinctive words of one name appear, exactly, in the other ("Lowes" /
    "Lowes Home Improvement"): too weak to link, too strong to create a second vendor."""
    first, second = set(a.distinctive), set(b.distinctive)
    shared = first & second
    return bool(shared) and (first <= shared or second <= shared)


def same_branch_filler_only(a: ParsedName, b: ParsedName, c: NameComparison) -> bool:
    """'Ferguson #1187' / 'FERGUSON ENTERPRISES #1187': both carry the same branch number,
    the same distinctive words, and differ only by filler (enterprises, group, company...).
    A branch number is specific enough that filler alone does not make another company; a
    trade word does ('FERGUSON FIRE & FABRICATION #1187')."""
    if a.branch is None or a.branch != b.branch or c.branch_conflict or c.word_conflict:
        return False
    if not a.distinctive or set(a.distinctive) != set(b.distinctive):
        return False
    return all(t in FILLER_WORDS and t not in TRADE_WORDS for t in c.only_first + c.only_second)


def word_set(parsed: ParsedName) -> str:
    """The words in a fixed order: 'plumbing supply dallas' and 'dallas plumbing supply'
    share it."""
    return " ".join(sorted(parsed.tokens))


def initials(parsed: ParsedName) -> set[str]:
    """'consolidated electric distri' -> 'ced', for names keyed as acronyms ("CED", "PG&E");
    with and without filler words ('smith brothers mechanical' -> 'sbm' and 'sm')."""
    found = set()
    for words in ([t for t in parsed.tokens if t not in FILLER_WORDS], list(parsed.tokens)):
        if len(words) >= 2:
            found.add("".join(w[0] for w in words))
    return found
