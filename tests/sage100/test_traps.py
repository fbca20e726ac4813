"""The traps of Sage 100, each tested on the sandbox: duplicates never become adjustments,
locks are retried then reported, a COM error costs one call and one session, unbalanced
invoices are refused, vendor numbers are unique and upper case, and the changed-since cursor
survives midnight."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from ml_connector.clock import ManualClock
from ml_connector.errors import Action
from ml_connector.sage100.boi import BoiSage100
from ml_connector.sage100.errors import (
    InvoiceExistsError,
    RecordLockedError,
    SageRejectedError,
    SageSessionError,
    SageVerifyError,
    VendorExistsError,
)
from ml_connector.sage100.port import (
    AccountKey,
    ApInvoiceKey,
    ApInvoiceLine,
    DivisionNo,
    NewApInvoice,
    NewVendor,
    SageInvoiceNo,
    SageVendorNo,
)
from ml_connector.sage100.settings import BoiSettings


def invoice(
    number: str, amount: str = "100.00", vendor: str = "FERGUS", **extra: Any
) -> NewApInvoice:
    total = Decimal(amount)
    half = (total / 2).quantize(Decimal("0.01"))
    return NewApInvoice(
        key=ApInvoiceKey(DivisionNo("00"), SageVendorNo(vendor), SageInvoiceNo(number)),
        invoice_date=date(2026, 1, 5),
        amount=total,
        lines=(
            ApInvoiceLine(AccountKey("000000002"), half),
            ApInvoiceLine(AccountKey("000000006"), total - half, comment="fuel"),
        ),
        **extra,
    )


# ---- duplicates ----------------------------------------------------------------------


@pytest.mark.parametrize("where", ["entry", "open", "history"])
def test_an_existing_vendor_and_invoice_number_is_refused_and_left_unchanged(
    company: Any, boi: Any, where: str
) -> None:
    if where == "entry":
        company.entry_invoice("FERGUS", "1187-0042", "80.00")
    else:
        company.posted_invoice("FERGUS", "1187-0042", "80.00", where=where)
    before = company.amounts("FERGUS", "1187-0042")
    with pytest.raises(InvoiceExistsError) as info:
        boi.create_invoice(invoice("1187-0042", "100.00"))
    assert info.value.where == where
    assert info.value.action is Action.SKIP
    assert "1187-0042" in info.value.message
    assert company.amounts("FERGUS", "1187-0042") == before  # never an adjustment
    assert company.rows("SELECT * FROM SY_SandboxLock") == []  # nothing left held


@pytest.mark.parametrize("where", ["entry", "open", "history"])
def test_when_the_lookup_misses_nsetkey_still_stops_the_adjustment(
    company: Any, where: str
) -> None:
    """Defence in depth: blind the duplicate check; nSetKey's answer must still stop it."""
    blind = lambda original, *args: (1, "", "")  # noqa: E731  # a rule, named for reading
    for name in ("AP_Invoice_bus", "AP_OpenInvoice_svc", "AP_InvoiceHistoryHeader_svc"):
        company.tamper.rules[f"{name}.nGetResultSets"] = blind
    if where == "entry":
        company.entry_invoice("FERGUS", "1187-0042", "80.00")
    else:
        company.posted_invoice("FERGUS", "1187-0042", "80.00", where=where)
    before = company.amounts("FERGUS", "1187-0042")
    sage = company.adapter(factory=company.tampered_script)
    said = "nSetKey answered 1" if where == "entry" else "adjustment of a posted invoice"
    with pytest.raises(InvoiceExistsError, match=said):
        sage.create_invoice(invoice("1187-0042", "100.00"))
    assert company.amounts("FERGUS", "1187-0042") == before
    assert company.rows("SELECT * FROM SY_SandboxLock") == []


