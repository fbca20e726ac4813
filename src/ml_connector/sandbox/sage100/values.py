"""Sage's field rules for one value: type, length, upper case, zero fill, Y/N, dates, codes.

`coerce(col, value)` returns the value as Sage would store it, or the message a business
object's `nSetValue` / `nSetKeyValue` answers with when it refuses it (return code 0).
Numbers must come as numbers (pass doubles, as Sage's own samples do); they are rounded
half-up to two decimals. Strings must come as strings.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from ml_connector.sandbox.sage100.schema import Col


def round2(value: float) -> float:
    return float(Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def money(value: object) -> Decimal:
    """A stored amount as Decimal cents."""
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return Decimal("0.00")


def is_date(text: str) -> bool:
    if len(text) != 8 or not text.isdigit():
        return False
    try:
        date(int(text[:4]), int(text[4:6]), int(text[6:]))  # a real calendar day
    except ValueError:
        return False
    return True


def coerce(col: Col, value: object) -> tuple[str | float, str | None]:
    """(stored value, None) or (the value as given, Sage-like refusal message)."""
    boi = col.boi_name
    if col.kind == "N":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return 0.0, (
                f"Invalid value for {boi}: a number is required, not {type(value).__name__} "
                "(pass a double)."
            )
        if value != value or value in (float("inf"), float("-inf")):
            return 0.0, f"Invalid value for {boi}: {value!r}."
        return round2(value), None
    if not isinstance(value, str):
        return "", f"Invalid value for {boi}: a string is required, not {type(value).__name__}."
    text = value
    if col.upper:
        text = text.upper()
    if col.zero_fill and text.strip().isdigit() and len(text.strip()) < col.length:
        text = text.strip().zfill(col.length)
    if len(text) > col.length:
        return text, f"{boi} is too long: {len(text)} characters, the maximum is {col.length}."
    if col.flag and text not in ("Y", "N"):
        return text, f"Invalid value {text!r} for {boi}. Valid values are Y and N."
    if col.date and text and not is_date(text):
        return text, f"Invalid date {text!r} for {boi}. Dates are YYYYMMDD."
    if col.choices and text and text not in col.choices:
        return text, f"Invalid value {text!r} for {boi}. Valid values are {', '.join(col.choices)}."
    return text, None
