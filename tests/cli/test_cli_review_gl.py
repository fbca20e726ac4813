"""`review resolve --account` (for this bill only, or `--save-rule`) and
`review resolve --create-vendor`, end to end: the same operations as the web app's, and
what the person decided reaches Sage on the next `sync --once`."""

from __future__ import annotations

import json
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
TAX_BILL = 3_950_003


class _Behind(SystemClock):
    """The ServiceTitan sandbox a few minutes behind, so what the test adds is read by
    the next cycle (past the engine's 30-second signpost)."""

    def now(self) -> datetime:
        return super().now() - timedelta(minutes=5)


def _gl_world(tmp_path: Path, bills: list[dict[str, Any]], *, tax_account: bool) -> Iterator[World]:
    """Both sandboxes with `bills`, an empty GL rules file; without `tax_account` neither
    the pair nor the AP division in Sage names a sales tax account."""
    cli.register_all()
    sage_root = tmp_path / "sage100"
    init_root(sage_root, password=SAGE_PASSWORD)
    with running_sandbox(
        tmp_path / "st", size=12, settings=SANDBOX_SETTINGS, clock=_Behind()
    ) as sb:
        sb.upsert("ap-bills", bills)
        config = write_test_config(
            tmp_path / "config.toml", [PairSpec("main", sb.base_url, sage_root)]
        )
        text = config.read_text(encoding="utf-8")
        text = text.replace(
            "[pairs.main.sync]\n", '[pairs.main.sync]\ngl_rules = "gl-rules.toml"\n'
        )
        if not tax_account:  # and the AP division has none: tax can be neither a header
            # field nor a line on a known account
            assert 'tax_account = "5250-00-100"\n' in text
            text = text.replace('tax_account = "5250-00-100"\n', "")
            with sqlite3.connect(sage_root / "ABC.sqlite") as conn:
                conn.execute(
                    "UPDATE AP_Division SET SalesTaxAcctKey = '' WHERE APDivisionNo = '00'"
                )
        config.write_text(text, encoding="utf-8")
        (tmp_path / "gl-rules.toml").write_text("version = 1\n", encoding="utf-8")
        w = World(tmp_path, sb, sage_root, config)
        yield w
        assert_clean(w.log_text(), what="the log file")


@pytest.fixture
def gl_world(tmp_path: Path, secret_env: None) -> Iterator[World]:
    lines = [("80.00", {"id": 9, "name": "?", "number": "7777", "type": "x"})]
    bills = [
        ap_bill(GL_BILL, reference="GL-ONCE", amount="80.00", lines=lines),
        ap_bill(GL_BILL_2, reference="GL-RULE", amount="80.00", lines=lines),
    ]
    yield from _gl_world(tmp_path, bills, tax_account=True)


@pytest.fixture
def tax_world(tmp_path: Path, secret_env: None) -> Iterator[World]:
    """A bill with a 7777 line, sales tax and freight, and no sales tax account anywhere
    (the freight account is configured, the division's own)."""
    lines = [("80.00", {"id": 9, "name": "?", "number": "7777", "type": "x"})]
    bill = ap_bill(
        TAX_BILL, reference="GL-TAX", amount="92.50", lines=lines, tax="7.50", freight="5.00"
    )
    yield from _gl_world(tmp_path, [bill], tax_account=False)


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


def _detail_lines(root: Path, invoice_no: str) -> list[tuple[str, float]]:
    conn = sqlite3.connect(root / "ABC.sqlite")
    try:
        rows = conn.execute(
            "SELECT AccountKey, DistributionAmt FROM AP_InvoiceDetail WHERE InvoiceNo = ?",
            (invoice_no,),
        ).fetchall()
    finally:
        conn.close()
    return sorted((str(k).strip(), float(a)) for k, a in rows)


def test_a_one_off_account_also_places_a_tax_line_without_an_account(tax_world: World) -> None:
    """No tax account configured and none in the AP division: the tax line has no account
    and the bill waits in one missing-GL item with the 7777 line; the person's one-off
    account places both; freight still goes to the invoice header (its configured account
    is the division's)."""
    world = tax_world
    world.cli("vendors", "link", "--st-vendor", "601", "--sage-vendor", "00-FERGUS")
    assert world.cli("sync", "--once").exit_code == 0
    item = _gl_item(world, TAX_BILL)
    unmapped = item["details"]["unmapped"]
    assert sorted(u.get("line_kind", "line") for u in unmapped) == ["line", "tax"]
    assert "tax_account" in item["suggestion"]
    assert _detail_lines(world.sage_root, "GL-TAX") == []

    result = world.cli(
        "review", "resolve", str(item["id"]), "--account", "6900-00-100", "--by", "maria"
    )
    assert result.exit_code == 0, result.stdout
    assert world.cli("sync", "--once").exit_code == 0
    one_off = _account_key(world.sage_root, "6900-00-100")
    assert _detail_lines(world.sage_root, "GL-TAX") == [(one_off, 7.5), (one_off, 80.0)]
    with sqlite3.connect(world.sage_root / "ABC.sqlite") as conn:
        header = conn.execute(
            "SELECT InvoiceAmt, SalesTaxAmt, FreightAmt FROM AP_InvoiceHeader "
            "WHERE InvoiceNo = 'GL-TAX'"
        ).fetchall()
    assert header == [(92.5, 0.0, 5.0)]  # freight on the division's account, in the header
    with world.store() as store, store.transaction() as tx:
        [written] = [e for e in tx.iter_audit() if e.action == "written" and e.doc_id == TAX_BILL]
    placed = [r for r in written.details["gl"] if "one-off" in str(r.get("rule"))]
    assert len(placed) == 2
    assert all(r["rule"] == "one-off account set by maria" for r in placed)


def test_review_list_suggests_an_account_for_a_missing_gl_account(gl_world: World) -> None:
    """The command for a missing GL account is `resolve --account`: with a placeholder at
    first (a pasted placeholder is refused by name); once a person gave the bill a one-off
    account and the bill then changed in ServiceTitan, that account."""
    world = gl_world
    world.cli("vendors", "link", "--st-vendor", "601", "--sage-vendor", "00-FERGUS")
    assert world.cli("sync", "--once").exit_code == 0
    item = _gl_item(world, GL_BILL)
    tail = f" -c {world.config}"
    assert item["command"] == f"ml-connector review resolve {item['id']} --account ACCOUNT{tail}"
    pasted = world.sub(*item["command"].split()[1:])
    assert pasted.returncode == 2
    assert "'ACCOUNT' is not an active Sage GL account" in pasted.stderr

    result = world.cli(
        "review", "resolve", str(item["id"]), "--account", "6900-00-100", "--by", "maria"
    )
    assert result.exit_code == 0, result.stdout
    lines = [("90.00", {"id": 9, "name": "?", "number": "7777", "type": "x"})]
    world.sb.upsert(  # edited in ServiceTitan before the next cycle: back to the rules
        "ap-bills", [ap_bill(GL_BILL, reference="GL-ONCE", amount="90.00", lines=lines)]
    )
    assert world.cli("sync", "--once").exit_code == 0
    again = _gl_item(world, GL_BILL)
    assert again["id"] != item["id"]
    assert again["command"] == (
        f"ml-connector review resolve {again['id']} --account 6900-00-100{tail}"
    )
    shown = json.loads(world.cli("review", "show", str(again["id"])).stdout)
    assert shown["command"] == again["command"]
    assert "GL-ONCE" not in _invoices(world.sage_root)  # nothing written meanwhile
