"""The Sage sandbox's switches for what no public source settles about tax and P/O Receipt of
Invoice (`SandboxBehaviour.receipt_of_invoice`, `.tax_computed`, `.zero_rate_tax`): the
engine and the BOI adapter do the right thing, or refuse clearly, under either setting."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from engine_bills import ap_bill
from engine_world import World
from test_engine_tax_jobcost import CRESCENT, HAJOCA, _outcome, _review

from ml_connector.sage100.errors import SageRejectedError
from ml_connector.sage100.port import (
    AccountKey,
    ApInvoiceKey,
    ApInvoiceLine,
    DivisionNo,
    NewApInvoice,
    SageInvoiceNo,
    SageVendorNo,
)
from ml_connector.sandbox.sage100 import SandboxBehaviour
from ml_connector.store.port import ReviewKind
from ml_connector.sync.summary import Outcome

BASE_ID = 9_400_000


def _header(world: World, invoice_no: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(world.sage_root / "ABC.sqlite") as conn:
        return [
            tuple(r)
            for r in conn.execute(
                "SELECT VendorNo, InvoiceAmt, SalesTaxAmt, FreightAmt FROM AP_InvoiceHeader "
                "WHERE InvoiceNo = ?",
                (invoice_no,),
            )
        ]


def _header_settings(world: World, **changes: Any) -> Any:
    """Tax and freight in the header (no other account configured than the division's)."""
    return replace(world.settings, tax_account=None, freight_account=None, **changes)


def _invoice(world: World, vendor: str, number: str, lines: str, tax: str = "0") -> NewApInvoice:
    line = ApInvoiceLine(AccountKey(world.account_key("6400-00-100")), Decimal(lines))
    return NewApInvoice(
        ApInvoiceKey(DivisionNo("00"), SageVendorNo(vendor), SageInvoiceNo(number)),
        date(2026, 1, 10),
        Decimal(lines) + Decimal(tax),
        (line,),
        sales_tax=Decimal(tax),
    )


def _nontax(world: World, vendor: str) -> None:
    with sqlite3.connect(world.sage_root / "ABC.sqlite") as conn:
        conn.execute("UPDATE AP_Vendor SET TaxSchedule = 'NONTAX' WHERE VendorNo = ?", (vendor,))


# ---- P/O Receipt of Invoice vendors in A/P Invoice Data Entry --------------------------


@pytest.mark.parametrize("setting", ["accept", "refuse"])
def test_receipt_of_invoice_vendors_go_to_review_either_way(world: World, setting: str) -> None:
    world.reopen_sage(SandboxBehaviour(receipt_of_invoice=setting))  # type: ignore[arg-type]
    world.link(CRESCENT[0], "CRESCEN")
    bill = ap_bill(BASE_ID + 1, reference="RI-1", amount="80.00", vendor=CRESCENT)
    bill["billType"] = "Procurement"
    world.st.upsert("ap-bills", [bill])
    summary = world.cycle()
    assert _outcome(summary, BASE_ID + 1).outcome is Outcome.REVIEW
    assert _review(world, BASE_ID + 1).kind is ReviewKind.SAGE_VENDOR_SETUP
    assert _header(world, "RI-1") == []


def test_receipt_of_invoice_refused_by_sage_is_a_clear_refusal(world: World) -> None:
    """Where Sage itself refuses such a vendor in data entry, the adapter says so (SKIP,
    Sage's words) and leaves nothing behind; the next invoice is written as usual."""
    world.reopen_sage(SandboxBehaviour(receipt_of_invoice="refuse"))
    with pytest.raises(SageRejectedError) as err:
        world.sage.create_invoice(_invoice(world, "CRESCEN", "RI-2", "80.00"))
    assert "P/O Receipt of Invoice" in (err.value.sage_message or err.value.message)
    assert "00-CRESCEN" in err.value.message
    assert _header(world, "RI-2") == []
    world.sage.create_invoice(_invoice(world, "FERGUS", "RI-3", "80.00"))
    assert _header(world, "RI-3") == [("FERGUS", 80.0, 0.0, 0.0)]


def test_receipt_of_invoice_accepted_by_sage_the_adapter_writes(world: World) -> None:
    """Sage's default here (its help: entering it in Invoice Data Entry is possible): the
    adapter alone would write it, which is why the engine's vendor-setup review exists."""
    world.sage.create_invoice(_invoice(world, "CRESCEN", "RI-4", "80.00"))
    assert _header(world, "RI-4") == [("CRESCEN", 80.0, 0.0, 0.0)]


# ---- when Sage computes a schedule's tax -----------------------------------------------


@pytest.mark.parametrize("when", ["at_write", "per_line"])
def test_header_tax_and_freight_are_written_whenever_sage_computes_tax(
    world: World, when: str
) -> None:
    world.reopen_sage(SandboxBehaviour(tax_computed=when))  # type: ignore[arg-type]
    bill = ap_bill(
        BASE_ID + 5, reference="TW-5", amount="132.50", tax="7.50", freight="25.00",
        job_number=None,
    )  # fmt: skip
    world.st.upsert("ap-bills", [bill])
    summary = world.cycle(settings=_header_settings(world))
    assert _outcome(summary, BASE_ID + 5).outcome is Outcome.WRITTEN, summary.errors
    assert _header(world, "TW-5") == [("FERGUS", 132.5, 7.5, 25.0)]


@pytest.mark.parametrize("when", ["at_write", "per_line"])
def test_a_schedule_that_computes_tax_is_refused_whenever_sage_computes_it(
    world: World, when: str
) -> None:
    """OHFRANK wrongly listed as non-taxing: Sage's own tax replaces the bill's, whether at
    nWrite or as each line is written (the adapter sets tax before the lines), and the
    write is refused naming the schedule; nothing is written."""
    world.reopen_sage(SandboxBehaviour(tax_computed=when))  # type: ignore[arg-type]
    world.link(HAJOCA[0], "HAJOCA")
    settings = _header_settings(world, non_taxing_tax_schedules=("OHFRANK",))
    bill = ap_bill(
        BASE_ID + 6, reference="TW-6", amount="105.00", tax="5.00", vendor=HAJOCA,
        job_number=None,
    )  # fmt: skip
    world.st.upsert("ap-bills", [bill])
    summary = world.cycle(settings=settings)
    assert _outcome(summary, BASE_ID + 6).outcome is Outcome.REVIEW
    item = _review(world, BASE_ID + 6)
    assert item.kind is ReviewKind.SAGE_REJECTED
    assert "out of balance" in item.reason
    assert "tax schedule OHFRANK" in item.reason
    assert _header(world, "TW-6") == []


@pytest.mark.parametrize("when", ["at_write", "per_line"])
def test_the_adapter_reads_back_what_sage_keeps_whenever_it_computes(
    world: World, when: str
) -> None:
    world.reopen_sage(SandboxBehaviour(tax_computed=when))  # type: ignore[arg-type]
    _nontax(world, "HAJOCA")
    world.sage.create_invoice(_invoice(world, "HAJOCA", "TW-7", "100.00", tax="7.50"))
    assert _header(world, "TW-7") == [("HAJOCA", 107.5, 7.5, 0.0)]


# ---- SalesTaxAmt under a schedule that computes no tax ---------------------------------


def test_tax_under_a_zero_rate_schedule_is_written_where_sage_accepts_it(world: World) -> None:
    _nontax(world, "HAJOCA")
    world.reopen_sage(SandboxBehaviour(zero_rate_tax="accept"))
    world.link(HAJOCA[0], "HAJOCA")
    settings = _header_settings(world, non_taxing_tax_schedules=("NONTAX",))
    bill = ap_bill(
        BASE_ID + 8, reference="ZR-8", amount="107.50", tax="7.50", vendor=HAJOCA,
        job_number=None,
    )  # fmt: skip
    world.st.upsert("ap-bills", [bill])
    summary = world.cycle(settings=settings)
    assert _outcome(summary, BASE_ID + 8).outcome is Outcome.WRITTEN, summary.errors
    assert _header(world, "ZR-8") == [("HAJOCA", 107.5, 7.5, 0.0)]


def test_tax_under_a_zero_rate_schedule_refused_by_sage_goes_to_review(world: World) -> None:
    _nontax(world, "HAJOCA")
    world.reopen_sage(SandboxBehaviour(zero_rate_tax="refuse"))
    world.link(HAJOCA[0], "HAJOCA")
    settings = _header_settings(world, non_taxing_tax_schedules=("NONTAX",))
    bill = ap_bill(
        BASE_ID + 9, reference="ZR-9", amount="107.50", tax="7.50", vendor=HAJOCA,
        job_number=None,
    )  # fmt: skip
    untaxed = ap_bill(
        BASE_ID + 10, reference="ZR-10", amount="100.00", vendor=HAJOCA, job_number=None
    )
    world.st.upsert("ap-bills", [bill, untaxed])
    summary = world.cycle(settings=settings)
    assert _outcome(summary, BASE_ID + 9).outcome is Outcome.REVIEW
    item = _review(world, BASE_ID + 9)
    assert item.kind is ReviewKind.SAGE_REJECTED
    assert "AP bill 9400009" in item.reason or "ZR-9" in item.reason
    assert "tax schedule NONTAX computes no tax" in item.reason
    assert _header(world, "ZR-9") == []
    # the refusal is that bill's alone: a bill without tax from the same vendor is written
    assert _outcome(summary, BASE_ID + 10).outcome is Outcome.WRITTEN, summary.errors
    assert _header(world, "ZR-10") == [("HAJOCA", 100.0, 0.0, 0.0)]
