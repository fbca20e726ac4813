"""What the vendor matcher decides, and the settings it decides with (value types only).

Re-exported by `vendors.match`, which is where other areas import them from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ml_connector.errors import ConfigError

Outcome = Literal["link", "create", "review"]


@dataclass(frozen=True, slots=True)
class VendorCandidate:
    division_no: str
    vendor_no: str
    name: str
    score: float
    reason: str
    status: str = ""  # the Sage vendor's VendorStatus (A, I, T); "" when not known


@dataclass(frozen=True, slots=True)
class VendorDecision:
    outcome: Outcome
    division_no: str | None
    vendor_no: str | None
    method: str  # "mapping", "external data", "vendor number", "exact name", "name score"...
    score: float | None
    candidates: tuple[VendorCandidate, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class MatchSettings:
    auto_link_score: float = 90.0  # a fuzzy score at or above this may link...
    margin: float = 10.0  # ...when this far ahead of the runner-up
    create_missing: bool = True
    review_score: float = 70.0  # below this, a name is "not found"
    conflict_score: float = 50.0  # a code whose vendor's name scores below this: conflict
    default_division: str = "00"  # where new vendors are proposed
    divisions: tuple[str, ...] | None = None  # match only in these divisions (None: all)
    # the controller's alias table, (alias, name) pairs (`aliases.load_vendor_aliases`)
    aliases: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        scores = (self.conflict_score, self.review_score, self.auto_link_score)
        if not all(0 <= s <= 100 for s in scores) or self.review_score > self.auto_link_score:
            raise ConfigError(
                f"vendor match scores must lie in 0..100 with review_score ({self.review_score})"
                f" <= auto_link_score ({self.auto_link_score})",
                operation="vendor matching settings",
                hint="fix the vendor matching settings",
            )
        if self.margin < 0:
            raise ConfigError(
                f"vendor match margin {self.margin} is negative",
                operation="vendor matching settings",
                hint="use a margin of 0 or more",
            )
