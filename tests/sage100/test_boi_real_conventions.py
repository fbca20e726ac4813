"""The BOI adapter against what a real Sage server does (issue 9), on the sandbox.

The sandbox behaves as public evidence says real Sage does (separator "Š" through COM,
history keyed InvoiceNo + HeaderSeqNo, unknown variables read empty, zero-filled vendor
numbers, batch-restricted browsing); where the evidence is silent, `SandboxBehaviour`
flips the sandbox's choice and the adapter must cope either way.
"""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ml_connector.errors import Action
from ml_connector.sage100.account_format import derive_format
from ml_connector.sage100.boi_writes import validate_invoice
from ml_connector.sage100.errors import (
    InvoiceExistsError,
    SageLoginError,
    SageRejectedError,
    SageSessionError,
    SageVerifyError,
)
from ml_connector.sage100.port import (
    AccountKey,
    ApInvoiceKey,
    ApInvoiceLine,
    ChangeStamp,
    DivisionNo,
    NewApInvoice,
    NewVendor,
    SageInvoiceNo,
    SageVendorNo,
    sage_vendor_no,
)
from ml_connector.sage100.settings import BoiNames
from ml_connector.sandbox.sage100 import SandboxBehaviour, add_user, post_register

ELECTRICAL = "000000003"


def invoice(number: str, amount: str = "40.00", vendor: str = "CED") -> NewApInvoice:
    return NewApInvoice(
        key=ApInvoiceKey(DivisionNo("00"), SageVendorNo(vendor), SageInvoiceNo(number)),
        invoice_date=date(2026, 1, 5),
        amount=Decimal(amount),
        lines=(ApInvoiceLine(AccountKey(ELECTRICAL), Decimal(amount)),),
    )


def _post_all(company: Any) -> None:
    conn = company.db()
    try:
        post_register(
            conn, posting_date="20260105", stamp=("20260105", "15.00000"), user_key="0000000002"
        )
    finally:
        conn.close()


# ---- invoice history: keyed InvoiceNo + HeaderSeqNo ------------------------------------


def test_a_paid_invoice_sent_again_is_found_in_history(company: Any) -> None:
    sage = company.adapter()
    sage.create_invoice(invoice("PAID-1"))
    company.posted_invoice("WINSUPP", "PAID-1", "99.00", where="history", seq="000009")
    _post_all(company)  # CED PAID-1 gets HeaderSeqNo 000010: one sequence per invoice number
    with company.db() as conn:  # paid: no longer open, only in history
        conn.execute("DELETE FROM AP_OpenInvoice WHERE InvoiceNo = 'PAID-1'")
    before = company.amounts("CED", "PAID-1")
    assert before["AP_InvoiceHistoryHeader"] == [40.0]
    found = sage.find_invoice(invoice("PAID-1").key)
    assert [(f.where, f.key.vendor_no, f.amount) for f in found] == [
        ("history", "CED", Decimal("40.00"))
    ]
    with pytest.raises(InvoiceExistsError) as err:
        sage.create_invoice(invoice("PAID-1"))
    assert err.value.where == "history"
    assert company.amounts("CED", "PAID-1") == before  # nothing adjusted


def test_history_falls_back_to_the_inquiry_object_and_reports_what_it_uses(company: Any) -> None:
    company.behaviour = SandboxBehaviour(refuse_objects=("AP_InvoiceHistoryHeader_svc",))
    company.posted_invoice("CED", "OLD-7", "12.00", where="history")
    sage = company.adapter()
    names = sage.resolved_names()
    assert names.invoice_history == "AP_InvoiceHistoryInquiry_bus"
    assert names.open_invoices == "AP_OpenInvoice_svc"
    assert names.divisions_flag == "Divisions"
    assert [f.where for f in sage.find_invoice(invoice("OLD-7").key)] == ["history"]
    checks = dict(sage.ping().checks)
    assert checks["object invoice_history"] == "AP_InvoiceHistoryInquiry_bus"


