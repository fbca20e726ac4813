"""The "GL rules" row of `ml-connector check`: the pair's GL setup as a cycle will use it.

The same test the engine runs before any write (`sync.gl.setup.checked_gl_setup`): the
rules file readable, valid, with known keys and fitting the company's account format,
and every account it names, and the tax, freight and fallback accounts of the config,
active in Sage. So a rules file that `check` passes is one `sync` accepts, and one it
fails names each problem (file, line, rule, account) before `sync` ever sees it.
"""

from __future__ import annotations

from ml_connector.app.check.types import CheckResult, Rows
from ml_connector.app.config.pair import PairSettings
from ml_connector.app.runtime import engine_settings
from ml_connector.errors import ConfigError
from ml_connector.sage100.port import Sage100
from ml_connector.sync.documents.lines import configured_accounts
from ml_connector.sync.gl.rules import ST_ACCOUNT_RULE_NAME
from ml_connector.sync.gl.setup import checked_gl_setup, load_rules

GL_RULES = "GL rules"

FIX = (
    "Fix the GL rules file (every key: docs/matching.md; an example: "
    "docs/examples/gl-rules.toml) or the tax_account / freight_account / fallback_account "
    "of the pair's [sync] section, or make the account active in Sage (G/L Account "
    "Maintenance). sync refuses to run the pair until this row passes."
)


def gl_rules_row(rows: Rows, pair: PairSettings, sage: Sage100) -> CheckResult:
    settings = engine_settings(pair)
    try:
        mapper = checked_gl_setup(
            load_rules(settings.gl_rules, settings.gl_rules_path),
            sage.account_format(),
            sage.gl_accounts(),
            configured_accounts(settings),
        )
    except ConfigError as exc:
        return rows.failed(GL_RULES, exc.message, FIX)
    rules = mapper.rules
    if settings.gl_rules_path is None:
        detail = f"no rules file: the built-in rule ({ST_ACCOUNT_RULE_NAME})"
    else:
        detail = (
            f"{settings.gl_rules_path}: {len(rules.rules)} rule(s) fit the account format; "
            "every account they name is active"
        )
    named = [
        f"{what} {account}"
        for what, account in (
            ("tax", settings.tax_account),
            ("freight", settings.freight_account),
            ("fallback", settings.fallback_gl_account or rules.fallback),
        )
        if account
    ]
    if named:
        detail += f"; active in Sage: {', '.join(named)}"
    return rows.ok(GL_RULES, detail)
