"""New Sage vendor numbers derived from a vendor's name.

Owns `propose_vendor_no`. Sage's VendorNo is at most 7 characters, upper case; we use only
A-Z and 0-9 so the number types and sorts the same everywhere. The scheme, deterministic so
that a dry run and the real run propose the same number:

1. The stem is the normalised name without spaces, upper case: "The Ferguson Co." ->
   "FERGUSON"; a branch keeps its number at the end: "Ferguson #1187" -> "FER1187" (branches
   are separate vendors in Sage, so their numbers should tell them apart).
2. A stem without a letter gets a leading "V": Sage zero-fills all-digit vendor numbers.
3. Try the stem cut to 7 ("FERGUSO"), then the stem cut shorter with a counter: "FERGUS1" ...
   "FERGUS9", "FERGU10" ... "FERG100" ..., until one is not taken. A cut that would leave
   only digits ("84LUMBER" -> "8410000") starts with the stem's first letter instead
   ("L841000").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from ml_connector.sage100.port import VENDOR_NO_LEN
from ml_connector.sync.errors import VendorNumberExhaustedError
from ml_connector.sync.vendors.names import parse_vendor_name

_NOT_KEY = re.compile(r"[^A-Z0-9]")
_MAX_COUNTER = 10**6


def _stem(name: str) -> str:
    parsed = parse_vendor_name(name)
    base = _NOT_KEY.sub("", "".join(parsed.tokens).upper())
    branch = _NOT_KEY.sub("", (parsed.branch or "").upper())
    if branch and len(branch) <= 4 and base:
        base = base[: VENDOR_NO_LEN - len(branch)] + branch
    if not any(ch.isalpha() for ch in base):
        base = "V" + base
    return base


def _numbers(stem: str) -> Iterator[str]:
    letter = next(ch for ch in stem if ch.isalpha())  # _stem guarantees one

    def keep_a_letter(prefix: str, room: int) -> str:
        return prefix if any(ch.isalpha() for ch in prefix) else (letter + prefix)[:room]

    yield keep_a_letter(stem[:VENDOR_NO_LEN], VENDOR_NO_LEN)
    for counter in range(1, _MAX_COUNTER):
        suffix = str(counter)
        room = VENDOR_NO_LEN - len(suffix)
        yield keep_a_letter(stem[:room], room) + suffix


def propose_vendor_no(name: str, taken: Callable[[str], bool]) -> str:
    """A free Sage vendor number for `name`: 'Ferguson Enterprises' -> 'FERGUSO' (or
    'FERGUS1', 'FERGUS2'... when taken). `taken(number)` says whether Sage has it already."""
    for number in _numbers(_stem(name)):
        if not taken(number):
            return number
    raise VendorNumberExhaustedError(
        f"every vendor number derived from {name!r} is taken",
        operation="propose vendor number",
        hint="create the vendor in Sage by hand and map it",
    )
