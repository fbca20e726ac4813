"""Which Sage GL account a ServiceTitan line posts to.

Owns `GlMapper` (rules + the company's account format + Sage's accounts -> a `GlMapping`
per line) and `gl_check` (which ServiceTitan accounts, budget codes and business units have
no valid mapping). The rules come from `gl.rules.GlRules` (re-exported here).

For each line the rules are tried in order; the first whose `when` holds and whose sources
have values produces an account. That account must be an ACTIVE Sage account, found by its
formatted number ("5000-01-100") or its raw one ("500001100") and resolved to its AccountKey.
When it is not, or when no rule applies, or when a rule's map lacks the line's value, the
line is unmapped: `UnmappedLineError` (SKIP: review) naming the account and the rule, or,
when a fallback account is configured, `GlMapping(fallback=True)` with the reason in `rule`.
Rules that cannot fit the company's account format fail when the mapper is built
(`ConfigError`), not line by line.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from ml_connector.errors import ConfigError
from ml_connector.sage100.port import AccountFormat, GlAccount
from ml_connector.sync.errors import UnmappedLineError
from ml_connector.sync.gl.rules import DIMENSIONS, GlRule, GlRules, SegmentSource, norm_key

__all__ = [
    "GlCheckReport",
    "GlGap",
    "GlMapper",
    "GlMapping",
    "GlRules",
    "LineDimensions",
    "gl_check",
]

_LABELS: Final = {
    "st_gl_account": "ServiceTitan GL account",
    "budget_code": "budget code",
    "business_unit": "business unit",
    "job_type": "job type",
    "category": "category",
    "line_kind": "line kind",
}


@dataclass(frozen=True, slots=True)
class LineDimensions:
    """What ServiceTitan says about one bill line, as text (None when it says nothing)."""

    st_gl_account: str | None
    budget_code: str | None = None
    business_unit: str | None = None
    job_type: str | None = None
    category: str | None = None
    line_kind: str = "expense"  # "expense", "item", "freight", "tax"... set by the engine

    def values(self) -> dict[str, str | None]:
        return {d: getattr(self, d) for d in DIMENSIONS}

    def describe(self) -> str:
        parts = [f"{_LABELS[d]} {v!r}" for d, v in self.values().items() if v]
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class GlMapping:
    account_key: str
    account: str  # formatted, e.g. "5000-01-100"
    rule: str  # the rule's name; for a fallback, why the fallback was used
    fallback: bool


class _Unmapped(Exception):
    """Internal signal: why a line has no account; never leaves this module."""

    def __init__(self, reason: str, account: str | None, rule: str | None) -> None:
        super().__init__(reason)
        self.reason, self.account, self.rule = reason, account, rule


class GlMapper:
    """Maps lines with one rule set against one Sage company's chart of accounts."""

    def __init__(
        self, rules: GlRules, account_format: AccountFormat, accounts: Iterable[GlAccount]
    ) -> None:
        self.rules = rules
        self.account_format = account_format
        self._accounts: dict[str, GlAccount] = {}
        for account in accounts:
            self._accounts.setdefault(norm_key(account.account), account)
            self._accounts.setdefault(norm_key(account.raw_account), account)
        for rule in rules.rules:
            self._check_rule(rule)
        self._fallback: GlAccount | None = None
        if rules.fallback:
            found = self._find(rules.fallback)
            if found is None or not found.is_active:
                state = "inactive" if found else "not"
                raise ConfigError(
                    f"{rules.source}: the fallback account {rules.fallback} is {state} "
                    "an active Sage account",
                    operation="load GL rules",
                    hint="name an active Sage GL account as fallback, or remove it",
                )
            self._fallback = found

    def map(self, dims: LineDimensions) -> GlMapping:
        """The Sage account for this line, or `UnmappedLineError` (or the fallback)."""
        try:
            return self.resolve(dims)
        except UnmappedLineError as exc:
            if self._fallback is None:
                raise
            return GlMapping(
                self._fallback.account_key,
                self._fallback.account,
                f"fallback: {exc.message}",
                True,
            )

    def resolve(self, dims: LineDimensions) -> GlMapping:
        """Like `map`, never using the fallback (what `gl check` reports)."""
        values = dims.values()
        try:
            for rule in self.rules.rules:
                if not rule.applies(values):
                    continue
                wanted = self._produce(rule, values)
                if wanted is None:
                    continue
                found = self._find(wanted)
                if found is None:
                    raise _Unmapped(
                        f"rule {rule.name!r} gave {wanted}, which is not a Sage GL account",
                        wanted,
                        rule.name,
                    )
                if not found.is_active:
                    raise _Unmapped(
                        f"rule {rule.name!r} gave {found.account}, which is inactive in Sage",
                        found.account,
                        rule.name,
                    )
                return GlMapping(found.account_key, found.account, rule.name, False)
            raise _Unmapped("no GL rule applies", None, None)
        except _Unmapped as miss:
            raise UnmappedLineError(
                f"no valid Sage GL account for the line ({dims.describe() or 'no dimensions'}): "
                f"{miss.reason}",
                account=miss.account,
                rule=miss.rule,
                hint="add or fix a rule in the GL rules file, or activate the account in Sage",
            ) from None

    # -- internals -----------------------------------------------------------------------

    def _find(self, account: str) -> GlAccount | None:
        key = norm_key(account)
        found = self._accounts.get(key)
        if found is None:
            bare = "".join(ch for ch in key if ch.isalnum())
            found = self._accounts.get(bare)
        return found

    def _produce(self, rule: GlRule, values: dict[str, str | None]) -> str | None:
        if rule.account is not None:
            return rule.account
        if rule.account_from is not None:
            value = values.get(rule.account_from)
            if not value or not value.strip():
                return None
            if rule.account_map is None:
                return value.strip()
            mapped = rule.account_map.get(norm_key(value))
            if mapped is None:
                raise _Unmapped(
                    f"{_LABELS[rule.account_from]} {value!r} is not in rule {rule.name!r}'s map",
                    None,
                    rule.name,
                )
            return mapped
        parts = []
        for number, source in rule.segments:
            part = self._segment(rule, number, source, values)
            if part is None:
                return None
            parts.append(part)
        return self.account_format.separator.join(parts)

    def _segment(
        self, rule: GlRule, number: int, source: SegmentSource, values: dict[str, str | None]
    ) -> str | None:
        if source.literal is not None:
            return source.literal
        if source.source is None:  # the loader never builds this; be total anyway
            return source.default
        value = values.get(source.source)
        if not value or not value.strip():
            return source.default
        if source.mapping is None:
            part = norm_key(value)
        else:
            mapped = source.mapping.get(norm_key(value), source.default)
            if mapped is None:
                raise _Unmapped(
                    f"{_LABELS[source.source]} {value!r} is not in segment {number}'s map of "
                    f"rule {rule.name!r}",
                    None,
                    rule.name,
                )
            part = mapped
        length = self.account_format.segments[number - 1].length
        if len(part) != length:
            raise _Unmapped(
                f"{_LABELS[source.source]} {value!r} gives segment {number} {part!r}, which is "
                f"not {length} characters (rule {rule.name!r})",
                None,
                rule.name,
            )
        return part

    def _check_rule(self, rule: GlRule) -> None:
        fmt = self.account_format

        def bad(cause: str) -> ConfigError:
            return ConfigError(
                f"{rule.origin} rule {rule.name!r}: {cause}",
                operation="load GL rules",
                hint="fix the GL rules file to fit the company's account format "
                f"({self._format_text()})",
            )

        def fits(account: str) -> bool:
            try:
                fmt.split(account)
            except ValueError:
                return False
            return True

        if rule.account is not None and not fits(rule.account):
            raise bad(f"account {rule.account} does not fit the account format")
        for key, account in (rule.account_map or {}).items():
            if not fits(account):
                raise bad(f"map entry {key!r} = {account} does not fit the account format")
        if not rule.segments:
            return
        numbers = [n for n, _ in rule.segments]
        expected = list(range(1, len(fmt.segments) + 1))
        if numbers != expected:
            raise bad(f"segments {numbers} must be exactly {expected}")
        for number, source in rule.segments:
            length = fmt.segments[number - 1].length
            given = [source.literal, source.default, *(source.mapping or {}).values()]
            for value in given:
                if value is not None and len(value) != length:
                    raise bad(f"segment {number} value {value!r} is not {length} characters")

    def _format_text(self) -> str:
        sep = self.account_format.separator
        return sep.join("X" * s.length for s in self.account_format.segments)


