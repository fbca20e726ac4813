"""GL mapping: rules file, three-segment accounts, active checks, fallback, gl check."""

from __future__ import annotations

from pathlib import Path

import pytest

from ml_connector.errors import Action, ConfigError, SyncError
from ml_connector.sage100.port import AccountFormat, AccountKey, AccountSegment, GlAccount
from ml_connector.sync.errors import UnmappedLineError
from ml_connector.sync.gl.mapping import GlMapper, GlRules, LineDimensions, gl_check

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "gl-rules.toml"
FORMAT = AccountFormat(
    (AccountSegment(1, 4, "Main"), AccountSegment(2, 2, "Department"), AccountSegment(3, 3, "Site"))
)
CHART = {
    "5000-00-100": "A",
    "5000-01-100": "A",
    "5000-02-100": "A",
    "5000-03-100": "I",  # plumbing materials account retired
    "5100-01-100": "A",
    "5200-04-100": "D",
    "5300-00-100": "A",
    "5900-00-000": "A",
    "2310-00-000": "A",
    "6100-01-100": "A",
    "6200-00-100": "A",
    "9999-00-000": "A",
    "9998-00-000": "I",
}


def _accounts() -> list[GlAccount]:
    return [
        GlAccount(
            account_key=AccountKey(f"{n:09d}"),
            account=account,
            raw_account=account.replace("-", ""),
            description=f"account {account}",
            status=status,  # type: ignore[arg-type]
        )
        for n, (account, status) in enumerate(CHART.items(), 1)
    ]


def _key(account: str) -> str:
    return f"{list(CHART).index(account) + 1:09d}"


def _mapper(rules: GlRules) -> GlMapper:
    return GlMapper(rules, FORMAT, _accounts())


def _toml(tmp_path: Path, text: str) -> GlRules:
    path = tmp_path / "gl-rules.toml"
    path.write_text(text, encoding="utf-8")
    return GlRules.load(path)


# -- default rule: ServiceTitan's account number is a Sage account ------------------------


@pytest.mark.parametrize("number", ["5000-01-100", "500001100", " 5000-01-100 ", "5000 01 100"])
def test_default_rule_finds_formatted_or_raw_account(number: str) -> None:
    got = _mapper(GlRules.default()).map(LineDimensions(number))
    assert (got.account_key, got.account, got.fallback) == (
        _key("5000-01-100"),
        "5000-01-100",
        False,
    )
    assert got.rule == "ServiceTitan GL account number = Sage account"


def test_default_rule_refuses_a_main_account_alone_and_inactive_accounts() -> None:
    mapper = _mapper(GlRules.default())
    with pytest.raises(UnmappedLineError) as missing:
        mapper.map(LineDimensions("5000"))
    assert missing.value.account == "5000"
    assert missing.value.rule == "ServiceTitan GL account number = Sage account"
    assert "not a Sage GL account" in missing.value.message
    with pytest.raises(UnmappedLineError) as inactive:
        mapper.map(LineDimensions("5000-03-100"))
    assert inactive.value.account == "5000-03-100"
    assert "inactive" in inactive.value.message
    with pytest.raises(UnmappedLineError, match=r"deleted|inactive"):
        mapper.map(LineDimensions("5200-04-100"))  # status D is not active either
    with pytest.raises(UnmappedLineError, match="no GL rule applies"):
        mapper.map(LineDimensions(None, budget_code="MAT"))


def test_unmapped_line_error_is_a_skip_sync_error() -> None:
    assert issubclass(UnmappedLineError, SyncError)
    assert UnmappedLineError.action is Action.SKIP


# -- the example file: three segments, per-segment rules ----------------------------------


