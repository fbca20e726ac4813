"""Bulk reads of Sage 100 master and invoice data, through `nGetResultSets`.

Each function runs on the BOI thread with an open `BoiSession` and turns result-set rows
into the port's value types: GL accounts, AP divisions and options, vendors (optionally
changed since a `ChangeStamp`), and AP invoices in data entry (`AP_InvoiceHeader`), open
invoices (`AP_OpenInvoice`) and history (`AP_InvoiceHistoryHeader`, one row per
HeaderSeqNo; an invoice's amount there is the sum). The open-invoice, history and A/P
Options objects are the ones `names.resolve` found for the company (`s.names`).

Data entry is read through a second `AP_Invoice_bus` that never has a batch selected
(`AP_Invoice_bus#lookup`): the writing object keeps the connector's batch selected, and a
bus object with a batch selected may browse only that batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

import structlog

from ml_connector.money import CENT, ZERO
from ml_connector.sage100.boi_session import BoiSession
from ml_connector.sage100.changestamp import parse_sage_date, parse_stamp
from ml_connector.sage100.errors import (
    SageLoginError,
    SageRejectedError,
    SageSessionError,
    SageVerifyError,
)
from ml_connector.sage100.names import SageNames
from ml_connector.sage100.port import (
    AccountKey,
    ApDivision,
    ApInvoiceKey,
    ChangeStamp,
    DivisionNo,
    ExistingInvoice,
    GlAccount,
    InvoiceWhere,
    SageInvoiceNo,
    SageVendor,
    SageVendorNo,
)
from ml_connector.sage100.resultsets import KEY_END, all_of, equals, read_rows

log = structlog.get_logger(__name__)

AUDIT = ("DateUpdated$", "TimeUpdated$", "DateCreated$", "TimeCreated$")
INVOICE_WHERE: tuple[InvoiceWhere, ...] = ("entry", "open", "history")
ENTRY_LOOKUP = "AP_Invoice_bus#lookup"


def names_of(s: BoiSession) -> SageNames:
    if s.names is None:  # the adapter resolves the names before any job runs
        raise SageSessionError("the Sage names were not resolved", operation="boi")
    return s.names


def invoice_object(s: BoiSession, where: InvoiceWhere) -> str:
    """The object that reads invoices in `where` (entry: the lookup object, no batch)."""
    if where == "entry":
        return ENTRY_LOOKUP
    return names_of(s).need("open_invoices" if where == "open" else "invoice_history")


def sage_money(text: str, *, source: str) -> Decimal:
    """A Sage amount (from STR(...) or nGetValue) as Decimal cents."""
    raw = str(text).strip()
    try:
        return (Decimal(raw) if raw else ZERO).quantize(CENT)
    except InvalidOperation as exc:
        raise SageVerifyError(f"{source}: not an amount: {text!r}", operation=source) from exc


def stamps(row: dict[str, str]) -> tuple[ChangeStamp | None, ChangeStamp | None]:
    """(updated, created) stamps of a row read with the AUDIT columns."""
    return (
        parse_stamp(row["DateUpdated"], row["TimeUpdated"]),
        parse_stamp(row["DateCreated"], row["TimeCreated"]),
    )


# ---- invoices ------------------------------------------------------------------------


def invoice_columns(s: BoiSession, where: InvoiceWhere) -> list[str]:
    c = s.settings.columns
    amount = {
        "entry": c.invoice_amount,
        "open": c.open_invoice_amount,
        "history": c.history_invoice_amount,
    }[where]
    cols = ["APDivisionNo$", "VendorNo$", "InvoiceNo$", "InvoiceDate$", amount]
    cols.append(f"{c.invoice_comment}$")
    if where != "open":
        cols.append("BatchNo$")
    return cols


def read_invoices(
    s: BoiSession, where: InvoiceWhere, *, filter_expr: str = "", begin: str = "", end: str = ""
) -> list[ExistingInvoice]:
    """Header rows of entry, open or history (history: one per HeaderSeqNo)."""
    cols = invoice_columns(s, where)
    amount_col = cols[4]
    name = invoice_object(s, where)
    source = f"{name.removesuffix('#lookup')} ({where})"
    rows = read_rows(
        s.obj(name),
        cols,
        key_column="APDivisionNo$+VendorNo$+InvoiceNo$",
        source=source,
        filter_expr=filter_expr,
        begin=begin,
        end=end,
    )
    return [
        ExistingInvoice(
            key=ApInvoiceKey(
                DivisionNo(r["APDivisionNo"]),
                SageVendorNo(r["VendorNo"]),
                SageInvoiceNo(r["InvoiceNo"]),
            ),
            where=where,
            invoice_date=parse_sage_date(r["InvoiceDate"]),
            amount=sage_money(r[amount_col], source=source),
            comment=r[s.settings.columns.invoice_comment],
            batch_no=r.get("BatchNo", ""),
        )
        for r in rows
    ]


def combine(rows: Sequence[ExistingInvoice]) -> list[ExistingInvoice]:
    """One invoice per (where, key): history rows of one invoice add up."""
    merged: dict[tuple[str, ApInvoiceKey], ExistingInvoice] = {}
    for inv in rows:
        seen = merged.get((inv.where, inv.key))
        if seen is None:
            merged[(inv.where, inv.key)] = inv
        else:
            merged[(inv.where, inv.key)] = ExistingInvoice(
                key=seen.key,
                where=seen.where,
                invoice_date=seen.invoice_date or inv.invoice_date,
                amount=seen.amount + inv.amount,
                comment=seen.comment or inv.comment,
                batch_no=seen.batch_no or inv.batch_no,
            )
    order = {"entry": 0, "open": 1, "history": 2}
    return sorted(merged.values(), key=lambda i: (order[i.where], i.key))


_EXPECTED_KEY: dict[InvoiceWhere, tuple[str, ...]] = {
    "entry": ("APDivisionNo", "VendorNo", "InvoiceNo"),  # FL44 AP_InvoiceHeader
    "open": ("APDivisionNo", "VendorNo", "InvoiceNo"),
    "history": ("InvoiceNo", "HeaderSeqNo"),
}


def key_prefix(s: BoiSession, where: InvoiceWhere, key: ApInvoiceKey) -> str:
    """The key-range prefix for `key` in `where`, from the object's reported key columns
    (the expected key when Sage does not report it); "" (no range, the filter alone) when
    the key starts with anything else: a wrong range would silently find nothing."""
    role = {"open": "open_invoices", "history": "invoice_history"}.get(where)
    reported = names_of(s).key_columns.get(role, ()) if role else ()
    columns = reported or _EXPECTED_KEY[where]
    if columns[:1] == ("InvoiceNo",):
        return str(key.invoice_no)
    if columns[:3] == ("APDivisionNo", "VendorNo", "InvoiceNo"):
        return f"{key.division_no}{key.vendor_no}"
    return ""


def find_invoice(s: BoiSession, key: ApInvoiceKey) -> list[ExistingInvoice]:
    """The invoice with exactly this key in entry, open and history (entry first).

    Entry and open invoices are keyed division + vendor + invoice number: the read is bound
    to that prefix. History is keyed InvoiceNo + HeaderSeqNo (the vendor is an alternate
    key, as in Sage's other invoice histories): the read is bound to the invoice number.
    Where Sage reports another key (`sGetKeyColumns`), the range follows it or is dropped
    (`key_prefix`). Every read also filters on the exact key, and the rows are checked
    again here.
    """
    exact = all_of(
        equals("APDivisionNo$", key.division_no),
        equals("VendorNo$", key.vendor_no),
        equals("InvoiceNo$", key.invoice_no),
    )
    found: list[ExistingInvoice] = []
    for where in INVOICE_WHERE:
        start = key_prefix(s, where, key)
        end = start + KEY_END if start else ""
        rows = read_invoices(s, where, filter_expr=exact, begin=start, end=end)
        # The filter already asks for the exact key; check again, a loose filter must not
        # let a neighbour through (nor hide the invoice: the range is only a prefix).
        found.extend(r for r in rows if r.key == key)
    return combine(found)


# ---- master data ---------------------------------------------------------------------

_GL_COLS = (
    "AccountKey$",
    "Account$",
    "RawAccount$",
    "AccountDesc$",
    "Status$",
    "AccountType$",
    "MainAccountCode$",
)


def gl_accounts(s: BoiSession) -> list[GlAccount]:
    rows = read_rows(
        s.obj("GL_Account_svc"), _GL_COLS, key_column="AccountKey$", source="GL_Account_svc"
    )
    out = []
    for r in rows:
        status = r["Status"] or "A"
        if status not in ("A", "I", "D"):
            raise SageVerifyError(
                f"GL_Account {r['Account']}: unknown Status {status!r}", operation="gl_accounts"
            )
        out.append(
            GlAccount(
                account_key=AccountKey(r["AccountKey"]),
                account=r["Account"],
                raw_account=r["RawAccount"],
                description=r["AccountDesc"],
                status=status,  # type: ignore[arg-type]  # checked just above
                account_type=r["AccountType"],
                main_account_code=r["MainAccountCode"],
            )
        )
    return out


def divisions(s: BoiSession) -> list[ApDivision]:
    rows = read_rows(
        s.obj("AP_Division_svc"),
        (
            "APDivisionNo$",
            "APDivisionDesc$",
            "AccountsPayableAcctKey$",
            "FreightAcctKey$",
            "SalesTaxAcctKey$",
        ),
        key_column="APDivisionNo$",
        source="AP_Division_svc",
    )
    return [
        ApDivision(
            DivisionNo(r["APDivisionNo"]),
            r["APDivisionDesc"],
            _key_or_none(r["AccountsPayableAcctKey"]),
            _key_or_none(r["FreightAcctKey"]),
            _key_or_none(r["SalesTaxAcctKey"]),
        )
        for r in rows
    ]


def ap_options(s: BoiSession, *, need_batch_flag: bool) -> tuple[bool | None, bool | None]:
    """(batch entry for invoices, divisions in use) from A/P Options; None where not read.

    With `need_batch_flag`, a missing A/P Options object or batch column is a setup error
    (`SageNames.need`): an unknown column would read as "" (batches "off") on a real server.
    """
    names = names_of(s)
    if need_batch_flag:
        names.need("ap_options")
        names.need("batch_flag")
    if not names.ap_options:
        return None, None
    columns = [f"{c}$" for c in (names.batch_flag, names.divisions_flag) if c]
    if not columns:
        return None, None
    rows = read_rows(
        s.obj(names.ap_options),
        columns,
        key_column="ModuleCode$",
        source=names.ap_options,
    )  # one record (ModuleCode A/P); no filter on a value no public source confirms
    row = next(iter(rows), None)
    if row is None:
        return (False if need_batch_flag else None), None
    batches = row[names.batch_flag] == "Y" if names.batch_flag else None
    divisions = row[names.divisions_flag] == "Y" if names.divisions_flag else None
    return batches, divisions


def open_batches(s: BoiSession, comment: str) -> list[str]:
    """The company's open A/P batches whose comment is `comment` (the connector's marker),
    newest first; [] when Sage offers no batch list (`names.batch_registry`, optional: the
    connector then opens a new batch after a restart, as it did before).

    GL_CompanyActiveBatch holds one row per open batch (ModuleCode, BatchNo, Comment, as
    public code reads it); updating the register removes the batch's row.
    """
    registry = names_of(s).batch_registry
    if not registry:
        return []
    try:
        rows = read_rows(
            s.obj(registry),
            ("ModuleCode$", "BatchNo$", "Comment$"),
            key_column="BatchNo$",
            source=registry,
            filter_expr=equals("ModuleCode$", "A/P"),  # the comment is compared here
        )
    except (SageLoginError, SageRejectedError, SageVerifyError) as exc:
        log.info("sage_batch_list_unreadable", reason=exc.message)
        return []
    found = {
        r["BatchNo"].strip()
        for r in rows
        if r["ModuleCode"].strip() == "A/P"
        and r["Comment"].strip() == comment.strip()
        and r["BatchNo"].strip()
    }
    return sorted(found, reverse=True)


def _key_or_none(value: str) -> AccountKey | None:
    return AccountKey(value) if value else None


# ---- vendors -------------------------------------------------------------------------


def vendor_columns(s: BoiSession) -> list[str]:
    c = s.settings.columns
    return [
        "APDivisionNo$",
        "VendorNo$",
        "VendorName$",
        "AddressLine1$",
        "AddressLine2$",
        "AddressLine3$",
        "City$",
        "State$",
        "ZipCode$",
        "CountryCode$",
        "TelephoneNo$",
        f"{c.vendor_email}$",
        "TermsCode$",
        f"{c.vendor_status}$",
        f"{c.tax_schedule}$",
        f"{c.vendor_receipt_of_invoice}$",
        *AUDIT,
    ]


def read_vendors(
    s: BoiSession, *, filter_expr: str = "", begin: str = "", end: str = ""
) -> list[SageVendor]:
    c = s.settings.columns
    rows = read_rows(
        s.obj("AP_Vendor_svc"),
        vendor_columns(s),
        key_column="APDivisionNo$+VendorNo$",
        source="AP_Vendor_svc",
        filter_expr=filter_expr,
        begin=begin,
        end=end,
    )
    out = []
    for r in rows:
        updated, created = stamps(r)
        out.append(
            SageVendor(
                division_no=DivisionNo(r["APDivisionNo"]),
                vendor_no=SageVendorNo(r["VendorNo"]),
                name=r["VendorName"],
                address_line1=r["AddressLine1"],
                address_line2=r["AddressLine2"],
                address_line3=r["AddressLine3"],
                city=r["City"],
                state=r["State"],
                zip_code=r["ZipCode"],
                country_code=r["CountryCode"],
                telephone_no=r["TelephoneNo"],
                email_address=r[c.vendor_email],
                terms_code=r["TermsCode"],
                status=r[c.vendor_status] or "A",
                updated=updated,
                created=created,
                tax_schedule=r[c.tax_schedule],
                receipt_of_invoice=r[c.vendor_receipt_of_invoice].upper() == "Y",
            )
        )
    return out


def company_name(s: BoiSession) -> str:
    """The company's name from SY_Company (system data); "" when Sage does not offer it."""
    code = s.settings.company
    try:
        rows = read_rows(
            s.obj("SY_Company_svc"),
            ("CompanyCode$", "CompanyName$"),
            key_column="CompanyCode$",
            source="SY_Company_svc",
            filter_expr=equals("CompanyCode$", code),
        )
    except (SageLoginError, SageRejectedError) as exc:  # a name is not worth failing for
        log.info("sage_company_name_unavailable", reason=exc.message)
        return ""
    return next((r["CompanyName"] for r in rows if r["CompanyCode"] == code), "")