def test_the_write_looks_up_again_unless_the_session_just_did(company: Any, boi: Any) -> None:
    """One lookup per write: the caller's, made moments before, stands for the write's own;
    an older or consumed one does not (and nSetKey still guards in between)."""
    assert boi.find_invoice(invoice("1187-0042").key) == []  # the engine's lookup: absent
    company.posted_invoice("FERGUS", "1187-0042", "80.00", where="history")  # keyed meanwhile
    before = company.amounts("FERGUS", "1187-0042")
    with pytest.raises(InvoiceExistsError, match="adjustment of a posted invoice"):
        boi.create_invoice(invoice("1187-0042", "100.00"))  # no second lookup: nSetKey stops it
    with pytest.raises(InvoiceExistsError) as info:
        boi.create_invoice(invoice("1187-0042", "100.00"))  # the mark was used: looked up
    assert info.value.where == "history"
    assert company.amounts("FERGUS", "1187-0042") == before


def test_the_same_number_under_another_vendor_is_not_a_duplicate(company: Any, boi: Any) -> None:
    company.posted_invoice("WINSUPP", "1187-0042", "100.00", where="history")
    assert boi.create_invoice(invoice("1187-0042")).key.vendor_no == "FERGUS"
    # ...but the reference + amount check finds both, under any vendor.
    found = boi.find_invoices_by_reference("1187 0042", Decimal("100.00"))
    assert sorted((f.where, f.key.vendor_no) for f in found) == [
        ("entry", "FERGUS"),
        ("history", "WINSUPP"),
    ]


# ---- balance -------------------------------------------------------------------------


def test_an_unbalanced_invoice_is_refused_with_the_difference(company: Any, boi: Any) -> None:
    good = invoice("BAL-1", "100.00")
    bad = NewApInvoice(good.key, good.invoice_date, Decimal("100.10"), good.lines)
    with pytest.raises(SageRejectedError) as info:
        boi.create_invoice(bad)
    assert "add up to 100.00" in info.value.message
    assert "100.10" in info.value.message
    assert "difference 0.10" in info.value.message
    assert company.amounts("FERGUS", "BAL-1")["AP_InvoiceHeader"] == []


def test_sages_own_refusal_comes_back_with_sages_message(company: Any, boi: Any) -> None:
    inactive = NewApInvoice(
        ApInvoiceKey(DivisionNo("00"), SageVendorNo("FERGUS"), SageInvoiceNo("INACT-1")),
        date(2026, 1, 5),
        Decimal("10.00"),
        (ApInvoiceLine(AccountKey("000000004"), Decimal("10.00")),),  # inactive account
    )
    with pytest.raises(SageRejectedError) as info:
        boi.create_invoice(inactive)
    assert "inactive" in info.value.sage_message
    assert company.amounts("FERGUS", "INACT-1")["AP_InvoiceHeader"] == []
    assert company.rows("SELECT * FROM SY_SandboxLock") == []


# ---- locks ---------------------------------------------------------------------------


def test_a_locked_invoice_is_retried_on_its_budget_then_reported(company: Any, boi: Any) -> None:
    other = company.other_user()
    other.nSetKeyValue("APDivisionNo$", "00")
    other.nSetKeyValue("VendorNo$", "FERGUS")
    other.nSetKeyValue("InvoiceNo$", "LOCK-1")
    assert other.nSetKey() == 2  # another workstation is keying the same invoice
    with pytest.raises(RecordLockedError) as info:
        boi.create_invoice(invoice("LOCK-1"))
    assert info.value.action is Action.RETRY
    assert "in use" in info.value.message
    assert "4 tries" in info.value.message
    assert company.clock.slept == pytest.approx([1.0, 2.0, 4.0])  # 7 s budget, doubling
    assert company.amounts("FERGUS", "LOCK-1")["AP_InvoiceHeader"] == []
    other.nClear()
    assert boi.create_invoice(invoice("LOCK-1")).line_count == 2


def test_a_lock_released_during_the_backoff_lets_the_write_through(company: Any, boi: Any) -> None:
    other = company.other_user(task="AP_Vendor_ui", bus="AP_Vendor_bus")
    other.nSetKeyValue("APDivisionNo$", "00")
    other.nSetKeyValue("VendorNo$", "NEWCO")
    assert other.nSetKey() == 2
    company.clock.on_sleep.append(lambda n: other.nClear() if n == 2 else None)
    created = boi.create_vendor(NewVendor(DivisionNo("00"), SageVendorNo("newco"), "New Co"))
    assert created.vendor_no == "NEWCO"
    assert len(company.clock.slept) == 2


