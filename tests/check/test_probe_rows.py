"""`check` rows from a probe file, against explicit adapter names and conventions: each
fact the server settled differently from what the adapter does is a FAILED row with a fix;
what the probe left unsettled is skipped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ml_connector.app.check.probe import AdapterNames, adapter_names, probe_rows
from ml_connector.app.check.types import Rows
from ml_connector.app.config.pair import PairSettings

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ST = {"environment": "integration", "tenant_id": 1, "client_id": "c"}
SECRETS = {"client_secret": "env:X", "app_key": "env:Y"}


def _pair(**sage: Any) -> PairSettings:
    base = {"mode": "boi", "home": r"\\srv\MAS90\Home", "company": "ABC", "user": "u"}
    return PairSettings.model_validate(
        {"servicetitan": {**ST, **SECRETS}, "sage100": {**base, "password": "env:Z", **sage}}
    )


def _names(**changes: Any) -> AdapterNames:
    base = AdapterNames(
        objects={"invoice_history": ("AP_InvoiceHistoryHeader_svc",)},
        columns={"line_amount": ("DistributionAmt",), "batch_flag": ("BatchProcessing",)},
        separators=frozenset({"U+008A"}),
        history_ranges=frozenset({"division_vendor"}),
        byref_numeric="VT_BYREF|VT_R8",
        account_format_object=None,
        sgetcolumns_argument=False,
        zero_fills_vendor_numbers=False,
    )
    fields = {f: getattr(base, f) for f in base.__slots__} | changes
    return AdapterNames(**fields)


def _probe(**conclusions: Any) -> dict[str, Any]:
    c: dict[str, Any] = {
        "data_sources": {
            "invoice_lines": ["AccountKey", "DistributionAmt"],
            "ap_options": ["ModuleCode", "BatchProcessing"],
        },
        "ap_options": {"batches_column": "BatchProcessing"},
    }
    c.update(conclusions)
    return {
        "company": "ABC",
        "created_at": (NOW - timedelta(days=1)).isoformat(),
        "facts": {
            "objects": {
                "observed": {"invoice_history": {"AP_InvoiceHistoryHeader_svc": "accepted"}}
            }
        },
        "conclusions": c,
    }


def _rows(probe: dict[str, Any], names: AdapterNames, **sage: Any) -> dict[str, tuple[str, str]]:
    rows = probe_rows(Rows("main", "sage100"), probe, names, _pair(**sage), Path("p.json"), NOW)
    return {r.name: (r.verdict, r.fix) for r in rows}


def test_a_matching_probe_is_all_ok() -> None:
    rows = _rows(_probe(result_separator="U+008A", history_key="division_vendor"), _names())
    assert rows["probe file"][0] == "ok"
    assert rows["probe: object invoice_history"][0] == "ok"
    assert rows["probe: column line_amount"][0] == "ok"
    assert rows["probe: column batch_flag"][0] == "ok"
    assert rows["probe: result separator"][0] == "ok"
    assert rows["probe: history key range"][0] == "ok"
    assert rows["probe: by-ref numeric"][0] == "skipped"  # not settled by this probe


@pytest.mark.parametrize(
    ("conclusion", "value", "row"),
    [
        ("result_separator", "U+0160", "probe: result separator"),
        ("history_key", "invoice_no", "probe: history key range"),
        ("byref_numeric", "VT_BYREF|VT_VARIANT", "probe: by-ref numeric"),
        ("sgetcolumns_argument", True, "probe: sGetColumns argument"),
        ("vendor_zero_fill", True, "probe: vendor zero-fill"),
    ],
)
def test_a_convention_the_adapter_does_not_follow_fails(
    conclusion: str, value: Any, row: str
) -> None:
    rows = _rows(_probe(**{conclusion: value}), _names())
    verdict, fix = rows[row]
    assert verdict == "FAILED"
    assert "release" in fix


def test_an_adapter_that_follows_the_server_passes_the_same_facts() -> None:
    names = _names(
        separators=frozenset({"U+0160", "U+008A", "both"}),
        history_ranges=frozenset({"invoice_no", "division_vendor"}),
        byref_numeric="VT_BYREF|VT_VARIANT",
        sgetcolumns_argument=True,
        zero_fills_vendor_numbers=True,
    )
    probe = _probe(
        result_separator="U+0160",
        history_key="invoice_no",
        byref_numeric="VT_BYREF|VT_VARIANT",
        sgetcolumns_argument=True,
        vendor_zero_fill=True,
    )
    rows = _rows(probe, names)
    assert {v for n, (v, _) in rows.items() if n != "probe: by-ref numeric"} == {"ok"}
    assert rows["probe: by-ref numeric"][0] == "ok"


def test_no_known_batch_column_asks_for_use_batches_unless_set() -> None:
    probe = _probe()
    probe["conclusions"]["ap_options"] = {"batches_column": None}
    probe["conclusions"]["data_sources"]["ap_options"] = ["ModuleCode", "BatchEntryFlag"]
    rows = _rows(probe, _names())
    assert rows["probe: batch entry"][0] == "FAILED"
    assert "use_batches" in rows["probe: batch entry"][1]
    assert rows["probe: column batch_flag"][0] == "FAILED"
    assert "probe: batch entry" not in _rows(probe, _names(), use_batches=True)


def test_an_old_probe_and_one_of_another_company_warn() -> None:
    old = _probe()
    old["created_at"] = (NOW - timedelta(days=400)).isoformat()
    assert _rows(old, _names())["probe file"][0] == "warning"
    other = _probe()
    other["company"] = "XYZ"
    assert _rows(other, _names()) == {"probe file": ("warning", other_fix())}


def other_fix() -> str:
    return "Run `ml-connector sage probe` for company ABC."


def test_adapter_names_cover_every_object_the_adapter_reads() -> None:
    names = adapter_names(_pair())
    for role in ("invoice_entry", "open_invoices", "invoice_history", "ap_options", "vendors"):
        assert names.objects[role], role
    for column in ("invoice_amount", "line_amount", "batch_flag", "divisions_flag"):
        assert names.columns[column], column
    # what tax, freight, Job Cost and batch reuse depend on is compared too
    for role in ("job_cost_jobs", "job_cost_details", "batch_registry"):
        assert names.objects[role], role
    for column in ("sales_tax_amount", "vendor_receipt_of_invoice", "options_sales_tax"):
        assert names.columns[column], column


def test_what_the_adapter_can_do_without_warns_and_says_what_is_lost() -> None:
    from ml_connector.app.check.probe import OPTIONAL

    names = _names(
        objects={
            "invoice_history": ("AP_InvoiceHistoryHeader_svc",),
            "job_cost_jobs": ("JC_Job_svc",),
            "batch_registry": ("GL_CompanyActiveBatch_svc",),
        },
        columns={
            "line_amount": ("DistributionAmt",),
            "vendor_receipt_of_invoice": ("UsePOReceiptOfInvoice",),
            "options_sales_tax": ("CalcSalesTaxInAP",),
        },
        optional=OPTIONAL,
    )
    probe = _probe(
        data_sources={
            "invoice_lines": ["AccountKey", "Amount"],
            "vendors": ["VendorNo", "POReceiptOfInvoice"],
            "ap_options": ["ModuleCode", "CalcSalesTaxInAP"],
        },
        columns={"line_amount": "Amount", "vendor_receipt_of_invoice": "POReceiptOfInvoice"},
    )
    probe["facts"]["objects"]["observed"] |= {
        "job_cost_jobs": {"JC_Job_svc": "refused: Object JC_Job_svc was not found."},
        "batch_registry": {"GL_CompanyActiveBatch_svc": "accepted"},
    }
    rows = _rows(probe, names)
    verdict, fix = rows["probe: object job_cost_jobs"]
    assert verdict == "warning"
    assert "names.job_cost_jobs" in (fix or "")
    assert rows["probe: object batch_registry"][0] == "ok"
    verdict, fix = rows["probe: column vendor_receipt_of_invoice"]
    assert verdict == "warning"
    assert "'POReceiptOfInvoice'" in (fix or "")
    assert rows["probe: column options_sales_tax"][0] == "ok"
    assert rows["probe: column line_amount"][0] == "FAILED"  # not optional: still a failure


def test_the_whole_invoice_key_is_checked_only_when_turned_on() -> None:
    settled_no = _probe(whole_key=False)
    assert "probe: whole invoice key" not in _rows(settled_no, _names())  # off: no row
    verdict, fix = _rows(settled_no, _names(), invoice_key_whole=True)["probe: whole invoice key"]
    assert verdict == "FAILED"
    assert fix is not None
    assert "invoice_key_whole = false" in fix
    rows = _rows(_probe(whole_key=True), _names(), invoice_key_whole=True)
    assert rows["probe: whole invoice key"][0] == "ok"
    rows = _rows(_probe(), _names(), invoice_key_whole=True)  # a probe from before the fact
    assert rows["probe: whole invoice key"][0] == "skipped"
