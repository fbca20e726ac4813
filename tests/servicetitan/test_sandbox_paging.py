"""Paging 10,000+ AP bills from the sandbox over real HTTP: nothing lost, nothing repeated,
money exact, memory flat."""

from __future__ import annotations

import contextlib
import gc
import tracemalloc
from decimal import Decimal
from typing import Any

import httpx
from st_client_support import BIG_APBILL_COUNT, BIG_PROCUREMENT_COUNT, bill_amount, client_for

FIRST_ID = 500_000
PATH = "/accounting/v2/tenant/{}/ap-bills"


def _expected_total() -> Decimal:
    return sum((Decimal(bill_amount(i)) for i in range(BIG_APBILL_COUNT)), Decimal("0.00"))


def _requests(sb: Any) -> int:
    stats = sb.stats()
    return int(stats["requests_per_path"].get(PATH.format(sb.tenant_id), 0))


def test_page_size_5000_reads_every_bill_once(big_sandbox: Any) -> None:
    before = _requests(big_sandbox)
    with client_for(big_sandbox, page_size=5000) as client:  # the API's largest page
        ids = []
        total = Decimal("0.00")
        for bill in client.ap_bills(bill_type="ApBill"):
            ids.append(bill.id)
            assert bill.bill_amount is not None
            total += bill.bill_amount
        assert client.invalid_count == 0
    assert len(ids) == BIG_APBILL_COUNT
    assert sorted(ids) == list(range(FIRST_ID, FIRST_ID + BIG_APBILL_COUNT))
    assert total == _expected_total()
    assert _requests(big_sandbox) - before == 3  # 5000 + 5000 + 7


def test_page_size_7_reads_every_bill_once_with_flat_memory(big_sandbox: Any) -> None:
    big_sandbox_stats = big_sandbox.stats()
    sent_429_before = big_sandbox_stats["sent_429"]
    before = _requests(big_sandbox)
    seen: set[int] = set()
    repeats = 0
    total = Decimal("0.00")
    tracemalloc.start()
    try:
        with client_for(big_sandbox, page_size=7, max_rps=55, burst=3) as client:
            for bill in client.ap_bills(bill_type="ApBill"):
                repeats += bill.id in seen
                seen.add(bill.id)
                total += bill.bill_amount or 0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert repeats == 0
    assert seen == set(range(FIRST_ID, FIRST_ID + BIG_APBILL_COUNT))
    assert total == _expected_total()
    assert _requests(big_sandbox) - before == -(-BIG_APBILL_COUNT // 7)
    # 1430 requests in a row at 55/s: the sandbox never had to say 429.
    assert big_sandbox.stats()["sent_429"] == sent_429_before
    # Only the ids are kept here (~1 MB); holding the bills would take tens of MB.
    assert peak < 6_000_000, f"peak traced memory {peak} bytes"


def _page_bodies_held(path: str) -> list[int]:
    """Sizes of the bodies that responses to `path` still hold, found among every object
    the garbage collector tracks (garbage it has not collected yet included)."""
    held = []
    for obj in gc.get_objects():
        if isinstance(obj, httpx.Response) and obj.request.url.path == path:
            # ResponseNotRead: the body was never stored on the response
            with contextlib.suppress(httpx.ResponseNotRead):
                held.append(len(obj.content))
    return held


def test_a_page_goes_once_read_without_waiting_for_the_garbage_collector(
    big_sandbox: Any,
) -> None:
    # httpx's Response and its stream refer to each other: a body stored on the response
    # lived until the collector's next full pass, ~2 MB per page of 1,000 bills, and a
    # backfill read many pages between two passes (docs/dev-notes/2026-12-03-peak.md)
    gc.collect()
    gc.disable()  # what a long run meets between two full passes
    try:
        with client_for(big_sandbox, page_size=1000) as client:
            ids = [bill.id for bill in client.ap_bills(bill_type="ApBill")]
            held = _page_bodies_held(PATH.format(big_sandbox.tenant_id))
    finally:
        gc.enable()
    assert len(ids) == BIG_APBILL_COUNT  # 11 pages read
    assert held == []


def test_bill_type_is_one_per_call(big_sandbox: Any) -> None:
    with client_for(big_sandbox) as client:
        procurement = [b.id for b in client.ap_bills(bill_type="Procurement")]
    first = FIRST_ID + BIG_APBILL_COUNT
    assert sorted(procurement) == list(range(first, first + BIG_PROCUREMENT_COUNT))
