"""A broken GL setup stops the pair at the start of the cycle: nothing read from
ServiceTitan's bills, nothing written to Sage (no vendor, no invoice), nothing recorded
but the failed run, and the error names the rule and the account."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from engine_world import PAIR, World

from ml_connector.errors import ConfigError


def _broken_rules(tmp_path: Path) -> Path:
    path = tmp_path / "gl-rules.toml"
    path.write_text(
        '[[rule]]\nname = "Freight in"\nwhen = { line_kind = "freight" }\n'
        'account = "5910-00-000"\n',
        encoding="utf-8",
    )
    return path


def test_a_rule_naming_a_missing_account_stops_the_cycle_before_any_write(
    world: World, tmp_path: Path
) -> None:
    settings = replace(world.settings, gl_rules_path=_broken_rules(tmp_path))
    sage_before = world.sage_all()
    vendors_before = len(list(world.sage.vendors()))
    with world.store.transaction() as tx:
        links_before = list(tx.iter_links(PAIR))

    with pytest.raises(ConfigError) as refused:
        world.engine(settings).preflight()  # what `sync --once` asks first (exit 2)
    assert "rule 'Freight in': account 5910-00-000 is not a Sage GL account" in str(refused.value)

    summary = world.cycle(settings=settings)  # what the scheduler runs
    assert summary.stopped
    assert summary.written == 0
    assert any("5910-00-000" in e for e in summary.errors)
    assert world.sage_all() == sage_before
    assert len(list(world.sage.vendors())) == vendors_before
    with world.store.transaction() as tx:
        assert list(tx.iter_ledger(PAIR)) == []
        assert list(tx.iter_links(PAIR)) == links_before
        assert tx.list_reviews(PAIR, None) == []
        assert [r.status for r in tx.last_runs(PAIR)] == ["failed"]

    # Fixed, the next cycle runs as usual.
    assert world.cycle().written > 0