def test_example_rules_build_accounts_segment_by_segment() -> None:
    mapper = _mapper(GlRules.load(EXAMPLE))
    got = mapper.map(LineDimensions("6999", budget_code="mat", business_unit="HVAC  service"))
    assert got.account == "5000-01-100"
    assert got.account_key == _key("5000-01-100")
    assert got.rule == "Job cost by budget code and business unit"
    # unknown business unit: the segment's default department
    got = mapper.map(LineDimensions(None, budget_code="MAT", business_unit="Roofing"))
    assert got.account == "5000-00-100"
    # no business unit at all: the default too
    assert mapper.map(LineDimensions(None, budget_code="MAT")).account == "5000-00-100"
    got = mapper.map(LineDimensions(None, budget_code="EQP", business_unit="HVAC Service"))
    assert got.account == "5100-01-100"


def test_example_rules_whole_accounts_and_line_kinds() -> None:
    mapper = _mapper(GlRules.load(EXAMPLE))
    freight = mapper.map(LineDimensions("5000-01-100", budget_code="MAT", line_kind="freight"))
    assert (freight.account, freight.rule) == ("5900-00-000", "Freight in")
    assert mapper.map(LineDimensions(None, line_kind="tax")).account == "2310-00-000"
    warranty = mapper.map(LineDimensions(None, budget_code="war"))
    assert (warranty.account, warranty.rule) == ("5300-00-100", "Warranty parts")
    overhead = mapper.map(LineDimensions("6100", business_unit="HVAC Service"))
    assert (overhead.account, overhead.rule) == ("6100-01-100", "Overhead by ServiceTitan account")
    # no budget code, not overhead: the ServiceTitan account number itself
    assert mapper.map(LineDimensions("5000-02-100")).rule.startswith("ServiceTitan GL")


def test_example_rules_name_the_account_and_rule_when_unmapped() -> None:
    mapper = _mapper(GlRules.load(EXAMPLE))
    with pytest.raises(UnmappedLineError) as inactive:
        mapper.map(LineDimensions(None, budget_code="MAT", business_unit="Plumbing"))
    assert inactive.value.account == "5000-03-100"
    assert inactive.value.rule == "Job cost by budget code and business unit"
    assert "5000-03-100 which is inactive" in str(inactive.value).replace(",", "")
    with pytest.raises(UnmappedLineError) as missing:
        mapper.map(LineDimensions(None, budget_code="MAT-PIPE", business_unit="Plumbing"))
    assert missing.value.account == "5010-03-100"
    assert "not a Sage GL account" in missing.value.message
    with pytest.raises(UnmappedLineError) as unknown_code:
        mapper.map(LineDimensions(None, budget_code="MAT-XYZ"))
    assert unknown_code.value.rule == "Job cost by budget code and business unit"
    assert "'MAT-XYZ' is not in segment 1's map" in unknown_code.value.message
    assert unknown_code.value.describe().count("What to do") == 1


# -- rule order, fallback ---------------------------------------------------------------

ORDER = """
[[rule]]
name = "by unit"
when = { business_unit = "HVAC*" }
account = "5000-01-100"

[[rule]]
name = "by code"
when = { budget_code = "MAT" }
account = "5000-02-100"
"""
_PARTS = ORDER.split("[[rule]]")
REVERSED = "[[rule]]" + _PARTS[2] + "\n[[rule]]" + _PARTS[1]


def test_first_matching_rule_wins(tmp_path: Path) -> None:
    both = LineDimensions(None, budget_code="MAT", business_unit="HVAC Service")
    got = _mapper(_toml(tmp_path, ORDER)).map(both)
    assert (got.rule, got.account) == ("by unit", "5000-01-100")
    got = _mapper(_toml(tmp_path, REVERSED)).map(both)
    assert (got.rule, got.account) == ("by code", "5000-02-100")
    # a line only the later rule fits still reaches it
    later = _mapper(_toml(tmp_path, REVERSED)).map(LineDimensions(None, business_unit="hvac x"))
    assert later.rule == "by unit"


