"""Tax, freight, Job Cost and vendor setup end to end: the engine, the BOI adapter and the
Sage sandbox's demo company (A/P calculates sales tax; Hajoca has the taxing schedule
OHFRANK; Crescent uses P/O Receipt of Invoice; Job Cost jobs 40000.. with cost codes)."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from engine_bills import RENT_GL, ap_bill
from engine_world import PAIR, World

from ml_connector.sage100.errors import SageRejectedError
from ml_connector.store.port import DocKind, ReviewKind, ReviewStatus
from ml_connector.sync.gl.rules import GlRules
from ml_connector.sync.summary import CycleSummary, DocumentOutcome, Outcome

BASE_ID = 9_300_000
HAJOCA = (604, "Hajoca Corporation")
CRESCENT = (607, "Crescent Electric Supply Co.")
MATERIALS_0 = 311  # ServiceTitan budget code "01-100" (Rough-In / Materials)
SERVICE_MATERIALS = 331  # "03-100" (Service / Materials)
SUBCONTRACT = 313  # "01-300"

JOB_RULES = """
[job_cost]
jobs = { "ST-BIG" = "40020" }

[[job_cost.cost_code]]
name = "Materials"
when = { budget_code = "*-100" }
cost_code_from = "budget_code"
cost_type = "M"

