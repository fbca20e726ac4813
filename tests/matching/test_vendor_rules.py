"""Codes weighed against each other and the name; the alias table; the rules that decide
more on their own (word order, a shared branch number) - each with the pairs of different
companies it must not link."""

from __future__ import annotations

from pathlib import Path

import pytest

from ml_connector.errors import ConfigError
from ml_connector.sage100.port import DivisionNo, SageVendor, SageVendorNo
from ml_connector.sync.vendors.aliases import load_vendor_aliases
from ml_connector.sync.vendors.match import MatchSettings, VendorMatcher


def _v(no: str, name: str, status: str = "A") -> SageVendor:
    return SageVendor(DivisionNo("00"), SageVendorNo(no), name, status=status)


ABC = [_v("ABCSUPP", "ABC SUPPLY"), _v("ABCTX", "ABC SUPPLY CO OF TEXAS")]
JOHNSTONE = [_v("JOHNS12", "JOHNSTONE SUPPLY #12"), _v("JOHNS14", "JOHNSTONE SUPPLY #14")]
FERGUSON = [
    _v("FERG118", "FERGUSON ENTERPRISES #1187"),
    _v("FERG221", "FERGUSON ENTERPRISES #2210"),
    _v("FERGFIR", "FERGUSON FIRE & FABRICATION #3001"),
    _v("FERGUSO", "FERGUSON ENTERPRISES"),
]


# --- codes -------------------------------------------------------------------------------


def test_a_code_for_one_vendor_and_a_name_for_another_is_a_conflict() -> None:
    matcher = VendorMatcher(ABC)
    # the names agree well enough on their own (ABC SUPPLY vs ABC Supply Co of Texas)...
    got = matcher.decide(name="ABC Supply Co of Texas", external_number="ABCSUPP")
    # ...but the name is exactly the other Sage vendor: a person decides
    assert (got.outcome, got.vendor_no, got.method) == ("review", None, "code conflict")
    assert "ABCSUPP" in got.reason
    assert "00-ABCTX" in got.reason
    assert {c.vendor_no for c in got.candidates} >= {"ABCSUPP", "ABCTX"}
    for source in ("vendor_number", "mapped_number"):
        other = matcher.decide(name="ABC Supply Co of Texas", **{source: "ABCSUPP"})
        assert other.outcome == "review", source
    # the code and the name agree: linked by the code
    same = matcher.decide(name="ABC Supply Co. of Texas, Inc.", external_number="ABCTX")
    assert (same.outcome, same.vendor_no, same.method) == ("link", "ABCTX", "external data")


def test_a_fuzzy_name_link_elsewhere_also_contradicts_a_code() -> None:
    matcher = VendorMatcher([*FERGUSON, _v("HAJOCA", "HAJOCA CORPORATION")])
    got = matcher.decide(name="Ferguson Enterprises LLC #2210", vendor_number="FERG118")
    assert got.outcome == "review"
    got = matcher.decide(name="Ferguson Enterprises Inc", mapped_number="FERG118")
    assert got.outcome == "review"  # the name is exactly FERGUSO (no branch)


def test_a_code_settles_a_name_that_alone_is_ambiguous() -> None:
    matcher = VendorMatcher(JOHNSTONE)
    assert matcher.decide(name="Johnstone Supply").outcome == "review"  # which branch?
    got = matcher.decide(name="Johnstone Supply", external_number="JOHNS14")
    assert (got.outcome, got.vendor_no) == ("link", "JOHNS14")


def test_two_codes_that_disagree_go_to_review_whichever_is_trusted_more() -> None:
    matcher = VendorMatcher(JOHNSTONE)
    got = matcher.decide(
        name="Johnstone Supply", external_number="JOHNS12", vendor_number="JOHNS14"
    )
    assert (got.outcome, got.method) == ("review", "codes disagree")
    assert "JOHNS12" in got.reason
    assert "JOHNS14" in got.reason
    got = matcher.decide(name="Johnstone Supply", mapped_number="JOHNS12", vendor_number="14")
    assert got.outcome == "link"  # "14" is no Sage number: the vendor's own, ignored
    agree = matcher.decide(
        name="Johnstone Supply #12", external_number="JOHNS12", vendor_number="00-JOHNS12"
    )
    assert (agree.outcome, agree.vendor_no) == ("link", "JOHNS12")


# --- rules that decide more, and the companies they must keep apart ---------------------


def test_the_same_words_in_another_order_link() -> None:
    matcher = VendorMatcher([_v("DALPLUM", "DALLAS PLUMBING SUPPLY"), *ABC])
    got = matcher.decide(name="Plumbing Supply of Dallas")
    assert (got.outcome, got.vendor_no) == ("link", "DALPLUM")
    assert "order" in got.method
    # a word more is not another order: ABC Supply is not ABC Supply Co of Texas
    assert matcher.decide(name="Texas ABC Supply").vendor_no != "ABCSUPP"
    assert matcher.decide(name="ABC Supply").vendor_no == "ABCSUPP"
    assert matcher.decide(name="ABC Supply of Oklahoma").outcome != "link"


