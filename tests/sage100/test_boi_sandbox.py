"""The BOI adapter's session, settings and index on the sandbox: logon and rights errors
with their hints, the module date, batches, column discovery, the reference index refresh,
session recycling, and callers on many threads."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from ml_connector.errors import Action
from ml_connector.sage100.boi import BoiSage100
from ml_connector.sage100.errors import SageLoginError, SageUnavailableError
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
from ml_connector.sage100.settings import BoiColumns


def invoice(number: str, amount: str = "40.00", batch_no: str = "") -> NewApInvoice:
    return NewApInvoice(
        key=ApInvoiceKey(DivisionNo("00"), SageVendorNo("CED"), SageInvoiceNo(number)),
        invoice_date=date(2026, 1, 5),
        amount=Decimal(amount),
        lines=(ApInvoiceLine(AccountKey("000000003"), Decimal(amount)),),
        batch_no=batch_no,
    )


# ---- logon, company, rights ----------------------------------------------------------


def test_a_wrong_password_stops_with_what_to_fix_and_no_secret(company: Any) -> None:
    sage = company.adapter(password=SecretStr("wrong-pass-123"))
    with pytest.raises(SageLoginError) as info:
        sage.ping()
    assert info.value.action is Action.STOP
    assert "Invalid user logon or password" in info.value.message
    assert info.value.hint is not None
    assert "password" in info.value.hint
    assert "wrong-pass-123" not in info.value.describe()


def test_an_unknown_company_or_one_without_external_access_is_refused(company: Any) -> None:
    with pytest.raises(SageLoginError, match="XYZ") as info:
        company.adapter(company="XYZ").ping()
    assert info.value.hint is not None
    assert "Allow External Access" in info.value.hint
    from ml_connector.sandbox.sage100.root import set_company_access

    set_company_access(company.root, "ABC", external_access=False)
    with pytest.raises(SageLoginError, match="External access"):
        company.adapter().ping()


def test_missing_task_rights_are_fatal_with_the_role_to_fix(company: Any) -> None:
    from ml_connector.sandbox.sage100.root import add_user

    add_user(company.root, "clerk", "clerk-pw", rights={"AP_Vendor_ui": "V", "AP_Invoice_ui": "V"})
    sage = company.adapter(user="clerk", password=SecretStr("clerk-pw"))
    assert len(list(sage.vendors())) == 3  # viewing is allowed
    with pytest.raises(SageLoginError) as info:
        sage.create_vendor(NewVendor(DivisionNo("00"), SageVendorNo("NOPE"), "Nope"))
    assert "rights" in info.value.message
    assert info.value.hint is not None
    assert "Role Maintenance" in info.value.hint


def test_a_wrong_home_is_unavailable_not_a_retry(tmp_path: Path, company: Any) -> None:
    from ml_connector.sandbox.sage100 import ProvideXScript

    sage = company.adapter(factory=lambda: ProvideXScript(tmp_path / "nowhere"))
    with pytest.raises(SageUnavailableError) as info:
        sage.ping()
    assert info.value.hint is not None
    assert "MAS90\\Home" in info.value.hint


def test_the_module_date_is_today_from_the_clock_or_the_setting(company: Any) -> None:
    info = company.adapter().company()
    assert info.ap_module_date == date(2026, 1, 5)
    assert info.name == "Sandbox Company ABC"
    fixed = company.adapter(module_date=date(2025, 12, 31))
    assert fixed.company().ap_module_date == date(2025, 12, 31)


# ---- batches -------------------------------------------------------------------------


def test_batches_are_opened_and_used_where_the_company_has_batch_entry(make_sandbox: Any) -> None:
    sage = make_sandbox(batches=True).adapter()
    assert sage.company().uses_batches
    batch = sage.open_batch("ServiceTitan 2026-01-05")
    assert batch == "00001"
    assert sage.create_invoice(invoice("B-1", batch_no=batch)).batch_no == "00001"
    assert [f.batch_no for f in sage.find_invoice(invoice("B-1").key)] == ["00001"]
    # No batch given: the adapter reuses its open batch (not a new batch per session)...
    assert sage.create_invoice(invoice("B-2")).batch_no == "00001"
    assert sage.open_batch("ServiceTitan 2026-01-06") == "00001"


def test_the_connector_batch_is_reused_across_sessions_until_a_clerk_registers_it(
    make_sandbox: Any,
) -> None:
    from ml_connector.sandbox.sage100 import post_register

    company = make_sandbox(batches=True)
    sage = company.adapter(session_max_age_seconds=60)
    assert sage.open_batch("ServiceTitan") == "00001"
    sage.create_invoice(invoice("R-1"))
    company.clock.advance(300)  # the session is recycled
    assert sage.create_invoice(invoice("R-2")).batch_no == "00001"
    assert sage.session_serial == 2
    conn = company.db()
    try:  # a clerk prints and updates the register for the connector's batch
        post_register(
            conn,
            posting_date="20260105",
            stamp=("20260105", "15.00000"),
            user_key="0000000002",
            batch_no="00001",
        )
    finally:
        conn.close()
    assert sage.open_batch("ServiceTitan") == "00002"  # the registered batch is gone
    assert sage.create_invoice(invoice("R-3")).batch_no == "00002"
    # a clerk holding the batch open: the connector does not wait, it opens another
    held = company.other_user()
    assert held.nSelectBatch("00002") == 1
    assert sage.open_batch("ServiceTitan") == "00003"


def test_the_connector_batch_is_found_again_after_a_restart(make_sandbox: Any) -> None:
    """A restarted process (a new adapter, a new session) finds its open batch in Sage by
    its comment and keeps writing there, until a clerk registers it; a clerk's batch with
    another comment, or the connector's batch held by a clerk, is never taken."""
    from ml_connector.sandbox.sage100 import post_register

    company = make_sandbox(batches=True)
    clerk = company.other_user()
    assert clerk.nSelectNewBatch("", "N", "Keyed by hand")[1] == "00001"
    clerk.DropObject()  # the clerk's batch stays open, unheld
    first = company.adapter()
    assert first.open_batch("ServiceTitan") == "00002"
    first.create_invoice(invoice("S-1"))
    first.close()  # the process stops

    second = company.adapter()  # ... and starts again
    assert second.open_batch("ServiceTitan") == "00002"
    assert second.create_invoice(invoice("S-2")).batch_no == "00002"
    assert second.session_serial == 1
    second.close()

    held = company.other_user()  # a clerk opens the connector's batch
    assert held.nSelectBatch("00002") == 1
    third = company.adapter()
    assert third.open_batch("ServiceTitan") == "00003"  # not the clerk's 00001 either
    assert third.create_invoice(invoice("S-3")).batch_no == "00003"
    third.close()
    held.DropObject()

    def register(batch: str) -> None:
        conn = company.db()
        try:
            post_register(
                conn,
                posting_date="20260105",
                stamp=("20260105", "15.00000"),
                user_key="0000000002",
                batch_no=batch,
            )
        finally:
            conn.close()

    register("00002")  # a clerk updates the register for the first connector batch
    fourth = company.adapter()
    assert fourth.open_batch("ServiceTitan") == "00003"  # the newest still open
    fourth.close()
    register("00003")
    fifth = company.adapter()
    assert fifth.open_batch("ServiceTitan") == "00004"
    assert fifth.create_invoice(invoice("S-5")).batch_no == "00004"


