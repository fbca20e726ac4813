"""The read-back after an AP invoice write, in bulk: two `nGetResultSets` instead of a walk.

After `nWrite`, the header is read from A/P Invoice Data Entry under exactly the key
(`AP_Invoice_bus`, one result set) and its lines from `AP_InvoiceDetail_svc` (one result
set over the key's range), and both are compared with what was sent: the header is in
data entry, in the batch it was written to, with the amount sent; the lines are the
(AccountKey, amount) pairs sent, no more, no fewer. That is what the per-field read-back
(`verify_by_fields`: `nSetKey`, `nGetValue` per field and `oLines` navigation, 8 +
4 per line calls) checks, read from the tables the write reached.

Where the company has no `AP_InvoiceDetail_svc` (NewObject refuses it; the object name is
not confirmed on every Sage version) the per-field read-back runs instead, for the rest
of the session.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal

import structlog

from ml_connector.sage100 import boi_amounts
from ml_connector.sage100.boi_calls import check, classify_failure, last_error, return_code
from ml_connector.sage100.boi_reads import read_invoices, sage_money
from ml_connector.sage100.boi_record import clear_record, get_value, set_key_parts
from ml_connector.sage100.boi_session import BoiSession
from ml_connector.sage100.errors import SageLoginError, SageVerifyError
from ml_connector.sage100.port import NewApInvoice
from ml_connector.sage100.resultsets import KEY_END, all_of, equals, read_rows

log = structlog.get_logger(__name__)

LINES_OBJECT = "AP_InvoiceDetail_svc"
_NO_LINES_OBJECT = "no_invoice_detail_svc"


def _exact(inv: NewApInvoice) -> tuple[str, str, str]:
    k = inv.key
    prefix = f"{k.division_no}{k.vendor_no}"  # the range: the filter asks for the exact key
    return (
        all_of(
            equals("APDivisionNo$", k.division_no),
            equals("VendorNo$", k.vendor_no),
            equals("InvoiceNo$", k.invoice_no),
        ),
        prefix,
        prefix + KEY_END,
    )


def verify_invoice(s: BoiSession, inv: NewApInvoice) -> None:
    """Compare the invoice Sage now holds under `inv.key` with what was sent."""
    if s.cache.get(_NO_LINES_OBJECT) or inv.sales_tax or inv.freight:
        # header tax and freight (and Sage's taxable split) are compared field by field
        verify_by_fields(s, inv)
        return
    try:
        lines_obj = s.obj(LINES_OBJECT)
    except SageLoginError as exc:
        log.warning("sage_bulk_readback_unavailable", object=LINES_OBJECT, reason=exc.message)
        s.cache[_NO_LINES_OBJECT] = True
        verify_by_fields(s, inv)
        return
    rec = str(inv.key)
    c = s.settings.columns
    filter_expr, begin, end = _exact(inv)
    headers = [
        h
        for h in read_invoices(s, "entry", filter_expr=filter_expr, begin=begin, end=end)
        if h.key == inv.key
    ]
    if len(headers) != 1:
        raise SageVerifyError(
            f"{rec} was written but Sage does not find it again in data entry "
            f"({len(headers)} headers under the key)",
            operation="create_invoice",
            record=rec,
        )
    header = headers[0]
    columns = ["InvoiceNo$", f"{c.line_account}$", c.line_amount]
    rows = read_rows(
        lines_obj,
        columns,
        key_column="APDivisionNo$+VendorNo$+InvoiceNo$",
        source=f"{LINES_OBJECT} read-back",
        filter_expr=filter_expr,
        begin=begin,
        end=end,
    )
    got = [
        (r[c.line_account].strip(), sage_money(r[c.line_amount], source=rec))
        for r in rows
        if r["InvoiceNo"] == inv.key.invoice_no
    ]
    compare(inv, header.amount, header.batch_no, got)


def compare(
    inv: NewApInvoice,
    amount: Decimal,
    batch_no: str | None,
    got: list[tuple[str, Decimal]],
    *,
    extra: Sequence[str] = (),
) -> None:
    """Raise `SageVerifyError` naming every difference between sent and read back: the
    amount, `extra` (what a read-back of further fields found), the batch (None: not read),
    the number of lines and the distribution."""
    rec = str(inv.key)
    want = [(line.account_key, line.amount) for line in inv.lines]
    problems = []
    if amount != inv.amount:
        problems.append(f"amount {amount} instead of {inv.amount}")
    problems.extend(extra)
    if batch_no is not None and inv.batch_no and batch_no != inv.batch_no:
        problems.append(f"batch {batch_no or '(none)'} instead of {inv.batch_no}")
    if len(got) != len(want):
        problems.append(f"{len(got)} lines instead of {len(want)}")
    if Counter(got) != Counter(want):
        problems.append(f"distribution {sorted(got)} instead of {sorted(want)}")
    if problems:
        log.error("sage_invoice_readback_mismatch", record=rec, problems=problems)
        raise SageVerifyError(
            f"{rec} was written but reads back differently: {'; '.join(problems)}",
            operation="create_invoice",
            record=rec,
            hint="Check the invoice in A/P Invoice Data Entry before the register is updated, "
            "and check the column names in the connector's Sage settings (BoiColumns).",
        )


def verify_by_fields(s: BoiSession, inv: NewApInvoice) -> None:
    """The read-back through the bus object, field by field: for an invoice with header tax
    or freight (and Sage's taxable split), and where `AP_InvoiceDetail_svc` is refused.

    `nSetKey` on the key just written must answer 1 (existing); header and lines are read
    with `nGetValue` and `oLines` navigation, then the record is let go with `nClear`
    (nothing is set, so nothing changes).
    """
    bus = s.obj("AP_Invoice_bus")
    c = s.settings.columns
    rec = str(inv.key)
    try:
        if inv.batch_no:
            check(bus.nSelectBatch(inv.batch_no), bus, f"nSelectBatch({inv.batch_no})", record=rec)
        set_key_parts(bus, inv, rec)
        answer = return_code(bus.nSetKey())
        if answer == 0:
            raise classify_failure(last_error(bus), operation="read-back nSetKey", record=rec)
        if answer != 1:
            raise SageVerifyError(
                f"{rec} was written but Sage does not find it again (nSetKey answered {answer})",
                operation="create_invoice",
                record=rec,
            )
        amount = sage_money(get_value(bus, c.invoice_amount), source=rec)
        extras = boi_amounts.read_back(bus, c, inv, rec)
        lines = bus.oLines
        got: list[tuple[str, Decimal]] = []
        moved = return_code(lines.nMoveFirst())
        while moved and return_code(lines.nEOF()) == 0:
            account = str(get_value(lines, f"{c.line_account}$")).strip()
            got.append((account, sage_money(get_value(lines, c.line_amount), source=rec)))
            moved = return_code(lines.nMoveNext())
    finally:
        clear_record(bus)
    compare(inv, amount, None, got, extra=boi_amounts.read_back_problems(inv, extras))
