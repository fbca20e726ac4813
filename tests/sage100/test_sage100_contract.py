"""The contract of the `Sage100` port, run over every implementation.

- `sandbox`: `BoiSage100` driving the Sage sandbox (`ProvideXScript` over SQLite).
- `real`: `BoiSage100` driving `ProvideX.Script` on a real Sage 100 server (marker
  `real_sage`; skipped unless the ML_CONNECTOR_REAL_SAGE_* variables are set; writes only
  with ML_CONNECTOR_REAL_SAGE_WRITES=1, into a test company).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ml_connector.sage100.errors import InvoiceExistsError, SageRejectedError, VendorExistsError
from ml_connector.sage100.port import (
    ApInvoiceKey,
    ApInvoiceLine,
    ChangeStamp,
    DivisionNo,
    NewApInvoice,
    NewVendor,
    SageInvoiceNo,
    SageVendorNo,
)
from ml_connector.sage100.references import normalise_reference


def _invoice(g: Any, amount: str = "100.00", number: SageInvoiceNo | None = None) -> NewApInvoice:
    total = Decimal(amount)
    first = (total * Decimal("0.6")).quantize(Decimal("0.01"))
    return NewApInvoice(
        key=ApInvoiceKey(DivisionNo("00"), g.vendor_no, number or g.fresh_invoice_no()),
        invoice_date=date(2026, 1, 5),
        amount=total,
        lines=(
            ApInvoiceLine(g.accounts[0], first, comment="ServiceTitan bill 5551 line 1"),
            ApInvoiceLine(g.accounts[1], total - first),
        ),
        comment="ST bill 5551",
    )


def test_ping_reports_the_company_and_what_was_checked(given: Any) -> None:
    report = given.sage.ping()
    assert report.company.code == given.sage.company().code
    checked = dict(report.checks)
    assert "logon" in checked
    assert "company" in checked


def test_account_format_formats_every_raw_account_as_sage_shows_it(given: Any) -> None:
    fmt = given.sage.account_format()
    accounts = given.sage.gl_accounts()
    assert accounts
    for account in accounts:
        assert len(account.account_key) <= 9
        assert account.status in ("A", "I", "D")
        assert fmt.format(account.raw_account) == account.account
    assert {a.status for a in accounts} >= {"A"}


def test_divisions_include_the_default_division(given: Any) -> None:
    assert "00" in {d.division_no for d in given.sage.divisions()}


def test_vendors_are_upper_case_and_found_one_by_one(given: Any) -> None:
    vendors = list(given.sage.vendors())
    assert vendors
    for v in vendors:
        assert v.vendor_no == v.vendor_no.upper()
        assert 0 < len(v.vendor_no) <= 7
        assert len(v.name) <= 30
    one = given.sage.vendor(DivisionNo("00"), given.vendor_no)
    assert one is not None
    assert one == next(v for v in vendors if v.vendor_no == given.vendor_no)
    assert given.sage.vendor(DivisionNo("00"), SageVendorNo(given.vendor_no.lower())) == one
    assert given.sage.vendor(DivisionNo("00"), SageVendorNo("ZZNONE9")) is None


def test_vendors_changed_since_a_future_stamp_are_none(given: Any) -> None:
    assert list(given.sage.vendors(ChangeStamp(date(2099, 1, 1), Decimal(0)))) == []


def test_unknown_invoices_are_not_found(given: Any) -> None:
    key = ApInvoiceKey(DivisionNo("00"), given.vendor_no, given.fresh_invoice_no())
    assert given.sage.find_invoice(key) == []
    assert given.sage.find_invoices_by_reference(key.invoice_no, Decimal("1.00")) == []


def test_an_invoice_is_written_exactly_as_given_and_found_again(given: Any) -> None:
    given.need_writes()
    invoice = _invoice(given, "1234.56")
    batch = given.sage.open_batch("ml-connector contract test")
    if given.sage.company().uses_batches:
        assert batch
        invoice = NewApInvoice(**{**_fields(invoice), "batch_no": batch})
    else:
        assert batch == ""
    written = given.sage.create_invoice(invoice)
    assert written.key == invoice.key
    assert written.amount == Decimal("1234.56")
    assert written.line_count == 2
    found = given.sage.find_invoice(invoice.key)
    assert [(f.where, f.amount, f.invoice_date) for f in found] == [
        ("entry", Decimal("1234.56"), date(2026, 1, 5))
    ]
    by_ref = given.sage.find_invoices_by_reference(
        invoice.key.invoice_no.lower().replace("-", " "), Decimal("1234.56")
    )
    assert [f.key for f in by_ref] == [invoice.key]
    any_amount = given.sage.find_invoices_by_reference(invoice.key.invoice_no, None)
    assert [(f.key, f.amount) for f in any_amount] == [(invoice.key, Decimal("1234.56"))]
    assert given.sage.find_invoices_by_reference(invoice.key.invoice_no, Decimal("1.00")) == []
    assert normalise_reference(by_ref[0].key.invoice_no) == normalise_reference(
        invoice.key.invoice_no
    )


def test_the_same_invoice_twice_is_refused_and_never_adjusted(given: Any) -> None:
    given.need_writes()
    invoice = _invoice(given, "250.00")
    given.sage.create_invoice(invoice)
    with pytest.raises(InvoiceExistsError) as info:
        given.sage.create_invoice(_invoice(given, "75.00", invoice.key.invoice_no))
    assert info.value.where == "entry"
    assert [f.amount for f in given.sage.find_invoice(invoice.key)] == [Decimal("250.00")]


def test_an_unbalanced_invoice_is_refused_before_sage_sees_it(given: Any) -> None:
    invoice = _invoice(given, "100.00")
    unbalanced = NewApInvoice(**{**_fields(invoice), "amount": Decimal("100.01")})
    with pytest.raises(SageRejectedError, match="do not balance"):
        given.sage.create_invoice(unbalanced)
    assert given.sage.find_invoice(invoice.key) == []


def test_a_vendor_is_created_upper_case_once(given: Any) -> None:
    given.need_writes()
    number = given.fresh_vendor_no()
    created = given.sage.create_vendor(
        NewVendor(DivisionNo("00"), SageVendorNo(number.lower()), "Contract Test Supply Co")
    )
    assert created.vendor_no == number.upper()
    assert created.name == "Contract Test Supply Co"
    assert given.sage.vendor(DivisionNo("00"), SageVendorNo(number.upper())) == created
    with pytest.raises(VendorExistsError):
        given.sage.create_vendor(NewVendor(DivisionNo("00"), SageVendorNo(number), "Other"))


def _fields(invoice: NewApInvoice) -> dict[str, object]:
    return {name: getattr(invoice, name) for name in NewApInvoice.__dataclass_fields__}
