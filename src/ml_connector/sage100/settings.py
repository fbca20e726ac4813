"""Settings of the BOI adapter: where Sage is, who logs on, and the names Sage leaves open.

`BoiSettings` is what a user configures (Home path, company, Sage user, password). The
column names that public references leave uncertain live in `BoiColumns`; their defaults
are the names the sandbox uses, and the adapter checks them against the live system
(`sGetColumns`) when `discover_columns` is on.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator


class BoiColumns(BaseModel):
    """Column names that differ between Sage versions or that no public source confirms.

    Names are given without ProvideX's `$` suffix (the adapter adds it for strings).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    invoice_amount: str = "InvoiceAmt"  # AP_InvoiceHeader, data entry
    open_invoice_amount: str = "InvoiceAmt"  # AP_OpenInvoice
    history_invoice_amount: str = "InvoiceAmt"  # AP_InvoiceHistoryHeader
    line_amount: str = "DistributionAmt"  # AP_InvoiceDetail
    line_account: str = "AccountKey"
    line_comment: str = "CommentText"
    invoice_comment: str = "Comment"
    invoice_due_date: str = "InvoiceDueDate"
    vendor_status: str = "VendorStatus"
    vendor_email: str = "EmailAddress"
    # Tax, freight, Job Cost and P/O (docs/sage-adapter.md "Tax, freight and Job Cost")
    sales_tax_amount: str = "SalesTaxAmt"  # AP_InvoiceHeader
    freight_amount: str = "FreightAmt"  # AP_InvoiceHeader
    taxable_amount: str = "TaxableAmt"  # AP_InvoiceHeader, computed by Sage from the lines
    non_taxable_amount: str = "NonTaxableAmt"  # AP_InvoiceHeader, computed likewise
    tax_schedule: str = "TaxSchedule"  # AP_Vendor (and AP_InvoiceHeader)
    options_sales_tax: str = "CalcSalesTaxInAP"  # AP_Options, after FL44's ValGroup name
    vendor_receipt_of_invoice: str = "UsePOReceiptOfInvoice"  # AP_Vendor: unverified name
    line_cost_code: str = "CostCode"  # AP_InvoiceDetail (FL44 AP_InvoiceDetailPosting)
    line_cost_type: str = "CostType"  # AP_InvoiceDetail


class BoiNames(BaseModel):
    """Object and A/P Options column names no public source confirms, in the order tried.

    Each object is made with `NewObject` and checked with `sGetColumns(<data source>)`; the
    first that Sage accepts (and whose columns include what the adapter reads) is used, once
    per company (`ml_connector.sage100.names`). None accepted is a setup error naming every
    candidate tried. Names of A/P Options columns are given without ProvideX's `$`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    open_invoices: tuple[str, ...] = ("AP_OpenInvoice_svc",)
    invoice_history: tuple[str, ...] = (
        "AP_InvoiceHistoryHeader_svc",
        "AP_InvoiceHistoryInquiry_bus",
    )
    ap_options: tuple[str, ...] = ("AP_Options_svc",)
    # A/P Options: "batch entry for invoices" (name unconfirmed) and divisions in use
    # (FL44 4.40 field 3 "Divisions").
    batch_flag: tuple[str, ...] = ("BatchProcessing",)
    divisions_flag: tuple[str, ...] = ("Divisions",)
    # optional: only used to name the account segments, never to size them
    account_structure: tuple[str, ...] = ("GL_AccountStructure_svc",)
    # optional: Job Cost (none answering = the company has no Job Cost), and the company's
    # open batches (GL_CompanyActiveBatch: ModuleCode, BatchNo, Comment), where the
    # connector finds its own open batch again after a restart (none: a new batch)
    job_cost_jobs: tuple[str, ...] = ("JC_Job_svc",)
    job_cost_details: tuple[str, ...] = ("JC_JobCostDetail_svc",)
    batch_registry: tuple[str, ...] = ("GL_CompanyActiveBatch_svc",)

    @field_validator(
        "open_invoices",
        "invoice_history",
        "ap_options",
        "batch_flag",
        "divisions_flag",
        "account_structure",
        "job_cost_jobs",
        "job_cost_details",
        "batch_registry",
    )
    @classmethod
    def _not_empty(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        names = tuple(v.strip() for v in value if v.strip())
        if not names:
            raise ValueError("give at least one name to try")
        return names


class LockRetry(BaseModel):
    """How long to keep trying a record another user holds before reporting it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tries: int = Field(default=5, ge=1, le=50)
    budget_seconds: float = Field(default=10.0, ge=0, le=600)

    def delays(self) -> tuple[float, ...]:
        """Waits between tries, doubling each time, summing to `budget_seconds`."""
        gaps = self.tries - 1
        if gaps <= 0:
            return ()
        unit = self.budget_seconds / (2**gaps - 1)
        return tuple(unit * 2**i for i in range(gaps))