[[job_cost.cost_code]]
name = "Subcontract"
when = { budget_code = "*-300" }
cost_code_from = "budget_code"
cost_type = "S"
"""


def _outcome(summary: CycleSummary, bill_id: int) -> DocumentOutcome:
    found = [o for o in summary.outcomes if o.kind is DocKind.AP_BILL and o.doc_id == bill_id]
    assert found, f"bill {bill_id} was not handled: {summary.errors}"
    return found[0]


def _rows(world: World, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(world.sage_root / "ABC.sqlite") as conn:
        return [tuple(r) for r in conn.execute(sql, params).fetchall()]


def _review(world: World, bill_id: int) -> Any:
    with world.store.transaction() as tx:
        items = tx.list_reviews(PAIR, ReviewStatus.OPEN)
    found = [i for i in items if i.doc_id == bill_id]
    assert len(found) == 1, [i.reason for i in items if i.doc_id == bill_id]
    return found[0]


def _with_budget(bill: dict[str, Any], *budget_codes: int) -> dict[str, Any]:
    for line, code in zip(bill["expenseItems"], budget_codes, strict=True):
        line["budgetCodeId"] = code
    return bill


def test_tax_and_freight_go_to_the_header_and_balance(world: World) -> None:
    # no tax/freight account configured: the division's accounts, in the header
    settings = replace(world.settings, tax_account=None, freight_account=None)
    bill = ap_bill(
        BASE_ID + 1, reference="TF-1", amount="132.50", tax="7.50", freight="25.00",
        job_number=None,
    )  # fmt: skip
    world.st.upsert("ap-bills", [bill])
    summary = world.cycle(settings=settings)
    assert _outcome(summary, BASE_ID + 1).outcome is Outcome.WRITTEN, summary.errors
    header = _rows(
        world,
        "SELECT InvoiceAmt, SalesTaxAmt, FreightAmt, TaxableAmt + NonTaxableAmt "
        "FROM AP_InvoiceHeader WHERE VendorNo = 'FERGUS' AND InvoiceNo = 'TF-1'",
    )
    assert header == [(132.5, 7.5, 25.0, 100.0)]
    lines = _rows(
        world,
        "SELECT DistributionAmt FROM AP_InvoiceDetail WHERE VendorNo = 'FERGUS' "
        "AND InvoiceNo = 'TF-1'",
    )
    assert lines == [(100.0,)]  # tax and freight are not distribution lines


def test_tax_freight_lines_setting_keeps_them_as_distribution_lines(world: World) -> None:
    settings = replace(world.settings, tax_account=None, freight_account=None, tax_freight="lines")
    bill = ap_bill(
        BASE_ID + 2, reference="TF-2", amount="132.50", tax="7.50", freight="25.00",
        job_number=None,
    )  # fmt: skip
    world.st.upsert("ap-bills", [bill])
    summary = world.cycle(settings=settings)
    assert _outcome(summary, BASE_ID + 2).outcome is Outcome.WRITTEN, summary.errors
    assert _rows(
        world,
        "SELECT SalesTaxAmt, FreightAmt FROM AP_InvoiceHeader WHERE InvoiceNo = 'TF-2'",
    ) == [(0.0, 0.0)]
    amounts = _rows(world, "SELECT DistributionAmt FROM AP_InvoiceDetail WHERE InvoiceNo = 'TF-2'")
    assert sorted(a for (a,) in amounts) == [7.5, 25.0, 100.0]


def test_an_account_other_than_the_divisions_keeps_tax_on_a_line(world: World) -> None:
    # the world's settings name other tax and freight accounts than the division's
    bill = ap_bill(BASE_ID + 3, reference="TF-3", amount="107.50", tax="7.50", job_number=None)
    world.st.upsert("ap-bills", [bill])
    summary = world.cycle()
    assert _outcome(summary, BASE_ID + 3).outcome is Outcome.WRITTEN, summary.errors
    assert _rows(world, "SELECT SalesTaxAmt FROM AP_InvoiceHeader WHERE InvoiceNo = 'TF-3'") == [
        (0.0,)
    ]
    assert len(_rows(world, "SELECT 1 FROM AP_InvoiceDetail WHERE InvoiceNo = 'TF-3'")) == 2


def test_a_vendor_whose_tax_schedule_computes_tax_goes_to_review(world: World) -> None:
    world.link(HAJOCA[0], "HAJOCA")
    bill = ap_bill(
        BASE_ID + 4, reference="HAJ-4", amount="107.50", tax="7.50", vendor=HAJOCA,
        job_number=None,
    )  # fmt: skip
    world.st.upsert("ap-bills", [bill])
    summary = world.cycle()
    assert _outcome(summary, BASE_ID + 4).outcome is Outcome.REVIEW
    item = _review(world, BASE_ID + 4)
    assert item.kind is ReviewKind.SAGE_VENDOR_SETUP
    assert "AP bill 9300004 (ref HAJ-4)" in item.reason
    assert "00-HAJOCA" in item.reason
    assert "tax schedule OHFRANK" in item.reason
    assert _rows(world, "SELECT 1 FROM AP_InvoiceHeader WHERE InvoiceNo = 'HAJ-4'") == []


def test_the_refusal_is_needed_sage_would_compute_tax_on_top(world: World) -> None:
    """Listing OHFRANK as non-taxing (wrongly) lets the bill through to Sage, which then
    computes its own tax: the write is refused as out of balance, naming the schedule."""
    world.link(HAJOCA[0], "HAJOCA")
    settings = replace(world.settings, non_taxing_tax_schedules=("OHFRANK",))
    bill = ap_bill(
        BASE_ID + 5, reference="HAJ-5", amount="107.50", tax="7.50", vendor=HAJOCA,
        job_number=None,
    )  # fmt: skip
    world.st.upsert("ap-bills", [bill])
    summary = world.cycle(settings=settings)
    assert _outcome(summary, BASE_ID + 5).outcome is Outcome.REVIEW
    item = _review(world, BASE_ID + 5)
    assert item.kind is ReviewKind.SAGE_REJECTED
    assert "out of balance" in item.reason
    assert "OHFRANK" in item.reason


def test_a_vendor_with_a_non_taxing_schedule_is_written(world: World) -> None:
    world.link(HAJOCA[0], "HAJOCA")
    with sqlite3.connect(world.sage_root / "ABC.sqlite") as conn:
        conn.execute("UPDATE AP_Vendor SET TaxSchedule = 'NONTAX' WHERE VendorNo = 'HAJOCA'")
    world.reopen_sage()
    settings = replace(world.settings, non_taxing_tax_schedules=("nontax",))
    bill = ap_bill(BASE_ID + 6, reference="HAJ-6", amount="100.00", vendor=HAJOCA, job_number=None)
    world.st.upsert("ap-bills", [bill])
    summary = world.cycle(settings=settings)
    assert _outcome(summary, BASE_ID + 6).outcome is Outcome.WRITTEN, summary.errors


def test_a_receipt_of_invoice_vendor_goes_to_review(world: World) -> None:
    world.link(CRESCENT[0], "CRESCEN")
    bill = ap_bill(BASE_ID + 7, reference="CR-7", amount="80.00", vendor=CRESCENT)
    bill["billType"] = "Procurement"
    world.st.upsert("ap-bills", [bill])
    summary = world.cycle()
    assert _outcome(summary, BASE_ID + 7).outcome is Outcome.REVIEW
    item = _review(world, BASE_ID + 7)
    assert item.kind is ReviewKind.SAGE_VENDOR_SETUP
    assert "AP bill 9300007 (ref CR-7)" in item.reason
    assert "00-CRESCEN" in item.reason
    assert "P/O Receipt of Invoice" in item.reason
    assert _rows(world, "SELECT 1 FROM AP_InvoiceHeader WHERE VendorNo = 'CRESCEN'") == []


def _job_settings(world: World) -> Any:
    return replace(world.settings, gl_rules=GlRules.parse_toml(JOB_RULES, source="jc.toml"))


def test_job_cost_lines_are_written_with_job_cost_code_and_type(world: World) -> None:
    bill = _with_budget(
        ap_bill(
            BASE_ID + 8, reference="JC-8", amount="300.00", job_number="40012",
            lines=[("100.00", RENT_GL), ("200.00", RENT_GL)],
        ),
        MATERIALS_0, SUBCONTRACT,
    )  # fmt: skip
    mapped = _with_budget(
        ap_bill(BASE_ID + 9, reference="JC-9", amount="50.00", job_number="ST-BIG"), MATERIALS_0
    )
    world.st.upsert("ap-bills", [bill, mapped])
    summary = world.cycle(settings=_job_settings(world))
    assert _outcome(summary, BASE_ID + 8).outcome is Outcome.WRITTEN, summary.errors
    assert _outcome(summary, BASE_ID + 9).outcome is Outcome.WRITTEN, summary.errors
    lines = _rows(
        world,
        "SELECT DistributionAmt, JobNo, CostCode, CostType FROM AP_InvoiceDetail "
        "WHERE InvoiceNo IN ('JC-8', 'JC-9') ORDER BY InvoiceNo, LineKey",
    )
    assert lines == [
        (100.0, "40012", "01-100", "M"),
        (200.0, "40012", "01-300", "S"),
        (50.0, "40020", "01-100", "M"),  # ServiceTitan job ST-BIG is Sage job 40020
    ]


@pytest.mark.parametrize(
    ("job", "budget", "line", "why"),
    [
        ("40011", SERVICE_MATERIALS, 1, "cost code 03-100 cost type M (rule 'Materials') is "
         "not set up on Sage job 40011"),
        ("40007", MATERIALS_0, 0, "job 40007 is not active in Sage"),
        ("49999", MATERIALS_0, 0, "job 49999 is not on file in Sage Job Cost"),
        ("40012", 314, 1, "no [[job_cost.cost_code]] rule applies to budget code '01-400'"),
    ],
)  # fmt: skip
def test_a_line_without_a_valid_sage_job_cost_goes_to_review(
    world: World, job: str, budget: int, line: int, why: str
) -> None:
    bill = _with_budget(
        ap_bill(
            BASE_ID + 10, reference="JC-10", amount="300.00", job_number=job,
            lines=[("100.00", RENT_GL), ("200.00", RENT_GL)],
        ),
        MATERIALS_0 if budget != MATERIALS_0 else SUBCONTRACT, budget,
    )  # fmt: skip
    world.st.upsert("ap-bills", [bill])
    summary = world.cycle(settings=_job_settings(world))
    outcome = _outcome(summary, BASE_ID + 10)
    assert outcome.outcome is Outcome.REVIEW
    item = _review(world, BASE_ID + 10)
    assert item.kind is ReviewKind.UNMAPPED_JOB_COST
    assert item.suggestion.startswith("set up the job's cost code in Sage Job Cost")
    bad_line = f"expense {(BASE_ID + 10) * 10 + line}"
    assert item.reason.startswith(f"AP bill {BASE_ID + 10} (ref JC-10): {bad_line} ")
    assert why in item.reason
    assert _rows(world, "SELECT 1 FROM AP_InvoiceHeader WHERE InvoiceNo = 'JC-10'") == []


def test_the_adapter_reads_vendor_setup_and_jobs(world: World) -> None:
    from ml_connector.sage100.port import DivisionNo, SageVendorNo

    hajoca = world.sage.vendor(DivisionNo("00"), SageVendorNo("HAJOCA"))
    crescent = world.sage.vendor(DivisionNo("00"), SageVendorNo("CRESCEN"))
    assert hajoca is not None
    assert hajoca.tax_schedule == "OHFRANK"
    assert crescent is not None
    assert crescent.receipt_of_invoice
    company = world.sage.company()
    assert company.sales_tax_in_ap
    assert company.job_cost
    job = world.sage.job("40011")
    assert job is not None
    assert job.is_active
    assert job.has("01-100", "M")
    assert not job.has("03-100", "M")
    assert world.sage.job("49999") is None


def test_the_adapter_refuses_header_amounts_that_do_not_balance(world: World) -> None:
    from datetime import date

    from ml_connector.sage100.port import (
        AccountKey,
        ApInvoiceKey,
        ApInvoiceLine,
        DivisionNo,
        NewApInvoice,
        SageInvoiceNo,
        SageVendorNo,
    )

    key = ApInvoiceKey(DivisionNo("00"), SageVendorNo("FERGUS"), SageInvoiceNo("BAL-1"))
    line = ApInvoiceLine(AccountKey(world.account_key("6400-00-100")), Decimal("100.00"))
    invoice = NewApInvoice(
        key, date(2026, 1, 10), Decimal("110.00"), (line,), sales_tax=Decimal("7.50")
    )
    with pytest.raises(SageRejectedError, match=r"less sales tax 7.50 and freight 0.00 = 102.50"):
        world.sage.create_invoice(invoice)
