"""The lookup before a first write answered from the reference index
(`BoiSage100.find_invoice_to_write`): absent only when the index does not hold the key and
its open and history rows are at most a few seconds old; whatever slips in between is
still refused by the write itself (nSetKey, the adjustment flag), never adjusted."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from test_traps import _com_error_once, invoice

from ml_connector.sage100.errors import InvoiceExistsError, SageSessionError


class Counting:
    """Counts the BOI calls made through a sandbox script (a transport-level wrapper)."""

    def __init__(self, inner: Any, calls: Counter[str]) -> None:
        self._inner = inner
        self._calls = calls

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if not callable(value):
            return Counting(value, self._calls) if name.startswith("o") else value

        def call(*args: Any) -> Any:
            self._calls[name] += 1
            result = value(*(a._inner if isinstance(a, Counting) else a for a in args))
            return Counting(result, self._calls) if hasattr(result, "sLastErrorMsg") else result

        return call


def test_a_key_the_fresh_index_does_not_hold_costs_no_lookup(company: Any) -> None:
    calls: Counter[str] = Counter()
    sage = company.adapter(factory=lambda: Counting(company.script(), calls))
    sage.find_invoices_by_reference("warm-up", None)  # builds the index
    sage.create_invoice(invoice("WARM-UP"))  # the company's settings, read once
    calls.clear()
    assert sage.find_invoice_to_write(invoice("1187-0042").key) == []
    assert calls["nGetResultSets"] == 0
    sage.create_invoice(invoice("1187-0042"))  # nor does the write look up again
    assert calls["nGetResultSets"] == 2  # the bulk read-back only
    # held now (noted as written): the exact lookup gives the details
    [found] = sage.find_invoice_to_write(invoice("1187-0042").key)
    assert (found.where, found.amount) == ("entry", invoice("1187-0042").amount)


@pytest.mark.parametrize("where", ["open", "history"])
def test_an_invoice_posted_after_the_index_was_built_is_found_seconds_later(
    company: Any, where: str
) -> None:
    sage = company.adapter()
    sage.find_invoices_by_reference("warm-up", None)
    today = company.clock.now().strftime("%Y%m%d")
    company.posted_invoice("FERGUS", "1187-0042", "80.00", where=where, stamp=(today, "14.1"))
    before = company.amounts("FERGUS", "1187-0042")
    # within the freshness bound the index has not seen it: the write itself refuses it
    assert sage.find_invoice_to_write(invoice("1187-0042").key) == []
    with pytest.raises(InvoiceExistsError, match="adjustment of a posted invoice"):
        sage.create_invoice(invoice("1187-0042", "100.00"))
    company.clock.advance(6)  # past the bound: open and history are read again
    [found] = sage.find_invoice_to_write(invoice("1187-0042").key)
    assert (found.where, str(found.amount)) == (where, "80.00")
    # a posting stamped by a clock a day behind is still picked up
    company.clock.advance(6)
    company.posted_invoice("FERGUS", "1187-0043", "81.00", where=where, stamp=("20260104", "9"))
    company.clock.advance(6)
    [found] = sage.find_invoice_to_write(invoice("1187-0043").key)
    assert found.where == where
    assert company.amounts("FERGUS", "1187-0042") == before


def test_an_invoice_keyed_in_data_entry_since_the_index_was_read_is_refused_by_nsetkey(
    company: Any,
) -> None:
    sage = company.adapter()
    sage.find_invoices_by_reference("warm-up", None)
    company.entry_invoice("FERGUS", "1187-0042", "80.00")
    before = company.amounts("FERGUS", "1187-0042")
    assert sage.find_invoice_to_write(invoice("1187-0042").key) == []  # entry: read every 30 s
    with pytest.raises(InvoiceExistsError, match="nSetKey answered 1"):
        sage.create_invoice(invoice("1187-0042", "100.00"))
    assert company.amounts("FERGUS", "1187-0042") == before


def test_switched_off_the_lookup_reads_entry_open_and_history(company: Any) -> None:
    calls: Counter[str] = Counter()
    sage = company.adapter(
        factory=lambda: Counting(company.script(), calls), key_lookup_from_index=False
    )
    sage.find_invoices_by_reference("warm-up", None)
    company.posted_invoice("FERGUS", "1187-0042", "80.00", where="history")
    calls.clear()
    [found] = sage.find_invoice_to_write(invoice("1187-0042").key)
    assert found.where == "history"
    assert calls["nGetResultSets"] == 3


# ---- nSetKey with the whole key (BoiSettings.invoice_key_whole, off by default) --------


def test_the_whole_key_saves_three_calls_and_lands_under_the_intended_key(company: Any) -> None:
    calls: Counter[str] = Counter()
    sage = company.adapter(
        factory=lambda: Counting(company.script(), calls), invoice_key_whole=True
    )
    sage.create_invoice(invoice("WARM-UP"))  # the company's settings, read once
    calls.clear()
    sage.create_invoice(invoice("1187-0042", vendor="CED"))  # CED: padded to 7 in the key
    assert calls["nSetKeyValue"] == 0
    assert calls["nSetKey"] == 1
    # a one-character invoice number makes a 10-character whole key, which could be taken
    # for the invoice number alone while the last key's parts are still set: given in parts
    sage.create_invoice(invoice("7", vendor="FERGUS"))
    assert calls["nSetKeyValue"] == 3
    keys = company.rows("SELECT VendorNo, InvoiceNo FROM AP_InvoiceHeader ORDER BY InvoiceNo")
    assert [(r["VendorNo"], r["InvoiceNo"]) for r in keys] == [
        ("CED", "1187-0042"),
        ("FERGUS", "7"),
        ("FERGUS", "WARM-UP"),
    ]
    default = company.adapter(factory=lambda: Counting(company.script(), calls))
    calls.clear()
    default.create_invoice(invoice("1187-0043", vendor="CED"))
    assert calls["nSetKeyValue"] == 3  # off by default: the confirmed three-part form


@pytest.mark.parametrize("where", ["entry", "open", "history"])
def test_with_the_whole_key_an_existing_invoice_is_still_refused_unchanged(
    company: Any, where: str
) -> None:
    blind = lambda original, *args: (1, "", "")  # noqa: E731  # the lookup sees nothing
    for name in ("AP_Invoice_bus", "AP_OpenInvoice_svc", "AP_InvoiceHistoryHeader_svc"):
        company.tamper.rules[f"{name}.nGetResultSets"] = blind
    if where == "entry":
        company.entry_invoice("CED", "1187-0042", "80.00")
    else:
        company.posted_invoice("CED", "1187-0042", "80.00", where=where)
    before = company.amounts("CED", "1187-0042")
    sage = company.adapter(factory=company.tampered_script, invoice_key_whole=True)
    said = "nSetKey answered 1" if where == "entry" else "adjustment of a posted invoice"
    with pytest.raises(InvoiceExistsError, match=said):
        sage.create_invoice(invoice("1187-0042", "100.00", vendor="CED"))
    assert company.amounts("CED", "1187-0042") == before


def test_preparing_a_fresh_index_asks_nothing_until_it_is_due_or_the_session_changed(
    company: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`prepare_session(invoice_index=True)` comes before every document: while the session
    that built the index is the live one and no refresh is due, the BOI thread is not asked
    at all; a refresh due, or a new session after a COM failure, is done there again."""
    calls: Counter[str] = Counter()
    sage = company.adapter(factory=lambda: Counting(company.tampered_script(), calls))
    trips = _trips_to_the_boi_thread(sage, monkeypatch)
    sage.prepare_session(invoice_index=True)
    assert trips == ["prepare_session"]
    assert calls["nGetResultSets"] > 0  # built
    trips.clear()
    calls.clear()
    company.clock.advance(29)
    sage.prepare_session(invoice_index=True)
    assert (trips, sum(calls.values())) == ([], 0)
    company.clock.advance(1)  # 30 s: the refresh of data entry is due
    sage.prepare_session(invoice_index=True)
    assert trips == ["prepare_session"]
    assert calls["nGetResultSets"] > 0
    trips.clear()
    sage.prepare_session(invoice_index=True)
    assert trips == []
    # a COM failure drops the session: the next document's preparation opens a new one
    company.tamper.rules["AP_Vendor_svc.nGetResultSets"] = _com_error_once()
    with pytest.raises(SageSessionError):
        list(sage.vendors())
    trips.clear()
    calls.clear()
    sage.prepare_session(invoice_index=True)
    assert trips == ["prepare_session"]
    assert calls["NewObject"] > 0  # a new session
    assert calls["nGetResultSets"] > 0  # and its index
    assert sage.session_serial == 2


