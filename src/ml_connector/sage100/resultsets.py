"""Bulk reads through `nGetResultSets`: ProvideX expressions in, parsed rows out.

`nGetResultSets(valueExpr, keyExpr, byref values, byref keys, filter, begin, end)` returns
one string per output, records separated by chr(138). The value expression is a ProvideX
string expression; to get several columns per record we concatenate them with ASCII's
unit separator chr(31) (`$1F$`, ProvideX's hex string literal; unlike a tab it does not
turn up in typed text) between them, and numeric columns go through
`STR(...)`. `filter` is a ProvideX boolean expression; `begin`/`end` bound the key range.

A column is named as in ProvideX: `"VendorNo$"` for a string column, `"InvoiceAmt"` (no `$`)
for a numeric one. Parsed rows are dicts keyed by the name without `$`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ml_connector.sage100.boi_calls import check, last_error, return_code
from ml_connector.sage100.errors import SageVerifyError

RECORD_SEP = chr(138)
FIELD_SEP = "\x1f"
_FIELD_SEP_EXPR = "$1F$"
KEY_END = "\xfe"  # sorts after every character Sage stores in a key


def quote(value: str) -> str:
    """A ProvideX string literal: double quotes, an inner quote doubled."""
    if RECORD_SEP in value or "\n" in value:
        raise ValueError(f"cannot put {value!r} in a ProvideX filter")
    return '"' + value.replace('"', '""') + '"'


def column_expression(column: str) -> str:
    """`Col$` as is; a numeric `Col` as `STR(Col)`."""
    return column if column.endswith("$") else f"STR({column})"


def values_expression(columns: Sequence[str]) -> str:
    """All columns in one string, chr(31) between them."""
    if not columns:
        raise ValueError("no columns asked for")
    return f"+{_FIELD_SEP_EXPR}+".join(column_expression(c) for c in columns)


def equals(column: str, value: str) -> str:
    """`Col$="value"` for a string column."""
    return f"{column}={quote(value)}"


def all_of(*conditions: str) -> str:
    parts = [c for c in conditions if c]
    if len(parts) == 1:
        return parts[0]
    return " AND ".join(f"({c})" for c in parts)


def any_of(*conditions: str) -> str:
    parts = [c for c in conditions if c]
    if len(parts) == 1:
        return parts[0]
    return " OR ".join(f"({c})" for c in parts)


def parse_tuples(values: str, columns: Sequence[str], *, source: str) -> list[list[str]]:
    """Split a result set into records of fields, in column order (not trimmed)."""
    if not values:
        return []
    records = values.split(RECORD_SEP)
    if records and records[-1] == "":
        records.pop()
    width = len(columns)
    out = [record.split(FIELD_SEP) for record in records]
    for number, fields in enumerate(out, start=1):
        if len(fields) != width:
            names = [c.removesuffix("$") for c in columns]
            raise SageVerifyError(
                f"{source}: record {number} of the result set has {len(fields)} fields, "
                f"expected {width} ({', '.join(names)})",
                operation=source,
                hint="A value holds chr(31), or a column name in the settings is wrong.",
            )
    return out


def parse_rows(values: str, columns: Sequence[str], *, source: str) -> list[dict[str, str]]:
    """Split a result set into rows; text is right-trimmed (Sage pads fixed-width fields)."""
    names = [c.removesuffix("$") for c in columns]
    return [
        {n: f.rstrip() for n, f in zip(names, fields, strict=True)}
        for fields in parse_tuples(values, columns, source=source)
    ]


def read_values(
    obj: Any,
    columns: Sequence[str],
    *,
    key_column: str,
    source: str,
    filter_expr: str = "",
    begin: str = "",
    end: str = "",
) -> str:
    """Run one `nGetResultSets` and return the raw values string ("" when nothing matched)."""
    answer = obj.nGetResultSets(
        values_expression(columns), key_column, "", "", filter_expr, begin, end
    )
    if not isinstance(answer, tuple) or len(answer) < 2:
        raise SageVerifyError(
            f"{source}: nGetResultSets gave {type(answer).__name__}, expected (ret, values, keys)",
            operation=source,
            hint="The COM by-reference adapter is not in place (see docs/sage-adapter.md).",
        )
    ret, values = answer[0], answer[1]
    if return_code(ret) == 0 and not values and not last_error(obj):
        return ""  # nothing matched
    check(ret, obj, f"{source}: nGetResultSets")
    return "" if values is None else str(values)


def read_rows(
    obj: Any,
    columns: Sequence[str],
    *,
    key_column: str,
    source: str,
    filter_expr: str = "",
    begin: str = "",
    end: str = "",
) -> list[dict[str, str]]:
    """Run one `nGetResultSets` on a business or service object and parse the rows."""
    values = read_values(
        obj,
        columns,
        key_column=key_column,
        source=source,
        filter_expr=filter_expr,
        begin=begin,
        end=end,
    )
    return parse_rows(values, columns, source=source)
