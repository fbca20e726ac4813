"""Invariants, checked with hypothesis: the bucket's one-second windows, exact Decimal JSON,
and paging that neither loses nor repeats records whatever the page size."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ml_connector.clock import ManualClock
from ml_connector.servicetitan.paging import id_chunks, iter_pages
from ml_connector.servicetitan.ratelimit import TokenBucket
from ml_connector.servicetitan.transport import encode_json


@settings(max_examples=60, deadline=None)
@given(
    rate=st.integers(min_value=1, max_value=59),
    burst=st.integers(min_value=1, max_value=10),
    steps=st.lists(
        st.one_of(st.just(None), st.floats(min_value=0, max_value=3, allow_nan=False)),
        min_size=1,
        max_size=300,
    ),
)
def test_bucket_never_exceeds_rate_plus_burst_in_any_second(
    rate: int, burst: int, steps: list[float | None]
) -> None:
    clock = ManualClock()
    bucket = TokenBucket(rate, clock, burst=burst)
    starts: list[float] = []
    for step in steps:
        if step is None:
            bucket.acquire()
            starts.append(clock.monotonic())
        else:
            clock.advance(step)  # idle time between requests
    window: deque[float] = deque()
    for t in starts:
        window.append(t)
        while window[0] <= t - 1.0 + 1e-9:
            window.popleft()
        assert len(window) <= rate + burst


@given(
    st.recursive(
        st.one_of(
            st.decimals(allow_nan=False, allow_infinity=False),
            st.integers(),
            st.text(max_size=5),
            st.booleans(),
            st.none(),
        ),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=4)
        ),
        max_leaves=12,
    )
)
def test_encode_json_round_trips_decimals_exactly(value: Any) -> None:
    assert json.loads(encode_json(value), parse_float=Decimal) == value


@given(
    total=st.integers(min_value=0, max_value=400),
    page_size=st.integers(min_value=1, max_value=60),
)
def test_paging_returns_each_record_once(total: int, page_size: int) -> None:
    records = [{"id": i} for i in range(total)]
    asked: list[int] = []

    def fetch(params: Mapping[str, Any]) -> Any:
        page, size = int(params["page"]), int(params["pageSize"])
        asked.append(page)
        chunk = records[(page - 1) * size : page * size]
        return {"page": page, "pageSize": size, "hasMore": page * size < total, "data": chunk}

    got = [
        r["id"] for page in iter_pages(fetch, {}, operation="t", page_size=page_size) for r in page
    ]
    assert got == list(range(total))
    assert asked == list(range(1, max(1, -(-total // page_size)) + 1))


@given(st.lists(st.integers(min_value=1, max_value=10**12), max_size=300))
def test_id_chunks_cover_each_id_once_in_fifties(ids: list[int]) -> None:
    chunks = list(id_chunks(ids, 50))
    assert all(1 <= len(c) <= 50 for c in chunks)
    flat = [i for c in chunks for i in c]
    assert flat == sorted(set(ids))