# ---- COM errors ----------------------------------------------------------------------


def test_a_com_error_drops_the_session_and_the_next_call_opens_a_new_one(company: Any) -> None:
    company.tamper.rules["AP_Vendor_svc.nGetResultSets"] = _com_error_once()
    sage = company.adapter(factory=company.tampered_script)
    assert sage.session_serial == 1
    with pytest.raises(SageSessionError) as info:
        list(sage.vendors())
    assert info.value.action is Action.RETRY
    assert "dropped" in info.value.message
    assert len(list(sage.vendors())) == 3
    assert sage.session_serial == 2


def test_a_com_error_in_the_middle_of_a_write_leaves_nothing_behind(company: Any) -> None:
    company.tamper.rules["AP_Invoice_bus.oLines.nWrite"] = _com_error_once()
    sage = company.adapter(factory=company.tampered_script)
    with pytest.raises(SageSessionError):
        sage.create_invoice(invoice("COM-1"))
    assert company.amounts("FERGUS", "COM-1")["AP_InvoiceHeader"] == []
    assert company.rows("SELECT * FROM SY_SandboxLock") == []  # the old session was torn down
    assert sage.create_invoice(invoice("COM-1")).amount == Decimal("100.00")
    assert sage.session_serial == 2


def _amount_999(original: Any, *args: Any) -> Any:
    """The header's result set with its amount (the 5th field) read as 999."""
    ret, values, keys = original(*args)
    if not values:
        return ret, values, keys
    fields = values.split("\x1f")
    fields[4] = "999"
    return ret, "\x1f".join(fields), keys


def _one_line_lost(original: Any, *args: Any) -> Any:
    """The lines' result set without its first record (each ends in chr(30) + separator)."""
    ret, values, keys = original(*args)
    if not values:
        return ret, values, keys
    return ret, re.split("\x1e[\u0160\x8a]", values, maxsplit=1)[1], keys


def test_a_read_back_that_differs_is_a_loud_error(company: Any) -> None:
    company.tamper.rules["AP_Invoice_bus.nGetResultSets"] = _amount_999
    sage = company.adapter(factory=company.tampered_script)
    with (
        capture_logs() as logs,
        pytest.raises(SageVerifyError, match=r"amount 999\.00 instead of 100\.00"),
    ):
        sage.create_invoice(invoice("RB-1"))
    assert any(e["event"] == "sage_invoice_readback_mismatch" for e in logs)


def test_a_line_missing_from_the_bulk_read_back_is_a_loud_error(company: Any) -> None:
    company.tamper.rules["AP_InvoiceDetail_svc.nGetResultSets"] = _one_line_lost
    sage = company.adapter(factory=company.tampered_script)
    with pytest.raises(SageVerifyError, match=r"1 lines instead of 2"):
        sage.create_invoice(invoice("RB-2"))


def test_without_the_lines_object_the_read_back_goes_field_by_field(company: Any) -> None:
    def refuse_detail(original: Any, name: str, *args: Any) -> Any:
        if name != "AP_InvoiceDetail_svc":
            return original(name, *args)
        # a Sage without the object: refused, the reason where ProvideX.Script keeps it
        # (the sandbox's script object has no sLastErrorMsg of its own)
        original.__self__.sLastErrorMsg = "Object AP_InvoiceDetail_svc was not found."
        return 0

    def wrong_amount(original: Any, column: str, placeholder: object) -> Any:
        return (1, 999.0) if column == "InvoiceAmt" else original(column, placeholder)

    company.tamper.rules["ProvideX.Script.NewObject"] = refuse_detail
    company.tamper.rules["AP_Invoice_bus.nGetValue"] = wrong_amount
    sage = company.adapter(factory=company.tampered_script)
    with (
        capture_logs() as logs,
        pytest.raises(SageVerifyError, match=r"amount 999\.00 instead of 100\.00"),
    ):
        sage.create_invoice(invoice("RB-3"))
    assert any(e["event"] == "sage_bulk_readback_unavailable" for e in logs)


def _com_error_once() -> Any:
    from ml_connector.sandbox.sage100.faults import provide_x_error

    fired: list[bool] = []

    def rule(original: Any, *args: Any) -> Any:
        if not fired:
            fired.append(True)
            raise provide_x_error("Error #200: simulated ProvideX fault")
        return original(*args)

    return rule


