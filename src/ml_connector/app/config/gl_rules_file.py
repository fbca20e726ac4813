"""Adding a rule to a pair's GL rules file from the review queue.

The rule says "lines with ServiceTitan GL account X go to Sage account Y". It is inserted
before the file's first `[[rule]]` (the first rule that applies wins, and this one is the
most specific), the whole new text is parsed as the engine will parse it, and only then
written, through a temporary file and a rename, so a half-written rules file never exists.
Only TOML rules files are edited; a CSV file is left to the controller.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from ml_connector.errors import ConfigError
from ml_connector.sync.gl.rules import GlRules

_RULE_HEADER = re.compile(r"^\s*\[\[\s*rule\s*\]\]", re.MULTILINE)


def _quoted(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid TOML basic string


def rule_text(name: str, st_gl_accounts: tuple[str, ...], account: str) -> str:
    values = ", ".join(_quoted(a) for a in st_gl_accounts)
    when = values if len(st_gl_accounts) == 1 else f"[{values}]"
    return (
        f"[[rule]]\nname = {_quoted(name)}\n"
        f"when = {{ st_gl_account = {when} }}\naccount = {_quoted(account)}\n\n"
    )


def add_st_account_rule(
    path: Path | None, *, name: str, st_gl_accounts: tuple[str, ...], account: str
) -> GlRules:
    """Insert the rule, check the whole file, write it; returns the rules as read back."""
    if path is None:
        raise ConfigError(
            "this pair has no GL rules file to save the rule in",
            hint='set gl_rules = "gl-rules.toml" under [pairs.<name>.sync] in the config '
            "(see docs/matching.md), restart, then map the account again",
        )
    if path.suffix.lower() != ".toml":
        raise ConfigError(
            f"the GL rules file {path} is not TOML: rules are added to it by hand",
            hint="add the rule to the CSV file, then retry the review item",
        )
    if not st_gl_accounts:
        raise ConfigError(
            "the unmapped lines carry no ServiceTitan GL account to write a rule for",
            hint="set a fallback account or a rule by budget code in the GL rules file",
        )
    try:
        old = path.read_text(encoding="utf-8-sig") if path.exists() else "version = 1\n\n"
    except OSError as exc:
        raise ConfigError(f"cannot read GL rules file {path}: {exc.strerror}") from exc
    block = rule_text(name, st_gl_accounts, account)
    first = _RULE_HEADER.search(old)
    if first is None:
        new = old.rstrip("\n") + "\n\n" + block
    else:
        new = old[: first.start()] + block + old[first.start() :]
    rules = GlRules.parse_toml(new, source=str(path))  # refuses what the engine would refuse
    fd, tmp = tempfile.mkstemp(prefix=".gl-rules-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(new)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ConfigError(f"cannot write GL rules file {path}: {exc.strerror}") from exc
    return rules
