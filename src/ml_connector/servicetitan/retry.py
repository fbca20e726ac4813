"""When to try a ServiceTitan request again, and how long to wait first.

`RetryPolicy` says which failures are transient (429, 5xx, timeouts, dropped connections),
how many attempts a request gets, and the wait before each: 429 honours `Retry-After`
(or the "Try again in N seconds" of the problem title), everything else waits a
jittered exponential backoff ("full jitter": uniform between 0 and base * 2**n, capped).
A request never spends more than `total_cap` seconds in waits: past it the last error is
raised and the engine retries on a later cycle.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})

_TRY_AGAIN = re.compile(r"try again in\s+(\d+(?:\.\d+)?)\s*second", re.I)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Attempts and waits for one request. `rng` makes the jitter reproducible in tests."""

    max_attempts: int = 8
    base_delay: float = 0.5
    max_delay: float = 30.0
    total_cap: float = 300.0
    default_retry_after: float = 5.0
    max_retry_after: float = 120.0
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def backoff(self, attempt: int) -> float:
        """Wait before retry number `attempt` (1 for the first retry) after a 5xx or drop."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        # Full jitter, but never less than a tenth of the ceiling so a storm spreads out.
        return self.rng.uniform(ceiling / 10, ceiling)

    def rate_limit_wait(self, retry_after: float | None) -> float:
        """Wait after a 429: what the server said, else a default; within sane bounds."""
        wait = self.default_retry_after if retry_after is None else retry_after
        return min(max(wait, 0.0), self.max_retry_after)


def parse_retry_after(
    header: str | None, title: str | None = None, *, now: datetime | None = None
) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds, or an HTTP date measured from
    `now`), else from the problem title's "Try again in N seconds"; None when neither says."""
    if header:
        text = header.strip()
        try:
            return max(float(text), 0.0)
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None and now is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return max((when - now).total_seconds(), 0.0)
    if title:
        match = _TRY_AGAIN.search(title)
        if match:
            return float(match.group(1))
    return None
