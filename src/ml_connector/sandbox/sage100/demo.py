"""Writing the demo company (see seed.py) into a fresh company database."""

from __future__ import annotations

import random
import sqlite3
from datetime import date, timedelta

from ml_connector.sandbox.sage100 import schema, seed
from ml_connector.sandbox.sage100.chart import AccountPlan
from ml_connector.sandbox.sage100.database import insert_row

USER_KEY = "0000000001"


def write_demo(
    conn: sqlite3.Connection, audit: dict[str, str], *, batches: bool, plan: AccountPlan
) -> None:
    """GL accounts, vendors, tax schedules, Job Cost jobs, a year of history and the
    hand-keyed invoices."""
    accounts = seed.gl_accounts(plan)
    for row in accounts:
        insert_row(conn, schema.GL_ACCOUNT, {**row, **audit})
    conn.execute(
        "UPDATE AP_Division SET AccountsPayableAcctKey = ?, CashAcctKey = ?, "
        "FreightAcctKey = ?, SalesTaxAcctKey = ? WHERE APDivisionNo = '00'",
        (
            seed.account_key(accounts, "2000-00-100", plan),
            seed.account_key(accounts, "1000-00-100", plan),
            seed.account_key(accounts, "5200-00-100", plan),  # Freight In
            seed.account_key(accounts, "5250-00-100", plan),  # Purchase Tax
        ),
    )
    for v in seed.vendors():
        insert_row(
            conn,
            schema.AP_VENDOR,
            {
                "APDivisionNo": "00",
                "VendorNo": v.vendor_no,
                "VendorName": v.name,
                "AddressLine1": v.street[:30],
                "City": v.city[:20],
                "State": v.state,
                "ZipCode": v.zip_code,
                "CountryCode": "USA",
                "TelephoneNo": v.telephone[:17],
                "EmailAddress": v.email,
                "TermsCode": v.terms,
                "VendorStatus": v.status,
                "AccountKey": seed.account_key(accounts, v.account, plan),
                "TaxSchedule": seed.VENDOR_TAX_SCHEDULES.get(v.vendor_no, ""),
                "UsePOReceiptOfInvoice": "Y" if v.vendor_no in seed.RECEIPT_OF_INVOICE else "N",
                **audit,
            },
        )
    _tax_and_jobs(conn, audit)
    rng = random.Random(42)  # noqa: S311  # demo data
    by_no = {v.vendor_no: v for v in seed.vendors()}
    seen: set[tuple[str, str]] = set()
    for inv in [*seed.hand_keyed(), *seed.MANUAL, *seed.history()]:
        if (inv.vendor_no, inv.invoice_no) in seen:
            continue
        seen.add((inv.vendor_no, inv.invoice_no))
        vendor = by_no[inv.vendor_no]
        account = seed.account_key(accounts, vendor.account, plan)
        _invoice(conn, inv, account, vendor.terms, rng)
    if batches:  # the invoices keyed by hand wait in batch 00001
        conn.execute("UPDATE AP_InvoiceHeader SET BatchNo = '00001'")
        conn.execute("UPDATE AP_Options SET NextBatchNo = '00002'")
        batch = {"ModuleCode": "A/P", "BatchType": "IN", "BatchNo": "00001"}
        insert_row(
            conn,
            schema.GL_COMPANY_ACTIVE_BATCH,
            {**batch, "Comment": "Keyed by hand", "PrivateBatch": "N", **audit},
        )


def _tax_and_jobs(conn: sqlite3.Connection, audit: dict[str, str]) -> None:
    conn.execute("UPDATE AP_Options SET CalcSalesTaxInAP = 'Y' WHERE ModuleCode = 'A/P'")
    for schedule, desc, rate in seed.TAX_SCHEDULES:
        row = {"TaxSchedule": schedule, "TaxScheduleDesc": desc, "TaxRate": rate}
        insert_row(conn, schema.SY_SALES_TAX_SCHEDULE, {**row, **audit})
    for job_no, desc, status, codes in seed.jc_jobs():
        insert_row(
            conn,
            schema.JC_JOB,
            {"JobNo": job_no, "JobDesc": desc, "JobStatus": status, **audit},
        )
        for cost_code, cost_type, code_desc in codes:
            insert_row(
                conn,
                schema.JC_JOB_COST_DETAIL,
                {
                    "JobNo": job_no,
                    "CostCode": cost_code,
                    "CostType": cost_type,
                    "CostCodeDesc": code_desc,
                    **audit,
                },
            )


def _invoice(
    conn: sqlite3.Connection, inv: seed.DemoInvoice, account: str, terms: str, rng: random.Random
) -> None:
    day = date(int(inv.invoice_date[:4]), int(inv.invoice_date[4:6]), int(inv.invoice_date[6:]))
    posted = day + timedelta(days=rng.randrange(1, 6))
    hours = f"{rng.randrange(7, 18) + rng.randrange(0, 100_000) / 100_000:08.5f}"
    stamp = f"{posted:%Y%m%d}"
    audit = {
        "DateCreated": stamp,
        "TimeCreated": hours,
        "UserCreatedKey": USER_KEY,
        "DateUpdated": stamp,
        "TimeUpdated": hours,
        "UserUpdatedKey": USER_KEY,
    }
    cents = round(float(inv.amount) * 100)
    parts = [cents] if cents < 20_000 or rng.random() < 0.5 else [cents // 3, cents - cents // 3]
    header = {
        "APDivisionNo": "00",
        "VendorNo": inv.vendor_no,
        "InvoiceNo": inv.invoice_no,
        "InvoiceDate": inv.invoice_date,
        "InvoiceDueDate": f"{day + timedelta(days=30):%Y%m%d}",
        "TermsCode": terms,
        "HoldPayment": "N",
        "Comment": inv.note[:40],
        "InvoiceAmt": cents / 100,
        **audit,
    }
    key = {k: header[k] for k in ("APDivisionNo", "VendorNo", "InvoiceNo")}
    if inv.where == "entry":
        insert_row(conn, schema.AP_INVOICE_HEADER, {**header, "Adjustment": "N"})
        for n, part in enumerate(parts, start=1):
            line = {"LineKey": f"{n:06d}", "AccountKey": account, "DistributionAmt": part / 100}
            insert_row(conn, schema.AP_INVOICE_DETAIL, {**key, **audit, **line})
        return
    seq_row = conn.execute(  # history is keyed InvoiceNo + HeaderSeqNo
        "SELECT MAX(HeaderSeqNo) FROM AP_InvoiceHistoryHeader WHERE InvoiceNo = ?",
        (header["InvoiceNo"],),
    ).fetchone()
    seq = f"{int(seq_row[0] or 0) + 1:06d}"
    history = {"HeaderSeqNo": seq, "InvoiceType": "IN", "ModuleCode": "A/P"}
    insert_row(
        conn,
        schema.AP_INVOICE_HISTORY_HEADER,
        {**header, **history, "PostingDate": f"{posted:%Y%m%d}"},
    )
    for n, part in enumerate(parts, start=1):
        line = {"DetailSeqNo": f"{n:06d}", "AccountKey": account, "DistributionAmt": part / 100}
        insert_row(
            conn,
            schema.AP_INVOICE_HISTORY_DETAIL,
            {**key, **audit, "HeaderSeqNo": seq, **line},
        )
    if inv.where == "open":
        insert_row(
            conn,
            schema.AP_OPEN_INVOICE,
            {**header, "PostingDate": f"{posted:%Y%m%d}", "Balance": cents / 100},
        )
