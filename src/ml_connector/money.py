"""Money: `Decimal` quantised to cents, end to end; floats are refused."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The largest amount the connector handles: what the state database's NUMERIC(14, 2) holds,
# far above any AP bill. Beyond it a value is a data error, not money.
MAX_AMOUNT = Decimal("999999999999.99")


class MoneyError(ValueError):
    """A value could not be read as an amount of money."""


def to_money(value: Decimal | str | int) -> Decimal:
    """Return `value` as a Decimal rounded half-up to cents.

    Strings are what ServiceTitan sends for amounts on bills and invoices ("12.50").
    Floats are refused: a float has already lost the cents we are asked to keep. So are
    values that are no number, not finite, or larger than `MAX_AMOUNT` (`MoneyError`, a
    ValueError: a record carrying one fails validation instead of stopping a cycle).
    """
    if isinstance(value, bool | float):
        raise MoneyError(
            f"refusing {type(value).__name__} {value!r} as money; use a string or Decimal"
        )
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise MoneyError(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise MoneyError(f"not a finite amount: {value!r}")
    if abs(amount) > MAX_AMOUNT:  # also keeps quantize() below Decimal's precision
        raise MoneyError(f"amount out of range (at most {MAX_AMOUNT} either way): {value!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money_sum(values: list[Decimal] | tuple[Decimal, ...]) -> Decimal:
    """Sum amounts exactly, starting from 0.00 so the result keeps two places."""
    total = ZERO
    for v in values:
        total += v
    return total.quantize(CENT, rounding=ROUND_HALF_UP)
