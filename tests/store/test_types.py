"""Values come back exactly as they went in: UTC instants, Decimal cents, JSON details,
cursor strings (on SQLite and PostgreSQL)."""

from __future__ import annotations

import enum
import itertools
import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ml_connector.errors import StoreError
from ml_connector.store import coltypes
from ml_connector.store.port import (
    AuditEvent,
    DocKind,
    LedgerEntry,
    LedgerStatus,
    OutboxItem,
    PairId,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
    VendorLink,
)
from ml_connector.store.sql import SqlStateStore

MAIN = PairId("main")
KOLKATA = timezone(timedelta(hours=5, minutes=30))
PACIFIC = timezone(timedelta(hours=-8))
# one instant, written three ways
LOCAL = datetime(2026, 3, 8, 1, 59, 59, 123456, tzinfo=PACIFIC)
UTC_SAME = datetime(2026, 3, 8, 9, 59, 59, 123456, tzinfo=UTC)
HYPOTHESIS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
_doc_ids = itertools.count(1)


def _assert_utc(value: datetime | None, expected: datetime) -> None:
    assert value is not None
    assert value == expected
    assert value.utcoffset() == timedelta(0)
    assert value.tzinfo is UTC


def test_every_timestamp_comes_back_utc_aware(store: SqlStateStore) -> None:
    kolkata = UTC_SAME.astimezone(KOLKATA)
    with store.transaction() as tx:
        run = tx.start_run(MAIN, LOCAL, dry_run=False)
        tx.finish_run(run, kolkata, "completed", {})
        tx.put_ledger(
            LedgerEntry(MAIN, DocKind.AP_BILL, 1, "f", LedgerStatus.WRITTEN, updated_at=LOCAL)
        )
        tx.add_link(VendorLink(MAIN, 1, "00", "A", "code", created_at=kolkata))
        review = tx.add_review(
            ReviewItem(MAIN, ReviewKind.UNKNOWN_VENDOR, None, None, "r", "s", created_at=LOCAL)
        )
        tx.set_review_status(review, ReviewStatus.RESOLVED, by="x", at=kolkata)
        tx.append_audit(AuditEvent(LOCAL, MAIN, "written"))
        box = tx.add_outbox(OutboxItem(MAIN, "op", {}, created_at=LOCAL))
        tx.complete_outbox(box, kolkata)
    with store.transaction() as tx:
        (run_record,) = tx.last_runs()
        entry = tx.get_ledger(MAIN, DocKind.AP_BILL, 1)
        link = tx.get_link_by_st(MAIN, 1)
        item = tx.get_review(review)
        (event,) = tx.iter_audit()
        (since_local,) = tx.iter_audit(since=LOCAL)
        assert list(tx.iter_audit(since=LOCAL + timedelta(microseconds=1))) == []
    _assert_utc(run_record.started_at, UTC_SAME)
    _assert_utc(run_record.finished_at, UTC_SAME)
    assert entry is not None
    _assert_utc(entry.updated_at, UTC_SAME)
    assert link is not None
    _assert_utc(link.created_at, UTC_SAME)
    assert item is not None
    _assert_utc(item.created_at, UTC_SAME)
    _assert_utc(item.resolved_at, UTC_SAME)
    _assert_utc(event.at, UTC_SAME)
    assert since_local.id == event.id


@pytest.mark.parametrize(
    "amount",
    ["0.00", "0.01", "-0.01", "0.10", "12.50", "-1234.56", "999999999999.99", "-999999999999.99"],
)
def test_money_edges_round_trip(store: SqlStateStore, amount: str) -> None:
    _assert_amount_round_trips(store, Decimal(amount))


def _assert_amount_round_trips(store: SqlStateStore, amount: Decimal) -> None:
    doc_id = next(_doc_ids)
    entry = LedgerEntry(
        MAIN, DocKind.INVOICE, doc_id, "f", LedgerStatus.INTENT, amount=amount, updated_at=LOCAL
    )
    with store.transaction() as tx:
        tx.put_ledger(entry)
    with store.transaction() as tx:
        got = tx.get_ledger(MAIN, DocKind.INVOICE, doc_id)
    assert got is not None
    assert got.amount == amount
    assert got.amount is not None
    assert got.amount.as_tuple().exponent == -2
    assert str(got.amount) == str(amount.quantize(Decimal("0.01")))


