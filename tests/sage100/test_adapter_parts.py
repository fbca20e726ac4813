"""Pure parts of the adapter: lock back-off, column choice, the reference index, the thread."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pydantic import SecretStr, ValidationError

from ml_connector.clock import ManualClock
from ml_connector.sage100.boi_session import BoiSession, BoiThread
from ml_connector.sage100.columns import choose_columns
from ml_connector.sage100.errors import SageLoginError
from ml_connector.sage100.invoice_index import InvoiceIndex
from ml_connector.sage100.resultsets import split_list
from ml_connector.sage100.settings import BoiColumns, BoiSettings, LockRetry


def test_lock_backoff_doubles_and_spends_exactly_the_budget() -> None:
    delays = LockRetry(tries=5, budget_seconds=10).delays()
    assert len(delays) == 4
    assert sum(delays) == pytest.approx(10)
    assert all(b == pytest.approx(2 * a) for a, b in itertools.pairwise(delays))
    assert LockRetry(tries=1).delays() == ()


def test_settings_normalise_company_and_refuse_nonsense() -> None:
    s = BoiSettings(
        home=r"\\srv\Sage\MAS90\Home", company="abc", user="u", password=SecretStr("hunter22")
    )
    assert s.company == "ABC"
    assert "hunter22" not in repr(s)
    with pytest.raises(ValidationError):
        BoiSettings(home="h", company="ABCD", user="u", password=SecretStr("p"))
    with pytest.raises(ValidationError):
        BoiSettings(home="h", company="ABC", user="u", password=SecretStr("p"), division="0")


def test_columns_missing_on_the_live_system_are_replaced_by_a_known_alternative() -> None:
    reported = {n.removesuffix("$") for n in split_list("APDivisionNo$ŠInvoiceAmountŠComment$Š")}
    assert reported == {"APDivisionNo", "InvoiceAmount", "Comment"}
    available = {"entry": reported, "lines": {"AccountKey", "Amount"}}
    chosen, notes = choose_columns(BoiColumns(), available)
    assert chosen.invoice_amount == "InvoiceAmount"
    assert chosen.line_amount == "Amount"
    assert chosen.line_account == "AccountKey"
    note = "InvoiceAmount (from entry; InvoiceAmt is not there)"
    assert ("column invoice_amount", note) in notes
    # A name nothing confirms is kept (the settings win) and reported...
    chosen2, notes2 = choose_columns(BoiColumns(invoice_due_date="DueOn"), {"entry": reported})
    assert chosen2.invoice_due_date == "DueOn"
    assert any("DueOn not reported" in n[1] for n in notes2)


def test_an_amount_column_the_object_does_not_report_is_a_setup_error_naming_the_tries() -> None:
    # ProvideX would read the unknown column as 0: never guess an amount column.
    with pytest.raises(SageLoginError, match=r"InvoiceAmt, InvoiceAmount, InvoiceTotal") as err:
        choose_columns(BoiColumns(), {"entry": {"APDivisionNo", "NonTaxableAmt"}})
    assert "columns.invoice_amount" in (err.value.hint or "")
    # Nothing reported at all (sGetColumns gave nothing): the configured names are kept.
    assert choose_columns(BoiColumns(), {"entry": set()})[0] == BoiColumns()


def test_unified_login_is_off_by_default() -> None:
    s = BoiSettings(home="h", company="ABC", user="u", password=SecretStr("p"))
    assert s.try_unified_login is False


def _rec(vendor: str, number: str, amount: str, seq: str, day: str = "20260105") -> list[str]:
    # APDivisionNo, VendorNo, InvoiceNo, InvoiceDate, amount, DateUpdated, DateCreated, seq
    return ["00", vendor.ljust(7), number.ljust(10), "20251201", amount, day, day, seq]


def test_the_reference_index_matches_normalised_numbers_and_amounts_across_vendors() -> None:
    index = InvoiceIndex(built_at=0, refreshed_at=0)
    index.load(
        "history",
        [
            _rec("FERGUS", "INV-0042", "100", "000001"),
            _rec("FERGUS", "INV-0042", "50", "000002", day="20260107"),  # an adjustment
            _rec("WINSUP", "inv0042", "150", "000001"),
            _rec("WINSUP", "INV-042", "100", "000001"),
        ],
    )
    hits = index.lookup("Inv 0042", Decimal("100.00"))
    # "INV-042" is the same reference as "Inv 0042": prefix and leading zeros do not count
    assert [(h.key.vendor_no, h.amount) for h in hits] == [
        ("FERGUS", Decimal("150.00")),
        ("WINSUP", Decimal("100.00")),
    ]
    assert hits[0].invoice_date == date(2025, 12, 1)
    hits = index.lookup("INV0042", Decimal("150.00"))
    assert [h.key.vendor_no for h in hits] == ["FERGUS", "WINSUP"]
    assert index.lookup("INV0042", Decimal("1.00")) == []
    every = index.lookup("42", None)  # any amount: every invoice whose number is 42
    assert sorted((h.key.vendor_no, h.key.invoice_no, h.amount) for h in every) == [
        ("FERGUS", "INV-0042", Decimal("150.00")),
        ("WINSUP", "INV-042", Decimal("100.00")),
        ("WINSUP", "inv0042", Decimal("150.00")),
    ]
    assert index.newest_day["history"] == "20260107"
    index.drop(("history", "00", "WINSUP", "inv0042", "000001"))
    assert [h.key.vendor_no for h in index.lookup("INV0042", Decimal("150.00"))] == ["FERGUS"]
    assert len(index) == 3


def test_every_call_runs_on_the_one_boi_thread_whoever_calls() -> None:
    boi = BoiThread()
    seen: set[int] = set()
    errors: list[BaseException] = []

    def caller() -> None:
        try:
            for _ in range(20):
                seen.add(boi.run(threading.get_ident))
        except BaseException as exc:  # noqa: BLE001  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=caller) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert seen == {boi.ident}
    with pytest.raises(ZeroDivisionError):
        boi.run(lambda: 1 / 0)
    boi.stop()


def test_a_thread_that_cannot_start_com_fails_every_call_instead_of_hanging() -> None:
    def no_com() -> None:
        raise OSError("CoInitialize failed")

    boi = BoiThread(on_start=no_com)
    for _ in range(2):
        with pytest.raises(OSError, match="CoInitialize"):
            boi.run(lambda: 1, timeout=5)
    boi.stop()


def test_keys_looked_up_and_never_written_are_let_go_once_stale() -> None:
    """A key the lookup found absent counts for the write for 5 s; one never written (a
    suspected duplicate) used to stay for the whole session, one per document."""
    from types import SimpleNamespace

    from ml_connector.clock import ManualClock
    from ml_connector.sage100 import boi_writes
    from ml_connector.sage100.port import ApInvoiceKey, DivisionNo, SageInvoiceNo, SageVendorNo

    def key(n: int) -> ApInvoiceKey:
        return ApInvoiceKey(DivisionNo("00"), SageVendorNo("CED"), SageInvoiceNo(f"N{n}"))

    clock = ManualClock()
    session = SimpleNamespace(cache={}, clock=clock)
    for n in range(100):
        boi_writes.note_lookup(session, key(n), found=False)  # cache and clock: all it uses
    clock.advance(boi_writes.LOOKUP_FRESH_SECONDS + 1)
    for n in range(100, 250):
        boi_writes.note_lookup(session, key(n), found=False)
    assert len(session.cache["absent_keys"]) == 150  # the 100 stale ones are gone
    assert boi_writes._looked_up_absent(session, key(200))  # a fresh one still counts, once
    assert not boi_writes._looked_up_absent(session, key(200))


@pytest.fixture
def chicago(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This machine's calendar in Chicago (UTC-6 in January) for the test's length."""
    monkeypatch.setenv("TZ", "America/Chicago")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("chicago")
def test_the_module_date_is_the_local_day_and_turns_at_local_midnight() -> None:
    clock = ManualClock(datetime(2026, 1, 6, 1, 0, tzinfo=UTC))  # 19:00 on the 5th in Chicago
    settings = BoiSettings(home="h", company="ABC", user="u", password=SecretStr("p"))
    session = BoiSession(script=None, settings=settings, clock=clock, serial=1)  # type: ignore[arg-type]
    assert session.module_date == "20260105"
    clock.advance(4 * 3600 + 59 * 60 + 58)  # 23:59:58 local: the same day, asked again
    assert session.module_date == "20260105"
    clock.advance(3)  # 00:00:01 local
    assert session.module_date == "20260106"
    fixed = settings.model_copy(update={"module_date": date(2025, 12, 31)})
    assert BoiSession(None, fixed, clock, 2).module_date == "20251231"  # type: ignore[arg-type]
