"""Paging 10,000+ AP bills from the sandbox over real HTTP: nothing lost, nothing repeated,
money exact, memory flat."""

from __future__ import annotations

import tracemalloc
from decimal import Decimal
from typing import Any

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


def test_bill_type_is_one_per_call(big_sandbox: Any) -> None:
    with client_for(big_sandbox) as client:
        procurement = [b.id for b in client.ap_bills(bill_type="Procurement")]
    first = FIRST_ID + BIG_APBILL_COUNT
    assert sorted(procurement) == list(range(first, first + BIG_PROCUREMENT_COUNT))
