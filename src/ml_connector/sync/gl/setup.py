"""The GL setup a cycle depends on, checked as a whole before anything is written.

    rules = load_rules(settings.gl_rules, settings.gl_rules_path)
    configured = {"tax": settings.tax_account, "freight": settings.freight_account, ...}
    mapper = checked_gl_setup(rules, sage.account_format(), sage.gl_accounts(), configured)

Owns the one place that says whether a pair's GL setup is usable: the rules (the built-in
rule, rules given in the settings, or the rules file: readable, valid TOML or CSV, known
keys), their fit to the company's account format, every account they name outright (a
rule's `account`, the targets of its `map`, a rule made only of literal segments, the
fallback) existing and active in Sage, and the tax, freight and fallback accounts of the
settings existing and active. `ml-connector check` shows the result as a row; the engine
runs it at the start of every cycle (and `sync --once` before the cycle), so a broken rules
file stops the pair as a setup error instead of sending every bill to review or writing
half a cycle. `ConfigError` lists every problem found, each naming the file, the rule and
the account.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from ml_connector.errors import ConfigError
from ml_connector.sage100.port import AccountFormat, GlAccount
from ml_connector.sync.gl.mapping import GlMapper
from ml_connector.sync.gl.rules import GlRule, GlRules, norm_key

__all__ = ["checked_gl_setup", "load_rules", "named_account_problems"]

HINT = (
    "fix the GL rules file (docs/matching.md lists every key) or the account in the "
    "configuration, or make the account active in Sage (G/L Account Maintenance); "
    "`ml-connector check` lists every problem"
)


def load_rules(given: GlRules | None, path: Path | None) -> GlRules:
    """The pair's rules: already loaded, read from the rules file, or the default."""
    if given is not None:
        return given
    if path is not None:
        return GlRules.load(path)  # ConfigError: the file, the line and the cause
    return GlRules.default()


def _named(rule: GlRule, account_format: AccountFormat) -> list[tuple[str, str]]:
    """(what, account) for each account the rule names outright."""
    named: list[tuple[str, str]] = []
    if rule.account is not None:
        named.append(("account", rule.account))
    if rule.account_from is not None and rule.account_map:
        named += [(f"map entry {key!r}", value) for key, value in rule.account_map.items()]
    literals = [source.literal for _, source in rule.segments]
    if literals and all(part is not None for part in literals):
        named.append(("segments", account_format.separator.join(p or "" for p in literals)))
    return named


def _lookup(accounts: Iterable[GlAccount]) -> dict[str, GlAccount]:
    found: dict[str, GlAccount] = {}
    for account in accounts:
        for key in (account.account_key, account.account, account.raw_account):
            found.setdefault(norm_key(key), account)
    return found


def _state(account: str, known: dict[str, GlAccount]) -> str | None:
    """None when `account` is an active Sage account, else what is wrong with it."""
    key = norm_key(account)
    found = known.get(key) or known.get("".join(ch for ch in key if ch.isalnum()))
    if found is None:
        return f"{account} is not a Sage GL account"
    if not found.is_active:
        return f"{found.account} is inactive in Sage (status {found.status})"
    return None


def named_account_problems(
    rules: GlRules, account_format: AccountFormat, accounts: Iterable[GlAccount]
) -> list[str]:
    """Each account the rules name outright that is not an active Sage account."""
    known = _lookup(accounts)
    problems = []
    for rule in rules.rules:
        for what, account in _named(rule, account_format):
            state = _state(account, known)
            if state is not None:
                where = f"{rule.origin} " if rule.origin else ""
                problems.append(f"{where}rule {rule.name!r}: {what} {state}")
    return problems


def checked_gl_setup(
    rules: GlRules,
    account_format: AccountFormat,
    accounts: Iterable[GlAccount],
    configured: Mapping[str, str | None] | None = None,
) -> GlMapper:
    """The pair's `GlMapper`, or `ConfigError` naming every problem of its GL setup.
    `configured`: the accounts the settings name, by use ("tax", "freight", "fallback")."""
    chart = list(accounts)
    mapper = GlMapper(rules, account_format, chart)  # ConfigError: format, fallback
    problems = named_account_problems(rules, account_format, chart)
    known = _lookup(chart)
    for what, wanted in (configured or {}).items():
        state = _state(wanted, known) if wanted else None
        if state is not None:
            problems.append(f"the configured {what} account {state}")
    if problems:
        raise ConfigError(
            f"the GL setup names {len(problems)} account(s) Sage cannot post to: "
            + "; ".join(problems),
            operation="load GL rules",
            hint=HINT,
        )
    return mapper
