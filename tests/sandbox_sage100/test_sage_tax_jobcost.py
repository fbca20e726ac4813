"""The Sage sandbox's tax schedules, header tax and freight, and Job Cost lines, as Sage does
them: tax computed under a schedule with a rate, header amounts in the balance, job lines
checked against the job's cost codes, and none of it without the A/P or Job Cost setup."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from ml_connector.sandbox.sage100 import ProvideXScript, SySession
from ml_connector.sandbox.sage100.testing import account_key, logged_on, make_root


def _start(pvx: ProvideXScript, ss: SySession, vendor: str, invoice_no: str, amount: float) -> Any:
    inv: Any = pvx.NewObject("AP_Invoice_bus", ss)
    for col, part in (("APDivisionNo$", "00"), ("VendorNo$", vendor), ("InvoiceNo$", invoice_no)):
        assert inv.nSetKeyValue(col, part) == 1
    assert inv.nSetKey() == 2
    assert inv.nSetValue("InvoiceDate$", "20261120") == 1
    assert inv.nSetValue("InvoiceAmt", amount) == 1
    return inv


def _line(pvx: ProvideXScript, ss: SySession, inv: Any, amount: float, **job: str) -> int:
    lines = inv.oLines
    assert lines.nAddLine() == 2
    assert lines.nSetValue("AccountKey$", account_key(pvx, ss, "5000-01-100")) == 1
    assert lines.nSetValue("DistributionAmt", amount) == 1
    for column, value in job.items():
        assert lines.nSetValue(f"{column}$", value) == 1, lines.sLastErrorMsg
    return int(lines.nWrite())


def _header(root: Path, invoice_no: str) -> tuple[Any, ...]:
    with sqlite3.connect(root / "ABC.sqlite") as conn:
        row = conn.execute(
            "SELECT InvoiceAmt, SalesTaxAmt, FreightAmt, TaxableAmt, NonTaxableAmt, TaxSchedule "
            "FROM AP_InvoiceHeader WHERE InvoiceNo = ?",
            (invoice_no,),
        ).fetchone()
    return tuple(row)


def test_header_tax_and_freight_count_in_the_balance(root: Path) -> None:
    pvx, ss = logged_on(root)
    inv = _start(pvx, ss, "FERGUS", "TAX-1", 132.50)
    assert inv.nSetValue("SalesTaxAmt", 7.50) == 1
    assert inv.nSetValue("FreightAmt", 25.00) == 1
    assert _line(pvx, ss, inv, 100.00) == 1
    assert inv.nWrite() == 1, inv.sLastErrorMsg
    assert _header(root, "TAX-1") == (132.5, 7.5, 25.0, 0.0, 100.0, "")

    short = _start(pvx, ss, "FERGUS", "TAX-2", 132.50)
    assert short.nSetValue("SalesTaxAmt", 7.50) == 1
    assert _line(pvx, ss, short, 100.00) == 1  # freight missing: 25.00 undistributed
    assert short.nWrite() == 0
    assert "undistributed balance is 25.00" in short.sLastErrorMsg


def test_a_schedule_with_a_rate_makes_sage_compute_tax_on_top(root: Path) -> None:
    pvx, ss = logged_on(root)
    # Hajoca's tax schedule OHFRANK (7.5%) is copied to the invoice from the vendor
    # ServiceTitan charged 5.00 tax (its own rate); Sage computes 7.5% of the lines itself
    inv = _start(pvx, ss, "HAJOCA", "HAJ-1", 105.00)
    assert inv.nSetValue("SalesTaxAmt", 5.00) == 1
    assert _line(pvx, ss, inv, 100.00) == 1
    assert inv.nWrite() == 0
    message = inv.sLastErrorMsg
    assert "out of balance" in message
    assert "undistributed balance is -2.50" in message
    assert "sales tax 7.50 computed by tax schedule OHFRANK" in message
    # the tax ServiceTitan charged on a line as well: Sage adds 7.5% of 107.50 on top
    inv.nClear()
    again = _start(pvx, ss, "HAJOCA", "HAJ-2", 107.50)
    assert _line(pvx, ss, again, 107.50) == 1
    assert again.nWrite() == 0
    assert "sales tax 8.06 computed" in again.sLastErrorMsg


def test_without_sales_tax_in_ap_header_tax_cannot_be_entered(tmp_path: Path) -> None:
    root = make_root(tmp_path, seed="none")
    pvx, ss = logged_on(root)
    with sqlite3.connect(root / "ABC.sqlite") as conn:
        conn.execute(
            "INSERT INTO AP_Vendor (APDivisionNo, VendorNo, VendorName, VendorStatus) "
            "VALUES ('00', 'ACME', 'Acme', 'A')"
        )
    inv = _start(pvx, ss, "ACME", "NOTAX-1", 10.0)
    assert inv.nSetValue("SalesTaxAmt", 1.0) == 0
    assert "A/P does not calculate sales tax" in inv.sLastErrorMsg
    assert inv.nSetValue("FreightAmt", 1.0) == 0


def test_job_cost_lines_are_checked_against_the_jobs_cost_codes(root: Path) -> None:
    pvx, ss = logged_on(root)
    inv = _start(pvx, ss, "FERGUS", "JOB-1", 100.0)
    assert _line(pvx, ss, inv, 100.0, JobNo="40012", CostCode="01-100", CostType="M") == 1
    assert inv.nWrite() == 1, inv.sLastErrorMsg
    with sqlite3.connect(root / "ABC.sqlite") as conn:
        row = conn.execute(
            "SELECT JobNo, CostCode, CostType FROM AP_InvoiceDetail WHERE InvoiceNo = 'JOB-1'"
        ).fetchone()
    assert tuple(row) == ("40012", "01-100", "M")

    bad = _start(pvx, ss, "FERGUS", "JOB-2", 100.0)
    refusals = {
        ("40011", "03-100", "M"): "Cost code 03-100 cost type M is not on file for job 40011.",
        ("40012", "01-100", "S"): "Cost code 01-100 cost type S is not on file for job 40012.",
        ("40007", "01-100", "M"): "Job 40007 is not active.",
        ("49999", "01-100", "M"): "Job 49999 is not on file.",
    }
    for (job, code, cost_type), message in refusals.items():
        assert _line(pvx, ss, bad, 100.0, JobNo=job, CostCode=code, CostType=cost_type) == 0
        assert bad.oLines.sLastErrorMsg == message


def test_a_company_without_job_cost_refuses_job_lines(tmp_path: Path) -> None:
    root = make_root(tmp_path, seed="none")
    pvx, ss = logged_on(root)
    with sqlite3.connect(root / "ABC.sqlite") as conn:
        conn.execute(
            "INSERT INTO AP_Vendor (APDivisionNo, VendorNo, VendorName, VendorStatus) "
            "VALUES ('00', 'ACME', 'Acme', 'A')"
        )
        conn.execute(
            "INSERT INTO GL_Account (AccountKey, Account, RawAccount, Status) "
            "VALUES ('000000001', '5000-01-100', '500001100', 'A')"
        )
    inv = _start(pvx, ss, "ACME", "NOJC-1", 10.0)
    assert _line(pvx, ss, inv, 10.0, JobNo="40012", CostCode="01-100", CostType="M") == 0
    assert "Job Cost is not integrated with A/P" in inv.oLines.sLastErrorMsg


def test_tax_computed_per_line_shows_before_the_header_is_written(root: Path) -> None:
    """`tax_computed = "per_line"`: Sage's tax is there as soon as a line is written, and a
    tax entered after the lines stands; at the default ("at_write") only nWrite computes."""
    from ml_connector.sandbox.sage100 import SandboxBehaviour

    for when, after_line in (("per_line", 7.5), ("at_write", 5.0)):
        pvx, ss = logged_on(root, behaviour=SandboxBehaviour(tax_computed=when))  # type: ignore[arg-type]
        inv = _start(pvx, ss, "HAJOCA", f"PL-{when[:2]}", 105.00)
        assert inv.nSetValue("SalesTaxAmt", 5.00) == 1
        assert _line(pvx, ss, inv, 100.00) == 1
        assert inv.nGetValue("SalesTaxAmt")[1] == after_line
        inv.nClear()
    pvx, ss = logged_on(root, behaviour=SandboxBehaviour(tax_computed="per_line"))
    inv = _start(pvx, ss, "HAJOCA", "PL-3", 105.00)
    assert _line(pvx, ss, inv, 100.00) == 1
    assert inv.nSetValue("SalesTaxAmt", 5.00) == 1  # entered after the lines: it stands
    assert inv.nWrite() == 1, inv.sLastErrorMsg
    assert _header(root, "PL-3")[:2] == (105.0, 5.0)


def test_receipt_of_invoice_and_zero_rate_switches(root: Path) -> None:
    from ml_connector.sandbox.sage100 import SandboxBehaviour

    with sqlite3.connect(root / "ABC.sqlite") as conn:
        conn.execute("UPDATE AP_Vendor SET TaxSchedule = 'NONTAX' WHERE VendorNo = 'HAJOCA'")
    pvx, ss = logged_on(root)  # defaults: both accepted
    inv = _start(pvx, ss, "CRESCEN", "RI-1", 10.00)
    inv.nClear()
    inv = _start(pvx, ss, "HAJOCA", "ZR-1", 10.00)
    assert inv.nSetValue("SalesTaxAmt", 1.00) == 1
    inv.nClear()
    strict = SandboxBehaviour(receipt_of_invoice="refuse", zero_rate_tax="refuse")
    pvx, ss = logged_on(root, behaviour=strict)
    inv = pvx.NewObject("AP_Invoice_bus", ss)
    for col, part in (("APDivisionNo$", "00"), ("VendorNo$", "CRESCEN"), ("InvoiceNo$", "RI-2")):
        inv.nSetKeyValue(col, part)
    assert inv.nSetKey() == 0
    assert "uses P/O Receipt of Invoice Entry" in inv.sLastErrorMsg
    inv = _start(pvx, ss, "HAJOCA", "ZR-2", 10.00)
    assert inv.nSetValue("SalesTaxAmt", 1.00) == 0
    assert inv.sLastErrorMsg == "Sales tax cannot be entered: tax schedule NONTAX computes no tax."
    assert inv.nSetValue("SalesTaxAmt", 0.0) == 1