def test_fallback_is_flagged_with_the_reason(tmp_path: Path) -> None:
    rules = _toml(tmp_path, 'fallback = "9999-00-000"\n' + ORDER)
    mapper = _mapper(rules)
    got = mapper.map(LineDimensions("1234"))
    assert got.fallback is True
    assert (got.account, got.account_key) == ("9999-00-000", _key("9999-00-000"))
    assert "gave 1234, which is not a Sage GL account" in got.rule
    inactive = mapper.map(LineDimensions("5000-03-100"))
    assert inactive.fallback
    assert "5000-03-100, which is inactive" in inactive.rule
    assert mapper.map(LineDimensions("5000-02-100")).fallback is False
    with pytest.raises(UnmappedLineError):
        mapper.resolve(LineDimensions("1234"))  # what `gl check` sees


@pytest.mark.parametrize("fallback", ["9998-00-000", "9997-00-000"])
def test_inactive_or_missing_fallback_is_refused_at_start(tmp_path: Path, fallback: str) -> None:
    rules = _toml(tmp_path, f'fallback = "{fallback}"\n')
    with pytest.raises(ConfigError, match=f"fallback account {fallback}"):
        _mapper(rules)


def test_without_the_st_account_rule_only_your_rules_count(tmp_path: Path) -> None:
    rules = _toml(tmp_path, "st_account_rule = false\n" + ORDER)
    with pytest.raises(UnmappedLineError, match="no GL rule applies"):
        _mapper(rules).map(LineDimensions("5000-01-100"))


# -- bad rule files -----------------------------------------------------------------------

BAD_FILES = [
    ("[[rule]\nname = 'x'\n", r"line 1.*not valid TOML|not valid TOML.*line 1"),
    ("[[rule]]\naccount = '5000-01-100'\n", r"line 1: every rule needs a name"),
    (
        "\n\n[[rule]]\nname = 'x'\nwhen = { bussiness_unit = 'A' }\naccount = '5000-01-100'\n",
        r"line 3 rule 'x': 'when' key 'bussiness_unit' is not a dimension",
    ),
    (
        "[[rule]]\nname = 'x'\naccount = '5000-01-100'\nsegments.1 = '5000'\n",
        r"rule 'x': give exactly one of",
    ),
    ("[[rule]]\nname = 'x'\n", r"rule 'x': give exactly one of"),
    (
        "[[rule]]\nname = 'x'\naccount = '5000-01-100'\n[[rule]]\nname = 'x'\naccount = '1'\n",
        r"line 4: rule name 'x' is used twice \(also .* line 1\)",
    ),
    (
        "[[rule]]\nname = 'x'\nsegments.1 = { from = 'budget_code', mapp = {} }\n",
        r"segment 1 needs 'from'",
    ),
    ("[[rule]]\nname = 'x'\naccount_from = 'vendor'\n", r"'account_from' 'vendor' is not"),
    ("[[rule]]\nname = 'x'\naccount = 5000.5\n", r"'account' must be text"),
    ("fallbak = '9999-00-000'\n", r"unknown top-level key 'fallbak'"),
    ("version = 2\n", r"version 2 is not supported"),
    ("[[rule]]\nname = 'x'\naccount = '5000-01-100'\ncolour = 'red'\n", "unknown key 'colour'"),
]


