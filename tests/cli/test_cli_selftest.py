"""`ml-connector selftest` end to end: Sage (--live) on the Sage sandbox, ServiceTitan
(--servicetitan) on the ServiceTitan sandbox, through the CLI."""

from __future__ import annotations

import json
import sqlite3
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from cli_world import SAGE_PASSWORD, World, sage_tables

from ml_connector.sandbox.sage100 import add_user, init_root

TEST_COMPANY = "TST"


def _test_company(root: Path, *, batches: bool = False) -> None:
    """A copy of the demo company before anything was posted (no open or history rows)."""
    init_root(root, company=TEST_COMPANY, password=SAGE_PASSWORD, batches=batches)
    conn = sqlite3.connect(root / f"{TEST_COMPANY}.sqlite")
    try:
        for table in ("AP_OpenInvoice", "AP_InvoiceHistoryHeader", "AP_InvoiceHistoryDetail"):
            conn.execute(f"DELETE FROM {table}")  # noqa: S608  # fixed names
        conn.commit()
    finally:
        conn.close()


def _zq_rows(root: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(root / f"{TEST_COMPANY}.sqlite")
    try:
        return conn.execute(
            "SELECT VendorNo, NULL FROM AP_Vendor WHERE VendorNo LIKE 'ZQ%' UNION ALL "
            "SELECT VendorNo, InvoiceNo FROM AP_InvoiceHeader WHERE InvoiceNo LIKE 'ZQ%' "
            "UNION ALL SELECT VendorNo, InvoiceNo FROM AP_InvoiceDetail WHERE InvoiceNo LIKE 'ZQ%'"
        ).fetchall()
    finally:
        conn.close()


def _steps(result_stdout: str) -> dict[str, dict[str, str]]:
    return {s["step"]: s for s in json.loads(result_stdout)["steps"]}


@pytest.mark.parametrize("batches", [False, True], ids=["no-batches", "batches"])
def test_live_selftest_passes_in_a_test_company_and_leaves_nothing(
    world: World, batches: bool
) -> None:
    _test_company(world.sage_root, batches=batches)
    result = world.cli("selftest", "--live", "--company", TEST_COMPANY, "--json")
    assert result.exit_code == 0, result.stdout
    data = json.loads(result.stdout)
    assert data["passed"] is True
    assert data["company"] == TEST_COMPANY
    steps = _steps(result.stdout)
    for name in (
        "test company",
        "session",
        "GL accounts",
        "create vendor",
        "batch",
        "write invoice",
        "read back",
        "find by reference",
        "re-send refused",
    ):
        assert steps[name]["verdict"] == "ok", steps[name]
    assert "refused (entry)" in steps["re-send refused"]["detail"]
    assert "still 12.34" in steps["re-send refused"]["detail"]
    deletes = [s for n, s in steps.items() if n.startswith("delete ")]
    assert [s["verdict"] for s in deletes] == ["ok", "ok"]
    assert _zq_rows(world.sage_root) == []


def test_live_selftest_text_output(world: World) -> None:
    _test_company(world.sage_root)
    proc = world.sub("selftest", "--live", "--company", "tst", "--config", str(world.config))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Sage 100 self-test, company TST" in proc.stdout
    assert "[     ok] re-send refused" in proc.stdout
    assert proc.stdout.rstrip().endswith("PASSED")


def test_live_selftest_refuses_a_company_with_posted_invoices(world: World) -> None:
    before = sage_tables(world.sage_root)
    result = world.cli("selftest", "--live", "--company", "ABC", "--json")
    assert result.exit_code == 1
    steps = _steps(result.stdout)
    assert steps["test company"]["verdict"] == "FAILED"
    assert "not a test company" in steps["test company"]["detail"]
    assert all(s["verdict"] == "skipped" for n, s in steps.items() if n != "test company")
    assert sage_tables(world.sage_root) == before


def test_live_selftest_with_force_runs_in_a_company_with_history(world: World) -> None:
    result = world.cli("selftest", "--live", "--company", "ABC", "--force", "--json")
    assert result.exit_code == 0, result.stdout
    assert "--force given" in _steps(result.stdout)["test company"]["detail"]


def test_live_selftest_cleans_up_when_a_step_fails(world: World) -> None:
    _test_company(world.sage_root)
    # The Sage user may create vendors but only view AP invoices: the write fails after
    # the test vendor exists, and the cleanup must still remove the vendor.
    add_user(
        world.sage_root,
        "sandbox",
        SAGE_PASSWORD,
        rights={"AP_Invoice_ui": "V", "AP_Vendor_ui": "CMRV", "GL_Account_ui": "V"},
    )
    result = world.cli("selftest", "--live", "--company", TEST_COMPANY, "--json")
    assert result.exit_code == 1
    steps = _steps(result.stdout)
    assert steps["create vendor"]["verdict"] == "ok"
    assert steps["write invoice"]["verdict"] == "FAILED"
    assert steps["read back"]["verdict"] == "skipped"
    vendor_delete = next(s for n, s in steps.items() if n.startswith("delete vendor"))
    invoice_delete = next(s for n, s in steps.items() if n.startswith("delete invoice"))
    assert vendor_delete["verdict"] == "ok"
    assert "nothing to delete" in invoice_delete["detail"]
    assert _zq_rows(world.sage_root) == []


def test_selftest_needs_a_target(world: World) -> None:
    proc = world.sub("selftest", "--config", str(world.config))
    assert proc.returncode == 2
    assert "--live --company TST" in proc.stderr
    proc = world.sub("selftest", "--live", "--config", str(world.config))
    assert proc.returncode == 2
    assert "--live needs --company" in proc.stderr


def _first_bill(world: World) -> int:
    conn = sqlite3.connect(world.sb.state_dir / "servicetitan-sandbox.sqlite")
    try:
        row = conn.execute(
            "SELECT id FROM records WHERE resource = 'ap-bills' ORDER BY id"
        ).fetchone()
    finally:
        conn.close()
    return int(row[0])


def _sync_status(world: World, bill: int) -> str:
    conn = sqlite3.connect(world.sb.state_dir / "servicetitan-sandbox.sqlite")
    try:
        row = conn.execute(
            "SELECT sync_status FROM records WHERE resource = 'ap-bills' AND id = ?", (bill,)
        ).fetchone()
    finally:
        conn.close()
    return str(row[0])


def test_servicetitan_selftest_on_the_sandbox(world: World) -> None:
    bill = _first_bill(world)
    before = _sync_status(world, bill)
    result = world.cli("selftest", "--servicetitan", "--bill", str(bill), "--json")
    assert result.exit_code == 0, result.stdout
    steps = _steps(result.stdout)
    for name in ("environment", "token", "create vendor", "patch vendor externalData"):
        assert steps[name]["verdict"] == "ok", steps[name]
    assert steps["mark bill exported"]["verdict"] == "ok"
    assert _sync_status(world, bill) != before
    assert steps["retire test vendor"]["verdict"] == "ok"
    modules = [s for n, s in steps.items() if n.startswith(("accounting:", "inventory:"))]
    assert len(modules) >= 3
    assert all(s["verdict"] == "ok" for s in modules)
    # The test vendor is left inactive under a "(removed)" name, its externalData set.
    conn = sqlite3.connect(world.sb.state_dir / "servicetitan-sandbox.sqlite")
    try:
        rows = [
            json.loads(r[0])
            for r in conn.execute("SELECT body FROM records WHERE resource = 'vendors'")
        ]
    finally:
        conn.close()
    mine = [v for v in rows if str(v.get("name", "")).startswith("ML-CONNECTOR SELFTEST")]
    assert len(mine) == 1
    assert mine[0]["name"].endswith("(removed)")
    assert mine[0]["active"] is False


def test_servicetitan_selftest_without_a_bill_skips_the_export(world: World) -> None:
    result = world.cli("selftest", "--servicetitan", "--json")
    assert result.exit_code == 0, result.stdout
    assert _steps(result.stdout)["mark bill exported"]["verdict"] == "skipped"


def test_both_selftests_at_once_print_one_json_object(world: World) -> None:
    _test_company(world.sage_root)
    result = world.cli("selftest", "--live", "--company", "TST", "--servicetitan", "--json")
    assert result.exit_code == 0, result.stdout
    data = json.loads(result.stdout)
    assert data["passed"] is True
    titles = [r["selftest"] for r in data["selftests"]]
    assert titles[0] == "Sage 100 self-test, company TST"
    assert titles[1].startswith("ServiceTitan self-test")


def test_servicetitan_selftest_refuses_production(world: World) -> None:
    data = tomllib.loads(world.config.read_text("utf-8"))
    st = data["pairs"]["main"]["servicetitan"]
    st["environment"] = "production"
    st.pop("api_base")
    st.pop("auth_url")
    prod = world.tmp / "prod.toml"
    prod.write_text(tomli_w.dumps(data), encoding="utf-8")
    result = world.cli("selftest", "--servicetitan", "--json", config=prod)
    assert result.exit_code == 1
    steps = json.loads(result.stdout)["steps"]
    assert [s["step"] for s in steps] == ["environment"]
    assert "integration" in steps[0]["detail"]
