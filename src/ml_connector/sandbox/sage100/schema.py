"""Sage 100's tables as the sandbox keeps them: column specs, keys, indexes and DDL.

Table and column names are Sage's own (AP_Vendor.VendorNo, AP_InvoiceHeader.InvoiceAmt,
GL_Account.AccountKey, ...). A column spec says what Sage's data dictionary would: string
(`S`, shown to BOI callers with a `$` suffix) or numeric (`N`, no suffix), maximum length,
stored upper case, zero-filled, a Y/N flag, a YYYYMMDD date, or one of a few codes.

Strings are TEXT, numbers REAL (two decimals, rounded half-up on the way in), so that
anyone can inspect a company with `sqlite3 ROOT/ABC.sqlite`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

AUDIT_COLUMNS = (
    "DateCreated",
    "TimeCreated",
    "UserCreatedKey",
    "DateUpdated",
    "TimeUpdated",
    "UserUpdatedKey",
)


@dataclass(frozen=True, slots=True)
class Col:
    """One column of a Sage table."""

    name: str
    kind: str = "S"  # "S" string, "N" numeric
    length: int = 30
    upper: bool = False
    zero_fill: bool = False
    flag: bool = False  # Y/N
    date: bool = False  # YYYYMMDD
    choices: tuple[str, ...] = ()
    read_only: bool = False

    @property
    def boi_name(self) -> str:
        """The name BOI callers use: `VendorNo$` for strings, `InvoiceAmt` for numbers."""
        return self.name + "$" if self.kind == "S" else self.name

    @property
    def sql_type(self) -> str:
        return "TEXT" if self.kind == "S" else "REAL"

    def default(self) -> str | float:
        if self.kind == "N":
            return 0.0
        if self.flag:
            return "N"
        return ""


@dataclass(frozen=True, slots=True)
class TableSpec:
    """A Sage table: its columns, primary key (in order) and extra indexes."""

    name: str
    columns: tuple[Col, ...]
    key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()
    audit: bool = True
    by_name: dict[str, Col] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        cols = self.columns
        if self.audit:
            cols = cols + tuple(
                Col(n, length=10 if n.startswith("User") else 8, read_only=True)
                for n in AUDIT_COLUMNS
            )
            object.__setattr__(self, "columns", cols)
        object.__setattr__(self, "by_name", {c.name.upper(): c for c in cols})

    def column(self, boi_name: str) -> Col | None:
        """The column a BOI name refers to (`VendorNo$`), case-insensitive; None if unknown.

        The `$` suffix must match the type: `VendorNo` (no `$`) is not a column, as in
        ProvideX where `X` and `X$` are different variables.
        """
        name = boi_name.strip()
        is_string = name.endswith("$")
        col = self.by_name.get(name.rstrip("$").upper())
        if col is None or (col.kind == "S") != is_string:
            return None
        return col

    @property
    def key_cols(self) -> tuple[Col, ...]:
        return tuple(self.by_name[k.upper()] for k in self.key)

    @property
    def key_sql(self) -> str:
        """The padded, concatenated key as SQL; the same text is used by an expression index."""
        return " || ".join(f"printf('%-{c.length}s', {c.name})" for c in self.key_cols)

    def ddl(self) -> list[str]:
        cols = ", ".join(
            f"{c.name} {c.sql_type} NOT NULL DEFAULT {_sql_default(c)}" for c in self.columns
        )
        stmts = [
            f"CREATE TABLE IF NOT EXISTS {self.name} ({cols}, PRIMARY KEY ({', '.join(self.key)}))"
        ]
        stmts.append(
            f"CREATE INDEX IF NOT EXISTS {self.name}_KPADDED ON {self.name} ({self.key_sql})"
        )
        for i, idx in enumerate(self.indexes):
            stmts.append(
                f"CREATE INDEX IF NOT EXISTS {self.name}_K{i} ON {self.name} ({', '.join(idx)})"
            )
        return stmts


def _sql_default(col: Col) -> str:
    value = col.default()
    return "0" if isinstance(value, float) else f"'{value}'"


def _s(
    name: str,
    length: int,
    *,
    upper: bool = False,
    zero_fill: bool = False,
    choices: tuple[str, ...] = (),
    read_only: bool = False,
) -> Col:
    return Col(
        name, "S", length, upper=upper, zero_fill=zero_fill, choices=choices, read_only=read_only
    )


def _n(name: str, length: int = 13) -> Col:
    return Col(name, "N", length)


def _ro(name: str) -> Col:
    return Col(name, "N", 13, read_only=True)


def _yn(name: str) -> Col:
    return Col(name, "S", 1, upper=True, flag=True)


def _d(name: str) -> Col:
    return Col(name, "S", 8, date=True)


DIVISION = _s("APDivisionNo", 2, upper=True, zero_fill=True)
VENDOR_NO = _s("VendorNo", 7, upper=True, zero_fill=True)  # MASTERNUM: "123" -> "0000123"
INVOICE_NO = _s("InvoiceNo", 10, upper=True)
ACCOUNT_KEY = _s("AccountKey", 9, upper=True)
TERMS = _s("TermsCode", 2, zero_fill=True)

AP_DIVISION = TableSpec(
    "AP_Division",
    (
        DIVISION,
        _s("APDivisionDesc", 30),
        _s("AccountsPayableAcctKey", 9),
        _s("DiscountsEarnedOrTakenAcctKey", 9),
        _s("CashAcctKey", 9),
        _s("FreightAcctKey", 9),
        _s("SalesTaxAcctKey", 9),
    ),
    ("APDivisionNo",),
)

AP_OPTIONS = TableSpec(
    "AP_Options",
    (
        _s("ModuleCode", 3),
        _yn("Divisions"),  # FL44 4.40 field 3
        _yn("BatchProcessing"),  # sandbox's choice: no public source names the batch flag
        _s("DefaultTermsCode", 2, zero_fill=True),
        _s("NextBatchNo", 5, zero_fill=True),
        _s("NextVendorNo", 7, upper=True),
        _yn("CalcSalesTaxInAP"),  # FL44's ValGroup name; the column name is the sandbox's
    ),
    ("ModuleCode",),
)

AP_TERMS_CODE = TableSpec(
    "AP_TermsCode",
    (
        TERMS,
        _s("TermsCodeDesc", 30),
        _n("DaysBeforeDue", 3),
        _n("DiscountDays", 3),
        _n("DiscountRate", 5),
    ),
    ("TermsCode",),
)

AP_VENDOR = TableSpec(
    "AP_Vendor",
    (
        DIVISION,
        VENDOR_NO,
        _s("VendorName", 30),
        _s("AddressLine1", 30),
        _s("AddressLine2", 30),
        _s("AddressLine3", 30),
        _s("City", 20),
        _s("State", 2, upper=True),
        _s("ZipCode", 10),
        _s("CountryCode", 3, upper=True),
        _s("PrimaryContact", 10),
        _s("TelephoneNo", 17),
        _s("TelephoneExt", 5),
        _s("FaxNo", 17),
        _s("EmailAddress", 250),
        TERMS,
        _s("VendorStatus", 1, upper=True, choices=("A", "I", "T")),
        _s("Reference", 15),
        _s("AccountKey", 9, upper=True),
        _yn("HoldPayment"),
        _yn("SeparateCheck"),
        _s("TaxSchedule", 9, upper=True),
        _yn("UsePOReceiptOfInvoice"),  # "Use P/O Receipt of Invoice Entry" (sandbox name)
    ),
    ("APDivisionNo", "VendorNo"),
    (("VendorName",), ("DateUpdated", "TimeUpdated"), ("VendorNo",)),
)

GL_ACCOUNT = TableSpec(
    "GL_Account",
    (
        ACCOUNT_KEY,
        _s("Account", 41, upper=True),
        _s("RawAccount", 32, upper=True),
        _s("AccountDesc", 50),
        _s("MainAccountCode", 15, upper=True),
        _s("Status", 1, upper=True, choices=("A", "I", "D")),
        _s("AccountType", 2, zero_fill=True),
        _s("AccountCategory", 1),
        _yn("ClearBalance"),
    ),
    ("AccountKey",),
    (("Account",), ("RawAccount",), ("Status",)),
)

GL_ACCOUNT_STRUCTURE = TableSpec(
    "GL_AccountStructure",
    (
        _s("SegmentNo", 2, zero_fill=True),
        _s("SegmentDesc", 30),
        _n("SegmentLength", 2),
        _s("SeparatorChar", 1),
    ),
    ("SegmentNo",),
)

_INVOICE_KEY = (DIVISION, VENDOR_NO, INVOICE_NO)

AP_INVOICE_HEADER = TableSpec(
    "AP_InvoiceHeader",
    (
        *_INVOICE_KEY,
        _s("BatchNo", 5, zero_fill=True, read_only=True),
        _d("InvoiceDate"),
        _d("InvoiceDueDate"),
        _d("InvoiceDiscountDate"),
        TERMS,
        _yn("HoldPayment"),
        _s("Comment", 40),
        _s("JobNo", 7, upper=True),
        Col("Adjustment", "S", 1, upper=True, flag=True, read_only=True),
        _n("InvoiceAmt"),
        _n("DiscountAmt"),
        _yn("SeparateCheck"),
        _s("TaxSchedule", 9, upper=True),
        _ro("TaxableAmt"),  # computed from the lines' tax classes
        _ro("NonTaxableAmt"),
        _n("SalesTaxAmt"),  # computed when the tax schedule has a rate
        _n("FreightAmt"),
    ),
    ("APDivisionNo", "VendorNo", "InvoiceNo"),
    (("BatchNo", "APDivisionNo", "VendorNo", "InvoiceNo"), ("InvoiceNo",)),
)

AP_INVOICE_DETAIL = TableSpec(
    "AP_InvoiceDetail",
    (
        *_INVOICE_KEY,
        _s("LineKey", 6, zero_fill=True),
        ACCOUNT_KEY,
        _n("DistributionAmt"),
        _s("CommentText", 2048),
        _s("JobNo", 7, upper=True),
        _s("CostCode", 9, upper=True),
        _s("CostType", 1, upper=True),
        _s("TaxClass", 2, upper=True),
    ),
    ("APDivisionNo", "VendorNo", "InvoiceNo", "LineKey"),
)

AP_OPEN_INVOICE = TableSpec(
    "AP_OpenInvoice",
    (
        *_INVOICE_KEY,
        _d("InvoiceDate"),
        _d("InvoiceDueDate"),
        _d("InvoiceDiscountDate"),
        _d("PostingDate"),
        TERMS,
        _yn("HoldPayment"),
        _s("Comment", 40),
        _n("InvoiceAmt"),
        _n("DiscountAmt"),
        _n("Balance"),
        _s("CheckNo", 10),
        _d("CheckDate"),
    ),
    ("APDivisionNo", "VendorNo", "InvoiceNo"),
    (("InvoiceNo",), ("DateUpdated", "TimeUpdated")),
)

# Invoice history is keyed InvoiceNo + HeaderSeqNo, the vendor an alternate key (as FL44
# gives for AR_InvoiceHistoryHeader and AP_InvoiceHistoryMemo, and as public SQL joins AP
# history detail to its header): a HeaderSeqNo is unique per invoice number across vendors.
AP_INVOICE_HISTORY_HEADER = TableSpec(
    "AP_InvoiceHistoryHeader",
    (
        INVOICE_NO,
        _s("HeaderSeqNo", 6, zero_fill=True),
        DIVISION,
        VENDOR_NO,
        _s("InvoiceType", 2, upper=True, choices=("IN", "AD")),
        _s("ModuleCode", 3),
        _d("InvoiceDate"),
        _d("InvoiceDueDate"),
        _d("PostingDate"),
        TERMS,
        _yn("HoldPayment"),
        _s("Comment", 40),
        _s("BatchNo", 5, zero_fill=True),
        _s("JobNo", 7, upper=True),
        _n("InvoiceAmt"),
    ),
    ("InvoiceNo", "HeaderSeqNo"),
    (("APDivisionNo", "VendorNo", "InvoiceNo"), ("DateUpdated", "TimeUpdated"), ("InvoiceDate",)),
)

AP_INVOICE_HISTORY_DETAIL = TableSpec(
    "AP_InvoiceHistoryDetail",
    (
        INVOICE_NO,
        _s("HeaderSeqNo", 6, zero_fill=True),
        _s("DetailSeqNo", 6, zero_fill=True),
        DIVISION,
        VENDOR_NO,
        ACCOUNT_KEY,
        _n("DistributionAmt"),
        _s("CommentText", 2048),
        _s("JobNo", 7, upper=True),
    ),
    ("InvoiceNo", "HeaderSeqNo", "DetailSeqNo"),
)

GL_COMPANY_ACTIVE_BATCH = TableSpec(
    "GL_CompanyActiveBatch",
    (
        _s("ModuleCode", 3),
        _s("BatchType", 2),
        _s("BatchNo", 5, zero_fill=True),
        _s("Comment", 30),
        _yn("PrivateBatch"),
        _s("BatchStatus", 1),
    ),
    ("ModuleCode", "BatchType", "BatchNo"),
)

# Sales tax schedules. Real Sage splits a schedule into tax codes, each with a rate per tax
# class (SY_SalesTaxCode_ui manages them); the sandbox keeps one rate per schedule, applied to
# lines of any class but "NT" (non-taxable). Sandbox simplification, documented.
SY_SALES_TAX_SCHEDULE = TableSpec(
    "SY_SalesTaxSchedule",
    (_s("TaxSchedule", 9, upper=True), _s("TaxScheduleDesc", 30), _n("TaxRate", 7)),
    ("TaxSchedule",),
)

# Job Cost: jobs and the cost code + cost type pairs budgeted on each (names: sandbox choice
# after Sage's JC_ prefix; FL44 was not retrievable for Job Cost).
JC_JOB = TableSpec(
    "JC_Job",
    (
        _s("JobNo", 7, upper=True),
        _s("JobDesc", 30),
        _s("JobStatus", 1, upper=True, choices=("A", "C", "I")),
    ),
    ("JobNo",),
)

JC_JOB_COST_DETAIL = TableSpec(
    "JC_JobCostDetail",
    (
        _s("JobNo", 7, upper=True),
        _s("CostCode", 9, upper=True),
        _s("CostType", 1, upper=True),
        _s("CostCodeDesc", 30),
    ),
    ("JobNo", "CostCode", "CostType"),
)

# Sandbox-only: records held by a user (what ProvideX keeps in its lock tables).
LOCK_DDL = (
    "CREATE TABLE IF NOT EXISTS SY_SandboxLock (TableName TEXT NOT NULL, KeyValue TEXT NOT NULL, "
    "HolderId TEXT NOT NULL, UserLogon TEXT NOT NULL, ExpiresAt REAL NOT NULL, "
    "HolderPid INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (TableName, KeyValue))"
)

COMPANY_TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        AP_DIVISION,
        AP_OPTIONS,
        AP_TERMS_CODE,
        AP_VENDOR,
        GL_ACCOUNT,
        GL_ACCOUNT_STRUCTURE,
        AP_INVOICE_HEADER,
        AP_INVOICE_DETAIL,
        AP_OPEN_INVOICE,
        AP_INVOICE_HISTORY_HEADER,
        AP_INVOICE_HISTORY_DETAIL,
        GL_COMPANY_ACTIVE_BATCH,
        SY_SALES_TAX_SCHEDULE,
        JC_JOB,
        JC_JOB_COST_DETAIL,
    )
}

INVOICE_KEY_WHERE = "APDivisionNo = ? AND VendorNo = ? AND InvoiceNo = ?"
DELETE_INVOICE_LINES = (
    "DELETE FROM AP_InvoiceDetail WHERE APDivisionNo = ? AND VendorNo = ? AND InvoiceNo = ?"
)
DELETE_INVOICE_HEADER = (
    "DELETE FROM AP_InvoiceHeader WHERE APDivisionNo = ? AND VendorNo = ? AND InvoiceNo = ?"
)

MODULES = ("A/P", "A/R", "G/L", "S/O", "I/M", "P/O", "C/I", "S/Y", "J/C", "B/M")
