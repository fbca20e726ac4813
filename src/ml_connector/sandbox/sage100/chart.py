"""The company's account format, from a mask such as `9999-99-999`, and fitting accounts to it.

Segment 1 is the main account (at least 4 characters), segment 2 the department (at least
2), segment 3 the location (at least 3); further segments are filled with zeros. One
separator character between segments (or none: `999999999`). The raw account (segments
concatenated) must fit Sage's 32 characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAMES = ("Main Account", "Department", "Location")
_MIN = (4, 2, 3)


class AccountFormatError(ValueError):
    """The mask cannot describe a Sage account format the demo chart fits."""


@dataclass(frozen=True, slots=True)
class AccountPlan:
    lengths: tuple[int, ...]
    separator: str

    @classmethod
    def parse(cls, mask: str) -> AccountPlan:
        runs = re.findall(r"[0-9A-Za-z]+", mask)
        seps = set(re.findall(r"[^0-9A-Za-z]", mask))
        if (
            not runs
            or len(seps) > 1
            or re.sub(r"[0-9A-Za-z]+", "", mask) != "".join(re.findall(r"[^0-9A-Za-z]", mask))
        ):
            raise AccountFormatError(f"account format {mask!r}: use a mask such as 9999-99-999")
        if len(runs) > 1 and not seps:
            raise AccountFormatError(f"account format {mask!r}: no separator")
        lengths = tuple(len(r) for r in runs)
        for i, (length, least) in enumerate(zip(lengths, _MIN, strict=False)):
            if length < least:
                raise AccountFormatError(
                    f"account format {mask!r}: segment {i + 1} needs at least {least} characters"
                )
        if sum(lengths) > 32 or len(mask) > 41:
            raise AccountFormatError(f"account format {mask!r} is longer than Sage allows")
        return cls(lengths, seps.pop() if seps else "")

    def structure(self) -> list[tuple[str, str, int, str]]:
        """(SegmentNo, SegmentDesc, SegmentLength, SeparatorChar) rows."""
        last = len(self.lengths) - 1
        return [
            (
                f"{i + 1:02d}",
                _NAMES[i] if i < len(_NAMES) else f"Segment {i + 1}",
                length,
                "" if i == last else self.separator,
            )
            for i, length in enumerate(self.lengths)
        ]

    def fit(self, main: str, dept: str, loc: str) -> tuple[str, str]:
        """(formatted, raw) for the demo's main/department/location codes."""
        given = (main.ljust(self.lengths[0], "0"), dept, loc)
        parts = []
        for i, length in enumerate(self.lengths):
            parts.append(
                given[i].zfill(length)
                if 0 < i < len(given)
                else given[i]
                if i == 0
                else "0" * length
            )
        return self.separator.join(parts), "".join(parts)

    def convert(self, demo_account: str) -> str:
        """'5000-01-100' (the demo's own notation) in this format."""
        main, dept, loc = demo_account.split("-")
        return self.fit(main, dept, loc)[0]


DEFAULT_PLAN = AccountPlan((4, 2, 3), "-")
