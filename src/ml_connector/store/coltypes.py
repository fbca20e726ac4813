"""Column types that keep our invariants on both SQLite and PostgreSQL.

- `UtcDateTime`: takes UTC-aware datetimes only; PostgreSQL stores `timestamptz`, SQLite
  stores naive UTC text (it has no zone), and both give back UTC-aware datetimes.
- `Money`: Decimal cents. PostgreSQL stores `NUMERIC(14, 2)`. SQLite has no decimal type
  (its NUMERIC affinity turns "12.50" into a binary float), so there the column is an
  integer count of cents: exact, and still sortable and summable in SQL.
- `JsonDocument`: a JSON object (details, summaries, payloads). Decimals inside become
  strings ("12.50"), datetimes ISO 8601 strings, dates ISO dates, enums their value, sets
  and tuples lists; anything else is refused rather than silently stringified.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

CENT = Decimal("0.01")
MONEY_LIMIT = Decimal(10) ** 12  # NUMERIC(14, 2): twelve digits before the point


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that must be timezone-aware going in and is UTC-aware coming out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: give a UTC-aware one")
        utc = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return utc.replace(tzinfo=None)
        return utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Money(TypeDecorator[Decimal]):
    """Decimal with exactly two places; integer cents on SQLite, NUMERIC(14, 2) elsewhere."""

    impl = Numeric(14, 2, asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(14, 2, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Decimal | int | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"money must be a Decimal, got {type(value).__name__} {value!r}")
        if not value.is_finite() or value != value.quantize(CENT):
            raise ValueError(f"money must be a finite amount in cents, got {value}")
        if abs(value) >= MONEY_LIMIT:
            raise ValueError(f"amount {value} does not fit NUMERIC(14, 2)")
        if dialect.name == "sqlite":
            return int(value.scaleb(2))
        return value.quantize(CENT)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-2).quantize(CENT)
        return Decimal(value).quantize(CENT)


def _plain(value: object) -> Any:
    """`json.dumps` hook for the few non-JSON types our details carry."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    raise TypeError(f"{type(value).__name__} {value!r} cannot be stored as JSON")


def to_json_object(value: Mapping[str, Any]) -> dict[str, Any]:
    """A plain JSON object (str keys; str, numbers, bools, None, lists, objects)."""
    if type(value) is dict and _is_plain(value):
        return dict(value)  # already what a round trip through JSON would give
    text = json.dumps(dict(value), default=_plain, allow_nan=False)
    result: dict[str, Any] = json.loads(text)
    return result


def _is_plain(value: object) -> bool:
    """JSON as it is: exact str, int, bool, finite float, None, and lists and str-keyed
    dicts of those (subclasses, tuples, other keys and the like take the round trip)."""
    kind = type(value)
    if value is None or kind in _PLAIN_SCALARS:
        return True
    if isinstance(value, float) and kind is float:
        return math.isfinite(value)
    if isinstance(value, list) and kind is list:
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict) and kind is dict:
        return all(type(k) is str and _is_plain(v) for k, v in value.items())
    return False


_PLAIN_SCALARS = frozenset({str, int, bool})


class JsonDocument(TypeDecorator[dict[str, Any]]):
    """A JSON object; JSONB on PostgreSQL, JSON text on SQLite."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())

    def process_bind_param(
        self, value: Mapping[str, Any] | None, dialect: Dialect
    ) -> dict[str, Any] | None:
        if value is None:
            return None
        return to_json_object(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> dict[str, Any] | None:
        if value is None:
            return None
        return dict(value)
