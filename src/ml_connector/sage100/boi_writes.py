"""Writes through BOI: AP invoices in A/P Invoice Data Entry, and new vendors.

Both run on the BOI thread as one job each and never edit an existing record: `nSetKey`
must answer 2 (new); anything else abandons the record with `nClear`. For invoices that is
what keeps Sage from turning a re-sent invoice number into an adjustment that adds to the
existing invoice. The key is looked up in entry, open and history before `nSetKey`, the
lines must balance before anything is sent, and the invoice is read back after `nWrite`.

`validate_invoice` and `validate_vendor` are pure and run before the BOI thread is asked.
"""

from __future__ import annotations

from typing import Any

import structlog

from ml_connector.money import CENT
from ml_connector.sage100 import boi_amounts
from ml_connector.sage100.boi_calls import (
    ComCallError,
    check,
    classify_failure,
    last_error,
    return_code,
)
from ml_connector.sage100.boi_reads import find_invoice, read_vendors
from ml_connector.sage100.boi_record import (
    clear_record,
    fit_text,
    set_key_parts,
    set_value,
)
from ml_connector.sage100.boi_session import BoiSession
from ml_connector.sage100.changestamp import format_sage_date
from ml_connector.sage100.errors import (
    InvoiceExistsError,
    SageRejectedError,
    SageVerifyError,
    VendorExistsError,
)
from ml_connector.sage100.port import (
    ACCOUNT_KEY_LEN,
    COMMENT_LEN,
    DIVISION_LEN,
    INVOICE_NO_LEN,
    JOB_NO_LEN,
    LINE_COMMENT_LEN,
    VENDOR_NO_LEN,
    ApInvoiceKey,
    ExistingInvoice,
    NewApInvoice,
    NewVendor,
    SageVendor,
    SageVendorNo,
    WrittenInvoice,
    sage_vendor_no,
)
from ml_connector.sage100.resultsets import KEY_END, all_of, equals

log = structlog.get_logger(__name__)

# Vendor text columns and their lengths in Sage's file layout (AP_Vendor).
_VENDOR_FIELDS = (
    ("address_line1", "AddressLine1", 30),
    ("address_line2", "AddressLine2", 30),
    ("city", "City", 20),
    ("state", "State", 2),
    ("zip_code", "ZipCode", 10),
    ("country_code", "CountryCode", 3),
    ("telephone_no", "TelephoneNo", 17),
    ("terms_code", "TermsCode", 2),
)


def _reject(message: str, record: str, operation: str) -> SageRejectedError:
    return SageRejectedError(
        message, operation=operation, record=record, hint="Correct the document and send it again."
    )


def validate_invoice(inv: NewApInvoice) -> None:
    """Refuse, before Sage sees it, an invoice Sage would refuse or silently change."""
    k, rec, op = inv.key, str(inv.key), "create_invoice"
    if len(k.division_no) != DIVISION_LEN or not k.vendor_no or len(k.vendor_no) > VENDOR_NO_LEN:
        raise _reject(f"division/vendor number does not fit Sage: {k}", rec, op)
    if not k.invoice_no or len(k.invoice_no) > INVOICE_NO_LEN:
        raise _reject(f"invoice number must be 1 to {INVOICE_NO_LEN} characters: {k}", rec, op)
    for part in (k.division_no, k.vendor_no, k.invoice_no):
        if part != part.upper() or part != part.strip():
            raise _reject(f"key parts must be upper case without outer spaces: {k}", rec, op)
    if sage_vendor_no(k.vendor_no) != k.vendor_no:
        raise _reject(
            f"vendor number {k.vendor_no} is not as Sage stores it "
            f"({sage_vendor_no(k.vendor_no)}: Sage zero-fills all-digit vendor numbers)",
            rec,
            op,
        )
    if not inv.lines:
        raise _reject("an AP invoice needs at least one distribution line", rec, op)
    for n, line in enumerate(inv.lines, start=1):
        if not line.account_key or len(line.account_key) > ACCOUNT_KEY_LEN:
            raise _reject(f"line {n}: AccountKey {line.account_key!r} is not a Sage key", rec, op)
        if line.amount != line.amount.quantize(CENT):
            raise _reject(f"line {n}: amount {line.amount} has more than 2 decimals", rec, op)
        if len(line.job_no) > JOB_NO_LEN:
            raise _reject(f"line {n}: job number {line.job_no!r} is too long", rec, op)
    problem = boi_amounts.amount_problem(inv)
    if problem:
        raise _reject(problem, rec, op)
    if len(inv.job_no) > JOB_NO_LEN:
        raise _reject(f"job number {inv.job_no!r} is too long", rec, op)


# A key this session found in none of entry, open and history this recently is not looked
# up again by the write that follows (the engine looks up right before it writes).
LOOKUP_FRESH_SECONDS = 5.0
_ABSENT = "absent_keys"
_BATCH = "selected_batch"


