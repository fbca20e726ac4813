"""The [job_cost] section of the GL rules: reading it, and mapping a line to a Sage job,
cost code and cost type checked against the job's cost codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from ml_connector.errors import Action, ConfigError
from ml_connector.sage100.port import JobCostCode, SageJob
from ml_connector.sync.errors import UnmappedJobCostError
from ml_connector.sync.gl.jobcost import JobCostMapper
from ml_connector.sync.gl.rules import GlRules

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "gl-rules.toml"

JOBS = {
    "SMITH01": SageJob("SMITH01", "Smith remodel", "A", (JobCostCode("01-100", "M"),
                                                           JobCostCode("00-300", "S"))),
    "10500": SageJob("10500", "Jones", "A", (JobCostCode("01-100", "M"),)),
    "10600": SageJob("10600", "Closed", "C", (JobCostCode("01-100", "M"),)),
}  # fmt: skip


def _mapper() -> JobCostMapper:
    rules = GlRules.load(EXAMPLE).job_cost
    assert rules is not None
    return JobCostMapper(rules, JOBS.get)


def test_example_rules_map_jobs_and_budget_codes() -> None:
    mapper = _mapper()
    line = mapper.map("10452", {"budget_code": "01-100"})
    assert (line.job_no, line.cost_code, line.cost_type, line.rule) == (
        "SMITH01", "01-100", "M", "Materials",
    )  # fmt: skip
    sub = mapper.map("10452", {"budget_code": "SUB"})
    assert (sub.cost_code, sub.cost_type) == ("00-300", "S")
    assert mapper.map("10500", {"budget_code": "01-100"}).job_no == "10500"


@pytest.mark.parametrize(
    ("job", "budget", "message"),
    [
        ("10500", "02-100", "cost code 02-100 cost type M (rule 'Materials') is not set up on "
         "Sage job 10500"),
        ("10600", "01-100", "job 10600 is not active in Sage (status 'C')"),
        ("10700", "01-100", "job 10700 is not on file in Sage Job Cost"),
        ("10500", "01-400", "no [[job_cost.cost_code]] rule applies to budget code '01-400'"),
        ("10500", None, "no [[job_cost.cost_code]] rule applies to budget code None"),
        ("12345678", "01-100", "does not fit Sage's 7-character job number"),
    ],
)  # fmt: skip
def test_what_sage_would_not_take_is_unmapped(job: str, budget: str | None, message: str) -> None:
    with pytest.raises(UnmappedJobCostError) as caught:
        _mapper().map(job, {"budget_code": budget})
    assert message in caught.value.message
    assert caught.value.action is Action.SKIP


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("[job_cost]\nfoo = 1", "unknown key(s) ['foo']"),
        ("[job_cost]\njobs = { \"1\" = \"TOOLONGJOB\" }\n[[job_cost.cost_code]]\nname = \"a\"\n"
         "cost_code = \"1\"\ncost_type = \"M\"", "must be 1 to 7 characters"),
        ("[job_cost]", "needs at least one [[job_cost.cost_code]] rule"),
        ("[[job_cost.cost_code]]\nname = \"a\"\ncost_type = \"M\"",
         "give exactly one of 'cost_code', 'cost_code_from'"),
        ("[[job_cost.cost_code]]\nname = \"a\"\ncost_code = \"1\"\ncost_type = \"MM\"",
         "cost_type must be one character"),
        ("[[job_cost.cost_code]]\nname = \"a\"\ncost_code_from = \"job\"\ncost_type = \"M\"",
         "cost_code_from 'job' is not a dimension"),
        ("[[job_cost.cost_code]]\nname = \"a\"\nwhen = { colour = \"red\" }\ncost_code = \"1\"\n"
         "cost_type = \"M\"", "'colour' is not a dimension"),
        ("[[job_cost.cost_code]]\nname = \"a\"\ncost_code = \"1\"\ncost_type = \"M\"\n"
         "[[job_cost.cost_code]]\nname = \"a\"\ncost_code = \"2\"\ncost_type = \"M\"",
         "used twice: ['a']"),
    ],
)  # fmt: skip
def test_bad_job_cost_sections_say_where_and_why(section: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        GlRules.parse_toml(section, source="rules.toml")
    assert "rules.toml [job_cost]" in caught.value.message
    assert message in caught.value.message


def test_rules_without_a_job_cost_section_have_none() -> None:
    assert GlRules.parse_toml('[[rule]]\nname = "a"\naccount = "5000"').job_cost is None
    assert GlRules.default().job_cost is None
