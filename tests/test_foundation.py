"""Money, clock and error basics that everything else leans on."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ml_connector.clock import ManualClock
from ml_connector.errors import Action, ConnectorError
from ml_connector.money import MoneyError, money_sum, to_money
from ml_connector.sage100.errors import InvoiceExistsError, RecordLockedError
from ml_connector.sage100.port import AccountFormat, AccountSegment
from ml_connector.sage100.references import normalise_reference


def test_money_from_strings_rounds_half_up_to_cents() -> None:
    assert to_money("12.345") == Decimal("12.35")
    assert to_money("-0.005") == Decimal("-0.01")
    assert str(to_money("7")) == "7.00"


@pytest.mark.parametrize("bad", [1.1, True, "abc", "NaN", "Infinity"])
def test_money_refuses_floats_and_junk(bad: object) -> None:
    with pytest.raises(MoneyError):
        to_money(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "absurd", ["1e400", "-1e400", "100000000000000000000.00", "1000000000000.00", "1E+13"]
)
def test_money_refuses_absurd_amounts_with_a_value_error(absurd: str) -> None:
    # found by scripts/fuzz_payloads.py: "1e400" raised decimal.InvalidOperation (not a
    # ValueError), which escaped the record's validation and stopped the whole cycle
    with pytest.raises(MoneyError, match="out of range"):
        to_money(absurd)
    assert to_money("999999999999.99") == Decimal("999999999999.99")


@given(st.lists(st.decimals(min_value=-(10**6), max_value=10**6, places=2), max_size=50))
def test_money_sum_is_exact(values: list[Decimal]) -> None:
    total = money_sum(values)
    assert total == sum(values, Decimal(0))
    assert total.as_tuple().exponent == -2


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(datetime(2026, 3, 1, 23, 59, tzinfo=UTC))
    clock.sleep(120)
    assert clock.now() == datetime(2026, 3, 2, 0, 1, tzinfo=UTC)
    assert clock.slept == [120]


def test_errors_carry_their_action_and_describe_themselves() -> None:
    exc = RecordLockedError("AP_Vendor 00FERGUS is in use", record="vendor 00-FERGUS", hint="wait")
    assert exc.action is Action.RETRY
    assert InvoiceExistsError("x").action is Action.SKIP
    assert isinstance(exc, ConnectorError)
    assert exc.describe() == "vendor 00-FERGUS: AP_Vendor 00FERGUS is in use\n  What to do: wait"


def test_account_format_formats_and_splits() -> None:
    fmt = AccountFormat((AccountSegment(1, 4), AccountSegment(2, 2), AccountSegment(3, 3)))
    assert fmt.format("600001100") == "6000-01-100"
    assert fmt.split("6000-01-100") == ("6000", "01", "100")
    assert fmt.split("600001100") == ("6000", "01", "100")
    with pytest.raises(ValueError, match="does not fit"):
        fmt.split("600-01-100")


def test_reference_normalisation() -> None:
    assert normalise_reference(" inv-0042/a ") == "42A"