def test_no_history_object_is_a_setup_error_naming_every_candidate(company: Any) -> None:
    company.behaviour = SandboxBehaviour(
        refuse_objects=("AP_InvoiceHistoryHeader_svc", "AP_InvoiceHistoryInquiry_bus")
    )
    sage = company.adapter()
    assert sage.gl_accounts()  # what does not need history still works
    with pytest.raises(SageLoginError) as err:
        sage.find_invoice(invoice("ANY-1").key)
    assert err.value.action is Action.STOP
    assert "AP_InvoiceHistoryHeader_svc, AP_InvoiceHistoryInquiry_bus" in err.value.message
    assert "names.invoice_history" in (err.value.hint or "")
    with pytest.raises(SageLoginError):  # never written without the history check
        sage.create_invoice(invoice("ANY-1"))
    assert company.amounts("CED", "ANY-1")["AP_InvoiceHeader"] == []


def test_a_configured_history_name_is_tried_first(company: Any) -> None:
    names = BoiNames(invoice_history=("AP_InvoiceHistoryInquiry_bus",))
    assert company.adapter(names=names).resolved_names().invoice_history == (
        "AP_InvoiceHistoryInquiry_bus"
    )


# ---- A/P Options: Divisions, and a batch flag no public source names ---------------------


def test_divisions_come_from_the_divisions_column(company: Any) -> None:
    assert company.adapter().company().divisions_enabled is False
    with company.db() as conn:
        conn.execute("UPDATE AP_Options SET Divisions = 'Y'")
    assert company.adapter().company().divisions_enabled is True


def test_an_unknown_batch_flag_is_a_setup_error_unless_batches_are_configured(
    company: Any,
) -> None:
    wrong = BoiNames(batch_flag=("BatchEntryForInvoices",))
    with pytest.raises(SageLoginError, match="BatchEntryForInvoices") as err:
        company.adapter(names=wrong).company()
    assert "uses_batches" in (err.value.hint or "")
    assert company.adapter(names=wrong, uses_batches=False).company().uses_batches is False
    # the old, wrong divisions name is simply not found: divisions follow the division list
    old = BoiNames(divisions_flag=("APDivisionsInUse",))
    assert company.adapter(names=old).resolved_names().divisions_flag is None
    assert company.adapter(names=old).company().divisions_enabled is False


# ---- the G/L account format, from GL_Account ------------------------------------------


def test_the_account_format_is_derived_from_gl_account_without_the_structure(
    company: Any,
) -> None:
    company.behaviour = SandboxBehaviour(refuse_objects=("GL_AccountStructure_svc",))
    fmt = company.adapter().account_format()
    assert [s.length for s in fmt.segments] == [4, 2, 3]
    assert fmt.separator == "-"
    assert fmt.format("500001100") == "5000-01-100"


def test_the_structure_names_segments_only_when_it_agrees(company: Any) -> None:
    fmt = company.adapter().account_format()
    assert [s.name for s in fmt.segments] == ["Main Account", "Department", "Location"]
    with company.db() as conn:  # a structure that disagrees is ignored, never trusted
        conn.execute("UPDATE GL_AccountStructure SET SegmentLength = 5 WHERE SegmentNo = '01'")
    fmt = company.adapter().account_format()
    assert [s.length for s in fmt.segments] == [4, 2, 3]
    assert [s.name for s in fmt.segments] == ["", "", ""]


def test_derive_format_aligns_formatted_and_raw_accounts() -> None:
    fmt = derive_format([("6000.01.100", "600001100"), ("1000.00.100", "")])
    assert ([s.length for s in fmt.segments], fmt.separator) == ([4, 2, 3], ".")
    single = derive_format([("60000", "60000")])
    assert ([s.length for s in single.segments], single.separator) == ([5], "")
    odd = derive_format([("6000-01-100", "600001100")] * 3 + [("6000-01", "600001")])
    assert [s.length for s in odd.segments] == [4, 2, 3]  # the shape most accounts share
    with pytest.raises(SageVerifyError, match="several separators"):
        derive_format([("6000-01.100", "600001100")])
    with pytest.raises(SageVerifyError, match="cannot be told"):
        derive_format([])


