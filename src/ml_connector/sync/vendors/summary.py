"""What the vendor step of a cycle did (or, in a dry run / preview, would do).

Owns `VendorAction` (one decision: link, creation on one side, review, field update, edit
not flowed, deactivation seen) and `VendorSyncSummary` (all of them, with counts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

ActionKind = Literal[
    "link",  # a ServiceTitan vendor and a Sage vendor were linked (matched)
    "create_in_sage",  # a Sage vendor was created for a ServiceTitan vendor, and linked
    "create_in_st",  # a ServiceTitan vendor was created for a Sage vendor, and linked
    "review",  # ambiguous: a person picks (review item AMBIGUOUS_VENDOR)
    "update_sage",  # fields owned by ServiceTitan were written to Sage
    "update_st",  # fields owned by Sage were written to ServiceTitan
    "edit_not_flowed",  # an edit on the side that does not own the field (audited only)
    "deactivated",  # a linked vendor was made inactive on one side
    "reactivated",  # ... or active again
    "number_saved",  # the Sage number was written into the ST vendor's externalData
]


@dataclass(frozen=True, slots=True)
class VendorAction:
    action: ActionKind
    st_vendor_id: int | None
    sage_vendor: str | None  # "00-FERGUSO"
    name: str
    method: str = ""
    score: float | None = None
    reason: str = ""
    side: str = ""  # where an edit or deactivation was seen / written
    candidates: tuple[Mapping[str, Any], ...] = ()
    fields: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "st_vendor_id": self.st_vendor_id,
            "sage_vendor": self.sage_vendor,
            "name": self.name,
            "method": self.method,
            "score": self.score,
            "reason": self.reason,
            "side": self.side,
            "fields": list(self.fields),
            "candidates": [dict(c) for c in self.candidates],
        }


@dataclass(frozen=True, slots=True)
class VendorSyncSummary:
    dry_run: bool
    st_read: int  # ServiceTitan vendors read (changed since the cursor, or all)
    sage_read: int  # Sage vendors read (changed since the cursor, or all)
    actions: tuple[VendorAction, ...] = ()
    errors: tuple[str, ...] = ()
    cursors: tuple[tuple[str, str], ...] = field(default=())  # (stream, new value) stored

    def count(self, action: ActionKind) -> int:
        return sum(1 for a in self.actions if a.action == action)

    @property
    def linked(self) -> int:
        return self.count("link")

    @property
    def created(self) -> int:
        return self.count("create_in_sage") + self.count("create_in_st")

    @property
    def reviews(self) -> int:
        return self.count("review")

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "st_read": self.st_read,
            "sage_read": self.sage_read,
            "linked": self.linked,
            "created_in_sage": self.count("create_in_sage"),
            "created_in_st": self.count("create_in_st"),
            "reviews": self.reviews,
            "actions": [a.as_dict() for a in self.actions],
            "errors": list(self.errors),
        }
