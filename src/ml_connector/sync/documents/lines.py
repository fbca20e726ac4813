"""Turning a document's lines into Sage AP distribution lines (AccountKey + amount).

- Item, expense and invoice lines go through the `GlMapper` (rules file, or the default
  rule: the ServiceTitan GL account number equals an active Sage account number, formatted
  or raw). A line the mapper cannot place goes to the configured fallback account (flagged
  in the audit log) or, without one, sends the document to review.
- Tax and freight go to the configured accounts, else to the AP division's sales tax and
  freight accounts.
- Every line comment carries the description, the job number and the ServiceTitan
  reference, so that a person in Sage can always trace the line back.
Lines of zero amount are left out; the remaining lines add up to the document total
(checked before, in `documents.problems`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ml_connector.errors import ConfigError
from ml_connector.money import ZERO
from ml_connector.sage100.port import LINE_COMMENT_LEN, AccountKey, ApInvoiceLine
from ml_connector.servicetitan.records import BudgetCode
from ml_connector.sync.context import CycleContext
from ml_connector.sync.documents.source import SourceDocument, SourceLine
from ml_connector.sync.errors import UnmappedLineError
from ml_connector.sync.gl.mapping import GlMapper, GlRules, LineDimensions


@dataclass(frozen=True, slots=True)
class Distribution:
    lines: tuple[ApInvoiceLine, ...]
    rules: tuple[dict[str, Any], ...]  # per line: ref, account, rule, fallback
    fallback_used: tuple[str, ...] = ()  # line refs placed on the fallback account


@dataclass(frozen=True, slots=True)
class Unmapped:
    reason: str
    details: dict[str, Any] = field(default_factory=dict)


def trace_text(doc: SourceDocument) -> str:
    what = "ST bill" if doc.kind.value == "ap_bill" else "ST invoice"
    ref = f" ref {doc.reference}" if doc.reference else ""
    job = f" job {doc.job_number}" if doc.job_number else ""
    return f"{what} {doc.doc_id}{ref}{job}"


def line_comment(doc: SourceDocument, line: SourceLine) -> str:
    text = f"{line.description} | {trace_text(doc)}" if line.description else trace_text(doc)
    return text[:LINE_COMMENT_LEN]


class LineMapper:
    """Maps lines for one cycle; the GL mapper and special accounts are built once."""

    def __init__(self, ctx: CycleContext) -> None:
        self._ctx = ctx
        self._mapper: GlMapper | None = None
        self._budget_codes: dict[int, str] | None = None
        self._special: dict[str, AccountKey | None] = {}

    def _gl_mapper(self) -> GlMapper:
        if self._mapper is None:
            s = self._ctx.settings
            if s.gl_rules is not None:
                rules = s.gl_rules
            elif s.gl_rules_path is not None:
                rules = GlRules.load(s.gl_rules_path)
            else:
                rules = GlRules.default()
            self._mapper = GlMapper(
                rules, self._ctx.sage.account_format(), self._ctx.sage_ref().gl_accounts
            )
        return self._mapper

    def _budget_code(self, budget_code_id: int | None) -> str | None:
        if budget_code_id is None:
            return None
        if self._budget_codes is None:
            codes: list[BudgetCode] = list(self._ctx.source.budget_codes())
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

    def distribute(self, doc: SourceDocument) -> Distribution | Unmapped:
        s = self._ctx.settings
        division = self._ctx.sage_ref().division(s.division)
        out: list[ApInvoiceLine] = []
        rules: list[dict[str, Any]] = []
        fallback_used: list[str] = []
        unmapped: list[dict[str, Any]] = []
        for line in doc.lines:
            if line.amount == ZERO:
                continue
            key: AccountKey | None
            if line.kind in ("tax", "freight"):
                default = (
                    (
                        division.sales_tax_account_key
                        if line.kind == "tax"
                        else division.freight_account_key
                    )
                    if division
                    else None
                )
                wanted = s.tax_account if line.kind == "tax" else s.freight_account
                key = self._configured(line.kind, wanted, default)
                if key is None:
                    unmapped.append(
                        {
                            "line": line.ref,
                            "amount": str(line.amount),
                            "why": f"no {line.kind} account configured and AP division "
                            f"{s.division} has none",
                        }
                    )
                    continue
                rules.append(
                    {
                        "line": line.ref,
                        "account_key": key,
                        "rule": f"{line.kind} account",
                        "fallback": False,
                    }
                )
            else:
                dims = LineDimensions(
                    st_gl_account=line.st_gl_account,
                    budget_code=self._budget_code(line.budget_code_id),
                    business_unit=line.business_unit,
                    line_kind=line.kind,
                )
                try:
                    mapping = self._gl_mapper().map(dims)
                except UnmappedLineError as exc:
                    fallback = self._configured("fallback", s.fallback_gl_account, None)
                    if fallback is None:
                        unmapped.append(
                            {
                                "line": line.ref,
                                "amount": str(line.amount),
                                "st_gl_account": line.st_gl_account,
                                "why": exc.message,
                            }
                        )
                        continue
                    key = fallback
                    fallback_used.append(line.ref)
                    rules.append(
                        {
                            "line": line.ref,
                            "account_key": key,
                            "rule": "fallback",
                            "fallback": True,
                            "why": exc.message,
                        }
                    )
                else:
                    key = AccountKey(mapping.account_key)
                    if mapping.fallback:
                        fallback_used.append(line.ref)
                    rules.append(
                        {
                            "line": line.ref,
                            "account_key": key,
                            "account": mapping.account,
                            "rule": mapping.rule,
                            "fallback": mapping.fallback,
                        }
                    )
            out.append(
                ApInvoiceLine(account_key=key, amount=line.amount, comment=line_comment(doc, line))
            )
        if unmapped:
            first = unmapped[0]
            more = f" and {len(unmapped) - 1} more line(s)" if len(unmapped) > 1 else ""
            return Unmapped(
                f"{doc.label}: {first['line']} ({first['amount']}) has no Sage GL account: "
                f"{first['why']}{more}",
                {"unmapped": unmapped},
            )
        return Distribution(tuple(out), tuple(rules), tuple(fallback_used))
