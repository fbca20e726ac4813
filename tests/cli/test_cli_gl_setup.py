"""A broken GL rules file as a person meets it: `check` shows a FAILED "GL rules" row naming
the rule and the account, and `sync --once` stops with a setup error (exit 2) before it
writes anything anywhere."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import tomli_w
from cli_world import World, sage_tables


def _use_rules(world: World, text: str) -> Path:
    rules = world.tmp / "gl-rules.toml"
    rules.write_text(text, encoding="utf-8")
    data = tomllib.loads(world.config.read_text(encoding="utf-8"))
    data["pairs"]["main"]["sync"]["gl_rules"] = "gl-rules.toml"
    world.config.write_text(tomli_w.dumps(data), encoding="utf-8")
    return rules


BROKEN = 'version = 1\n\n[[rule]]\nname = "Freight in"\nwhen = { line_kind = "freight" }\n'


def test_sync_refuses_a_rules_file_naming_a_missing_account(world: World) -> None:
    rules = _use_rules(world, BROKEN + 'account = "5910-00-000"\n')
    before = sage_tables(world.sage_root)
    proc = world.sub("sync", "--once", "--config", str(world.config))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "rule 'Freight in': account 5910-00-000 is not a Sage GL account" in proc.stderr
    assert str(rules) in proc.stderr
    assert "What to do" in proc.stderr
    assert sage_tables(world.sage_root) == before  # no vendor, no invoice
    assert world.ledger() == []

    check = world.sub("check", "--config", str(world.config), "--json")
    assert check.returncode == 1
    rows = {(r["system"], r["name"]): r for r in json.loads(check.stdout)["checks"]}
    row = rows[("sage100", "GL rules")]
    assert row["verdict"] == "FAILED"
    assert "5910-00-000 is not a Sage GL account" in row["detail"]
    assert "gl-rules.toml" in row["fix"]


def test_sync_refuses_a_rules_file_that_is_not_toml(world: World) -> None:
    _use_rules(world, BROKEN + 'account = "5200-00-100\n')  # an unclosed string
    before = sage_tables(world.sage_root)
    proc = world.sub("sync", "--once", "--config", str(world.config))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "not valid TOML" in proc.stderr
    assert sage_tables(world.sage_root) == before


def test_check_passes_a_sound_rules_file_and_says_so(world: World) -> None:
    rules = _use_rules(world, BROKEN + 'account = "5200-00-100"\n')
    check = world.sub("check", "--config", str(world.config), "--json")
    rows = {(r["system"], r["name"]): r for r in json.loads(check.stdout)["checks"]}
    row = rows[("sage100", "GL rules")]
    assert row["verdict"] == "ok", row
    assert str(rules) in row["detail"]
    assert "tax 5250-00-100" in row["detail"]
    assert check.returncode == 0, check.stdout
