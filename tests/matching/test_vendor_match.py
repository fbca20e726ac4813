"""VendorMatcher decisions, one behaviour at a time."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ml_connector.errors import ConfigError
from ml_connector.sage100.port import DivisionNo, SageVendor, SageVendorNo
from ml_connector.sync.vendors.match import MatchSettings, VendorMatcher
from ml_connector.sync.vendors.names import normalise_vendor_name


def _v(no: str, name: str, status: str = "A", division: str = "00") -> SageVendor:
    return SageVendor(DivisionNo(division), SageVendorNo(no), name, status=status)


FERGUSON_BRANCHES = [_v("FERG118", "FERGUSON #1187"), _v("FERG221", "FERGUSON #2210")]


def test_branches_kept_apart_when_sage_keeps_them_apart() -> None:
    matcher = VendorMatcher(FERGUSON_BRANCHES)
    got = matcher.decide(name="Ferguson #1187")
    assert (got.outcome, got.vendor_no, got.method) == ("link", "FERG118", "exact name")
    got = matcher.decide(name="Ferguson Store 2210")
    assert (got.outcome, got.vendor_no) == ("link", "FERG221")
    other = matcher.decide(name="Ferguson #3345")
    assert other.outcome == "create"
    assert "branch #3345" in other.reason
    none = matcher.decide(name="Ferguson")
    assert none.outcome == "review"
    assert {c.vendor_no for c in none.candidates} == {"FERG118", "FERG221"}


def test_a_branch_links_to_the_only_vendor_of_that_name() -> None:
    matcher = VendorMatcher([_v("FERGUSO", "FERGUSON ENTERPRISES INC"), _v("HAJOCA", "HAJOCA")])
    got = matcher.decide(name="Ferguson Enterprises #1187")
    assert (got.outcome, got.vendor_no) == ("link", "FERGUSO")
    assert "no branch number" in got.reason


def test_branch_number_never_links_to_another_branch_even_fuzzily() -> None:
    matcher = VendorMatcher([_v("FERG221", "FERGUSON ENTERPRISES #2210")])
    got = matcher.decide(name="Ferguson #1187")
    assert got.outcome != "link"


def test_sage_thirty_character_cut() -> None:
    matcher = VendorMatcher([_v("CED", "CONSOLIDATED ELECTRICAL DISTRI")])
    got = matcher.decide(name="Consolidated Electrical Distributors, Inc.")
    assert (got.outcome, got.vendor_no) == ("link", "CED")
    assert "30-character" in got.method


def test_shared_trade_words_do_not_make_a_match() -> None:
    matcher = VendorMatcher([_v("APEXSUP", "APEX SUPPLY CO"), _v("APEXROO", "APEX ROOFING")])
    assert matcher.decide(name="Apex Supply Company").vendor_no == "APEXSUP"
    assert matcher.decide(name="Apex Roofing Inc").vendor_no == "APEXROO"
    assert matcher.decide(name="Apex Plumbing").outcome == "review"
    assert matcher.decide(name="Zenith Roofing Supply").outcome == "create"


def test_ambiguity_goes_to_review_with_scored_candidates() -> None:
    matcher = VendorMatcher(
        [_v("NTX", "NORTH TEXAS PLUMBING SUPPLY"), _v("STX", "SOUTH TEXAS PLUMBING SUPPLY")]
    )
    got = matcher.decide(name="N. Texas Plumbing Supply")
    assert got.outcome == "review"
    assert got.vendor_no is None
    assert [c.vendor_no for c in got.candidates][:2] in (["NTX", "STX"], ["STX", "NTX"])
    assert all(0 < c.score < 90 for c in got.candidates)
    assert "too far to link" in got.reason or "about as close" in got.reason


def test_fuzzy_link_reports_score_and_runner_up() -> None:
    matcher = VendorMatcher([_v("ONEHOUR", "ONE HOUR HEATING & AIR"), _v("ARS", "ARS ROOTER")])
    got = matcher.decide(name="One Hour Heating & Air Conditioning")
    assert (got.outcome, got.vendor_no, got.method) == ("link", "ONEHOUR", "name score")
    assert got.score is not None
    assert got.score >= 90
    assert "the next scores" in got.reason


def test_code_paths_and_conflicts() -> None:
    vendors = [_v("FERGUSO", "FERGUSON ENTERPRISES"), _v("ACMEROO", "ACME ROOFING")]
    matcher = VendorMatcher(vendors)
    got = matcher.decide(name="Ferguson Ent.", external_number="ferguso")
    assert (got.outcome, got.vendor_no, got.method) == ("link", "FERGUSO", "external data")
    conflict = matcher.decide(name="Ferguson Enterprises", vendor_number="ACMEROO")
    assert conflict.outcome == "review"
    assert "ACME ROOFING" in conflict.reason
    assert "Ferguson Enterprises" in conflict.reason
    assert {c.vendor_no for c in conflict.candidates} >= {"ACMEROO", "FERGUSO"}
    # a bill's vendorNumber that is not a Sage number is the vendor's own: ignored
    own = matcher.decide(name="Ferguson Enterprises", vendor_number="CUST-88121")
    assert (own.outcome, own.method) == ("link", "exact name")
    # a user's mapping is taken over a name that names no Sage vendor...
    mapped = matcher.decide(name="Totally Else", mapped_number="ACMEROO")
    assert (mapped.outcome, mapped.vendor_no, mapped.method) == ("link", "ACMEROO", "mapping")
    # ...but every code is weighed: a bill's vendorNumber naming another vendor is a doubt
    doubt = matcher.decide(name="Totally Else", mapped_number="ACMEROO", vendor_number="FERGUSO")
    assert (doubt.outcome, doubt.vendor_no) == ("review", None)
    stale = matcher.decide(name="Ferguson Enterprises", external_number="GONE123")
    assert stale.outcome == "review"
    assert "GONE123" in stale.reason


def test_inactive_vendors_are_never_linked() -> None:
    matcher = VendorMatcher([_v("OLD", "HERTZ EQUIPMENT RENTAL", status="I")])
    assert matcher.decide(name="Hertz Equipment Rental").outcome == "review"
    assert "inactive" in matcher.decide(name="Hertz Equipment Rental").reason
    assert matcher.decide(name="x", external_number="OLD").outcome == "review"
    both = VendorMatcher([_v("OLD", "ACME SUPPLY", status="I"), _v("NEW", "ACME SUPPLY CO")])
    assert both.decide(name="Acme Supply").vendor_no == "NEW"


def test_create_proposes_a_free_number_and_respects_the_setting() -> None:
    vendors = [_v("FERGUSO", "FERGUSON FIRE"), _v("FERGUS1", "FERGUSON WATERWORKS")]
    matcher = VendorMatcher(vendors)
    got = matcher.decide(name="Fergusonville Mechanical")
    assert (got.outcome, got.division_no, got.vendor_no) == ("create", "00", "FERGUS2")
    matcher.add(_v("FERGUS2", "FERGUSONVILLE MECHANICAL"))
    assert matcher.decide(name="Fergusonville Mechanical").vendor_no == "FERGUS2"
    assert matcher.decide(name="Fergusonville Mechanical").outcome == "link"
    assert matcher.decide(name="Fergusonville Plumbing").vendor_no != "FERGUS2"
    off = VendorMatcher(vendors, MatchSettings(create_missing=False))
    refused = off.decide(name="Brand New Vendor")
    assert (refused.outcome, refused.vendor_no) == ("review", None)
    assert "turned off" in refused.reason


def test_same_name_in_two_divisions_is_ambiguous_unless_restricted() -> None:
    vendors = [_v("EMPIRE", "EMPIRE SUPPLY"), _v("EMPIRE", "EMPIRE SUPPLY", division="01")]
    assert VendorMatcher(vendors).decide(name="Empire Supply").outcome == "review"
    only_01 = VendorMatcher(vendors, MatchSettings(divisions=("01",), default_division="01"))
    got = only_01.decide(name="Empire Supply")
    assert (got.outcome, got.division_no) == ("link", "01")
    assert only_01.decide(name="Other Co").division_no == "01"


def test_decisions_do_not_depend_on_input_order() -> None:
    vendors = [_v(f"V{i:03d}", f"{w} PLUMBING SUPPLY") for i, w in enumerate("ABCDEFGHIJ" * 3)]
    names = ["A Plumbing Supply", "B Plumbing", "Zed Supply"]
    one = [VendorMatcher(vendors).decide(name=n) for n in names]
    two = [VendorMatcher(list(reversed(vendors))).decide(name=n) for n in names]
    assert [(d.outcome, sorted(c.vendor_no for c in d.candidates)) for d in one] == [
        (d.outcome, sorted(c.vendor_no for c in d.candidates)) for d in two
    ]


def test_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="review_score"):
        MatchSettings(auto_link_score=60, review_score=70)
    with pytest.raises(ConfigError, match="margin"):
        MatchSettings(margin=-1)


def test_acronyms_and_rare_words_go_to_review_not_to_a_new_vendor() -> None:
    matcher = VendorMatcher(
        [
            _v("CED", "CONSOLIDATED ELECTRICAL DISTRI"),
            _v("GRAINGE", "W.W. GRAINGER INC"),
            _v("SMITH1", "SMITH BAKER PLUMBING"),
            _v("SMITH2", "SMITH COLE ELECTRIC"),
            _v("SMITH3", "SMITH DEAN ROOFING"),
            _v("SMITH4", "SMITH EVANS MECHANICAL"),
        ]
    )
    ced = matcher.decide(name="CED")
    assert ced.outcome == "review"
    assert [c.vendor_no for c in ced.candidates] == ["CED"]
    assert "initials" in ced.reason
    grainger = matcher.decide(name="Grainger Industrial Supply")
    assert grainger.outcome == "review"
    assert grainger.candidates[0].vendor_no == "GRAINGE"
    # "smith" is in four Sage names: not rare, so "Smith Oakley" is someone new
    assert matcher.decide(name="Smith Oakley Landscaping").outcome == "create"


def test_a_name_with_nothing_in_it_is_never_matched() -> None:
    matcher = VendorMatcher([_v("BLANK", "..."), _v("ACME", "ACME")])
    for name in ["", "   ", "..."]:
        assert matcher.decide(name=name).outcome == "review"


def test_legal_name_before_dba_matches_either_way() -> None:
    matcher = VendorMatcher([_v("COOLAIR", "SMITH HOLDINGS DBA COOL AIR")])
    got = matcher.decide(name="Cool Air")
    assert (got.outcome, got.vendor_no) == ("link", "COOLAIR")
    got = matcher.decide(name="Smith Holdings, LLC")
    assert (got.outcome, got.vendor_no) == ("link", "COOLAIR")
    assert "legal name" in got.method


def test_every_sage_vendor_finds_itself_by_its_own_name(sage_vendors: list[SageVendor]) -> None:
    matcher = VendorMatcher(sage_vendors)
    names = Counter(normalise_vendor_name(v.name) for v in sage_vendors if v.status != "I")
    for vendor in sage_vendors:
        if vendor.status == "I" or names[normalise_vendor_name(vendor.name)] > 1:
            continue
        for spelling in (vendor.name, vendor.name.lower(), f"{vendor.name}, Inc."):
            got = matcher.decide(name=spelling)
            assert (got.outcome, got.vendor_no) == ("link", vendor.vendor_no), spelling


BASES = st.sampled_from(["Ferguson", "Johnstone Supply", "Hajoca", "Sunbelt Rentals", "Rexel"])
BRANCHES = st.integers(min_value=1, max_value=9999)


@given(BASES, st.lists(BRANCHES, min_size=1, max_size=4, unique=True), BRANCHES, st.booleans())
def test_never_links_to_another_branch(
    base: str, sage_branches: list[int], branch: int, with_zeros: bool
) -> None:
    vendors = [_v(f"B{n:04d}", f"{base.upper()} #{n}") for n in sage_branches]
    written = f"{base} #{branch:05d}" if with_zeros else f"{base} Store {branch}"
    got = VendorMatcher(vendors).decide(name=written)
    if got.outcome == "link":
        assert got.vendor_no == f"B{branch:04d}"
    else:
        assert branch not in sage_branches
