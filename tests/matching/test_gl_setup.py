"""The GL setup checked as a whole (what `check` shows and what stops a cycle before any
write): the rules file's syntax and keys, its fit to the account format, and every account
it or the settings name being an active Sage account."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_glmap import EXAMPLE, FORMAT, _accounts

from ml_connector.errors import ConfigError
from ml_connector.sync.gl.mapping import GlMapper
from ml_connector.sync.gl.rules import GlRules
from ml_connector.sync.gl.setup import checked_gl_setup, load_rules, named_account_problems


def _setup(tmp_path: Path, rules: str | None, **configured: str) -> GlMapper:
    """The rules text written to a file (as a controller edits it), then the whole check
    against the test chart."""
    path = None
    if rules is not None:
        path = tmp_path / "gl-rules.toml"
        path.write_text(rules, encoding="utf-8")
    return checked_gl_setup(load_rules(None, path), FORMAT, _accounts(), configured)


GOOD = """
[[rule]]
name = "Freight in"
when = { line_kind = "freight" }
account = "5900-00-000"

[[rule]]
name = "Warranty"
when = { budget_code = "WAR*" }
account_from = "budget_code"
map = { "WAR" = "5300-00-100" }

[[rule]]
name = "Fixed"
when = { budget_code = "FIX" }
segments.1 = "6100"
segments.2 = "01"
segments.3 = "100"
"""


def test_a_sound_setup_gives_the_mapper(tmp_path: Path) -> None:
    mapper = _setup(tmp_path, GOOD, tax="2310-00-000", freight="5900-00-000")
    assert [r.name for r in mapper.rules.rules][:3] == ["Freight in", "Warranty", "Fixed"]
    # No rules file: the built-in rule, nothing named, nothing to refuse.
    assert _setup(tmp_path, None) is not None


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (
            GOOD.replace("5900-00-000", "5910-00-000"),
            "line 2 rule 'Freight in': account 5910-00-000 is not a Sage GL account",
        ),
        (
            GOOD.replace('"WAR" = "5300-00-100"', '"WAR" = "5000-03-100"'),
            "rule 'Warranty': map entry 'WAR' 5000-03-100 is inactive in Sage",
        ),
        (
            GOOD.replace('segments.1 = "6100"', 'segments.1 = "6300"'),
            "rule 'Fixed': segments 6300-01-100 is not a Sage GL account",
        ),
    ],
)
def test_an_account_named_by_a_rule_must_be_active_in_sage(
    tmp_path: Path, rules: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        _setup(tmp_path, rules)
    text = refused.value.describe()
    assert expected in text
    assert str(tmp_path / "gl-rules.toml") in text  # the file is named
    assert "ml-connector check" in text  # and where to see every problem


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    rules = GOOD.replace("5900-00-000", "5910-00-000").replace("6100", "6300")
    with pytest.raises(ConfigError) as refused:
        _setup(tmp_path, rules, tax="5000-03-100", freight="1234-00-000")
    text = refused.value.message
    assert "names 4 account(s)" in text
    assert "the configured tax account 5000-03-100 is inactive in Sage" in text
    assert "the configured freight account 1234-00-000 is not a Sage GL account" in text


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ("[[rule]\nname = 'x'\n", "not valid TOML"),
        ("[[rule]]\nname = 'x'\nwhen = {}\naccount = '5900-00-000'\ncolour = 'red'\n", "colour"),
        ("[[rule]]\nname = 'x'\naccount = '59000-00-000'\n", "does not fit the account format"),
        ("fallback = '9998-00-000'\n", "fallback account 9998-00-000"),
    ],
)
def test_syntax_keys_and_format_are_refused_with_the_cause(
    tmp_path: Path, rules: str, expected: str
) -> None:
    with pytest.raises(ConfigError, match=expected):
        _setup(tmp_path, rules)


def test_a_missing_rules_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read GL rules file"):
        load_rules(None, tmp_path / "nowhere.toml")


def test_the_documented_example_names_one_account_this_chart_lacks() -> None:
    problems = named_account_problems(GlRules.load(EXAMPLE), FORMAT, _accounts())
    assert len(problems) == 1
    assert "rule 'Warranty parts': map entry 'WAR-LABOR' 5310-00-100" in problems[0]