def test_a_shared_branch_number_links_across_filler_words_only() -> None:
    matcher = VendorMatcher(FERGUSON[:3])
    got = matcher.decide(name="Ferguson #1187")
    assert (got.outcome, got.vendor_no) == ("link", "FERG118")
    assert got.method == "name score (same branch number)"
    # with an unbranched FERGUSON ENTERPRISES as close, a person picks
    assert VendorMatcher(FERGUSON).decide(name="Ferguson #1187").outcome == "review"
    # a trade word is another business, whatever the branch
    assert matcher.decide(name="Ferguson #3001").outcome == "review"
    # different branch numbers never link
    assert matcher.decide(name="Ferguson Enterprises #2211").outcome != "link"
    johnstone = VendorMatcher(JOHNSTONE)
    assert johnstone.decide(name="Johnstone Supply #12").vendor_no == "JOHNS12"
    assert johnstone.decide(name="Johnstone Supply #16").outcome != "link"
    assert johnstone.decide(name="Johnstone #14").outcome == "review"  # a trade word less
    two = VendorMatcher(
        [_v("FERG118", "FERGUSON ENTERPRISES #1187"), _v("FERH118", "FERGUSON HOLDINGS #1187")]
    )
    assert two.decide(name="Ferguson #1187").outcome == "review"  # which one?


# --- the alias table ---------------------------------------------------------------------


def _aliases(tmp_path: Path, text: str) -> tuple[tuple[str, str], ...]:
    path = tmp_path / "vendor-aliases.csv"
    path.write_text(text, encoding="utf-8")
    return load_vendor_aliases(path)


SAGE = [
    _v("CONSELE", "CONSOLIDATED ELECTRICAL DISTRI"),
    _v("PGE", "PACIFIC GAS & ELECTRIC"),
    _v("CARRENT", "CARRIER ENTERPRISE"),
    _v("BSE", "BSE"),
]


def test_aliases_make_acronyms_link_both_ways(tmp_path: Path) -> None:
    aliases = _aliases(
        tmp_path,
        "# acronyms our vendors use\nalias,name\n"
        "CED,Consolidated Electrical Distributors\n"
        '"PG&E","Pacific Gas and Electric"\n'
        "Border States Electric,BSE\n",
    )
    plain = VendorMatcher(SAGE)
    assert plain.decide(name="CED").outcome == "review"
    matcher = VendorMatcher(SAGE, MatchSettings(aliases=aliases))
    ced = matcher.decide(name="C.E.D.")
    assert ced.vendor_no == "CONSELE"  # by score: Sage cut the name at 30 characters
    assert ced.method.endswith("(alias table)")
    assert "alias table" in ced.reason
    assert matcher.decide(name="CED #12").outcome != "create"
    assert matcher.decide(name="PG&E").vendor_no == "PGE"
    bse = matcher.decide(name="Border States Electric")  # the alias is on the Sage side
    assert (bse.vendor_no, bse.method) == ("BSE", "exact name (alias table)")
    assert matcher.decide(name="Carrier Enterprise").method == "exact name"  # no alias used
    # an alias is a whole name, never a word: "CED Lighting" is not CED
    assert matcher.decide(name="CED Lighting").vendor_no != "CONSELE"
    # and it does not silence a code that names another vendor
    assert matcher.decide(name="CED", external_number="CARRENT").outcome == "review"


def test_alias_file_errors_name_the_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"vendor-aliases\.csv line 1: the header"):
        _aliases(tmp_path, "short,long\nCED,Consolidated\n")
    with pytest.raises(ConfigError, match="line 4: each row needs an alias and a name"):
        _aliases(tmp_path, "alias,name\nCED,Consolidated Electrical\n\nPG&E,\n")
    with pytest.raises(ConfigError, match="two names"):
        _aliases(tmp_path, "alias,name\nCED,Consolidated Electrical\nced,Central Electric\n")
    with pytest.raises(ConfigError, match="itself an alias"):
        _aliases(tmp_path, "alias,name\nCE,CED\nCED,Consolidated Electrical\n")
    with pytest.raises(ConfigError, match="cannot read"):
        load_vendor_aliases(tmp_path / "missing.csv")
    assert _aliases(tmp_path, "# nothing yet\n") == ()


def test_the_config_file_names_the_alias_table_and_the_engine_reads_it() -> None:
    from ml_connector.app.config.files import load_config
    from ml_connector.app.runtime import engine_settings
    from ml_connector.sync.settings import match_settings

    example = Path(__file__).parents[2] / "docs" / "examples" / "config.toml"
    pair = load_config(example).pair("main")
    assert pair.sync.vendor_aliases == example.parent / "vendor-aliases.csv"
    settings = match_settings(engine_settings(pair))
    assert ("CED", "Consolidated Electrical Distributors") in settings.aliases
    matcher = VendorMatcher(SAGE, settings)
    assert matcher.decide(name="CED").vendor_no == "CONSELE"


def test_another_order_does_not_link_when_a_shorter_sage_name_is_inside_it() -> None:
    # "Plumbing Supply of Dallas" may be the Dallas branch of PLUMBING SUPPLY CO
    matcher = VendorMatcher(
        [_v("DALPLUM", "DALLAS PLUMBING SUPPLY"), _v("PLUMSUP", "PLUMBING SUPPLY CO")]
    )
    assert matcher.decide(name="Plumbing Supply of Dallas").outcome == "review"
    smith = VendorMatcher(
        [_v("SMITHPL", "SMITH PLUMBING & HEATING"), _v("SMITHEL", "SMITH ELECTRIC")]
    )
    assert smith.decide(name="Smith Heating and Plumbing").vendor_no == "SMITHPL"