def note_lookup(s: BoiSession, key: ApInvoiceKey, *, found: bool) -> None:
    """Remember (or forget) that `key` was just looked up and is not in Sage."""
    absent: dict[ApInvoiceKey, float] = s.cache.setdefault(_ABSENT, {})
    now = s.clock.monotonic()
    absent.pop(key, None)
    # Keys looked up and then not written (a suspected duplicate, a dry run) no longer
    # count after LOOKUP_FRESH_SECONDS: the oldest (insertion order) is let go once stale,
    # one per lookup, so the session does not keep one per document.
    oldest = next(iter(absent), None)
    if oldest is not None and now - absent[oldest] > LOOKUP_FRESH_SECONDS:
        del absent[oldest]
    if not found:
        absent[key] = now


def _looked_up_absent(s: BoiSession, key: ApInvoiceKey) -> bool:
    """True once per lookup: a lock retry of the write looks up again."""
    absent: dict[ApInvoiceKey, float] = s.cache.setdefault(_ABSENT, {})
    at = absent.pop(key, None)
    return at is not None and s.clock.monotonic() - at <= LOOKUP_FRESH_SECONDS


def write_invoice(s: BoiSession, inv: NewApInvoice) -> WrittenInvoice:
    """One attempt, from the duplicate check through `nWrite` (`verify_invoice` follows).

    The duplicate check is the lookup in entry, open and history; it is skipped only when
    this session made it for this key moments ago (`note_lookup`). `nSetKey` must then
    answer 2 and the entry must not be an adjustment, whatever the lookup said."""
    rec = str(inv.key)
    if not _looked_up_absent(s, inv.key):
        existing = find_invoice(s, inv.key)
        if existing:
            raise _exists(inv, existing[0])
    bus = s.obj("AP_Invoice_bus")
    c = s.settings.columns
    try:
        selected = s.cache.pop(_BATCH, None)
        if inv.batch_no and (
            selected is None or selected[0] is not bus or selected[1] != inv.batch_no
        ):
            check(bus.nSelectBatch(inv.batch_no), bus, f"nSelectBatch({inv.batch_no})", record=rec)
        if inv.batch_no:
            s.cache[_BATCH] = (bus, inv.batch_no)  # stays selected on this object
        answer = _set_new_key(bus, inv, rec, whole=s.settings.invoice_key_whole)
        if answer != 2:
            msg = last_error(bus)
            if answer == 1:
                raise InvoiceExistsError(
                    f"nSetKey answered 1 (existing invoice in data entry) for {rec}; the write "
                    "was abandoned with nClear instead of becoming an adjustment",
                    where="entry",
                    operation="create_invoice",
                    record=rec,
                )
            raise classify_failure(msg, operation="nSetKey", record=rec)
        if _is_adjustment(bus):
            raise InvoiceExistsError(
                f"Sage started {rec} as an adjustment of a posted invoice; abandoned with nClear",
                where="open",
                operation="create_invoice",
                record=rec,
            )
        set_value(bus, "InvoiceDate$", format_sage_date(inv.invoice_date), rec)
        if inv.due_date is not None:
            set_value(bus, f"{c.invoice_due_date}$", format_sage_date(inv.due_date), rec)
        if inv.comment:
            comment = fit_text(inv.comment, COMMENT_LEN, "comment", rec)
            set_value(bus, f"{c.invoice_comment}$", comment, rec)
        set_value(bus, "HoldPayment$", "Y" if inv.hold_payment else "N", rec)
        if inv.job_no:
            set_value(bus, "JobNo$", inv.job_no, rec)
        set_value(bus, c.invoice_amount, float(inv.amount), rec)
        if inv.sales_tax:
            set_value(bus, c.sales_tax_amount, float(inv.sales_tax), rec)
        if inv.freight:
            set_value(bus, c.freight_amount, float(inv.freight), rec)
        lines = bus.oLines
        for n, line in enumerate(inv.lines, start=1):
            where = f"{rec} line {n}"
            check(lines.nAddLine(), lines, "oLines.nAddLine", record=where)
            set_value(lines, f"{c.line_account}$", line.account_key, where)
            set_value(lines, c.line_amount, float(line.amount), where)
            if line.comment:
                text = fit_text(line.comment, LINE_COMMENT_LEN, "line comment", where)
                set_value(lines, f"{c.line_comment}$", text, where)
            if line.job_no:
                set_value(lines, "JobNo$", line.job_no, where)
            if line.cost_code:
                set_value(lines, f"{c.line_cost_code}$", line.cost_code, where)
                set_value(lines, f"{c.line_cost_type}$", line.cost_type, where)
            check(lines.nWrite(), lines, "oLines.nWrite", record=where)
        check(bus.nWrite(), bus, "nWrite", record=rec)
    except ComCallError:
        raise  # the session is dropped; nothing more is said to this object
    except Exception:
        clear_record(bus)
        raise
    return WrittenInvoice(inv.key, inv.amount, len(inv.lines), inv.batch_no)