# ---- by-reference values, read-back ------------------------------------------------------


def test_numbers_handed_back_as_text_are_read_back(company: Any) -> None:
    company.behaviour = SandboxBehaviour(numbers_by_ref="text")
    written = company.adapter().create_invoice(invoice("TXT-1", "123.45"))
    assert written.amount == Decimal("123.45")


def test_a_read_back_that_cannot_run_is_an_error_not_skipped(company: Any) -> None:
    from ml_connector.sandbox.sage100.faults import provide_x_error

    def lines_fault(original: Any, *args: Any) -> Any:
        raise provide_x_error("Error #200: simulated ProvideX fault")

    # the read-back of the lines (one bulk read) fails every time it is tried
    company.tamper.rules["AP_InvoiceDetail_svc.nGetResultSets"] = lines_fault
    sage = company.adapter(factory=company.tampered_script)
    with pytest.raises(SageVerifyError, match="could not be read back") as err:
        sage.create_invoice(invoice("RB-1"))
    assert err.value.action is Action.STOP  # the engine sends it to review, never again
    assert company.amounts("CED", "RB-1")["AP_InvoiceHeader"] == [40.0]  # it is in Sage


# ---- batches: the duplicate check looks with no batch selected -------------------------


@pytest.mark.parametrize("browse", ["selected", "all"])
def test_a_clerks_invoice_in_another_batch_is_found_before_writing(
    make_sandbox: Any, browse: str
) -> None:
    company = make_sandbox(batches=True)
    company.behaviour = SandboxBehaviour(batch_browse=browse)  # type: ignore[arg-type]
    clerk = company.other_user()
    assert clerk.nSelectNewBatch("", "N", "clerk")[0] == 1
    for col, part in (("APDivisionNo$", "00"), ("VendorNo$", "CED"), ("InvoiceNo$", "DUP-1")):
        assert clerk.nSetKeyValue(col, part) == 1
    assert clerk.nSetKey() == 2
    assert clerk.nSetValue("InvoiceDate$", "20260105") == 1
    assert clerk.nSetValue("InvoiceAmt", 40.0) == 1
    assert clerk.oLines.nAddLine() == 2
    assert clerk.oLines.nSetValue("AccountKey$", ELECTRICAL) == 1
    assert clerk.oLines.nSetValue("DistributionAmt", 40.0) == 1
    assert clerk.oLines.nWrite() == 1
    assert clerk.nWrite() == 1
    sage = company.adapter()
    assert sage.open_batch("ServiceTitan") == "00002"  # the connector's batch is selected
    with pytest.raises(InvoiceExistsError) as err:
        sage.create_invoice(invoice("DUP-1"))
    assert err.value.where == "entry"
    assert company.amounts("CED", "DUP-1")["AP_InvoiceHeader"] == [40.0]


# ---- sessions ------------------------------------------------------------------------------