@dataclass(frozen=True, slots=True)
class GlGap:
    dimensions: LineDimensions
    problem: str
    rule: str | None
    account: str | None


@dataclass(frozen=True, slots=True)
class GlCheckReport:
    checked: int  # combinations tried
    gaps: tuple[GlGap, ...]  # the combinations with no valid mapping
    unmapped: tuple[tuple[str, str], ...]  # (dimension, value) failing in every combination

    @property
    def ok(self) -> bool:
        return not self.gaps


def gl_check(
    mapper: GlMapper,
    *,
    gl_accounts: Iterable[str] = (),
    budget_codes: Iterable[str] = (),
    business_units: Iterable[str] = (),
    line_kind: str = "expense",
    max_combinations: int = 200_000,
) -> GlCheckReport:
    """Try every combination of the given values (an empty list means "absent") and list
    those with no valid mapping, without the fallback. A value is `unmapped` when every
    combination it takes part in fails."""
    none: list[str | None] = [None]
    axes: dict[str, list[str | None]] = {
        "st_gl_account": [*sorted(set(gl_accounts))] or none,
        "budget_code": [*sorted(set(budget_codes))] or none,
        "business_unit": [*sorted(set(business_units))] or none,
    }
    total = len(axes["st_gl_account"]) * len(axes["budget_code"]) * len(axes["business_unit"])
    if total > max_combinations:
        raise ValueError(f"{total} combinations to check; give fewer values at once")
    gaps = []
    tried: dict[tuple[str, str], list[bool]] = {}
    for gl, code, unit in itertools.product(*axes.values()):
        dims = LineDimensions(gl, code, unit, line_kind=line_kind)
        try:
            mapper.resolve(dims)
            failed = False
        except UnmappedLineError as exc:
            gaps.append(GlGap(dims, exc.message, exc.rule, exc.account))
            failed = True
        for dim, value in (("st_gl_account", gl), ("budget_code", code), ("business_unit", unit)):
            if value is not None:
                tried.setdefault((dim, value), []).append(failed)
    unmapped = tuple(key for key, results in tried.items() if all(results))
    return GlCheckReport(total, tuple(gaps), unmapped)