def test_without_a_batch_list_a_restart_opens_a_new_batch(make_sandbox: Any) -> None:
    """Where Sage offers no batch list object (its name is not confirmed), a restarted
    process opens a new batch, as before: never an error."""
    from ml_connector.sandbox.sage100 import SandboxBehaviour

    company = make_sandbox(batches=True)
    company.behaviour = SandboxBehaviour(refuse_objects=("GL_CompanyActiveBatch_svc",))
    first = company.adapter()
    assert first.open_batch("ServiceTitan") == "00001"
    first.close()
    second = company.adapter()
    assert second.resolved_names().batch_registry is None
    assert second.open_batch("ServiceTitan") == "00002"
    assert second.create_invoice(invoice("N-1")).batch_no == "00002"


def test_no_batch_is_opened_without_batch_entry(boi: Any) -> None:
    assert boi.open_batch("x") == ""


# ---- columns -------------------------------------------------------------------------


def test_a_column_name_sage_does_not_have_is_replaced_by_the_one_it_reports(company: Any) -> None:
    sage = company.adapter(columns=BoiColumns(invoice_amount="InvoiceAmount", line_amount="Amount"))
    report = sage.ping()
    checks = dict(report.checks)
    assert "InvoiceAmt" in checks["column invoice_amount"]
    assert "DistributionAmt" in checks["column line_amount"]
    assert sage.create_invoice(invoice("COL-1")).amount == Decimal("40.00")


