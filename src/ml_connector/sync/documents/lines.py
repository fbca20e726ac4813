"""Turning a document's lines into Sage AP distribution lines (AccountKey + amount).

- Item, expense and invoice lines go through the `GlMapper` (rules file, or the default
  rule: the ServiceTitan GL account number equals an active Sage account number, formatted
  or raw). A line the mapper cannot place goes to the one-off account a person set for
  this revision of the document (`GlOverride`, from the review queue: a new revision goes
  back to the rules), else to the configured fallback account (flagged in the audit log)
  or, without one, sends the document to review.
- Tax and freight go to the invoice header (`SalesTaxAmt` / `FreightAmt`, which Sage posts
  to the AP division's accounts) when `SyncSettings.tax_freight` says so ("auto": the company
  calculates sales tax in A/P, the division has the account and no other account is
  configured); otherwise they are lines on the configured accounts, else on the AP
  division's sales tax and freight accounts, else on the person's one-off account (as
  above; never the fallback), else the document goes to review.
- With a `[job_cost]` section in the rules and Job Cost in Sage, each line on a ServiceTitan
  job carries the Sage job, cost code and cost type (`jobcost.JobCostMapper`), checked
  against the job's cost codes; a line that cannot sends the document to review.
- Every line comment carries the description, the job number and the ServiceTitan
  reference, so that a person in Sage can always trace the line back.
Lines of zero amount are left out; the remaining lines add up to the document total
(checked before, in `documents.problems`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ml_connector.errors import ConfigError
from ml_connector.money import ZERO
from ml_connector.sage100.port import (
    LINE_COMMENT_LEN,
    AccountKey,
    ApDivision,
    ApInvoiceLine,
    CompanyInfo,
)
from ml_connector.servicetitan.records import BudgetCode
from ml_connector.store.port import DocKind, GlOverride, ReviewKind
from ml_connector.sync.context import CycleContext
from ml_connector.sync.documents.source import SourceDocument, SourceLine
from ml_connector.sync.errors import UnmappedJobCostError, UnmappedLineError
from ml_connector.sync.gl.jobcost import JobCostMapper
from ml_connector.sync.gl.mapping import GlMapper, GlRules, LineDimensions
from ml_connector.sync.gl.setup import checked_gl_setup, load_rules
from ml_connector.sync.settings import SyncSettings
from ml_connector.sync.shared_loads import shared_load


@dataclass(frozen=True, slots=True)
class Distribution:
    lines: tuple[ApInvoiceLine, ...]
    rules: tuple[dict[str, Any], ...]  # per line: ref, account, rule, fallback
    fallback_used: tuple[str, ...] = ()  # line refs placed on the fallback account
    sales_tax: Decimal = ZERO  # in the invoice header (not a line)
    freight: Decimal = ZERO  # in the invoice header (not a line)


@dataclass(frozen=True, slots=True)
class Unmapped:
    """A line with no valid GL account, or no valid Job Cost coding: the bill waits."""

    reason: str
    details: dict[str, Any] = field(default_factory=dict)
    kind: ReviewKind = ReviewKind.UNMAPPED_GL

    @property
    def suggestion(self) -> str:
        if self.kind is ReviewKind.UNMAPPED_GL:
            lines = self.details.get("unmapped", ())
            kinds = sorted({str(u["line_kind"]) for u in lines if u.get("line_kind")})
            fixes = []
            if any(not u.get("line_kind") for u in lines) or not kinds:
                fixes.append("add a GL rule (or a fallback account)")
            if kinds:
                fixes.append(
                    f"set the pair's {' / '.join(k + '_account' for k in kinds)} (or the AP "
                    "division's account in Sage)"
                )
            otherwise = ", or ".join(fixes)
            return (
                "give the lines an active Sage account for this bill in review (web app: Map; "
                f"CLI: review resolve --account), or {otherwise}, then resolve this item"
            )
        return (
            "set up the job's cost code in Sage Job Cost, or correct the [job_cost] rules or "
            "the line's job or budget code in ServiceTitan, then resolve this item"
        )


def trace_text(doc: SourceDocument) -> str:
    what = "ST bill" if doc.kind.value == "ap_bill" else "ST invoice"
    ref = f" ref {doc.reference}" if doc.reference else ""
    job = f" job {doc.job_number}" if doc.job_number else ""
    return f"{what} {doc.doc_id}{ref}{job}"


def line_comment(doc: SourceDocument, line: SourceLine) -> str:
    text = f"{line.description} | {trace_text(doc)}" if line.description else trace_text(doc)
    return text[:LINE_COMMENT_LEN]


def configured_accounts(settings: SyncSettings) -> dict[str, str | None]:
    """The accounts the settings name outright, by use (checked with the GL rules)."""
    return {
        "tax": settings.tax_account,
        "freight": settings.freight_account,
        "fallback": settings.fallback_gl_account,
    }


class LineMapper:
    """Maps lines for one cycle; the GL mapper and special accounts are built once."""

    def __init__(self, ctx: CycleContext) -> None:
        self._ctx = ctx
        self._mapper: GlMapper | None = None
        self._budget_codes: dict[int, str] | None = None
        self._special: dict[str, AccountKey | None] = {}
        self._rules: GlRules | None = None
        self._company: CompanyInfo | None = None
        self._job_cost: JobCostMapper | None = None
        self._overrides: dict[tuple[DocKind, int], GlOverride] | None = None

    def _gl_rules(self) -> GlRules:
        if self._rules is None:
            s = self._ctx.settings
            self._rules = load_rules(s.gl_rules, s.gl_rules_path)
        return self._rules

    def preflight(self) -> None:
        """The GL setup (rules, account format, the accounts they and the settings name),
        checked before the cycle writes anything: `ConfigError` naming every problem. Sage
        failing to answer is no verdict on the setup: after a few tries it ends the cycle
        (`SharedLoadError`, STOP), charged to no document, and the next cycle checks again."""
        self._gl_mapper()

    def _gl_mapper(self) -> GlMapper:
        if self._mapper is None:
            s = self._ctx.settings
            self._mapper = checked_gl_setup(
                self._gl_rules(),
                shared_load("the Sage account format", self._ctx.sage.account_format),
                self._ctx.sage_ref().gl_accounts,
                configured_accounts(s),
            )
        return self._mapper

    def _sage_company(self) -> CompanyInfo:
        if self._company is None:
            self._company = shared_load("the Sage company's options", self._ctx.sage.company)
        return self._company

    def _job_cost_mapper(self) -> JobCostMapper | None:
        """The Job Cost mapper when the rules have a [job_cost] section (Sage must have
        Job Cost then), else None."""
        rules = self._gl_rules()
        if rules.job_cost is None:
            return None
        if self._job_cost is None:
            company = self._sage_company()
            if not company.job_cost:
                raise ConfigError(
                    f"{rules.source} has a [job_cost] section, but Sage company {company.code} "
                    "has no Job Cost (no job on file)",
                    operation="load GL rules",
                    hint="remove [job_cost] from the rules, or set up Job Cost in Sage",
                )
            self._job_cost = JobCostMapper(rules.job_cost, self._ctx.sage.job)
        return self._job_cost

    def _in_header(self, kind: str, wanted: str | None, division_default: str | None) -> bool:
        """Whether tax or freight goes to the invoice header rather than to a line."""
        mode = self._ctx.settings.tax_freight
        if mode != "auto":
            return mode == "header"
        if not division_default or not self._sage_company().sales_tax_in_ap:
            return False
        return not wanted or self._ctx.sage_ref().account_key(wanted) == division_default

    def _budget_code(self, budget_code_id: int | None) -> str | None:
        if budget_code_id is None:
            return None
        if self._budget_codes is None:
            codes: list[BudgetCode] = shared_load(
                "ServiceTitan budget codes", lambda: list(self._ctx.source.budget_codes())
            )
            self._budget_codes = {c.id: c.code or "" for c in codes}
        return self._budget_codes.get(budget_code_id) or None

    def _configured(
        self, what: str, wanted: str | None, division_default: str | None
    ) -> AccountKey | None:
        """A configured account (must exist and be active) or the division's default."""
        if what not in self._special:
            ref = self._ctx.sage_ref()
            if wanted:
                key = ref.account_key(wanted)
                if key is None:
                    raise ConfigError(
                        f"the {what} account {wanted!r} is not an active Sage GL account",
                        hint=f"correct the {what} account in the configuration",
                    )
                self._special[what] = key
            else:
                self._special[what] = AccountKey(division_default) if division_default else None
        return self._special[what]

    def _override(self, doc: SourceDocument, fp: str | None, *, fresh: bool) -> GlOverride | None:
        """The one-off account a person set for this revision of `doc`, if any. The pair's
        overrides are read once per cycle; `fresh` reads the document's own again (one
        set while this cycle runs)."""
        if fp is None:
            return None
        if self._overrides is None:
            with self._ctx.store.transaction() as tx:
                mine = tx.gl_overrides(self._ctx.pair)
            self._overrides = {(o.kind, o.doc_id): o for o in mine}
        found = self._overrides.get((doc.kind, doc.doc_id))
        if found is None and fresh:
            with self._ctx.store.transaction() as tx:
                found = tx.get_gl_override(self._ctx.pair, doc.kind, doc.doc_id)
        return found if found is not None and found.fingerprint == fp else None

    def _one_off(
        self, line: SourceLine, override: GlOverride, why: str
    ) -> tuple[AccountKey | None, dict[str, Any]]:
        """The line on the person's one-off account: (key, what the audit records), or
        (None, why not) when that account is no longer active in Sage."""
        key = self._ctx.sage_ref().account_key(override.account)
        if key is None:
            return None, {
                "line": line.ref,
                "amount": str(line.amount),
                "st_gl_account": line.st_gl_account,
                "why": f"the account {override.account} set for this bill by "
                f"{override.set_by} is not an active Sage GL account",
            }
        return key, {
            "line": line.ref,
            "account_key": key,
            "account": override.account,
            "rule": f"one-off account set by {override.set_by}",
            "fallback": False,
            "why": why,
        }

    def _place(
        self,
        doc: SourceDocument,
        fp: str | None,
        line: SourceLine,
        dims: LineDimensions,
        override: GlOverride | None,
    ) -> tuple[AccountKey | None, dict[str, Any]]:
        """An item or expense line's account: (key, what the audit records), or (None, why
        it has none). A line a person placed once goes to their account; otherwise the
        rules, then (for a line they cannot place) the person's one-off account for this
        revision, then the configured fallback."""
        if override is not None and line.ref in override.lines:
            return self._one_off(line, override, "placed by a person for this revision")
        try:
            mapping = self._gl_mapper().map(dims)
        except UnmappedLineError as exc:
            override = override or self._override(doc, fp, fresh=True)
            if override is not None:
                return self._one_off(line, override, exc.message)
            fallback = self._configured("fallback", self._ctx.settings.fallback_gl_account, None)
            if fallback is None:
                return None, {
                    "line": line.ref,
                    "amount": str(line.amount),
                    "st_gl_account": line.st_gl_account,
                    "why": exc.message,
                }
            return fallback, {
                "line": line.ref,
                "account_key": fallback,
                "rule": "fallback",
                "fallback": True,
                "why": exc.message,
            }
        key = AccountKey(mapping.account_key)
        return key, {
            "line": line.ref,
            "account_key": key,
            "account": mapping.account,
            "rule": mapping.rule,
            "fallback": mapping.fallback,
        }

    def _tax_freight(
        self,
        doc: SourceDocument,
        fp: str | None,
        line: SourceLine,
        override: GlOverride | None,
        division: ApDivision | None,
        header: dict[str, Decimal],
    ) -> tuple[AccountKey | None, dict[str, Any]] | None:
        """A tax or freight line: None when it goes to the invoice header (added to
        `header`), else (key, what the audit records) or (None, why it has no account). A
        line a person placed once goes to their account; otherwise the header, the
        configured account or the AP division's, then the person's one-off account for
        this revision (the same as for item lines: no fallback account, which is for
        lines of goods and services)."""
        if override is not None and line.ref in override.lines:
            return self._one_off(line, override, "placed by a person for this revision")
        s = self._ctx.settings
        default = None
        if division:
            default = (
                division.sales_tax_account_key
                if line.kind == "tax"
                else division.freight_account_key
            )
        wanted = s.tax_account if line.kind == "tax" else s.freight_account
        if self._in_header(line.kind, wanted, default):
            header[line.kind] += line.amount
            return None
        key = self._configured(line.kind, wanted, default)
        if key is not None:
            return key, {
                "line": line.ref,
                "account_key": key,
                "rule": f"{line.kind} account",
                "fallback": False,
            }
        why = f"no {line.kind} account configured and AP division {s.division} has none"
        override = override or self._override(doc, fp, fresh=True)
        if override is not None:
            return self._one_off(line, override, why)
        return None, {
            "line": line.ref,
            "amount": str(line.amount),
            "line_kind": line.kind,
            "why": why,
        }

    def distribute(self, doc: SourceDocument, fp: str | None = None) -> Distribution | Unmapped:
        """`fp`: the revision's fingerprint (a one-off account applies to it alone)."""
        s = self._ctx.settings
        override = self._override(doc, fp, fresh=False)
        division = self._ctx.sage_ref().division(s.division)
        out: list[ApInvoiceLine] = []
        rules: list[dict[str, Any]] = []
        fallback_used: list[str] = []
        unmapped: list[dict[str, Any]] = []
        job_cost_issues: list[dict[str, Any]] = []
        header = {"tax": ZERO, "freight": ZERO}
        for line in doc.lines:
            if line.amount == ZERO:
                continue
            key: AccountKey | None
            job = ("", "", "")
            if line.kind in ("tax", "freight"):
                placed = self._tax_freight(doc, fp, line, override, division, header)
                if placed is None:
                    rules.append({"line": line.ref, "rule": f"{line.kind} in the invoice header"})
                    continue
                key, record = placed
                if key is None:
                    unmapped.append(record)
                    continue
                rules.append(record)
            else:
                dims = LineDimensions(
                    st_gl_account=line.st_gl_account,
                    budget_code=self._budget_code(line.budget_code_id),
                    business_unit=line.business_unit,
                    line_kind=line.kind,
                )
                job_mapper = self._job_cost_mapper() if line.job_number else None
                if job_mapper is not None:
                    try:
                        found = job_mapper.map(line.job_number, dims.values())
                    except UnmappedJobCostError as exc:
                        job_cost_issues.append(
                            {"line": line.ref, "amount": str(line.amount), "why": exc.message}
                        )
                    else:
                        job = (found.job_no, found.cost_code, found.cost_type)
                        rules.append(
                            {"line": line.ref, "job_cost": "/".join(job), "rule": found.rule}
                        )
                key, record = self._place(doc, fp, line, dims, override)
                if key is None:
                    unmapped.append(record)
                    continue
                rules.append(record)
                if record.get("fallback"):
                    fallback_used.append(line.ref)
            out.append(
                ApInvoiceLine(
                    account_key=key,
                    amount=line.amount,
                    comment=line_comment(doc, line),
                    job_no=job[0],
                    cost_code=job[1],
                    cost_type=job[2],
                )
            )
        if unmapped:
            first = unmapped[0]
            more = f" and {len(unmapped) - 1} more line(s)" if len(unmapped) > 1 else ""
            return Unmapped(
                f"{doc.label}: {first['line']} ({first['amount']}) has no Sage GL account: "
                f"{first['why']}{more}",
                {"unmapped": unmapped},
            )
        if job_cost_issues:
            first = job_cost_issues[0]
            more = (
                f" and {len(job_cost_issues) - 1} more line(s)" if len(job_cost_issues) > 1 else ""
            )
            return Unmapped(
                f"{doc.label}: {first['line']} ({first['amount']}) has no valid Sage Job Cost: "
                f"{first['why']}{more}",
                {"job_cost": job_cost_issues},
                ReviewKind.UNMAPPED_JOB_COST,
            )
        return Distribution(
            tuple(out), tuple(rules), tuple(fallback_used), header["tax"], header["freight"]
        )