def test_a_call_that_does_not_come_back_becomes_a_session_error(company: Any) -> None:
    release = threading.Event()
    calls: list[int] = []

    def hang_once(original: Any, *args: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            release.wait(30)
        return original(*args)

    company.tamper.rules["GL_Account_svc.nGetResultSets"] = hang_once
    sage = company.adapter(factory=company.tampered_script, call_timeout_seconds=0.5)
    try:
        with pytest.raises(SageSessionError, match=r"did not answer within 0\.5 s") as err:
            sage.gl_accounts()
        assert err.value.action is Action.RETRY
        assert len(sage.gl_accounts()) > 0  # a new thread and session
        assert sage.session_serial == 2
    finally:
        release.set()


def test_unified_login_is_off_by_default_and_reports_the_user_sage_chose(company: Any) -> None:
    add_user(company.root, "jdoe", "jdoe-pw-1")
    company.behaviour = SandboxBehaviour(unified_login_user="jdoe")
    assert company.adapter().ping().user == "sandbox"  # nSetUser with the configured user
    report = company.adapter(try_unified_login=True).ping()
    assert report.user == "jdoe"
    assert "the configured user is sandbox" in dict(report.checks)["logon"]


# ---- vendor numbers: Sage zero-fills all-digit numbers -----------------------------------


def test_all_digit_vendor_numbers_are_zero_filled_everywhere(company: Any) -> None:
    assert sage_vendor_no(" 123 ") == "0000123"
    assert sage_vendor_no("ced") == "CED"
    assert sage_vendor_no("1234567") == "1234567"
    sage = company.adapter()
    created = sage.create_vendor(NewVendor(DivisionNo("00"), SageVendorNo("123"), "Numbered"))
    assert created.vendor_no == "0000123"
    found = sage.vendor(DivisionNo("00"), SageVendorNo("123"))
    assert found is not None
    assert found.vendor_no == "0000123"
    with pytest.raises(SageRejectedError, match="0000123"):
        validate_invoice(invoice("N-1", vendor="123"))
    assert sage.create_invoice(invoice("N-1", vendor="0000123")).key.vendor_no == "0000123"


def test_change_stamps_step_back_for_the_look_back_window() -> None:
    stamp = ChangeStamp(date(2026, 1, 5), Decimal("0.50000"))
    assert stamp.minus(timedelta(hours=1)) == ChangeStamp(date(2026, 1, 4), Decimal("23.50000"))


def test_result_sets_reach_the_adapter_as_com_delivers_them(company: Any) -> None:
    """Vendor names holding "Š", several rows, through the default (COM-shaped) facade."""
    with company.db() as conn:
        conn.execute("UPDATE AP_Vendor SET VendorName = 'Škoda Š Parts Š' WHERE VendorNo = 'CED'")
    vendors = {v.vendor_no: v.name for v in company.adapter().vendors()}
    assert vendors["CED"] == "Škoda Š Parts Š"
    assert len(vendors) == 3


def test_the_history_range_follows_the_key_sage_reports(company: Any) -> None:
    company.posted_invoice("CED", "KEY-1", "12.00", where="history")
    sage = company.adapter()
    assert dict(sage.ping().checks)["key invoice_history"] == "InvoiceNo+HeaderSeqNo"
    # a key the adapter does not know: no range at all (the exact filter alone), never a
    # range that would find nothing
    company.tamper.rules["AP_InvoiceHistoryHeader_svc.sGetKeyColumns"] = lambda original: (
        "PostingDate$ŠCheckNo$Š"
    )
    other = company.adapter(factory=company.tampered_script)
    assert other.resolved_names().key_columns["invoice_history"] == ("PostingDate", "CheckNo")
    assert [f.where for f in other.find_invoice(invoice("KEY-1").key)] == ["history"]


def test_a_probe_method_sage_lacks_does_not_poison_the_session(company: Any) -> None:
    from ml_connector.sandbox.sage100.faults import provide_x_error

    def missing(original: Any, *args: Any) -> Any:
        raise provide_x_error("Error #88: Invalid/unknown property name")

    company.tamper.rules["AP_Invoice_bus.oLines.sGetDataSources"] = missing
    company.tamper.rules["AP_OpenInvoice_svc.sGetKeyColumns"] = missing
    sage = company.adapter(factory=company.tampered_script)
    names = sage.resolved_names()
    assert names.key_columns["open_invoices"] == ()  # not reported: the expected key is used
    assert names.columns.line_amount == "DistributionAmt"
    assert sage.create_invoice(invoice("PRB-1")).amount == Decimal("40.00")
    assert sage.session_serial == 1