class BoiSettings(BaseModel):
    """One Sage 100 company reached through the Business Object Interface."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    home: str  # ...\MAS90\Home; a UNC path when running as a service
    company: str  # the 3-character company code, e.g. "ABC"
    user: str
    password: SecretStr
    division: str = "00"  # AP division used when a record does not name one
    module_date: date | None = None  # A/P and G/L module date; None = today (injected clock)
    # nLogon() (Sage's unified login) first, then nSetUser: off by default, because under a
    # service it may log on as whichever Sage user the Windows account maps to.
    try_unified_login: bool = False
    uses_batches: bool | None = None  # None: read A/P Options (BoiNames.batch_flag)
    sales_tax_in_ap: bool | None = None  # None: ask Sage (A/P Options, options_sales_tax)
    job_cost: bool | None = None  # None: Job Cost when JC_Job_svc opens and holds a job
    discover_columns: bool = True  # check BoiColumns against sGetColumns once per process
    columns: BoiColumns = BoiColumns()
    names: BoiNames = BoiNames()
    lock_retry: LockRetry = LockRetry()
    session_max_age_seconds: float = Field(default=4 * 3600, gt=0)  # recycle, as UAF does
    reference_index_max_age_seconds: float = Field(default=30.0, ge=0)
    reference_index_rebuild_seconds: float = Field(default=3600.0, gt=0)
    # a re-read of a table the index already holds more rows of than this is cut into
    # reads of about this many rows each (by invoice number): memory stays flat however
    # large data entry grows during a backfill (invoice_index.refresh)
    reference_index_slice_rows: int = Field(default=5000, ge=1)
    # the lookup before a first write answers "absent" from the reference index when its
    # open and history rows are fresh (invoice_index.fresh_for_keys); False: three exact
    # reads (entry, open, history) before every write
    key_lookup_from_index: bool = True
    # the write's nSetKey with the whole key (division + vendor padded to 7 + invoice) in
    # one call instead of three nSetKeyValue first: 3 BOI calls fewer per written invoice.
    # Off until the probe's `whole_key` fact confirms Sage's padding on the server
    # (docs/sage-adapter.md, "To confirm"); nSetKey must still answer 2, Adjustment$ "N"
    invoice_key_whole: bool = False
    call_timeout_seconds: float = Field(default=600.0, gt=0)

    @field_validator("company")
    @classmethod
    def _company_code(cls, value: str) -> str:
        code = value.strip().upper()
        if not code or len(code) > 3:
            raise ValueError(f"company code must be 1 to 3 characters, got {value!r}")
        return code

    @field_validator("division")
    @classmethod
    def _division(cls, value: str) -> str:
        div = value.strip().upper()
        if len(div) != 2:
            raise ValueError(f"AP division must be 2 characters, got {value!r}")
        return div

    @field_validator("home")
    @classmethod
    def _home(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("home must be the MAS90\\Home folder")
        return value.strip()
