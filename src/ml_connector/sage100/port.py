"""The Sage 100 port: what the engine may ask of Sage, in Sage's own words.

Value types are frozen dataclasses; money is `Decimal` (cents), dates are `date`.
Sage keys are upper case and fixed-length: division 2 ("00" when divisions are off),
vendor number 7, invoice number 10, AccountKey 9.

Implementations: `BoiSage100` (drives any object with the ProvideX.Script surface: the real
COM object on a Sage server, or the sandbox's `ProvideXScript`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Literal, NewType, Protocol

DivisionNo = NewType("DivisionNo", str)
SageVendorNo = NewType("SageVendorNo", str)
SageInvoiceNo = NewType("SageInvoiceNo", str)
AccountKey = NewType("AccountKey", str)

DIVISION_LEN = 2
VENDOR_NO_LEN = 7
INVOICE_NO_LEN = 10
ACCOUNT_KEY_LEN = 9
VENDOR_NAME_LEN = 30
COMMENT_LEN = 40
LINE_COMMENT_LEN = 2048
JOB_NO_LEN = 7
COST_CODE_LEN = 9  # JC cost code (sandbox choice; see docs/sage-sandbox.md)
COST_TYPE_LEN = 1  # JC cost type: M, L, S, E, O ... (one character)
TAX_SCHEDULE_LEN = 9

InvoiceWhere = Literal["entry", "open", "history"]


def sage_vendor_no(text: str) -> SageVendorNo:
    """A vendor number as Sage stores it: trimmed, upper case, and (format class MASTERNUM)
    an all-digit number zero-filled to 7 ("123" -> "0000123").

    Every place that compares or looks up vendor numbers normalises with this, so that a
    number typed as "123" finds Sage's "0000123".
    """
    number = text.strip().upper()
    if number.isdigit() and len(number) < VENDOR_NO_LEN:
        number = number.zfill(VENDOR_NO_LEN)
    return SageVendorNo(number)


AccountStatus = Literal["A", "I", "D"]


@dataclass(frozen=True, slots=True, order=True)
class ChangeStamp:
    """Sage's DateUpdated + TimeUpdated (decimal hours, server local time), ordered.

    Used as the changed-since cursor: compare stamps, never convert them to instants.
    """

    day: date
    hours: Decimal  # 0 <= hours < 24, e.g. Decimal("13.50000") is 13:30:00

    def minus(self, delta: timedelta) -> ChangeStamp:
        """The stamp `delta` earlier on the same wall clock (for a look-back window)."""
        whole = datetime.combine(self.day, time()) + timedelta(hours=float(self.hours))
        earlier = whole - delta
        seconds = Decimal(earlier.hour * 3600 + earlier.minute * 60 + earlier.second)
        hours = (seconds / Decimal(3600)).quantize(Decimal("0.00001"), rounding=ROUND_DOWN)
        return ChangeStamp(earlier.date(), hours)


@dataclass(frozen=True, slots=True)
class CompanyInfo:
    code: str
    name: str
    ap_module_date: date | None
    uses_batches: bool  # A/P Options: batch entry for invoices
    divisions_enabled: bool
    # A/P Options "calculate sales tax in A/P": the header takes SalesTaxAmt / FreightAmt
    # posted to the division's accounts, and vendor tax schedules compute tax
    sales_tax_in_ap: bool = False
    job_cost: bool = False  # Job Cost is integrated: AP lines take JobNo/CostCode/CostType


@dataclass(frozen=True, slots=True)
class AccountSegment:
    number: int  # 1-based; segment 1 is the main account
    length: int
    name: str = ""


@dataclass(frozen=True, slots=True)
class AccountFormat:
    """The company's account structure: segments and the separator between them."""

    segments: tuple[AccountSegment, ...]
    separator: str = "-"

    def format(self, raw: str) -> str:
        """'600001100' -> '6000-01-100' (raw must be exactly the segments' total length)."""
        if len(raw) != sum(s.length for s in self.segments):
            raise ValueError(f"raw account {raw!r} does not fit the account format")
        parts, pos = [], 0
        for seg in self.segments:
            parts.append(raw[pos : pos + seg.length])
            pos += seg.length
        return self.separator.join(parts)

    def split(self, account: str) -> tuple[str, ...]:
        """'6000-01-100' -> ('6000', '01', '100'); also accepts the raw form."""
        if self.separator and self.separator in account:
            parts = tuple(account.split(self.separator))
            if len(parts) != len(self.segments) or any(
                len(p) != s.length for p, s in zip(parts, self.segments, strict=True)
            ):
                raise ValueError(f"account {account!r} does not fit the account format")
            return parts
        return tuple(self.format(account).split(self.separator)) if self.separator else (account,)