# ---- the reference index -------------------------------------------------------------


def test_the_reference_index_sees_new_history_rows_after_its_refresh_interval(
    company: Any, boi: Any
) -> None:
    assert boi.find_invoices_by_reference("AZ-77", Decimal("12.00")) == []  # builds the index
    company.posted_invoice(
        "WINSUPP", "AZ77", "12.00", where="history", stamp=("20260105", "14.00000")
    )
    # Within the refresh interval the index answers from memory...
    assert boi.find_invoices_by_reference("AZ-77", Decimal("12.00")) == []
    company.clock.advance(31)
    found = boi.find_invoices_by_reference("az 77", Decimal("12.00"))
    assert [(f.where, f.key.vendor_no, f.amount) for f in found] == [
        ("history", "WINSUPP", Decimal("12.00"))
    ]
    # ...while an invoice the adapter writes is in the index at once.
    boi.create_invoice(invoice("AZ-77", "12.00"))
    assert len(boi.find_invoices_by_reference("AZ77", Decimal("12.00"))) == 2
    # A clerk deletes the unposted entry: data entry is re-read whole, so it goes away.
    with company.db() as conn:
        conn.execute("DELETE FROM AP_InvoiceHeader WHERE InvoiceNo = 'AZ-77'")
    company.clock.advance(31)
    assert [f.where for f in boi.find_invoices_by_reference("AZ77", Decimal("12.00"))] == [
        "history"
    ]


def test_a_large_data_entry_is_re_read_in_slices_and_deletions_still_go_away(
    company: Any,
) -> None:
    reads: list[str] = []

    def counted(original: Any, *args: Any) -> Any:
        reads.append(str(args[4]))  # the filter
        return original(*args)

    company.tamper.rules["AP_Invoice_bus.nGetResultSets"] = counted
    sage = company.adapter(company.tampered_script, reference_index_slice_rows=3)
    for n in range(10):  # keyed by hand; no invoice numbers in between for the new ones
        company.entry_invoice("CED", f"Q{n:02d}", f"{n + 1}.00")
    assert sage.find_invoices_by_reference("Q05", Decimal("6.00"))  # builds: entry whole
    assert len(reads) == 1
    with company.db() as conn:
        conn.execute("DELETE FROM AP_InvoiceHeader WHERE InvoiceNo IN ('Q00', 'Q05', 'Q09')")
    company.entry_invoice("FERGUS", "A1", "7.00")  # below every cut
    company.entry_invoice("FERGUS", "Q04X", "8.00")  # between two held numbers
    company.entry_invoice("FERGUS", "Z9", "9.00")  # above every cut
    reads.clear()
    company.clock.advance(31)
    sage.find_invoices_by_reference("nothing", None)  # refreshes
    assert len(reads) == 4  # 10 entry rows held, cut every 3rd: 3 cuts, 4 slices
    assert all("InvoiceNo$" in r for r in reads)
    held = {
        f.key.invoice_no
        for n in [*(f"Q{i:02d}" for i in range(10)), "A1", "Q04X", "Z9"]
        for f in sage.find_invoices_by_reference(n, None)
        if f.where == "entry"
    }
    assert held == {"Q01", "Q02", "Q03", "Q04", "Q06", "Q07", "Q08", "A1", "Q04X", "Z9"}


