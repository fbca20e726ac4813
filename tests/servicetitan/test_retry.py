"""The retry policy: backoff schedule, 429 waits, Retry-After parsing."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from ml_connector.servicetitan.retry import RetryPolicy, parse_retry_after


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=30.0, rng=random.Random(7))
    for attempt in range(1, 12):
        ceiling = min(30.0, 0.5 * 2 ** (attempt - 1))
        waits = [policy.backoff(attempt) for _ in range(200)]
        assert all(ceiling / 10 <= w <= ceiling for w in waits)
        # jittered: not all the same
        assert len({round(w, 6) for w in waits}) > 150


def test_backoff_is_reproducible_with_a_seeded_rng() -> None:
    a = RetryPolicy(rng=random.Random(42))
    b = RetryPolicy(rng=random.Random(42))
    assert [a.backoff(n) for n in range(1, 8)] == [b.backoff(n) for n in range(1, 8)]


def test_rate_limit_wait_honours_the_server_within_bounds() -> None:
    policy = RetryPolicy(default_retry_after=5, max_retry_after=120)
    assert policy.rate_limit_wait(3) == 3
    assert policy.rate_limit_wait(None) == 5
    assert policy.rate_limit_wait(10_000) == 120
    assert policy.rate_limit_wait(-1) == 0


@pytest.mark.parametrize(
    ("header", "title", "expected"),
    [
        ("7", None, 7.0),
        ("0.5", None, 0.5),
        (None, "Rate limit is exceeded. Try again in 12 seconds.", 12.0),
        ("junk", "Too many requests. Try again in 3 seconds.", 3.0),
        ("4", "Try again in 30 seconds.", 4.0),
        (None, "Too many requests", None),
        (None, None, None),
    ],
)
def test_parse_retry_after(header: str | None, title: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, title) == expected


def test_parse_retry_after_http_date_is_measured_from_now() -> None:
    now = datetime(2026, 1, 5, 14, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Mon, 05 Jan 2026 14:00:09 GMT", now=now) == 9.0
    assert parse_retry_after("Mon, 05 Jan 2026 13:00:00 GMT", now=now) == 0.0
