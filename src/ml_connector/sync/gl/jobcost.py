"""Job Cost rules: which Sage job, cost code and cost type an AP line carries.

Owns `JobCostRules` (the `[job_cost]` section of the GL rules file, read by
`GlRules.parse_toml`) and `JobCostMapper` (rules + the Sage jobs -> a `JobCostLine` per
line, each checked against the job's cost codes in Sage). The format is documented in
docs/matching.md, with an example in docs/examples/gl-rules.toml:

    [job_cost]
    jobs = { "40107" = "SMITH01" }   # optional: ServiceTitan job number -> Sage JobNo;
                                     # any other job number is used as it is (upper case)

    [[job_cost.cost_code]]
    name = "Materials"               # unique; the audit log names it
    when = { budget_code = "*-100" } # the GL rules' dimensions and globs
    cost_code_from = "budget_code"   # the dimension's value is the cost code...
    cost_type = "M"

    [[job_cost.cost_code]]
    name = "Subcontract"
    when = { budget_code = "*-300" }
    cost_code = "00-300"             # ...or a literal cost code
    cost_type = "S"

A line with no ServiceTitan job number carries no Job Cost. A line with one must end on an
active Sage job whose cost codes include the rule's cost code + cost type; anything else is
`UnmappedJobCostError` (SKIP: review) naming the line, the job and the cost code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from ml_connector.errors import ConfigError
from ml_connector.sage100.port import COST_CODE_LEN, COST_TYPE_LEN, JOB_NO_LEN, SageJob
from ml_connector.sync.errors import UnmappedJobCostError
from ml_connector.sync.gl.rules import DIMENSIONS, Condition, norm_key

_RULE_KEYS: Final = {"name", "when", "cost_code", "cost_code_from", "cost_type"}


@dataclass(frozen=True, slots=True)
class CostCodeRule:
    name: str
    when: tuple[Condition, ...]
    cost_type: str
    cost_code: str | None = None
    cost_code_from: str | None = None
    origin: str = ""

    def applies(self, values: dict[str, str | None]) -> bool:
        return all(c.holds(values.get(c.dimension)) for c in self.when)


@dataclass(frozen=True, slots=True)
class JobCostRules:
    jobs: dict[str, str]  # normalised ServiceTitan job number -> Sage JobNo
    rules: tuple[CostCodeRule, ...]
    source: str = ""


@dataclass(frozen=True, slots=True)
class JobCostLine:
    job_no: str
    cost_code: str
    cost_type: str
    rule: str


def parse_job_cost(raw: Any, source: str) -> JobCostRules:
    """The `[job_cost]` table of a rules file; `ConfigError` names the file and the rule."""

    def bad(cause: str) -> ConfigError:
        return ConfigError(
            f"{source} [job_cost]: {cause}",
            operation="load GL rules",
            hint="fix the GL rules file (see docs/examples/gl-rules.toml)",
        )

    if not isinstance(raw, dict):
        raise bad("must be a table")
    unknown = [k for k in raw if k not in ("jobs", "cost_code")]
    if unknown:
        raise bad(f"unknown key(s) {unknown} (known: jobs, cost_code)")
    jobs_raw = raw.get("jobs", {})
    if not isinstance(jobs_raw, dict):
        raise bad("'jobs' must be a table of ServiceTitan job number = Sage job number")
    jobs: dict[str, str] = {}
    for st_job, sage_job in jobs_raw.items():
        value = _text(sage_job, bad, f"jobs[{st_job!r}]").upper()
        if not value or len(value) > JOB_NO_LEN:
            raise bad(f"jobs[{st_job!r}]: Sage job number {value!r} must be 1 to 7 characters")
        jobs[norm_key(str(st_job))] = value
    rules_raw = raw.get("cost_code", [])
    if not isinstance(rules_raw, list) or not rules_raw:
        raise bad("needs at least one [[job_cost.cost_code]] rule")
    rules: list[CostCodeRule] = []
    for index, item in enumerate(rules_raw, start=1):
        rules.append(_rule(item, f"{source} [[job_cost.cost_code]] {index}", bad))
    names = [r.name for r in rules]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise bad(f"cost code rule name(s) used twice: {twice}")
    return JobCostRules(jobs, tuple(rules), source)


def _text(value: Any, bad: Callable[[str], ConfigError], what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise bad(f"{what} must be text, not {value!r}")
    return str(value).strip()


def _rule(raw: Any, where: str, bad: Callable[[str], ConfigError]) -> CostCodeRule:
    if not isinstance(raw, dict):
        raise bad(f"{where}: must be a table")
    extra = [k for k in raw if k not in _RULE_KEYS]
    if extra:
        raise bad(f"{where}: unknown key(s) {extra} (known: {sorted(_RULE_KEYS)})")
    name = _text(raw.get("name", ""), bad, f"{where} name")
    if not name:
        raise bad(f"{where}: every rule needs a name")
    when_raw = raw.get("when", {})
    if not isinstance(when_raw, dict):
        raise bad(f"{where} {name!r}: 'when' must be a table of dimension = value(s)")
    conditions = []
    for dim, value in when_raw.items():
        if dim not in DIMENSIONS:
            raise bad(f"{where} {name!r}: {dim!r} is not a dimension ({', '.join(DIMENSIONS)})")
        values = value if isinstance(value, list) else [value]
        patterns = tuple(norm_key(_text(v, bad, f"{where} when.{dim}")) for v in values)
        conditions.append(Condition(dim, patterns))
    cost_type = _text(raw.get("cost_type", ""), bad, f"{where} cost_type").upper()
    if not cost_type or len(cost_type) > COST_TYPE_LEN:
        raise bad(f'{where} {name!r}: cost_type must be one character, e.g. "M"')
    has_code, has_from = "cost_code" in raw, "cost_code_from" in raw
    if has_code == has_from:
        raise bad(f"{where} {name!r}: give exactly one of 'cost_code', 'cost_code_from'")
    if has_code:
        code = _text(raw["cost_code"], bad, f"{where} cost_code").upper()
        if not code or len(code) > COST_CODE_LEN:
            raise bad(f"{where} {name!r}: cost_code {code!r} must be 1 to 9 characters")
        return CostCodeRule(name, tuple(conditions), cost_type, cost_code=code, origin=where)
    source = raw["cost_code_from"]
    if source not in DIMENSIONS:
        raise bad(f"{where} {name!r}: cost_code_from {source!r} is not a dimension")
    return CostCodeRule(
        name, tuple(conditions), cost_type, cost_code_from=str(source), origin=where
    )


class JobCostMapper:
    """Maps lines to Sage job + cost code + cost type, checked against Sage's jobs."""

    def __init__(self, rules: JobCostRules, find_job: Callable[[str], SageJob | None]) -> None:
        self.rules = rules
        self._find_job = find_job
        self._jobs: dict[str, SageJob | None] = {}

    def sage_job_no(self, st_job: str) -> str:
        return self.rules.jobs.get(norm_key(st_job), st_job.strip().upper())

    def _job(self, job_no: str) -> SageJob | None:
        if job_no not in self._jobs:
            self._jobs[job_no] = self._find_job(job_no)
        return self._jobs[job_no]

    def map(self, st_job: str, values: dict[str, str | None]) -> JobCostLine:
        """The Job Cost of a line on ServiceTitan job `st_job`, or `UnmappedJobCostError`."""
        job_no = self.sage_job_no(st_job)
        if len(job_no) > JOB_NO_LEN:
            raise UnmappedJobCostError(
                f"ServiceTitan job {st_job} does not fit Sage's {JOB_NO_LEN}-character job "
                "number; map it under [job_cost] jobs"
            )
        rule = next((r for r in self.rules.rules if r.applies(values)), None)
        if rule is None:
            budget = values.get("budget_code")
            raise UnmappedJobCostError(
                f"no [[job_cost.cost_code]] rule applies to budget code {budget!r} (job {job_no})"
            )
        code = rule.cost_code
        if rule.cost_code_from is not None:
            value = values.get(rule.cost_code_from)
            code = value.strip().upper() if value else None
            if not code or len(code) > COST_CODE_LEN:
                raise UnmappedJobCostError(
                    f"rule {rule.name!r} takes the cost code from {rule.cost_code_from}, "
                    f"which is {value!r} on this line (job {job_no})"
                )
        assert code is not None  # one of the two is set (checked when read)
        job = self._job(job_no)
        if job is None:
            raise UnmappedJobCostError(f"job {job_no} is not on file in Sage Job Cost")
        if not job.is_active:
            raise UnmappedJobCostError(
                f"job {job_no} is not active in Sage (status {job.status!r})"
            )
        if not job.has(code, rule.cost_type):
            raise UnmappedJobCostError(
                f"cost code {code} cost type {rule.cost_type} (rule {rule.name!r}) is not set "
                f"up on Sage job {job_no}"
            )
        return JobCostLine(job_no, code, rule.cost_type, rule.name)
