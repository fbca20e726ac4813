"""Bulk reads through `nGetResultSets`: ProvideX expressions in, parsed rows out.

`nGetResultSets(valueExpr, keyExpr, byref values, byref keys, filter, begin, end)` returns
one string per output, each record followed by ProvideX's separator byte 0x8A. Through COM
that byte arrives as "Š" (U+0160: the ANSI code page, Windows-1252, maps 0x8A there); a
server-side or sandbox caller may see U+008A. Both are accepted (`SEPARATORS`), and a "Š"
inside a value (a vendor name) must not split a record: so the value expression ends every
record with a control character of our own, ASCII's record separator chr(30) (`$1E$`), and a
record ends only where chr(30) is followed by a separator (or the text ends).

The value expression is a ProvideX string expression; to get several columns per record we
concatenate them with ASCII's unit separator chr(31) (`$1F$`, ProvideX's hex string
literal; unlike a tab it does not turn up in typed text) between them, and numeric columns
go through `STR(...)`. `filter` is a ProvideX boolean expression; `begin`/`end` bound the
key range.

A column is named as in ProvideX: `"VendorNo$"` for a string column, `"InvoiceAmt"` (no `$`)
for a numeric one. Parsed rows are dicts keyed by the name without `$`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from typing import Any

from ml_connector.sage100.boi_calls import check, last_error, return_code
from ml_connector.sage100.errors import SageVerifyError

PROVIDEX_SEP = "\x8a"  # ProvideX's separator byte, as a server-side caller sees it
COM_SEP = "\u0160"  # the same byte through COM on a Windows-1252 host: "Š"
SEPARATORS = (COM_SEP, PROVIDEX_SEP)
RECORD_SEP = PROVIDEX_SEP  # kept for callers that build ProvideX-shaped text
FIELD_SEP = "\x1f"
RECORD_END = "\x1e"  # ends every record of our value expressions
_FIELD_SEP_EXPR = "$1F$"
_RECORD_END_EXPR = "$1E$"
KEY_END = "\xfe"  # sorts after every character Sage stores in a key
_SEPARATOR = re.compile(f"[{COM_SEP}{PROVIDEX_SEP}]")
_UNQUOTABLE = re.compile(r"[\x00-\x1f\x8a]")


def quote(value: str) -> str:
    """A ProvideX string literal: double quotes, an inner quote doubled.

    Control characters (ours: chr(30), chr(31); a line break) and the raw separator byte
    cannot be put in a filter; "Š" (U+0160) is ordinary text and can.
    """
    if _UNQUOTABLE.search(value):
        raise ValueError(f"cannot put {value!r} in a ProvideX filter")
    return '"' + value.replace('"', '""') + '"'


def split_list(raw: object) -> list[str]:
    """A separator-delimited list (`sGetColumns`, `sGetDataSources`, key lists) as items.

    Either separator is accepted; a trailing separator leaves no empty item; items are
    stripped (names never hold a separator).
    """
    text = "" if raw is None else str(raw)
    return [item.strip() for item in _SEPARATOR.split(text) if item.strip()]


def column_expression(column: str) -> str:
    """`Col$` as is; a numeric `Col` as `STR(Col)`."""
    return column if column.endswith("$") else f"STR({column})"


def values_expression(columns: Sequence[str]) -> str:
    """All columns in one string, chr(31) between them, chr(30) at the end."""
    if not columns:
        raise ValueError("no columns asked for")
    return _values_expression(tuple(columns))


@functools.lru_cache(maxsize=256)  # a handful of column lists, asked for every document
def _values_expression(columns: tuple[str, ...]) -> str:
    joined = f"+{_FIELD_SEP_EXPR}+".join(column_expression(c) for c in columns)
    return f"{joined}+{_RECORD_END_EXPR}"


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


def split_records(values: str, *, source: str) -> list[str]:
    """The records of a values string built by `values_expression`.

    Each record is `fields + chr(30)` followed by a separator (U+0160 through COM, U+008A
    otherwise), the last one with or without its separator. A "Š" inside a value stays in
    the value: only a separator right after chr(30) ends a record.
    """
    if not values:
        return []
    pieces = values.split(RECORD_END)
    records = [pieces[0]]
    last = len(pieces) - 1
    for n, piece in enumerate(pieces[1:], start=1):
        if piece == "" and n == last:
            records.append("")  # the last record had no separator after it
        elif piece[:1] in SEPARATORS:
            records.append(piece[1:])
        else:  # text after a record end that is not a separator: not our shape
            raise SageVerifyError(
                f"{source}: the result set is malformed after record {n} "
                f"({piece[:20]!r} where a separator was expected)",
                operation=source,
                hint="A value holds chr(30), or Sage answered in an unexpected form.",
            )
    if records[-1] != "":
        raise SageVerifyError(
            f"{source}: the last record of the result set is not closed ({records[-1][:20]!r})",
            operation=source,
            hint="The value expression did not end every record with $1E$.",
        )
    return records[:-1]


def parse_tuples(values: str, columns: Sequence[str], *, source: str) -> list[list[str]]:
    """Split a result set into records of fields, in column order (not trimmed)."""
    return list(iter_tuples(values, columns, source=source))


def iter_tuples(values: str, columns: Sequence[str], *, source: str) -> Iterator[list[str]]:
    """`parse_tuples` one record at a time (a large result set is not held twice)."""
    records = split_records(values, source=source)
    width = len(columns)
    for number, record in enumerate(records, start=1):
        fields = record.split(FIELD_SEP)
        if len(fields) != width:
            names = [c.removesuffix("$") for c in columns]
            raise SageVerifyError(
                f"{source}: record {number} of the result set has {len(fields)} fields, "
                f"expected {width} ({', '.join(names)})",
                operation=source,
                hint="A value holds chr(31), or a column name in the settings is wrong.",
            )
        yield fields


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
