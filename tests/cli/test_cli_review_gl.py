"""`review resolve --account` (for this bill only, or `--save-rule`) and
`review resolve --create-vendor`, end to end: the same operations as the web app's, and
what the person decided reaches Sage on the next `sync --once`."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cli_world import (
    SAGE_PASSWORD,
    SANDBOX_SETTINGS,
    PairSpec,
    World,
    assert_clean,
    write_test_config,
)
from engine_bills import ap_bill

from ml_connector.app.cli import main as cli
from ml_connector.clock import SystemClock
from ml_connector.sandbox.sage100 import init_root
from ml_connector.sandbox.servicetitan.server import running_sandbox
from ml_connector.store.port import DocKind, PairId

GL_BILL = 3_950_001
GL_BILL_2 = 3_950_002


class _Behind(SystemClock):
    """The ServiceTitan sandbox a few minutes behind, so what the test adds is read by
    the next cycle (past the engine's 30-second signpost)."""

    def now(self) -> datetime:
        return super().now() - timedelta(minutes=5)


@pytest.fixture
def gl_world(tmp_path: Path, secret_env: None) -> Iterator[World]:
    cli.register_all()
    sage_root = tmp_path / "sage100"
    init_root(sage_root, password=SAGE_PASSWORD)
    with running_sandbox(
        tmp_path / "st", size=12, settings=SANDBOX_SETTINGS, clock=_Behind()
    ) as sb:
        lines = [("80.00", {"id": 9, "name": "?", "number": "7777", "type": "x"})]
        sb.upsert(
            "ap-bills",
            [
                ap_bill(GL_BILL, reference="GL-ONCE", amount="80.00", lines=lines),
                ap_bill(GL_BILL_2, reference="GL-RULE", amount="80.00", lines=lines),
            ],
        )
        config = write_test_config(
            tmp_path / "config.toml", [PairSpec("main", sb.base_url, sage_root)]
        )
        text = config.read_text(encoding="utf-8")
        text = text.replace(
            "[pairs.main.sync]\n", '[pairs.main.sync]\ngl_rules = "gl-rules.toml"\n'
        )
        config.write_text(text, encoding="utf-8")
        (tmp_path / "gl-rules.toml").write_text("version = 1\n", encoding="utf-8")
        w = World(tmp_path, sb, sage_root, config)
        yield w
        assert_clean(w.log_text(), what="the log file")


def _gl_item(world: World, doc_id: int) -> dict[str, Any]:
    items = world.cli_json("review", "list")
    return next(
        i for i in items if i["kind"] == "unmapped_gl" and i["document"] == f"ap_bill {doc_id}"
    )


def _invoices(root: Path) -> dict[str, str]:
    conn = sqlite3.connect(root / "ABC.sqlite")
    try:
        rows = conn.execute(
            "SELECT h.InvoiceNo, d.AccountKey FROM AP_InvoiceHeader h JOIN AP_InvoiceDetail d "
            "ON d.APDivisionNo = h.APDivisionNo AND d.VendorNo = h.VendorNo "
            "AND d.InvoiceNo = h.InvoiceNo"
        ).fetchall()
    finally:
        conn.close()
    return {str(n).strip(): str(k).strip() for n, k in rows}


def _account_key(root: Path, account: str) -> str:
    conn = sqlite3.connect(root / "ABC.sqlite")
    try:
        row = conn.execute("SELECT AccountKey FROM GL_Account WHERE Account = ?", (account,))
        return str(row.fetchone()[0]).strip()
    finally:
        conn.close()


def test_resolve_with_an_account_once_or_as_a_rule(gl_world: World) -> None:
    world = gl_world
    world.cli("vendors", "link", "--st-vendor", "601", "--sage-vendor", "00-FERGUS")
    assert world.cli("sync", "--once").exit_code == 0
    once, rule = _gl_item(world, GL_BILL), _gl_item(world, GL_BILL_2)
    rules_file = world.tmp / "gl-rules.toml"

    # refused: an inactive account, an account for a vendor item, --save-rule alone
    proc = world.sub(
        "review",
        "resolve",
        str(once["id"]),
        "--account",
        "5150-02-100",
        "--config",
        str(world.config),
    )
    assert proc.returncode == 2
    assert "not an active Sage GL account" in proc.stderr
    proc = world.sub(
        "review", "resolve", str(once["id"]), "--save-rule", "--config", str(world.config)
    )
    assert proc.returncode == 2
    assert "--save-rule goes with --account" in proc.stderr

    result = world.cli(
        "review", "resolve", str(once["id"]), "--account", "6900-00-100", "--by", "maria"
    )
    assert result.exit_code == 0, result.stdout
    assert "6900-00-100 set for this bill's current revision only" in result.stdout
    assert "7777" not in rules_file.read_text(encoding="utf-8")

    result = world.cli(
        "review",
        "resolve",
        str(rule["id"]),
        "--account",
        "6400-00-100",
        "--save-rule",
        "--by",
        "maria",
    )
    assert result.exit_code == 0, result.stdout
    assert "GL rule saved" in result.stdout
    assert 'st_gl_account = "7777"' in rules_file.read_text(encoding="utf-8")

    assert world.cli("sync", "--once").exit_code == 0
    written = _invoices(world.sage_root)
    with world.store() as store, store.transaction() as tx:
        override = tx.get_gl_override(PairId("main"), DocKind.AP_BILL, GL_BILL)
        events = [e for e in tx.iter_audit() if e.actor == "maria"]
    assert override is not None
    assert (override.account, override.set_by) == ("6900-00-100", "maria")
    # 6900 for the one bill, 6400 by the rule
    assert written["GL-ONCE"] == _account_key(world.sage_root, "6900-00-100")
    assert written["GL-RULE"] == _account_key(world.sage_root, "6400-00-100")
    assert {"gl_override_set", "gl_rule_added"} <= {e.action for e in events}


def test_resolve_with_create_vendor(gl_world: World) -> None:
    world = gl_world
    assert world.cli("sync", "--once").exit_code == 0
    items = world.cli_json("review", "list")
    item = next(
        i
        for i in items
        if i["kind"] in ("ambiguous_vendor", "unknown_vendor")
        and i["document"] is None
        and i["details"].get("st_vendor_id") is not None
    )
    result = world.cli("review", "resolve", str(item["id"]), "--create-vendor", "--by", "maria")
    assert result.exit_code == 0, result.stdout
    assert "created Sage vendor 00-" in result.stdout
    with world.store() as store, store.transaction() as tx:
        link = tx.get_link_by_st(PairId("main"), int(item["details"]["st_vendor_id"]))
        created = [
            e for e in tx.iter_audit() if e.action == "vendor_created" and e.actor == "maria"
        ]
    assert link is not None
    assert link.method == "manual"
    assert len(created) == 1
    assert f"00-{link.vendor_no}" in created[0].message
