"""DateUpdated/TimeUpdated as a changed-since cursor, across midnight."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ml_connector.sage100.changestamp import (
    changed_since_filter,
    is_at_or_after,
    parse_hours,
    parse_sage_date,
    parse_stamp,
)
from ml_connector.sage100.port import ChangeStamp


def test_parses_sage_dates_and_treats_blank_and_sentinel_as_unset() -> None:
    assert parse_sage_date("20260105") == date(2026, 1, 5)
    assert parse_sage_date("        ") is None
    assert parse_sage_date("17530101") is None
    with pytest.raises(ValueError, match="YYYYMMDD"):
        parse_sage_date("2026015")


def test_parses_decimal_hours() -> None:
    assert parse_hours("13.50000") == Decimal("13.50000")
    assert parse_hours(" 9.5") == Decimal("9.50000")
    assert parse_hours("") == Decimal("0")
    with pytest.raises(ValueError, match="range"):
        parse_hours("24.00000")


def test_a_change_just_after_midnight_is_after_a_cursor_just_before_it() -> None:
    cursor = parse_stamp("20260105", "23.99000")
    assert cursor is not None
    after_midnight = parse_stamp("20260106", "00.01000")
    earlier_that_day = parse_stamp("20260105", "23.50000")
    assert is_at_or_after((after_midnight, None), cursor)
    assert not is_at_or_after((earlier_that_day, None), cursor)
    assert is_at_or_after((None, cursor), cursor)  # the created stamp counts as well
    # Hours alone would say 0.01 < 23.99 and lose the change.
    assert after_midnight is not None
    assert after_midnight.hours < cursor.hours


def test_the_filter_narrows_by_day_only_and_covers_created_records() -> None:
    since = ChangeStamp(date(2026, 1, 5), Decimal("23.99"))
    assert changed_since_filter(since) == '(DateUpdated$>="20260105") OR (DateCreated$>="20260105")'
    assert changed_since_filter(since, created_too=False) == 'DateUpdated$>="20260105"'


def _stamp(moment: datetime) -> ChangeStamp:
    seconds = moment.hour * 3600 + moment.minute * 60 + moment.second
    hours = (Decimal(seconds) / Decimal(3600)).quantize(Decimal("0.00001"), rounding="ROUND_DOWN")
    parsed = parse_stamp(moment.strftime("%Y%m%d"), f"{hours:08.5f}")
    assert parsed is not None
    return parsed


@given(
    st.datetimes(
        min_value=datetime(2020, 1, 1),  # noqa: DTZ001  # Sage server wall time has no zone
        max_value=datetime(2030, 1, 1),  # noqa: DTZ001
    ),
    st.integers(min_value=36, max_value=3 * 86400),
)
def test_stamp_order_follows_time_order(moment: datetime, gap: int) -> None:
    later = moment + timedelta(seconds=gap)
    assert _stamp(later) > _stamp(moment)
