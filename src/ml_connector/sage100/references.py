"""Invoice references as an AP office keys them, reduced to forms that can be compared.

Owns `reference_keys`: the comparable forms of a vendor invoice reference, used by the
Sage reference index (`invoice_index`) and by the engine's duplicate policy. A clerk who
keys a bill by hand rarely types the reference exactly as ServiceTitan holds it:

- case, spaces and punctuation: "inv-0042/a" is "INV0042A";
- prefixes: "INV", "Invoice", "No.", "#", "Nbr", "Ref", "PO", "Bill" before the number
  ("INV-000123", "Invoice No. 123", "PO#4411-A");
- leading zeros of a number run: "000123" is "123", "2024-000123" is "2024-123" (and,
  the dash dropped first, "2024000123").

Those re-keyings change only the form, so the *strong* keys equate them: the same vendor
with a strong key in common is the same invoice whatever the amounts say.

Other re-keyings change the content, so the *loose* keys equate them only together with
the same amount (any vendor):

- a trailing revision or split: "5501-1", "5501R2", "5501 Rev 1", "4411-A" vs "5501", "4411"
  (one digit or one letter after a separator, or R/REV and up to two digits, and at least
  four digits left that are not a year, so that monthly "2024-1" / "2024-2" stay apart);
- letters before or after the number dropped: "S100234567" vs "100234567" (at least
  four digits left);
- Sage's 10-character InvoiceNo: a longer reference keyed by hand stops after 10
  characters ("INV-2024-000123456" keyed as "2024000123").

Normalising too hard costs a review (a person says "not a duplicate, write it");
normalising too softly costs a double posting. So the loose keys are generous, and the
amount keeps their false alarms rare.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

INVOICE_NO_CUT: Final = 10  # Sage's InvoiceNo length: where a hand-keyed reference stops

# prefix words (each with its own punctuation) right before the number
_PREFIX = re.compile(  # one character or one word per step: no nested repetition
    r"^(?:INVOICE|INVC|INV|NUMBER|NUM|NBR|NO|NR|REF|PO|BILL|[^0-9A-Z])+(?=[0-9])"
)
_SEPARATORS = re.compile(r"[^0-9A-Z]+")
_LEADING_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")  # "000123" -> "123", "000" -> "0"
_REVISION = re.compile(r"(?:[^0-9A-Z]+(?:[0-9]|[A-Z])|[^0-9A-Z]*(?:REV|R)[^0-9A-Z]*[0-9]{1,2})$")
MIN_LOOSE_LEN: Final = 4
# Longer input is cut first: no vendor keys more, and a huge string costs no more time.
MAX_REFERENCE_LEN: Final = 120
_YEAR = re.compile(r"(?:19|20)[0-9]{2}")  # "2024-1", "2024-2": months, not revisions
_EDGE_LETTERS = re.compile(r"^[A-Z]+|[A-Z]+$")


@dataclass(frozen=True, slots=True)
class ReferenceKeys:
    """The comparable forms of one reference (empty sets: nothing to compare)."""

    strong: frozenset[str]  # equal forms: the same reference, keyed differently
    loose: frozenset[str]  # also re-keyed in content: the same only with the same amount

    @property
    def all(self) -> frozenset[str]:
        return self.strong | self.loose

    def same_reference(self, other: ReferenceKeys) -> bool:
        """Differs only in form (case, spaces, punctuation, prefixes, leading zeros)."""
        return not self.strong.isdisjoint(other.strong)

    def resembles(self, other: ReferenceKeys) -> bool:
        """Differs at most as a re-keyed reference does (revision, letters, 10-character
        cut): a duplicate when the amounts agree."""
        return not self.all.isdisjoint(other.all)


def _fold(reference: str) -> str:
    """Upper case, compatibility forms folded (full-width digits), white space as single
    spaces."""
    text = reference if reference.isascii() else unicodedata.normalize("NFKC", reference)
    return " ".join(text.upper().split())


def _strip_prefixes(text: str) -> str:
    """'INVOICE NO. 000123' -> '000123'. A prefix goes only where the number follows it, so
    "NOVA-12" and "REFRIG 9" keep their letters."""
    return _PREFIX.sub("", text, count=1)


def _strong_forms(text: str) -> set[str]:
    """Segmented (zeros stripped per run as keyed) and compact (separators dropped first)."""
    compact = _SEPARATORS.sub("", text)
    if not compact:
        return set()
    if compact == text:  # nothing to drop: both forms are one
        return {_LEADING_ZEROS.sub("", compact)}
    segmented = _SEPARATORS.sub("", _LEADING_ZEROS.sub("", text))
    return {segmented, _LEADING_ZEROS.sub("", compact)}


_NO_KEYS = ReferenceKeys(frozenset(), frozenset())


def _may_have_revision(text: str) -> bool:
    """A cheap test before the revision pattern: a separator before the last character,
    or an R (R1, REV 2)."""
    return len(text) > 2 and (not text[-2].isalnum() or "R" in text)


def reference_keys(reference: str) -> ReferenceKeys:
    """The strong and loose keys of a vendor invoice reference (see the module docstring)."""
    text = _strip_prefixes(_fold(reference[:MAX_REFERENCE_LEN]))
    strong = _strong_forms(text)
    if not strong:
        return _NO_KEYS
    loose: set[str] = set()
    revision = _REVISION.search(text) if _may_have_revision(text) else None
    if revision is not None:
        base = _strong_forms(text[: revision.start()])
        loose |= {
            b
            for b in base
            if sum(ch.isdigit() for ch in b) >= MIN_LOOSE_LEN and not _YEAR.fullmatch(b)
        }
    for form in strong:
        if form[0].isalpha() or form[-1].isalpha():
            inner = _EDGE_LETTERS.sub("", form)  # "S100234567" -> "100234567"
            if len(inner) >= MIN_LOOSE_LEN:
                loose.add(inner.lstrip("0") or "0")
    longest = max(strong, key=len)
    if len(longest) > INVOICE_NO_CUT or len(text) > INVOICE_NO_CUT:
        keyed = _SEPARATORS.sub("", text)
        if len(keyed) > INVOICE_NO_CUT:
            # typed into Sage's 10 characters without its punctuation: the first 10
            cut = _strong_forms(keyed[:INVOICE_NO_CUT])
            loose |= {f for f in cut if len(f) >= MIN_LOOSE_LEN}
    if not loose:
        return ReferenceKeys(frozenset(strong), frozenset())
    return ReferenceKeys(frozenset(strong), frozenset(loose - strong))


def normalise_reference(reference: str) -> str:
    """One printable form of a reference for messages and the audit log ("INV-000123" ->
    "123"); comparisons use `reference_keys`."""
    strong = reference_keys(reference).strong
    return min(strong, key=lambda s: (len(s), s)) if strong else ""
