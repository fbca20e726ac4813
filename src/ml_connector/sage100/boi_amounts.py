"""The money of an AP invoice as Sage holds it: header amounts, balance, Job Cost fields.

Sales tax and freight either travel as distribution lines or in the header's `SalesTaxAmt`
/ `FreightAmt` (posted by Sage to the division's accounts). Either way the lines plus the
header tax and freight must add up to the invoice amount (a zero undistributed balance).
Sage computes `TaxableAmt` / `NonTaxableAmt` from the lines, and computes `SalesTaxAmt`
itself when the invoice's tax schedule has a rate: the read-back compares all four.

`amount_problem` is pure and runs before Sage is asked; `read_back` runs on the BOI thread
inside the invoice's read-back (header amounts, and each line's job, cost code and cost
type when the invoice has Job Cost lines), `read_back_problems` compares.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ml_connector.money import CENT, money_sum
from ml_connector.sage100.boi_calls import return_code
from ml_connector.sage100.port import COST_CODE_LEN, COST_TYPE_LEN, NewApInvoice
from ml_connector.sage100.settings import BoiColumns


def amount_problem(inv: NewApInvoice) -> str | None:
    """Why the amounts or Job Cost fields cannot go to Sage as they are, or None."""
    for n, line in enumerate(inv.lines, start=1):
        if len(line.cost_code) > COST_CODE_LEN or len(line.cost_type) > COST_TYPE_LEN:
            return (
                f"line {n}: cost code {line.cost_code!r} / cost type {line.cost_type!r} do "
                "not fit Sage"
            )
        if (line.cost_code or line.cost_type) and not (
            line.job_no and line.cost_code and line.cost_type
        ):
            return f"line {n}: a Job Cost line needs a job, a cost code and a cost type"
    for what, value in (
        ("invoice amount", inv.amount),
        ("sales tax", inv.sales_tax),
        ("freight", inv.freight),
    ):
        if value != value.quantize(CENT):
            return f"{what} {value} has more than 2 decimals"
    total = money_sum([line.amount for line in inv.lines])
    if total == inv.distributed:
        return None
    extra = (
        f" less sales tax {inv.sales_tax} and freight {inv.freight} = {inv.distributed}"
        if inv.sales_tax or inv.freight
        else ""
    )
    return (
        f"the lines do not balance: they add up to {total} but the invoice amount is "
        f"{inv.amount}{extra} (difference {inv.distributed - total}); Sage would leave it "
        "undistributed"
    )


@dataclass(frozen=True, slots=True)
class ReadBack:
    header: dict[str, Decimal | None]  # None: a column Sage does not answer for
    jobs: tuple[tuple[str, str, str], ...] | None  # per line; None: no Job Cost lines sent


def read_back(bus: Any, columns: BoiColumns, inv: NewApInvoice, record: str) -> ReadBack:
    """Sales tax, freight, taxable and non-taxable amounts as Sage reports them, and each
    line's JobNo / CostCode / CostType when Job Cost lines were sent."""
    header = {
        "sales tax": _optional(bus, columns.sales_tax_amount, record),
        "freight": _optional(bus, columns.freight_amount, record),
        "taxable": _optional(bus, columns.taxable_amount, record),
        "non-taxable": _optional(bus, columns.non_taxable_amount, record),
    }
    if not any(line.job_no for line in inv.lines):
        return ReadBack(header, None)
    lines = bus.oLines
    names = ("JobNo$", f"{columns.line_cost_code}$", f"{columns.line_cost_type}$")
    jobs: list[tuple[str, str, str]] = []
    moved = return_code(lines.nMoveFirst())
    while moved and return_code(lines.nEOF()) == 0:
        got = [_text(lines, name) for name in names]
        jobs.append((got[0], got[1], got[2]))
        moved = return_code(lines.nMoveNext())
    return ReadBack(header, tuple(jobs))


def read_back_problems(inv: NewApInvoice, back: ReadBack) -> list[str]:
    """Header tax and freight as sent; taxable + non-taxable equal to the distribution; the
    lines' Job Cost as sent (in any order)."""
    problems = _header_problems(inv, back.header)
    if back.jobs is not None:
        want = sorted((x.job_no, x.cost_code, x.cost_type) for x in inv.lines)
        if sorted(back.jobs) != want:
            problems.append(f"job cost {sorted(back.jobs)} instead of {want}")
    return problems


def _header_problems(inv: NewApInvoice, header: dict[str, Decimal | None]) -> list[str]:
    problems = []
    tax, freight = header["sales tax"], header["freight"]
    if tax is not None and tax != inv.sales_tax:
        problems.append(
            f"sales tax {tax} instead of {inv.sales_tax} (Sage computed tax: check the "
            "vendor's tax schedule)"
        )
    if freight is not None and freight != inv.freight:
        problems.append(f"freight {freight} instead of {inv.freight}")
    taxable, non_taxable = header["taxable"], header["non-taxable"]
    if taxable is None or non_taxable is None or not (taxable or non_taxable):
        return problems  # not reported by this Sage
    if taxable + non_taxable != inv.distributed:
        problems.append(
            f"taxable {taxable} + non-taxable {non_taxable} instead of {inv.distributed}"
        )
    return problems


def _text(obj: Any, column: str) -> str:
    answer = obj.nGetValue(column, "")
    if not isinstance(answer, tuple) or len(answer) != 2 or return_code(answer[0]) == 0:
        return ""
    return "" if answer[1] is None else str(answer[1]).strip()


def _optional(obj: Any, column: str, record: str) -> Decimal | None:
    from ml_connector.sage100.boi_reads import sage_money

    answer = obj.nGetValue(column, 0.0)
    if not isinstance(answer, tuple) or len(answer) != 2 or return_code(answer[0]) == 0:
        return None
    return sage_money("0" if answer[1] is None else str(answer[1]), source=record)
