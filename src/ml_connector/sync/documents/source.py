"""A ServiceTitan bill or routed invoice, normalised into one frozen `SourceDocument`.

Everything downstream (fingerprint, vendor resolution, GL mapping, the write) works on this
shape, never on the API records. Normalisation does no I/O and decides nothing; `problems`
says what makes a document unwritable as it stands (lines that do not add up to the total,
a missing date), with the numbers, so that a person can see why.

Amounts:
- AP bill material/equipment item: quantity x cost, rounded half-up to cents per line;
- AP bill expense item: its amount;
- tax (`taxAmount`) and freight (`shippingAmount`) become lines of their own;
- the total is `billAmount`; lines + tax + freight must equal it to the cent.
- Routed invoice: each item's `total`; tax is `salesTax`; the total is `total`.
Credits (negative totals) keep their sign: they become Sage credits.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ml_connector.money import ZERO, money_sum, to_money
from ml_connector.servicetitan.records import ApBill, GlAccountRef, Invoice
from ml_connector.store.port import DocKind, ReviewKind

LineKind = Literal["item", "expense", "invoice_item", "tax", "freight"]

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def plain_text(value: str | None) -> str:
    """ServiceTitan descriptions may carry HTML: tags dropped, entities decoded, one line."""
    if not value:
        return ""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", value))).strip()


@dataclass(frozen=True, slots=True)
class SourceLine:
    """One line to distribute: an amount and what is known to map it to a GL account."""

    ref: str  # "item 17", "expense 4", "tax", "freight"
    kind: LineKind
    amount: Decimal
    description: str = ""
    st_gl_account: str | None = None  # the ServiceTitan GL account number on the line
    budget_code_id: int | None = None
    business_unit: str | None = None
    job_number: str = ""


@dataclass(frozen=True, slots=True)
class SourceDocument:
    """A document from ServiceTitan that may become one Sage AP invoice."""

    kind: DocKind
    doc_id: int
    stream: str
    reference: str  # the full ServiceTitan reference number (the vendor's invoice number)
    total: Decimal | None  # billAmount / invoice total; None when ServiceTitan sent none
    lines: tuple[SourceLine, ...]
    document_date: date | None
    due_date: date | None = None
    st_vendor_id: int | None = None
    vendor_name: str = ""
    vendor_number: str | None = None  # the bill's vendorNumber
    hold_payment: bool = False  # the bill's doNotPay
    canceled: bool = False
    job_number: str = ""
    business_unit: str | None = None
    summary: str = ""
    modified_on: datetime | None = None
    bill_type: str = ""
    route: str = ""  # the routing rule that sent an invoice to AP
    custom_fields: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        """How a person recognises the document: 'AP bill 123 (ref INV-9)'."""
        what = "AP bill" if self.kind is DocKind.AP_BILL else "invoice"
        ref = f" (ref {self.reference})" if self.reference else ""
        return f"{what} {self.doc_id}{ref}"

    @property
    def lines_total(self) -> Decimal:
        return money_sum([line.amount for line in self.lines])

    def custom_field(self, name: str) -> str | None:
        for key, value in self.custom_fields:
            if key == name:
                return value
        return None


def _gl_number(*refs: GlAccountRef | None) -> str | None:
    for ref in refs:
        if ref is not None and ref.number and ref.number.strip():
            return ref.number.strip()
    return None


def _money_or_zero(value: Decimal | None) -> Decimal:
    return ZERO if value is None else to_money(value)


def from_ap_bill(bill: ApBill, *, stream: str) -> SourceDocument:
    job = (bill.job_number or "").strip()
    bu = bill.business_unit.name if bill.business_unit else None
    lines: list[SourceLine] = []
    for item in sorted(bill.items, key=lambda i: (i.order if i.order is not None else 0, i.id)):
        qty = item.quantity if item.quantity is not None else Decimal(0)
        cost = item.cost if item.cost is not None else Decimal(0)
        desc = plain_text(item.description) or plain_text(item.name)
        if item.vendor_part_number:
            desc = f"{desc} (part {item.vendor_part_number})".strip()
        lines.append(
            SourceLine(
                ref=f"item {item.id}",
                kind="item",
                amount=to_money(qty * cost),
                description=desc,
                st_gl_account=_gl_number(item.general_ledger_account, item.cost_of_sale_account),
                budget_code_id=item.budget_code_id,
                business_unit=bu,
                job_number=job,
            )
        )
    for exp in bill.expense_items:
        lines.append(
            SourceLine(
                ref=f"expense {exp.id}",
                kind="expense",
                amount=_money_or_zero(exp.amount),
                description=plain_text(exp.description),
                st_gl_account=_gl_number(exp.general_ledger_account),
                budget_code_id=exp.budget_code_id,
                business_unit=(exp.business_unit.name if exp.business_unit else None) or bu,
                job_number=job,
            )
        )
    tax = _money_or_zero(bill.tax_amount)
    if tax != ZERO:
        lines.append(SourceLine(ref="tax", kind="tax", amount=tax, description="Sales tax"))
    freight = _money_or_zero(bill.shipping_amount)
    if freight != ZERO:
        lines.append(
            SourceLine(ref="freight", kind="freight", amount=freight, description="Freight")
        )
    return SourceDocument(
        kind=DocKind.AP_BILL,
        doc_id=bill.id,
        stream=stream,
        reference=(bill.reference_number or "").strip(),
        total=None if bill.bill_amount is None else to_money(bill.bill_amount),
        lines=tuple(lines),
        document_date=bill.bill_date,
        due_date=bill.due_date,
        st_vendor_id=bill.vendor.id if bill.vendor else None,
        vendor_name=((bill.vendor.name if bill.vendor else None) or "").strip(),
        vendor_number=(bill.vendor_number or "").strip() or None,
        hold_payment=bool(bill.do_not_pay),
        canceled=(bill.status or "").casefold() == "canceled" or bill.date_canceled is not None,
        job_number=job,
        business_unit=bu,
        summary=plain_text(bill.summary),
        modified_on=bill.modified_on,
        bill_type=bill.bill_type or "",
        custom_fields=tuple((cf.name or "", cf.value or "") for cf in bill.custom_fields),
    )


def from_invoice(invoice: Invoice, *, stream: str, route: str) -> SourceDocument:
    job = ((invoice.job.number if invoice.job else None) or "").strip()
    bu = invoice.business_unit.name if invoice.business_unit else None
    lines: list[SourceLine] = []
    for item in sorted(invoice.items, key=lambda i: (i.order if i.order is not None else 0, i.id)):
        lines.append(
            SourceLine(
                ref=f"item {item.id}",
                kind="invoice_item",
                amount=_money_or_zero(item.total),
                description=plain_text(item.description) or plain_text(item.display_name),
                st_gl_account=_gl_number(item.general_ledger_account, item.cost_of_sale_account),
                budget_code_id=item.budget_code_id,
                business_unit=(item.business_unit.name if item.business_unit else None) or bu,
                job_number=job,
            )
        )
    tax = _money_or_zero(invoice.sales_tax)
    if tax != ZERO:
        lines.append(SourceLine(ref="tax", kind="tax", amount=tax, description="Sales tax"))
    return SourceDocument(
        kind=DocKind.INVOICE,
        doc_id=invoice.id,
        stream=stream,
        reference=(invoice.reference_number or "").strip(),
        total=None if invoice.total is None else to_money(invoice.total),
        lines=tuple(lines),
        document_date=invoice.invoice_date,
        due_date=invoice.due_date,
        vendor_name=((invoice.customer.name if invoice.customer else None) or "").strip(),
        canceled=invoice.active is False,
        job_number=job,
        business_unit=bu,
        summary=plain_text(invoice.summary),
        modified_on=invoice.modified_on,
        route=route,
        custom_fields=tuple((cf.name or "", cf.value or "") for cf in invoice.custom_fields),
    )


@dataclass(frozen=True, slots=True)
class DocumentProblem:
    """Why a document cannot be written as it stands, with the numbers."""

    reason: str
    details: dict[str, str]

    @property
    def kind(self) -> ReviewKind:
        return ReviewKind.INVALID_DOCUMENT

    @property
    def suggestion(self) -> str:
        return "correct the bill in ServiceTitan; it is picked up again when it changes"


# A bill dated outside these years is a typo (0001, 9999), not AP: it is not posted.
EARLIEST_DATE = date(1980, 1, 1)
LATEST_DATE = date(2099, 12, 31)
# Longer than any invoice number a vendor prints: junk, or a pasted document.
MAX_REFERENCE = 100
# Control and invisible formatting characters (bidi overrides, zero widths): a reference
# carrying them shows one thing and is another, and no clerk can key it.
_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def problems(doc: SourceDocument) -> DocumentProblem | None:
    """The first reason the document is not writable, or None."""
    if doc.total is None:
        return DocumentProblem(f"{doc.label} has no total amount", {})
    if doc.document_date is None:
        return DocumentProblem(f"{doc.label} has no date", {})
    if not EARLIEST_DATE <= doc.document_date <= LATEST_DATE:
        return DocumentProblem(
            f"{doc.label} is dated {doc.document_date.isoformat()}, outside"
            f" {EARLIEST_DATE.year}-{LATEST_DATE.year}: a typo in ServiceTitan",
            {"date": doc.document_date.isoformat()},
        )
    if _HIDDEN.search(doc.reference):
        return DocumentProblem(
            f"{_short_label(doc)}: the reference number holds control or invisible characters"
            f" ({doc.reference[:40]!a})",
            {"reference": ascii(doc.reference[:100])},
        )
    if len(doc.reference) > MAX_REFERENCE:
        return DocumentProblem(
            f"{_short_label(doc)}: the reference number is {len(doc.reference)} characters"
            f" long (at most {MAX_REFERENCE}): {doc.reference[:40]}...",
            {"reference_length": str(len(doc.reference))},
        )
    if doc.kind is DocKind.AP_BILL and doc.st_vendor_id is None:
        return DocumentProblem(f"{doc.label} has no vendor", {})
    if not doc.lines:
        return DocumentProblem(
            f"{doc.label} has no lines but a total of {doc.total}", {"total": str(doc.total)}
        )
    lines_total = doc.lines_total
    if lines_total != doc.total:
        parts = ", ".join(f"{line.ref} {line.amount}" for line in doc.lines[:20])
        more = f" and {len(doc.lines) - 20} more" if len(doc.lines) > 20 else ""
        return DocumentProblem(
            f"{doc.label}: the lines add up to {lines_total} but the total is {doc.total} "
            f"(difference {doc.total - lines_total}); lines: {parts}{more}",
            {
                "total": str(doc.total),
                "lines_total": str(lines_total),
                "difference": str(doc.total - lines_total),
            },
        )
    return None


def _short_label(doc: SourceDocument) -> str:
    """The label without the reference (when the reference itself is the problem)."""
    return f"{'AP bill' if doc.kind is DocKind.AP_BILL else 'invoice'} {doc.doc_id}"
