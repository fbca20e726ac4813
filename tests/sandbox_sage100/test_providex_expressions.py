"""The ProvideX filter subset against a plain Python reading of the same condition."""

from __future__ import annotations

import operator
import sqlite3
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml_connector.sandbox.sage100.expressions import (
    ExpressionError,
    compile_filter,
    compile_value,
    pvx_str,
)
from ml_connector.sandbox.sage100.schema import AP_OPEN_INVOICE

ROWS = [
    ("00", vendor, f"{vendor[:2]}-{n}", float(amount))
    for n, (vendor, amount) in enumerate(
        [
            ("FERGUS", 10),
            ("CED", 20.5),
            ("GRAYBAR", 0),
            ("FERGUS", 99.99),
            ("LOWES", -5),
            ("CED", 20.5),
        ]
    )
]
OPS: dict[str, Callable[[object, object], bool]] = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}

_db = sqlite3.connect(":memory:")
_db.create_function("PVX_STR", 1, pvx_str, deterministic=True)
for stmt in AP_OPEN_INVOICE.ddl():
    _db.execute(stmt)
_db.executemany(
    "INSERT INTO AP_OpenInvoice (APDivisionNo, VendorNo, InvoiceNo, InvoiceAmt) "
    "VALUES (?, ?, ?, ?)",
    ROWS,
)

Cond = tuple[str, Callable[[tuple[str, str, str, float]], bool]]


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


strings = st.sampled_from(["FERGUS", "CED", "GRAYBAR", "LOWES", "F", "ZZ", 'A"B', ""])
numbers = st.sampled_from([0, 10, 20.5, 99.99, -5, 1000])


@st.composite
def comparisons(draw: st.DrawFn) -> Cond:
    op = draw(st.sampled_from(list(OPS)))
    if draw(st.booleans()):
        value = draw(strings)
        return f"VendorNo$ {op} {_quote(value)}", lambda r: OPS[op](r[1], value)
    number = draw(numbers)
    return f"InvoiceAmt{op}{number}", lambda r: OPS[op](r[3], float(number))


def _combine(children: st.SearchStrategy[Cond]) -> st.SearchStrategy[Cond]:
    def build(parts: tuple[Cond, Cond, str]) -> Cond:
        (ltext, lfun), (rtext, rfun), how = parts
        if how == "AND":
            return f"({ltext}) AND ({rtext})", lambda r: lfun(r) and rfun(r)
        if how == "OR":
            return f"({ltext}) or ({rtext})", lambda r: lfun(r) or rfun(r)
        return f"NOT ({ltext})", lambda r: not lfun(r)

    return st.tuples(children, children, st.sampled_from(["AND", "OR", "NOT"])).map(build)


conditions = st.recursive(comparisons(), _combine, max_leaves=6)


@settings(max_examples=200, deadline=None)
@given(conditions)
def test_filters_select_what_python_would(cond: Cond) -> None:
    text, predicate = cond
    sql = compile_filter(text, AP_OPEN_INVOICE)
    assert sql is not None
    got = sorted(
        r[0]
        for r in _db.execute(
            f"SELECT InvoiceNo FROM AP_OpenInvoice WHERE {sql.text}",  # noqa: S608  # compiled
            sql.params,
        )
    )
    assert got == sorted(r[2] for r in ROWS if predicate(r)), text


@given(
    st.lists(
        st.sampled_from(["VendorNo$", "InvoiceNo$", "STR(InvoiceAmt)", "$8A$", '"-"']),
        min_size=1,
        max_size=5,
    )
)
def test_value_expressions_concatenate(parts: list[str]) -> None:
    sql = compile_value("+".join(parts), AP_OPEN_INVOICE)
    query = f"SELECT {sql.text} FROM AP_OpenInvoice ORDER BY InvoiceNo"  # noqa: S608  # compiled
    got = [r[0] for r in _db.execute(query, sql.params)]
    pieces = {
        "VendorNo$": lambda r: r[1],
        "InvoiceNo$": lambda r: r[2],
        "STR(InvoiceAmt)": lambda r: pvx_str(r[3]),
        "$8A$": lambda r: chr(138),
        '"-"': lambda r: "-",
    }
    expected = ["".join(pieces[p](r) for p in parts) for r in sorted(ROWS, key=lambda r: r[2])]
    assert got == expected


def test_filters_of_one_shape_keep_their_own_literals_and_messages() -> None:
    """Filters are compiled once per shape (their string literals held out): each use
    still gets its own values, quotes and all, and an error reads as the filter written."""
    first = compile_filter('VendorNo$="FERGUS" AND InvoiceNo$="FE-0"', AP_OPEN_INVOICE)
    second = compile_filter('VendorNo$="CE""D" AND InvoiceNo$=""', AP_OPEN_INVOICE)
    assert first is not None
    assert second is not None
    assert first.text == second.text
    assert (first.params, second.params) == (("FERGUS", "FE-0"), ('CE"D', ""))
    held = compile_filter('VendorNo$="A\x000"', AP_OPEN_INVOICE)  # the placeholder's mark
    assert held is not None
    assert held.params == ("A\x000",)
    with pytest.raises(ExpressionError, match="ends too early"):
        compile_filter('VendorNo$="FERGUS" AND', AP_OPEN_INVOICE)
    with pytest.raises(ExpressionError, match='"oops'):  # the text as written, not a shape
        compile_filter('VendorNo$="oops', AP_OPEN_INVOICE)