def test_preparing_the_session_alone_asks_once_until_it_is_recycled_or_dropped(
    company: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`prepare_session()` (the session, no index) comes before every document's vendor
    and account checks: while the session it opened is the live one and not due for
    recycling, the BOI thread is not asked; a session dropped after a COM failure, or one
    due by age, is opened there again."""
    calls: Counter[str] = Counter()
    sage = company.adapter(factory=lambda: Counting(company.tampered_script(), calls))
    trips = _trips_to_the_boi_thread(sage, monkeypatch)
    sage.prepare_session()
    sage.prepare_session()
    assert trips == ["prepare_session"]
    assert calls["NewObject"] > 0
    trips.clear()
    company.clock.advance(sage.settings.session_max_age_seconds - 1)
    sage.prepare_session()
    assert trips == []
    company.clock.advance(2)  # past its age: the runner opens a new session
    sage.prepare_session()
    assert trips == ["prepare_session"]
    assert sage.session_serial == 2
    company.tamper.rules["AP_Vendor_svc.nGetResultSets"] = _com_error_once()
    with pytest.raises(SageSessionError):
        list(sage.vendors())
    trips.clear()
    calls.clear()
    sage.prepare_session()
    assert trips == ["prepare_session"]
    assert calls["NewObject"] > 0  # a new session after the COM failure
    assert sage.session_serial == 3


def test_the_lookups_before_a_write_answer_as_the_three_calls_in_one_trip(
    company: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`look_before_write` is `find_invoice_to_write` and both reference lookups, asked of
    the BOI thread once: the same answers, one trip instead of three."""
    company.posted_invoice("CED", "1187-0042", "80.00", where="history")
    company.posted_invoice("ABC", "11870042", "80.00", where="open")
    company.entry_invoice("ABC", "1187-42", "15.00")
    sage = company.adapter(factory=company.tampered_script)
    key = invoice("1187-0042", vendor="CED").key
    apart = (
        sage.find_invoice_to_write(key),
        sage.find_invoices_by_reference("1187-0042", None),
        sage.find_invoices_by_reference("1187-0042", Decimal("80.00")),
    )
    trips = _trips_to_the_boi_thread(sage, monkeypatch)
    looked = sage.look_before_write(key, "1187-0042", Decimal("80.00"))
    assert trips == ["look_before_write"]
    assert (list(looked.under_key), list(looked.by_reference), list(looked.same_amount)) == apart
    assert [i.where for i in looked.under_key] == ["history"]
    assert len(looked.by_reference) == 3
    assert {i.key.vendor_no for i in looked.same_amount} == {"CED", "ABC"}


def _trips_to_the_boi_thread(sage: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The operations `sage` sends to its BOI thread from now on, in order."""
    trips: list[str] = []
    run = sage._runner.run

    def counted(operation: str, *args: Any) -> Any:
        trips.append(operation)
        return run(operation, *args)

    monkeypatch.setattr(sage._runner, "run", counted)
    return trips