@pytest.mark.parametrize(("text", "message"), BAD_FILES)
def test_bad_rule_files_say_where_and_why(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        _toml(tmp_path, text)
    assert str(tmp_path / "gl-rules.toml") in caught.value.message
    assert caught.value.hint


BAD_FOR_FORMAT = [
    ("account = '5000-1-100'", r"account 5000-1-100 does not fit"),
    ("segments.1 = '5000'\nsegments.2 = '01'", r"segments \[1, 2\] must be exactly \[1, 2, 3\]"),
    ("segments.1 = '500'\nsegments.2 = '01'\nsegments.3 = '100'", r"segment 1 value '500'"),
    (
        "segments.1 = { from = 'budget_code', map = { MAT = '5000' } }\n"
        "segments.2 = { from = 'business_unit', default = '0' }\nsegments.3 = '100'",
        r"segment 2 value '0' is not 2 characters",
    ),
    ("account_from = 'budget_code'\nmap = { MAT = '5000' }", r"map entry 'MAT' = 5000 does not"),
]


@pytest.mark.parametrize(("body", "message"), BAD_FOR_FORMAT)
def test_rules_that_cannot_fit_the_account_format_fail_at_start(
    tmp_path: Path, body: str, message: str
) -> None:
    rules = _toml(tmp_path, f"[[rule]]\nname = 'r'\n{body}\n")
    with pytest.raises(ConfigError, match=message) as caught:
        _mapper(rules)
    assert "line 1 rule 'r'" in caught.value.message
    assert "XXXX-XX-XXX" in (caught.value.hint or "")


def test_unreadable_rules_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read GL rules file"):
        GlRules.load(tmp_path / "missing.toml")


# -- CSV rules ---------------------------------------------------------------------------


def test_csv_rules(tmp_path: Path) -> None:
    path = tmp_path / "gl-rules.csv"
    path.write_text(
        "name,line_kind,budget_code,business_unit,account\n"
        "Freight,freight,,,5900-00-000\n"
        "HVAC materials,,MAT|EQP,HVAC*,5000-01-100\n"
        "fallback,,,,9999-00-000\n",
        encoding="utf-8",
    )
    rules = GlRules.load(path)
    assert rules.fallback == "9999-00-000"
    assert rules.rules[1].origin == f"{path} line 3"
    mapper = _mapper(rules)
    got = mapper.map(LineDimensions(None, budget_code="eqp", business_unit="HVAC Install"))
    assert (got.account, got.rule) == ("5000-01-100", "HVAC materials")
    assert mapper.map(LineDimensions(None, line_kind="freight")).rule == "Freight"
    assert mapper.map(LineDimensions("5000-02-100")).rule.startswith("ServiceTitan GL")
    assert mapper.map(LineDimensions(None, budget_code="SUB")).fallback is True


def test_csv_rules_with_a_bad_header(tmp_path: Path) -> None:
    path = tmp_path / "rules.csv"
    path.write_text("name,budgetcode,account\nx,MAT,5000-01-100\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"rules.csv line 1: .*unknown: \['budgetcode'\]"):
        GlRules.load(path)


# -- gl check ----------------------------------------------------------------------------


def test_gl_check_lists_what_has_no_valid_mapping() -> None:
    mapper = _mapper(GlRules.load(EXAMPLE))
    report = gl_check(
        mapper,
        gl_accounts=["5000-01-100", "5000-03-100", "4000"],
        budget_codes=["MAT", "WAR", "XYZ"],
        business_units=["HVAC Service", "Plumbing"],
    )
    assert report.checked == 3 * 3 * 2
    assert not report.ok
    failing = {
        (g.dimensions.st_gl_account, g.dimensions.budget_code, g.dimensions.business_unit)
        for g in report.gaps
    }
    # MAT + Plumbing builds the retired 5000-03-100, whatever the ServiceTitan account
    assert {("4000", "MAT", "Plumbing"), ("5000-01-100", "MAT", "Plumbing")} <= failing
    # WAR maps by budget code for every account; XYZ falls through to the ST account
    assert not any(code == "WAR" for _, code, _ in failing)
    assert ("5000-01-100", "XYZ", "HVAC Service") not in failing
    assert ("4000", "XYZ", "HVAC Service") in failing
    assert report.unmapped == ()  # every value maps in some combination
    assert ("st_gl_account", "4000") not in report.unmapped  # 4000 + WAR maps
    only_accounts = gl_check(mapper, gl_accounts=["5000-01-100", "4000", "5000-03-100"])
    assert set(only_accounts.unmapped) == {
        ("st_gl_account", "4000"),
        ("st_gl_account", "5000-03-100"),
    }
    assert {g.account for g in only_accounts.gaps} == {"4000", "5000-03-100"}