@dataclass(frozen=True, slots=True)
class GlAccount:
    account_key: AccountKey
    account: str  # formatted, e.g. "6000-01-100"
    raw_account: str  # segments concatenated, e.g. "600001100"
    description: str
    status: AccountStatus
    account_type: str = ""
    main_account_code: str = ""

    @property
    def is_active(self) -> bool:
        return self.status == "A"


@dataclass(frozen=True, slots=True)
class ApDivision:
    division_no: DivisionNo
    description: str
    ap_account_key: AccountKey | None = None
    freight_account_key: AccountKey | None = None
    sales_tax_account_key: AccountKey | None = None


@dataclass(frozen=True, slots=True)
class SageVendor:
    division_no: DivisionNo
    vendor_no: SageVendorNo
    name: str
    address_line1: str = ""
    address_line2: str = ""
    address_line3: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    country_code: str = ""
    telephone_no: str = ""
    email_address: str = ""
    terms_code: str = ""
    status: str = "A"  # VendorStatus: A active, I inactive, T temporary
    updated: ChangeStamp | None = None
    created: ChangeStamp | None = None
    tax_schedule: str = ""  # TaxSchedule: Sage may compute sales tax on invoice lines
    receipt_of_invoice: bool = False  # "Use P/O Receipt of Invoice Entry" is checked


@dataclass(frozen=True, slots=True)
class JobCostCode:
    cost_code: str
    cost_type: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class SageJob:
    """A Job Cost job and the cost code + cost type pairs set up on it."""

    job_no: str
    description: str
    status: str  # JobStatus: A active, C closed, ... (only "A" takes AP costs here)
    cost_codes: tuple[JobCostCode, ...] = ()

    @property
    def is_active(self) -> bool:
        return self.status == "A"

    def has(self, cost_code: str, cost_type: str) -> bool:
        return any(c.cost_code == cost_code and c.cost_type == cost_type for c in self.cost_codes)


@dataclass(frozen=True, slots=True)
class NewVendor:
    """A vendor to create; `vendor_no` is the number asked for (upper case, <= 7)."""

    division_no: DivisionNo
    vendor_no: SageVendorNo
    name: str
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    country_code: str = ""
    telephone_no: str = ""
    email_address: str = ""
    terms_code: str = ""


@dataclass(frozen=True, slots=True)
class VendorChanges:
    """Fields to change on an existing vendor; None leaves a field as it is, "" clears it.

    `status` is VendorStatus: "A" active, "I" inactive."""

    name: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None
    telephone_no: str | None = None
    email_address: str | None = None
    status: str | None = None

    @property
    def empty(self) -> bool:
        return all(getattr(self, name) is None for name in self.__slots__)


@dataclass(frozen=True, slots=True, order=True)
class ApInvoiceKey:
    division_no: DivisionNo
    vendor_no: SageVendorNo
    invoice_no: SageInvoiceNo

    def __str__(self) -> str:
        return f"{self.division_no}-{self.vendor_no} invoice {self.invoice_no}"


@dataclass(frozen=True, slots=True)
class ExistingInvoice:
    """An AP invoice already in Sage: unposted entry, open invoice, or history."""

    key: ApInvoiceKey
    where: InvoiceWhere
    invoice_date: date | None
    amount: Decimal
    comment: str = ""
    batch_no: str = ""


@dataclass(frozen=True, slots=True)
class BeforeWrite:
    """What the engine looks up in Sage before a first write of a key (`look_before_write`)."""

    under_key: tuple[ExistingInvoice, ...]  # `find_invoice_to_write(key)`
    by_reference: tuple[ExistingInvoice, ...]  # `find_invoices_by_reference(reference, None)`
    same_amount: tuple[ExistingInvoice, ...]  # `find_invoices_by_reference(reference, amount)`


@dataclass(frozen=True, slots=True)
class ApInvoiceLine:
    account_key: AccountKey
    amount: Decimal
    comment: str = ""  # CommentText, up to 2048
    job_no: str = ""  # Job Cost: all three or none
    cost_code: str = ""
    cost_type: str = ""


@dataclass(frozen=True, slots=True)
class NewApInvoice:
    """An AP invoice for A/P Invoice Data Entry.

    `amount` is the invoice total. Sales tax and freight either travel as distribution
    lines (then they are 0 here) or in the header's `SalesTaxAmt` / `FreightAmt`, which Sage
    posts to the division's accounts; either way the lines plus `sales_tax` plus `freight`
    must add up to `amount` (a zero undistributed balance)."""

    key: ApInvoiceKey
    invoice_date: date
    amount: Decimal
    lines: tuple[ApInvoiceLine, ...]
    due_date: date | None = None
    comment: str = ""  # header Comment (Sage's length applies)
    hold_payment: bool = False
    job_no: str = ""
    batch_no: str = ""  # where the company uses batches; "" otherwise
    sales_tax: Decimal = Decimal("0.00")  # header SalesTaxAmt
    freight: Decimal = Decimal("0.00")  # header FreightAmt

    @property
    def distributed(self) -> Decimal:
        """What the lines must add up to: the total less header tax and freight."""
        return self.amount - self.sales_tax - self.freight


