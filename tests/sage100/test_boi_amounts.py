"""The invoice's money as Sage holds it: the balance with header tax and freight, and what
the read-back calls a difference (pure parts of `boi_amounts`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ml_connector.sage100.boi_amounts import ReadBack, amount_problem, read_back_problems
from ml_connector.sage100.port import (
    AccountKey,
    ApInvoiceKey,
    ApInvoiceLine,
    DivisionNo,
    NewApInvoice,
    SageInvoiceNo,
    SageVendorNo,
)

KEY = ApInvoiceKey(DivisionNo("00"), SageVendorNo("FERGUS"), SageInvoiceNo("X-1"))


def _invoice(
    *lines: ApInvoiceLine, amount: str, tax: str = "0", freight: str = "0"
) -> NewApInvoice:
    return NewApInvoice(
        KEY,
        date(2026, 1, 10),
        Decimal(amount),
        lines,
        sales_tax=Decimal(tax).quantize(Decimal("0.01")),
        freight=Decimal(freight).quantize(Decimal("0.01")),
    )


def _line(amount: str, job: str = "", code: str = "", cost_type: str = "") -> ApInvoiceLine:
    return ApInvoiceLine(AccountKey("000000001"), Decimal(amount), "", job, code, cost_type)


def test_lines_plus_header_tax_and_freight_must_make_the_amount() -> None:
    assert (
        amount_problem(_invoice(_line("100.00"), amount="132.50", tax="7.50", freight="25")) is None
    )
    problem = amount_problem(_invoice(_line("100.00"), amount="132.50", tax="7.50"))
    assert problem is not None
    assert "less sales tax 7.50 and freight 0.00 = 125.00 (difference 25.00)" in problem


def test_job_cost_lines_need_all_three_parts() -> None:
    problem = amount_problem(_invoice(_line("10.00", code="01-100", cost_type="M"), amount="10"))
    assert problem == "line 1: a Job Cost line needs a job, a cost code and a cost type"
    assert amount_problem(_invoice(_line("10.00", "40012", "01-100", "M"), amount="10")) is None


def test_read_back_names_computed_tax_and_other_differences() -> None:
    inv = _invoice(_line("100.00", "40012", "01-100", "M"), amount="107.50", tax="7.50")
    same = ReadBack(
        {"sales tax": Decimal("7.50"), "freight": Decimal("0.00"),
         "taxable": Decimal("100.00"), "non-taxable": Decimal("0.00")},
        (("40012", "01-100", "M"),),
    )  # fmt: skip
    assert read_back_problems(inv, same) == []
    computed = ReadBack({**same.header, "sales tax": Decimal("8.06")}, same.jobs)
    assert read_back_problems(inv, computed) == [
        "sales tax 8.06 instead of 7.50 (Sage computed tax: check the vendor's tax schedule)"
    ]
    other_job = ReadBack(same.header, (("40012", "01-100", "S"),))
    assert read_back_problems(inv, other_job) == [
        "job cost [('40012', '01-100', 'S')] instead of [('40012', '01-100', 'M')]"
    ]


def test_columns_sage_does_not_answer_for_are_not_compared() -> None:
    inv = _invoice(_line("100.00"), amount="100.00")
    unknown = ReadBack(
        {"sales tax": None, "freight": None, "taxable": None, "non-taxable": None}, None
    )
    assert read_back_problems(inv, unknown) == []
    unreported = ReadBack(
        dict.fromkeys(("sales tax", "freight", "taxable", "non-taxable"), Decimal("0.00")),
        None,
    )  # fmt: skip
    assert read_back_problems(inv, unreported) == []
    wrong = ReadBack({**unreported.header, "non-taxable": Decimal("90.00")}, None)
    assert read_back_problems(inv, wrong) == ["taxable 0.00 + non-taxable 90.00 instead of 100.00"]