def written_as_existing(inv: NewApInvoice) -> ExistingInvoice:
    return ExistingInvoice(
        inv.key, "entry", inv.invoice_date, inv.amount, inv.comment, inv.batch_no
    )


def _exists(inv: NewApInvoice, found: ExistingInvoice) -> InvoiceExistsError:
    where = {
        "entry": "in A/P Invoice Data Entry",
        "open": "as an open invoice",
        "history": "in invoice history",
    }[found.where]
    return InvoiceExistsError(
        f"{inv.key} already exists {where} (amount {found.amount}); not written, so that Sage "
        "cannot turn it into an adjustment",
        where=found.where,
        operation="create_invoice",
        record=str(inv.key),
    )


def whole_invoice_key(key: ApInvoiceKey) -> str:
    """The key as one string, as ProvideX keys AP_InvoiceHeader: division (2) + vendor
    number padded to 7 + invoice number (the padding is unconfirmed: the probe's
    `whole_key` fact settles it)."""
    return f"{key.division_no}{key.vendor_no.ljust(VENDOR_NO_LEN)}{key.invoice_no}"


def _set_new_key(bus: Any, inv: NewApInvoice, rec: str, *, whole: bool) -> int:
    """`nSetKey`'s answer for the invoice's key: three `nSetKeyValue` and `nSetKey()`
    (confirmed), or with `whole` (`BoiSettings.invoice_key_whole`) one `nSetKey(key)`.
    A whole key no longer than an invoice number alone is given in parts: it could be
    taken for the last part of a key whose leading parts are still set."""
    key = whole_invoice_key(inv.key)
    if whole and len(key) > INVOICE_NO_LEN:
        return return_code(bus.nSetKey(key))
    set_key_parts(bus, inv, rec)
    return return_code(bus.nSetKey())


def _is_adjustment(bus: Any) -> bool:
    """True when Sage flagged the new entry as an adjustment of a posted invoice.

    Tolerant: a Sage without the `Adjustment$` column answers 0, which means "no".
    """
    answer = bus.nGetValue("Adjustment$", "")
    return (
        isinstance(answer, tuple)
        and len(answer) == 2
        and return_code(answer[0]) != 0
        and str(answer[1]).strip().upper() == "Y"
    )


# ---- vendors -------------------------------------------------------------------------


def validate_vendor(vendor: NewVendor) -> SageVendorNo:
    """The vendor number as Sage stores it (upper case, all-digit numbers zero-filled to
    7); refuses what cannot fit."""
    number = sage_vendor_no(vendor.vendor_no)
    rec = f"vendor {vendor.division_no}-{number}"
    if not number or len(number) > VENDOR_NO_LEN:
        raise _reject(
            f"vendor number must be 1 to {VENDOR_NO_LEN} characters", rec, "create_vendor"
        )
    if len(vendor.division_no) != DIVISION_LEN:
        raise _reject("AP division must be 2 characters", rec, "create_vendor")
    if not vendor.name.strip():
        raise _reject("a vendor needs a name", rec, "create_vendor")
    return SageVendorNo(number)


def write_vendor(s: BoiSession, vendor: NewVendor, number: SageVendorNo) -> SageVendor:
    rec = f"vendor {vendor.division_no}-{number}"
    bus = s.obj("AP_Vendor_bus")
    try:
        check(
            bus.nSetKeyValue("APDivisionNo$", vendor.division_no), bus, "nSetKeyValue", record=rec
        )
        check(bus.nSetKeyValue("VendorNo$", number), bus, "nSetKeyValue", record=rec)
        answer = return_code(bus.nSetKey())
        if answer != 2:
            msg = last_error(bus)
            if answer == 1:
                raise VendorExistsError(
                    f"{rec} already exists in Sage; not changed",
                    operation="create_vendor",
                    record=rec,
                    hint="Link the existing vendor, or ask for another vendor number.",
                )
            raise classify_failure(msg, operation="nSetKey", record=rec)
        set_value(bus, "VendorName$", fit_text(vendor.name.strip(), 30, "vendor name", rec), rec)
        for attr, col, length in _VENDOR_FIELDS:
            value = str(getattr(vendor, attr)).strip()
            if value:
                set_value(bus, f"{col}$", fit_text(value, length, col, rec), rec)
        if vendor.email_address.strip():
            set_value(bus, f"{s.settings.columns.vendor_email}$", vendor.email_address.strip(), rec)
        check(bus.nWrite(), bus, "nWrite", record=rec)
    except ComCallError:
        raise
    except Exception:
        clear_record(bus)
        raise
    found = read_vendors(
        s,
        filter_expr=all_of(
            equals("APDivisionNo$", vendor.division_no), equals("VendorNo$", number)
        ),
        begin=f"{vendor.division_no}{number}",
        end=f"{vendor.division_no}{number}{KEY_END}",
    )
    mine = [v for v in found if v.vendor_no == number and v.division_no == vendor.division_no]
    if not mine:
        raise SageVerifyError(
            f"{rec} was written but cannot be read back", operation="create_vendor", record=rec
        )
    return mine[0]