# ---- session -------------------------------------------------------------------------


def test_the_session_is_recycled_after_its_maximum_age(company: Any) -> None:
    sage = company.adapter(session_max_age_seconds=600)
    assert sage.session_serial == 1
    company.clock.advance(601)
    assert len(sage.gl_accounts()) == 6
    assert sage.session_serial == 2


def test_callers_on_many_threads_share_one_session_safely(company: Any, boi: Any) -> None:
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(3):
                boi.create_invoice(invoice(f"T{n}-{i}", f"{n + 1}.{i}0"))
                list(boi.vendors())
        except BaseException as exc:  # noqa: BLE001  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(company.rows("SELECT * FROM AP_InvoiceHeader WHERE VendorNo = 'CED'")) == 12
    assert boi.session_serial == 1


def test_close_tears_the_session_down(company: Any) -> None:
    sage = BoiSage100(company.settings(), company.script, clock=company.clock)
    sage.create_invoice(invoice("CL-1"))
    sage.close()
    assert company.rows("SELECT * FROM SY_SandboxLock") == []
    with pytest.raises(Exception, match="closed"):
        sage.gl_accounts()


def test_text_with_tabs_quotes_and_accents_reads_back_as_typed(company: Any, boi: Any) -> None:
    company.insert(
        "AP_Vendor",
        APDivisionNo="00",
        VendorNo="ODD1",
        VendorName='Señor "Tab"\tSupply',
        VendorStatus="A",
        TermsCode="01",
        DateUpdated="20260105",
        TimeUpdated="09.00000",
    )
    odd = boi.vendor(DivisionNo("00"), SageVendorNo("ODD1"))
    assert odd is not None
    assert odd.name == 'Señor "Tab"\tSupply'
    assert len(list(boi.vendors())) == 4


def test_ping_refuses_a_division_the_company_does_not_have(company: Any) -> None:
    from ml_connector.errors import ConfigError

    with pytest.raises(ConfigError, match="division 07") as info:
        company.adapter(division="07").ping()
    assert info.value.hint == "Set the connector's AP division to one of: 00"


class SharedSandboxFactory:
    """Like `ProvideXComFactory`: says which installation it reaches, so that adapters of
    several companies share one session per process."""

    def __init__(self, company: Any) -> None:
        self.company = company

    @property
    def share_key(self) -> tuple[str, str]:
        return ("sandbox", str(self.company.root))

    def __call__(self) -> Any:
        return self.company.script()


def test_two_companies_share_one_session_and_keep_their_data_apart(company: Any) -> None:
    from datetime import UTC

    from ml_connector.sandbox.sage100 import init_root

    init_root(company.root, company="XYZ", seed="none", clock=company.clock, tz=UTC)
    abc = BoiSage100(company.settings(), SharedSandboxFactory(company), clock=company.clock)
    xyz = BoiSage100(
        company.settings(company="XYZ"), SharedSandboxFactory(company), clock=company.clock
    )
    abc.create_vendor(NewVendor(DivisionNo("00"), SageVendorNo("ONLYABC"), "Only in ABC"))
    xyz.create_vendor(NewVendor(DivisionNo("00"), SageVendorNo("ONLYXYZ"), "Only in XYZ"))
    assert {v.vendor_no for v in abc.vendors()} == {"FERGUS", "WINSUPP", "CED", "ONLYABC"}
    assert {v.vendor_no for v in xyz.vendors()} == {"ONLYXYZ"}
    abc.create_invoice(invoice("SHARED-1"))
    assert xyz.find_invoices_by_reference("SHARED-1", Decimal("40.00")) == []
    assert len(abc.find_invoices_by_reference("SHARED-1", Decimal("40.00"))) == 1
    assert abc.session_serial == xyz.session_serial == 1  # one session for both
    abc.close()
    assert [v.vendor_no for v in xyz.vendors()] == ["ONLYXYZ"]  # still open for XYZ
    xyz.close()
    assert company.rows("SELECT * FROM SY_SandboxLock") == []
