"""Vendor-name normalisation and vendor numbers: examples and properties."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ml_connector.sync.vendors.names import (
    is_generic,
    is_sage_cut_of,
    normalise_vendor_name,
    parse_vendor_name,
    truncated_like_sage,
)
from ml_connector.sync.vendors.numbers import propose_vendor_no

SAME = [
    ("Ferguson Enterprises, Inc.", "FERGUSON ENTERPRISES LLC"),
    ("The Home Depot", "Home Depot, The"),
    ("A & B Plumbing", "A and B Plumbing"),
    ("A&B Plumbing", "AB Plumbing"),
    ("A.B.C. Supply Co.", "ABC Supply Company"),
    ("Crescent Elec. Sply", "Crescent Electric Supply"),
    ("Smith Bros. Plbg & Htg", "Smith Brothers Plumbing and Heating"),
    ("Baker Dist.", "Baker Distributors"),
    ("Cool Air Mech Svcs", "Cool Air Mechanical Services"),
    ("Martínez Drywall", "MARTINEZ DRYWALL"),
    ("O'Brien Mechanical", "OBrien Mechanical"),
    ("  Jones   Plumbing,  L.L.C. ", "Jones Plumbing"),
    ("Acme Holdings LLC dba Cool Air Supply", "Cool Air Supply"),
    ("Jose Garcia d/b/a Garcia & Sons", "Garcia and Sons"),
    ("St. Louis Pipe", "Saint Louis Pipe"),
    ("Amazon.com", "Amazon"),
    ("Ferguson #01187", "Ferguson Store 1187"),
    ("Ferguson - 1187", "FERGUSON #1187"),
    ("Moen Incorporated", "Moen Corp."),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_names_offices_key_differently_normalise_the_same(a: str, b: str) -> None:
    assert normalise_vendor_name(a) == normalise_vendor_name(b)


DIFFERENT = [
    ("Ferguson #1187", "Ferguson #2210"),
    ("Apex Supply", "Apex Roofing"),
    ("Johnson Supply", "Johnstone Supply"),
    ("North Texas Plumbing Supply", "South Texas Plumbing Supply"),
    ("Smith Co Supply", "Smith Supply"),  # "Co" inside a name is part of it
]


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_vendors_stay_apart(a: str, b: str) -> None:
    assert normalise_vendor_name(a) != normalise_vendor_name(b)


def test_branch_is_kept_apart_from_the_name() -> None:
    parsed = parse_vendor_name("Ferguson Enterprises, Inc. #01187")
    assert (parsed.base, parsed.branch) == ("ferguson enterprises", "1187")
    assert parse_vendor_name("84 Lumber").branch is None  # a leading number is the name
    assert parse_vendor_name("Route 66 Supply").branch is None
    assert parse_vendor_name("Sunbelt Rentals 512").branch == "512"


def test_dba_keeps_the_trade_name_and_remembers_the_owner() -> None:
    parsed = parse_vendor_name("Smith Holdings, LLC DBA Cool Air Mechanical")
    assert parsed.base == "cool air mechanical"
    assert parsed.owner == ("smith", "holdings")


def test_distinctive_and_generic_words() -> None:
    parsed = parse_vendor_name("Apex Plumbing Supply & Rentals Group")
    assert parsed.distinctive == ("apex",)
    assert parsed.generic == ("plumbing", "supply", "rental", "group")
    for word in ["supply", "electric", "plumbing", "services", "heating", "cooling", "air"]:
        assert is_generic(word)
    for word in ["hvac", "rental", "equipment", "distributors", "company", "group"]:
        assert is_generic(word)
    assert not is_generic("ferguson")
    assert parse_vendor_name("Consolidated Electrical Distributors").generic == (
        "electric",
        "distributors",
    )


def test_sage_truncation_is_recognisable() -> None:
    sage = parse_vendor_name("CONSOLIDATED ELECTRICAL DISTRI")
    assert sage.maybe_truncated
    assert not parse_vendor_name("Ferguson").maybe_truncated
    full = "Consolidated Electrical Distributors, Inc."
    assert is_sage_cut_of("CONSOLIDATED ELECTRICAL DISTRI", full)
    assert not is_sage_cut_of("CONSOLIDATED ELECTRICAL", full)  # short: typed, not cut
    assert not is_sage_cut_of("CONSOLIDATED ELECTRICAL DISTRI", "Consolidated Electrical")
    assert truncated_like_sage("United Rentals (North America), Inc.") == (
        "United Rentals (North America)"
    )


LETTERS = [*"abcdeflnoprstuyABCLDS0123456789 &.#-,'/", "é", "É", "ß", "ø", "Ł", "ﬁ", "²"]
WORDS = ["inc", "llc", "co", "the", "and", "dba", "d/b/a", "store", "br", "supply", "sply"]
MORE = ["no.", "doing business as", " ", "l.l.c.", "company", "#1187", " 0042", ".com"]
NAME_PIECES = st.sampled_from([*LETTERS, *WORDS, *MORE])
NAMES = st.lists(NAME_PIECES, max_size=14).map("".join)


@given(NAMES)
def test_normalising_twice_changes_nothing(name: str) -> None:
    once = normalise_vendor_name(name)
    assert normalise_vendor_name(once) == once


@given(st.text(max_size=40))
def test_normalising_any_text_twice_changes_nothing(name: str) -> None:
    once = normalise_vendor_name(name)
    assert normalise_vendor_name(once) == once


VENDOR_NO = re.compile(r"^[A-Z0-9]{1,7}$")


@given(NAMES | st.text(max_size=40), st.sets(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")))
def test_proposed_vendor_numbers_are_short_clean_and_free(name: str, taken: set[str]) -> None:
    number = propose_vendor_no(name, taken.__contains__)
    assert VENDOR_NO.match(number)
    assert number not in taken
    assert not number.isdigit()  # Sage zero-fills all-digit numbers
    assert propose_vendor_no(name, taken.__contains__) == number  # deterministic


@given(NAMES, st.integers(min_value=0, max_value=60))
def test_proposed_vendor_numbers_survive_a_crowded_stem(name: str, crowd: int) -> None:
    taken: set[str] = set()
    for _ in range(crowd):
        taken.add(propose_vendor_no(name, taken.__contains__))
    number = propose_vendor_no(name, taken.__contains__)
    assert number not in taken
    assert VENDOR_NO.match(number)


def test_proposed_vendor_number_examples() -> None:
    taken = {"FERGUSO", "FERGUS1"}.__contains__
    assert propose_vendor_no("The Ferguson Co.", lambda _: False) == "FERGUSO"
    assert propose_vendor_no("Ferguson Enterprises", taken) == "FERGUS2"
    assert propose_vendor_no("Ferguson #1187", taken) == "FER1187"
    assert propose_vendor_no("123", lambda _: False) == "V123"
    assert propose_vendor_no("", lambda _: False) == "V"