@dataclass(frozen=True, slots=True)
class WrittenInvoice:
    key: ApInvoiceKey
    amount: Decimal
    line_count: int
    batch_no: str = ""


@dataclass(frozen=True, slots=True)
class HealthReport:
    """What a successful ping found; failures raise Sage100Error subclasses instead."""

    company: CompanyInfo
    user: str
    checks: tuple[tuple[str, str], ...] = field(default=())  # (what was checked, what it found)


class Sage100(Protocol):
    """One Sage 100 company, as the engine sees it."""

    def ping(self) -> HealthReport:
        """Open (or reuse) the session and report what was checked."""
        ...

    def company(self) -> CompanyInfo: ...

    def account_format(self) -> AccountFormat: ...

    def gl_accounts(self) -> list[GlAccount]:
        """Every GL account, all statuses, read in bulk."""
        ...

    def divisions(self) -> list[ApDivision]: ...

    def vendors(self, changed_since: ChangeStamp | None = None) -> Iterator[SageVendor]:
        """Vendors created or updated at or after `changed_since` (all when None)."""
        ...

    def vendor(self, division_no: DivisionNo, vendor_no: SageVendorNo) -> SageVendor | None: ...

    def create_vendor(self, vendor: NewVendor) -> SageVendor:
        """Create; raises VendorExistsError when the number is taken (never edits)."""
        ...

    def update_vendor(
        self, division_no: DivisionNo, vendor_no: SageVendorNo, changes: VendorChanges
    ) -> SageVendor:
        """Change fields of an existing vendor (`nSetKey` must answer 1); returns the vendor
        as read back. Raises SageRejectedError when the vendor does not exist."""
        ...

    def job(self, job_no: str) -> SageJob | None:
        """A Job Cost job with its cost codes; None when it is not on file."""
        ...

    def prepare_session(self, *, invoice_index: bool = False) -> None:
        """Open the session if none is open and, with `invoice_index`, build or refresh
        the index `find_invoices_by_reference` reads (once per session, then as its age
        requires). The engine calls it before a document's own calls, so that a failure of
        this shared work is told apart from the document's."""
        ...

    def find_invoice(self, key: ApInvoiceKey) -> list[ExistingInvoice]:
        """The invoice with this exact key in entry, open invoices and history."""
        ...

    def find_invoice_to_write(self, key: ApInvoiceKey) -> list[ExistingInvoice]:
        """`find_invoice` before a first write of `key`. An implementation may answer from
        an exact index it keeps fresh, relying on the write itself to refuse a key entered
        since (`create_invoice` never adjusts). Recovery uses `find_invoice`."""
        ...

    def find_invoices_by_reference(
        self, reference: str, amount: Decimal | None
    ) -> list[ExistingInvoice]:
        """Invoices under any vendor whose invoice number shares a key with `reference`
        (`references.reference_keys`, strong or loose) and, unless `amount` is None, whose
        amount equals `amount`. The engine's duplicate policy decides which of them count."""
        ...

    def look_before_write(self, key: ApInvoiceKey, reference: str, amount: Decimal) -> BeforeWrite:
        """`find_invoice_to_write(key)` and both `find_invoices_by_reference` lookups of
        `reference` (any amount, then `amount`), answered together: the engine asks all three
        before every first write, and an implementation may answer them in one round trip."""
        ...

    def open_batch(self, description: str) -> str:
        """The connector's AP invoice batch where the company uses batches, else "".

        One batch is reused until a clerk updates (registers) it or it is gone; then a new
        one is opened."""
        ...

    def create_invoice(self, invoice: NewApInvoice) -> WrittenInvoice:
        """Write an AP invoice in A/P Invoice Data Entry, exactly as given.

        Checks the key in entry, open and history first (InvoiceExistsError), requires
        `nSetKey` to answer 2 (new), checks the lines balance before `nWrite`, and reads the
        invoice back afterwards. Never turns into an adjustment.
        """
        ...

    def verify_invoice(self, invoice: NewApInvoice) -> None:
        """Read back the invoice under `invoice.key` from A/P Invoice Data Entry and compare
        it with `invoice` (the read-back `create_invoice` makes after its write, for a later
        cycle when that one could not run). SageVerifyError when it reads back differently
        or is not there; SageReadBackError when the read-back could not run."""
        ...

    def close(self) -> None: ...