# ---- vendors -------------------------------------------------------------------------


def test_vendor_numbers_are_upper_case_and_unique(company: Any, boi: Any) -> None:
    with pytest.raises(VendorExistsError):
        boi.create_vendor(NewVendor(DivisionNo("00"), SageVendorNo("fergus"), "Someone Else"))
    assert company.rows("SELECT VendorName FROM AP_Vendor WHERE VendorNo = 'FERGUS'") == [
        {"VendorName": "Ferguson Enterprises #1187"}
    ]
    made = boi.create_vendor(NewVendor(DivisionNo("00"), SageVendorNo("acme1"), "Acme"))
    assert made.vendor_no == "ACME1"
    with pytest.raises(VendorExistsError):
        boi.create_vendor(NewVendor(DivisionNo("00"), SageVendorNo("ACME1"), "Acme again"))
    with pytest.raises(SageRejectedError, match="1 to 7"):
        boi.create_vendor(NewVendor(DivisionNo("00"), SageVendorNo("TOOLONG1"), "x"))


def test_a_long_vendor_name_is_cut_to_30_and_the_cut_is_logged(boi: Any) -> None:
    name = "Southwest Plumbing & Heating Wholesale Supply Company"
    with capture_logs() as logs:
        made = boi.create_vendor(NewVendor(DivisionNo("00"), SageVendorNo("SWPHW"), name))
    assert made.name == name[:30]
    cut = [e for e in logs if e["event"] == "sage_value_truncated"]
    assert cut == [
        {
            "event": "sage_value_truncated",
            "log_level": "warning",
            "record": "vendor 00-SWPHW",
            "field": "vendor name",
            "length": len(name),
            "kept": 30,
        }
    ]


# ---- changed-since across midnight ---------------------------------------------------


def test_the_vendor_cursor_keeps_working_across_midnight(company: Any, boi: Any) -> None:
    company.clock.advance(9 * 3600 + 58 * 60)  # 23:58 on the 5th (server time = UTC here)
    before = boi.create_vendor(NewVendor(DivisionNo("00"), SageVendorNo("LATE1"), "Late One"))
    assert before.updated is not None
    assert before.updated.day == date(2026, 1, 5)
    company.clock.advance(4 * 60)  # 00:02 on the 6th
    after = boi.create_vendor(NewVendor(DivisionNo("00"), SageVendorNo("EARLY2"), "Early Two"))
    assert after.updated is not None
    assert after.updated.day == date(2026, 1, 6)
    assert after.updated.hours < before.updated.hours  # hours alone would go backwards

    since_before = {v.vendor_no for v in boi.vendors(before.updated)}
    assert since_before == {"LATE1", "EARLY2"}
    assert {v.vendor_no for v in boi.vendors(after.updated)} == {"EARLY2"}
    # A vendor changed earlier on the cursor's day is not "changed since".
    assert "FERGUS" not in since_before


def test_the_demo_companys_hand_keyed_duplicates_are_found_and_refused(tmp_path: Any) -> None:
    from ml_connector.sandbox.sage100 import ProvideXScript, init_root

    clock = ManualClock(datetime(2026, 11, 20, 15, 0, tzinfo=UTC))
    root = tmp_path / "demo"
    init_root(root, seed="demo", clock=clock, tz=UTC)
    settings = BoiSettings(home="h", company="ABC", user="sandbox", password=SecretStr("sandbox"))
    with BoiSage100(settings, lambda: ProvideXScript(root, clock=clock), clock=clock) as sage:
        # Keyed by hand before go-live: found by reference + amount under another spelling.
        found = sage.find_invoices_by_reference("1187 50211", Decimal("1432.18"))
        assert ("open", "FERGUS") in {(f.where, f.key.vendor_no) for f in found}
        key = invoice("1187-50211").key
        before = sage.find_invoice(key)
        with pytest.raises(InvoiceExistsError) as info:
            sage.create_invoice(invoice("1187-50211", "1432.18"))
        assert info.value.where == before[0].where
        assert sage.find_invoice(key) == before  # not adjusted
