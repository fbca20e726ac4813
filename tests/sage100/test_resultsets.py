"""Result-set expressions and parsing: what goes to nGetResultSets and what comes back.

Through COM, ProvideX's separator byte 0x8A arrives as "Š" (U+0160); a caller inside
ProvideX sees U+008A. The parser takes both, and a "Š" inside a value stays in the value.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ml_connector.sage100.errors import SageVerifyError
from ml_connector.sage100.resultsets import (
    COM_SEP,
    FIELD_SEP,
    PROVIDEX_SEP,
    RECORD_END,
    all_of,
    any_of,
    equals,
    parse_rows,
    quote,
    split_list,
    values_expression,
)


def test_values_expression_joins_columns_with_a_unit_separator_and_closes_the_record() -> None:
    expr = values_expression(["VendorNo$", "InvoiceAmt", "Comment$"])
    assert expr == "VendorNo$+$1F$+STR(InvoiceAmt)+$1F$+Comment$+$1E$"


def test_quote_doubles_inner_quotes_refuses_control_characters_and_keeps_s_caron() -> None:
    assert quote('12" PIPE') == '"12"" PIPE"'
    assert quote("ŠKODA PARTS") == '"ŠKODA PARTS"'  # ordinary text in a filter
    for bad in ("A" + PROVIDEX_SEP, "A" + FIELD_SEP, "A" + RECORD_END, "A\nB"):
        with pytest.raises(ValueError, match="ProvideX filter"):
            quote(bad)


def test_filters_compose_with_parentheses() -> None:
    f = all_of(equals("VendorNo$", "ABC"), any_of('A$>"1"', 'B$<"2"'), "")
    assert f == '(VendorNo$="ABC") AND ((A$>"1") OR (B$<"2"))'
    assert all_of(equals("X$", "1")) == 'X$="1"'


COLS = ["APDivisionNo$", "VendorNo$", "VendorName$", "InvoiceAmt"]


@pytest.mark.parametrize("sep", [COM_SEP, PROVIDEX_SEP], ids=["through COM", "ProvideX byte"])
def test_com_shaped_result_sets_parse_with_either_separator_and_s_caron_in_values(
    sep: str,
) -> None:
    """What COM hands back for three vendors, one named with "Š" (also right before the
    field separator and at the end of the record), with the trailing separator."""
    f, e = FIELD_SEP, RECORD_END
    values = (
        f"00{f}SKODA  {f}Škoda Auto Parts Š{f}12.5{e}{sep}"
        f"00{f}FERGUS {f}Ferguson Š{f}0{e}{sep}"
        f"00{f}ZQ1    {f}Š{f}-3.1{e}{sep}"
    )
    rows = parse_rows(values, COLS, source="t")
    assert rows == [
        {
            "APDivisionNo": "00",
            "VendorNo": "SKODA",
            "VendorName": "Škoda Auto Parts Š",
            "InvoiceAmt": "12.5",
        },
        {"APDivisionNo": "00", "VendorNo": "FERGUS", "VendorName": "Ferguson Š", "InvoiceAmt": "0"},
        {"APDivisionNo": "00", "VendorNo": "ZQ1", "VendorName": "Š", "InvoiceAmt": "-3.1"},
    ]
    # the same without the last separator, and one row alone
    assert parse_rows(values.removesuffix(sep), COLS, source="t") == rows
    one = f"00{f}A{f}Name{f}1{e}{sep}"
    assert parse_rows(one, COLS, source="t")[0]["InvoiceAmt"] == "1"  # no trailing "Š"
    assert parse_rows("", COLS, source="t") == []


def test_a_record_with_the_wrong_number_of_fields_is_refused_loudly() -> None:
    f, e = FIELD_SEP, RECORD_END
    with pytest.raises(SageVerifyError, match=r"record 2 .* 3 fields, expected 2"):
        parse_rows(f"a{f}b{e}{COM_SEP}a{f}b{f}c{e}{COM_SEP}", ["X$", "Y$"], source="t")


def test_a_result_set_not_in_our_shape_is_refused_not_guessed() -> None:
    # records split only by "Š" (what the old expression produced): not closed by chr(30)
    with pytest.raises(SageVerifyError, match="not closed"):
        parse_rows(f"a{FIELD_SEP}b{COM_SEP}c{FIELD_SEP}d{COM_SEP}", ["X$", "Y$"], source="t")
    with pytest.raises(SageVerifyError, match="malformed"):
        parse_rows(f"a{FIELD_SEP}b{RECORD_END}xc{FIELD_SEP}d{RECORD_END}", ["X$", "Y$"], source="t")


def test_column_lists_split_on_either_separator() -> None:
    assert split_list(f"APDivisionNo${COM_SEP}VendorNo${COM_SEP}InvoiceAmt{COM_SEP}") == [
        "APDivisionNo$",
        "VendorNo$",
        "InvoiceAmt",
    ]
    assert split_list(f"AP_InvoiceHeader{PROVIDEX_SEP}AP_InvoiceDetail") == [
        "AP_InvoiceHeader",
        "AP_InvoiceDetail",
    ]
    assert split_list(None) == [] == split_list("")


text = st.text(
    alphabet=st.characters(
        blacklist_characters=[FIELD_SEP, RECORD_END], blacklist_categories=["Cs"]
    ),
    max_size=12,
).map(str.rstrip)


@given(
    st.lists(st.tuples(text, text), max_size=20),
    st.sampled_from([COM_SEP, PROVIDEX_SEP]),
    st.booleans(),
)
def test_parse_rows_round_trips_what_sage_would_build(
    rows: list[tuple[str, str]], sep: str, trailing: bool
) -> None:
    values = "".join(f"{a}{FIELD_SEP}{b}{RECORD_END}{sep}" for a, b in rows)
    if not trailing:
        values = values.removesuffix(sep)
    parsed = parse_rows(values, ["A$", "B$"], source="t")
    assert [(r["A"], r["B"]) for r in parsed] == rows
