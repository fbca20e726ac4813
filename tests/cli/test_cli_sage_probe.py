"""`ml-connector sage probe` end to end on the Sage sandbox, and `check` reading the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cli_world import SAGE_PASSWORD, World, sage_tables


def _probe(world: World, out: Path) -> dict[str, Any]:
    before = sage_tables(world.sage_root)
    result = world.cli("sage", "probe", "-o", str(out))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert sage_tables(world.sage_root) == before  # read-only: nSetKey then nClear, no write
    text = out.read_text("utf-8")
    assert SAGE_PASSWORD not in text
    data: dict[str, Any] = json.loads(text)
    return data


def test_probe_records_every_fact_with_a_conclusion(world: World) -> None:
    data = _probe(world, world.tmp / "probe.json")
    facts = data["facts"]
    assert data["company"] == "ABC"
    assert data["pair"] == "main"
    for name, fact in facts.items():
        assert set(fact) == {"question", "observed", "conclusion", "settled", "use"}, name
        assert fact["conclusion"], name
    c = data["conclusions"]
    assert c["objects"]["invoice_entry"] == "AP_Invoice_bus"
    assert c["objects"]["invoice_history"] == "AP_InvoiceHistoryHeader_svc"
    assert c["objects"]["invoice_lines"] == "AP_Invoice_bus.oLines"
    tried = facts["objects"]["observed"]["invoice_history"]
    assert tried["AP_InvoiceHistoryHeader_svc"] == "accepted"
    # Every candidate is tried and answered, not only the first one accepted.
    assert tried["AP_InvoiceHistoryInquiry_bus"].startswith(("accepted", "refused"))
    assert c["columns"]["invoice_amount"] == "InvoiceAmt"
    assert c["columns"]["line_amount"] == "DistributionAmt"
    assert c["result_separator"] in ("U+0160", "U+008A")
    assert c["account_format"] == {
        "segments": [4, 2, 3],
        "separators": ["-", "-"],
        "source": "GL_Account",
    }
    assert "InvoiceNo" in facts["history_key"]["observed"]["key_columns"]
    # The demo company has paid invoices (history only) and open ones: Sage starts a new
    # entry for them as an adjustment, which the probe reports and then clears.
    posted = c["posted_keys"]
    assert posted["invoice_history"]["nSetKey"] == 2
    assert posted["invoice_history"]["adjustment"] == "Y"
    assert posted["invoice_history"]["only_here"] is True
    assert facts["posted_keys"]["observed"]["open_invoices"]["nClear"] == 1
    assert c["byref_numeric"].startswith("tuple")
    assert c["ap_options"]["batches"] is False
    # What tax, freight, Job Cost and batch reuse depend on (sage-money, sage9)
    for role, name in (
        ("job_cost_jobs", "JC_Job_svc"),
        ("job_cost_details", "JC_JobCostDetail_svc"),
        ("batch_registry", "GL_CompanyActiveBatch_svc"),
    ):
        assert c["objects"][role] == name
    for column, name in (
        ("sales_tax_amount", "SalesTaxAmt"),
        ("freight_amount", "FreightAmt"),
        ("taxable_amount", "TaxableAmt"),
        ("non_taxable_amount", "NonTaxableAmt"),
        ("invoice_tax_schedule", "TaxSchedule"),
        ("line_cost_code", "CostCode"),
        ("line_cost_type", "CostType"),
        ("tax_schedule", "TaxSchedule"),
        ("vendor_receipt_of_invoice", "UsePOReceiptOfInvoice"),
        ("options_sales_tax", "CalcSalesTaxInAP"),
        ("batch_comment", "Comment"),
    ):
        assert c["columns"][column] == name, column
    assert c["ap_options"]["sales_tax_column"] == "CalcSalesTaxInAP"
    assert c["ap_options"]["sales_tax_in_ap"] is True
    # Crescent uses Receipt of Invoice: the sandbox's data entry takes it (its default)
    assert c["receipt_of_invoice_entry"] == "accept"
    assert facts["receipt_of_invoice_entry"]["observed"]["nClear"] == 1
    # Hajoca's OHFRANK: tax can be entered, and the sandbox computes it at nWrite only
    assert c["tax_entry"]["OHFRANK"] == {"tax_enterable": True, "computed_per_line": False}
    # nSetKey with the whole key opens the key the parts name (the sandbox pads vendor
    # numbers to 7 in its keys): what BoiSettings.invoice_key_whole rests on
    assert c["whole_key"] is True
    whole = facts["whole_key"]["observed"]
    assert (whole["nSetKey"], whole["nClear"]) == (2, 1)
    assert len(whole["key"]) == 2 + 7 + len("ZZPROBE")


def test_probe_shows_a_table_and_writes_beside_the_config_by_default(world: World) -> None:
    proc = world.sub("sage", "probe", "--config", str(world.config))
    assert proc.returncode == 0, proc.stderr
    target = world.config.parent / "sage-probe-main.json"
    assert target.is_file()
    assert "posted_keys" in proc.stdout
    assert f"written to {target}" in proc.stdout
    # check finds the file on its own and compares: the sandbox matches the adapter's names.
    result = world.cli("check", "--json")
    rows = {r["name"]: r for r in json.loads(result.stdout)["checks"] if r["pair"] == "main"}
    assert rows["probe file"]["verdict"] == "ok"
    assert rows["probe: object invoice_history"]["verdict"] == "ok"
    assert rows["probe: column invoice_amount"]["verdict"] == "ok"
    assert rows["probe: history key range"]["verdict"] == "ok"


def test_check_fails_on_names_the_server_does_not_have(world: World) -> None:
    path = world.tmp / "probe.json"
    data = _probe(world, path)
    c = data["conclusions"]
    # A server that calls its history object by a name the adapter does not try, and has
    # none of the names the adapter knows for the divisions flag and the line amount.
    data["facts"]["objects"]["observed"]["invoice_history"] = {
        "AP_InvoiceHistoryHeader_svc": "refused: Object AP_InvoiceHistoryHeader_svc not found",
        "AP_InvoiceHistoryInquiry_bus": "refused: Object AP_InvoiceHistoryInquiry_bus not found",
        "AP_InvoiceHistoryHeader_bus": "accepted",
    }
    lists = c["data_sources"]
    divisions = ("Divisions", "APDivisionsInUse")
    lists["ap_options"] = ["DivisionsUsed" if n in divisions else n for n in lists["ap_options"]]
    c["columns"]["divisions_flag"] = "DivisionsUsed"
    amounts = ("DistributionAmt", "DistributionAmount", "Amount", "ExtensionAmt")
    lists["invoice_lines"] = [n for n in lists["invoice_lines"] if n not in amounts]
    c["columns"]["line_amount"] = None
    path.write_text(json.dumps(data), encoding="utf-8")
    result = world.cli("check", "--json", "--probe", str(path))
    assert result.exit_code == 1
    rows = {r["name"]: r for r in json.loads(result.stdout)["checks"] if r["pair"] == "main"}
    hist = rows["probe: object invoice_history"]
    assert hist["verdict"] == "FAILED"
    assert "AP_InvoiceHistoryHeader_bus" in hist["detail"]
    assert "AP_InvoiceHistoryHeader_bus first in names.invoice_history" in hist["fix"]
    assert rows["probe: column divisions_flag"]["verdict"] == "FAILED"
    assert "DivisionsUsed" in rows["probe: column divisions_flag"]["fix"]
    assert rows["probe: column line_amount"]["verdict"] == "FAILED"
    assert "none of" in rows["probe: column line_amount"]["detail"]
    assert rows["probe: object invoice_entry"]["verdict"] == "ok"


def test_check_warns_about_a_probe_of_another_company(world: World) -> None:
    path = world.tmp / "probe.json"
    data = _probe(world, path)
    data["company"] = "XYZ"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = world.cli("check", "--json", "--probe", str(path))
    rows = [r for r in json.loads(result.stdout)["checks"] if r["name"].startswith("probe")]
    assert [(r["name"], r["verdict"]) for r in rows] == [("probe file", "warning")]
    assert "company XYZ" in rows[0]["detail"]


def test_check_reports_an_unreadable_probe_file(world: World) -> None:
    path = world.tmp / "not-a-probe.json"
    path.write_text("{}", encoding="utf-8")
    result = world.cli("check", "--json", "--probe", str(path))
    assert result.exit_code == 1
    rows = [r for r in json.loads(result.stdout)["checks"] if r["name"] == "probe file"]
    assert rows[0]["verdict"] == "FAILED"
    assert "not a probe file" in rows[0]["detail"]


def test_probe_with_a_wrong_password_says_so_and_exits_1(world: World) -> None:
    from cli_world import subprocess_env

    env = subprocess_env(MLC_CLI_SAGE_PASSWORD="Not-The-Pw-55")
    out = world.tmp / "bad.json"
    proc = world.sub("sage", "probe", "--config", str(world.config), "-o", str(out), env=env)
    assert proc.returncode == 1
    assert "Invalid user logon or password" in proc.stdout
    assert "Not-The-Pw-55" not in out.read_text("utf-8") + proc.stdout + proc.stderr
