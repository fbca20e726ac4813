"""The A/P Invoice Register update: data entry -> AP_OpenInvoice + invoice history.

`post_register(conn, ...)` does the posting; `AP_InvoiceRegister_upd` drives it through
BOI (`nSelectBatch`, `nSetPostingDate`, `nProcessReport("PRINT")`, `nUpdate()`), and the
`post-register` command calls it directly.

For each invoice in entry (in the selected batch, or all when batches are off):
- a new invoice becomes an `AP_OpenInvoice` row (Balance = InvoiceAmt);
- an adjustment (`Adjustment = "Y"`) adds its amount to the open invoice's InvoiceAmt and
  Balance, or reopens it with that balance when it was paid off (history only);
- a history header (`HeaderSeqNo` "000001", then "000002"... per invoice number, whatever
  the vendor: history is keyed InvoiceNo + HeaderSeqNo; `InvoiceType` "IN"
  or "AD") and its lines (`DetailSeqNo` from "000001") are written;
- the invoice and its lines leave data entry; an emptied batch is removed.
Nothing is posted when any invoice concerned is held by another user.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from ml_connector.sandbox.sage100 import database as db
from ml_connector.sandbox.sage100 import schema
from ml_connector.sandbox.sage100.com import IN_USE_MESSAGE, ComObject, com_call
from ml_connector.sandbox.sage100.database import insert_row
from ml_connector.sandbox.sage100.schema import DELETE_INVOICE_HEADER, DELETE_INVOICE_LINES
from ml_connector.sandbox.sage100.values import is_date, money

if TYPE_CHECKING:
    from ml_connector.sandbox.sage100.session import SySession


class RegisterError(Exception):
    """Posting refused; the message is Sage-like."""


def post_register(
    conn: sqlite3.Connection,
    *,
    posting_date: str,
    stamp: tuple[str, str],
    user_key: str,
    batch_no: str | None = None,
    holder: str = "",
    now: float = 0.0,
) -> int:
    """Post the invoices in entry; returns how many were posted."""
    if not is_date(posting_date):
        raise RegisterError(f"Invalid posting date {posting_date!r}. Dates are YYYYMMDD.")
    where, params = "1", tuple[str, ...]()
    if batch_no is not None:
        where, params = "BatchNo = ?", (batch_no,)
    headers = [
        dict(r)
        for r in conn.execute(
            f"SELECT * FROM AP_InvoiceHeader WHERE {where} "  # noqa: S608  # fixed text
            "ORDER BY APDivisionNo, VendorNo, InvoiceNo",
            params,
        )
    ]
    for h in headers:
        lock_key = f"{h['APDivisionNo']:<2}{h['VendorNo']:<7}{h['InvoiceNo']}".rstrip()
        if db.held_by_other(conn, "AP_InvoiceHeader", lock_key, holder=holder, now=now):
            raise RegisterError(IN_USE_MESSAGE)
    date, time = stamp
    audit = {
        "DateCreated": date,
        "TimeCreated": time,
        "UserCreatedKey": user_key,
        "DateUpdated": date,
        "TimeUpdated": time,
        "UserUpdatedKey": user_key,
    }
    with db.transaction(conn):
        for h in headers:
            key = (h["APDivisionNo"], h["VendorNo"], h["InvoiceNo"])
            amount = money(h["InvoiceAmt"])
            _post_open(conn, h, amount, posting_date, audit)
            seq_row = conn.execute(  # history is keyed InvoiceNo + HeaderSeqNo
                "SELECT MAX(HeaderSeqNo) FROM AP_InvoiceHistoryHeader WHERE InvoiceNo = ?",
                (h["InvoiceNo"],),
            ).fetchone()
            seq = f"{int(seq_row[0] or 0) + 1:06d}"
            insert_row(
                conn,
                schema.AP_INVOICE_HISTORY_HEADER,
                {
                    **h,
                    **audit,
                    "HeaderSeqNo": seq,
                    "InvoiceType": "AD" if h["Adjustment"] == "Y" else "IN",
                    "ModuleCode": "A/P",
                    "PostingDate": posting_date,
                },
            )
            lines = conn.execute(
                "SELECT * FROM AP_InvoiceDetail WHERE APDivisionNo = ? AND VendorNo = ? "
                "AND InvoiceNo = ? ORDER BY LineKey",
                key,
            ).fetchall()
            for n, line in enumerate(lines, start=1):
                insert_row(
                    conn,
                    schema.AP_INVOICE_HISTORY_DETAIL,
                    {**dict(line), **audit, "HeaderSeqNo": seq, "DetailSeqNo": f"{n:06d}"},
                )
            conn.execute(
                DELETE_INVOICE_LINES,
                key,
            )
            conn.execute(
                DELETE_INVOICE_HEADER,
                key,
            )
        for batch in {str(h["BatchNo"]) for h in headers if h["BatchNo"]}:
            left = conn.execute(
                "SELECT 1 FROM AP_InvoiceHeader WHERE BatchNo = ? LIMIT 1", (batch,)
            ).fetchone()
            if left is None:
                conn.execute(
                    "DELETE FROM GL_CompanyActiveBatch WHERE ModuleCode = 'A/P' AND BatchNo = ?",
                    (batch,),
                )
    return len(headers)


def _post_open(
    conn: sqlite3.Connection,
    h: dict[str, object],
    amount: object,
    posting_date: str,
    audit: dict[str, str],
) -> None:
    key = (h["APDivisionNo"], h["VendorNo"], h["InvoiceNo"])
    row = conn.execute(
        "SELECT * FROM AP_OpenInvoice WHERE APDivisionNo = ? AND VendorNo = ? AND InvoiceNo = ?",
        key,
    ).fetchone()
    if row is not None:
        conn.execute(
            "UPDATE AP_OpenInvoice SET InvoiceAmt = ?, Balance = ?, DateUpdated = ?, "
            "TimeUpdated = ?, UserUpdatedKey = ? WHERE APDivisionNo = ? AND VendorNo = ? "
            "AND InvoiceNo = ?",
            (
                float(money(row["InvoiceAmt"]) + money(amount)),
                float(money(row["Balance"]) + money(amount)),
                audit["DateUpdated"],
                audit["TimeUpdated"],
                audit["UserUpdatedKey"],
                *key,
            ),
        )
        return
    insert_row(
        conn,
        schema.AP_OPEN_INVOICE,
        {
            **h,
            **audit,
            "PostingDate": posting_date,
            "InvoiceAmt": float(money(amount)),
            "Balance": float(money(amount)),
        },
    )


class ApInvoiceRegisterUpd(ComObject):
    """`AP_InvoiceRegister_upd`: print (`nProcessReport`) then update (`nUpdate`)."""

    def __init__(self, session: SySession) -> None:
        super().__init__(session)
        self.session = session
        self.batch: str | None = None
        self.posting_date = ""
        self.printed = False

    @com_call
    def nSelectBatch(self, batch_no: str) -> int:
        batch = str(batch_no).strip().zfill(5)
        assert self.session.company is not None
        row = self.session.company.execute(
            "SELECT 1 FROM GL_CompanyActiveBatch WHERE ModuleCode = 'A/P' AND BatchNo = ?",
            (batch,),
        ).fetchone()
        if row is None:
            return self._fail(f"Batch {batch} is not on file.")
        self.batch = batch
        return self._ok()

    @com_call
    def nSetPostingDate(self, posting_date: str) -> int:
        if not is_date(str(posting_date)):
            return self._fail(f"Invalid posting date {posting_date!r}. Dates are YYYYMMDD.")
        self.posting_date = str(posting_date)
        return self._ok()

    @com_call
    def nProcessReport(self, destination: str = "PRINT") -> int:
        if str(destination).upper() not in ("PRINT", "PREVIEW", "DEFERRED"):
            return self._fail(f"Invalid report destination {destination!r}.")
        self.printed = True
        return self._ok()

    @com_call
    def nUpdate(self) -> int:
        if not self.printed:
            return self._fail("The register must be printed before it can be updated.")
        posting_date = self.posting_date or self.session.module_dates.get("A/P", "")
        if not posting_date:
            return self._fail("The A/P module date has not been set (nSetDate).")
        assert self.session.company is not None
        try:
            post_register(
                self.session.company,
                posting_date=posting_date,
                stamp=self.session.stamp(),
                user_key=self.session.user_key,
                batch_no=self.batch,
                holder=self.session.id,
                now=self.session.now_epoch(),
            )
        except RegisterError as exc:
            return self._fail(str(exc))
        self.printed = False
        return self._ok()
