"""Result-set expressions and parsing: what goes to nGetResultSets and what comes back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ml_connector.sage100.errors import SageVerifyError
from ml_connector.sage100.resultsets import (
    FIELD_SEP,
    RECORD_SEP,
    all_of,
    any_of,
    equals,
    parse_rows,
    quote,
    values_expression,
)


def test_values_expression_joins_columns_with_a_unit_separator_and_wraps_numbers_in_str() -> None:
    expr = values_expression(["VendorNo$", "InvoiceAmt", "Comment$"])
    assert expr == "VendorNo$+$1F$+STR(InvoiceAmt)+$1F$+Comment$"


def test_quote_doubles_inner_quotes_and_refuses_the_record_separator() -> None:
    assert quote('12" PIPE') == '"12"" PIPE"'
    with pytest.raises(ValueError, match="ProvideX filter"):
        quote("A" + RECORD_SEP)


def test_filters_compose_with_parentheses() -> None:
    f = all_of(equals("VendorNo$", "ABC"), any_of('A$>"1"', 'B$<"2"'), "")
    assert f == '(VendorNo$="ABC") AND ((A$>"1") OR (B$<"2"))'
    assert all_of(equals("X$", "1")) == 'X$="1"'


def test_parse_rows_handles_the_trailing_separator_and_trims_padding() -> None:
    values = (
        f"00{FIELD_SEP}FERGUS {FIELD_SEP}12.5{RECORD_SEP}00{FIELD_SEP}ABC{FIELD_SEP}0{RECORD_SEP}"
    )
    rows = parse_rows(values, ["APDivisionNo$", "VendorNo$", "InvoiceAmt"], source="t")
    assert rows == [
        {"APDivisionNo": "00", "VendorNo": "FERGUS", "InvoiceAmt": "12.5"},
        {"APDivisionNo": "00", "VendorNo": "ABC", "InvoiceAmt": "0"},
    ]
    assert parse_rows("", ["A$"], source="t") == []


def test_a_record_with_the_wrong_number_of_fields_is_refused_loudly() -> None:
    with pytest.raises(SageVerifyError, match=r"record 2 .* 3 fields, expected 2"):
        parse_rows(f"a{FIELD_SEP}b{RECORD_SEP}a{FIELD_SEP}b{FIELD_SEP}c", ["X$", "Y$"], source="t")


text = st.text(
    alphabet=st.characters(
        blacklist_characters=[RECORD_SEP, FIELD_SEP], blacklist_categories=["Cs"]
    ),
    max_size=12,
).map(str.rstrip)


@given(st.lists(st.tuples(text, text), max_size=20))
def test_parse_rows_round_trips_what_sage_would_build(rows: list[tuple[str, str]]) -> None:
    values = "".join(f"{a}{FIELD_SEP}{b}{RECORD_SEP}" for a, b in rows)
    parsed = parse_rows(values, ["A$", "B$"], source="t")
    assert [(r["A"], r["B"]) for r in parsed] == rows