@HYPOTHESIS
@given(
    st.decimals(
        min_value=Decimal("-999999999999.99"),
        max_value=Decimal("999999999999.99"),
        places=2,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_any_amount_in_cents_round_trips_exactly(store: SqlStateStore, amount: Decimal) -> None:
    _assert_amount_round_trips(store, amount.quantize(Decimal("0.01")))


@pytest.mark.parametrize(
    ("amount", "why"),
    [
        (Decimal("1.005"), "in cents"),
        (Decimal("1000000000000.00"), "does not fit"),
        (Decimal("NaN"), "in cents"),
        (1.5, "must be a Decimal"),
    ],
)
def test_amounts_that_are_not_cents_are_refused(
    store: SqlStateStore, amount: object, why: str
) -> None:
    entry = LedgerEntry(
        MAIN, DocKind.INVOICE, 1, "f", LedgerStatus.INTENT, amount=amount, updated_at=LOCAL
    )  # type: ignore[arg-type]
    with pytest.raises(StoreError, match=why), store.transaction() as tx:
        tx.put_ledger(entry)


class Colour(enum.Enum):
    RED = "red"


def test_json_details_keep_decimals_as_strings(store: SqlStateStore) -> None:
    details = {
        "amount": Decimal("12.50"),
        "lines": [{"amount": Decimal("-0.10"), "account": "6000-00"}],
        "on": date(2026, 1, 31),
        "at": UTC_SAME,
        "colour": Colour.RED,
        "score": 0.875,
        "ids": (1, 2),
        "none": None,
        "text": "Müller & Söhne «Ltd»",
    }
    expected = {
        "amount": "12.50",
        "lines": [{"amount": "-0.10", "account": "6000-00"}],
        "on": "2026-01-31",
        "at": "2026-03-08T09:59:59.123456+00:00",
        "colour": "red",
        "score": 0.875,
        "ids": [1, 2],
        "none": None,
        "text": "Müller & Söhne «Ltd»",
    }
    with store.transaction() as tx:
        run = tx.start_run(MAIN, LOCAL, dry_run=True)
        tx.finish_run(run, LOCAL, "completed", details)
        tx.append_audit(AuditEvent(LOCAL, MAIN, "written", details=details))
        review = tx.add_review(
            ReviewItem(MAIN, ReviewKind.UNMAPPED_GL, None, None, "r", "s", details)
        )
        tx.add_outbox(OutboxItem(MAIN, "op", details))
    with store.transaction() as tx:
        assert tx.last_runs()[0].summary == expected
        assert next(tx.iter_audit()).details == expected
        item = tx.get_review(review)
        assert item is not None
        assert item.details == expected
        assert tx.pending_outbox(MAIN)[0].payload == expected


def test_json_refuses_what_it_cannot_keep(store: SqlStateStore) -> None:
    with pytest.raises(StoreError, match="cannot be stored as JSON"), store.transaction() as tx:
        tx.append_audit(AuditEvent(LOCAL, MAIN, "x", details={"thing": object()}))
    with pytest.raises(StoreError, match="append_audit"), store.transaction() as tx:
        tx.append_audit(AuditEvent(LOCAL, MAIN, "x", details={"bad": float("nan")}))


STREAMS = st.sampled_from(["ap_bills", "invoices", "vendors", "sage_vendors"])
# opaque strings the engine encodes; PostgreSQL text cannot hold NUL, and neither can a
# cursor the engine writes (timestamps, ids, JSON)
CURSOR_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=300,
)


@HYPOTHESIS
@given(st.lists(st.tuples(STREAMS, CURSOR_TEXT), min_size=1, max_size=8))
def test_cursor_updates_read_back_exactly(
    store: SqlStateStore, updates: list[tuple[str, str]]
) -> None:
    pair = PairId(f"p{next(_doc_ids)}")
    expected: dict[str, str] = {}
    at = UTC_SAME
    for stream, value in updates:
        with store.transaction() as tx:
            tx.set_cursor(pair, stream, value, at)
        expected[stream] = value
        at += timedelta(seconds=1)
        with store.transaction() as tx:
            assert {s: tx.get_cursor(pair, s) for s in expected} == expected


_JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=5)
    | st.decimals(allow_nan=False, allow_infinity=False, places=2)
    | st.dates(),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=3) | st.integers(0, 9), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(st.dictionaries(st.text(max_size=3), _JSONISH, max_size=4))
def test_a_json_object_is_what_a_round_trip_through_json_gives(value: dict[str, object]) -> None:
    """`to_json_object` passes plain JSON through as it is and sends anything else through
    `json` (tuples become lists, numbers as keys strings, Decimal and dates strings; NaN
    refused): either way the same as the round trip."""
    try:
        expected = json.loads(json.dumps(value, default=coltypes._plain, allow_nan=False))
    except ValueError:
        with pytest.raises(ValueError, match="JSON compliant"):
            coltypes.to_json_object(value)
        return
    got = coltypes.to_json_object(value)
    assert got == expected
    assert json.dumps(got) == json.dumps(expected)  # types too (1 vs 1.0 vs True)
