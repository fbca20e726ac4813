"""Sage's audit stamps (DateUpdated + TimeUpdated, DateCreated + TimeCreated) as cursors.

Dates are YYYYMMDD strings (blank, or Premium's 1753-01-01 sentinel, when unset); times are
decimal hours as text ("13.50000" is 13:30). A changed-since cursor compares
(date, hours) pairs, never the time alone, so it keeps working across midnight: a record
stamped 00:05 on the 6th is after a cursor of 23:55 on the 5th.

The filter sent to Sage narrows by date only (`DateUpdated$>="20260105"`); the exact
(date, hours) comparison is done here, so the filter stays simple ProvideX.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from ml_connector.sage100.port import ChangeStamp
from ml_connector.sage100.resultsets import any_of, quote

_SENTINEL_DAYS = {"17530101", "00000000"}
_HOURS_PLACES = Decimal("0.00001")


def parse_sage_date(text: str) -> date | None:
    """'20260105' -> date(2026, 1, 5); blank or sentinel -> None."""
    raw = text.strip().replace("-", "")
    if not raw or raw in _SENTINEL_DAYS:
        return None
    if len(raw) != 8 or not raw.isdigit():
        raise ValueError(f"not a Sage date (YYYYMMDD): {text!r}")
    return date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))


def format_sage_date(day: date) -> str:
    """date(2026, 1, 5) -> '20260105' (a fifth of strftime's cost: a write formats several)."""
    return day.isoformat().replace("-", "")


def parse_hours(text: str) -> Decimal:
    """'13.50000' -> Decimal('13.50000'); blank -> 0."""
    raw = text.strip()
    if not raw:
        return Decimal("0.00000")
    try:
        hours = Decimal(raw)
    except InvalidOperation as exc:
        raise ValueError(f"not a Sage time (decimal hours): {text!r}") from exc
    if not hours.is_finite() or hours < 0 or hours >= 24:
        raise ValueError(f"Sage time out of range (0 <= hours < 24): {text!r}")
    return hours.quantize(_HOURS_PLACES)


def parse_stamp(day: str, hours: str) -> ChangeStamp | None:
    """A stamp from the two audit columns; None when the date is unset."""
    parsed = parse_sage_date(day)
    if parsed is None:
        return None
    return ChangeStamp(parsed, parse_hours(hours))


def changed_since_filter(since: ChangeStamp, *, created_too: bool = True) -> str:
    """The ProvideX filter that keeps every record stamped on or after `since`'s day."""
    day = quote(format_sage_date(since.day))
    updated = f"DateUpdated$>={day}"
    return any_of(updated, f"DateCreated$>={day}") if created_too else updated


def is_at_or_after(stamps: tuple[ChangeStamp | None, ...], since: ChangeStamp) -> bool:
    """True when any of the record's stamps is at or after the cursor."""
    return any(s is not None and s >= since for s in stamps)
