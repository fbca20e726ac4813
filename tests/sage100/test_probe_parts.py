"""The probe's parts: ProvideX lists in both separator shapes, records ended by our own
terminator, the account format derived from Account vs RawAccount, and a whole probe
through a COM-shaped facade (0x8A delivered as "Š", as pywin32 hands it over on CP1252)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from ml_connector.sage100.boi_calls import Guarded
from ml_connector.sage100.probe import run_probe, scrub
from ml_connector.sage100.probe_keys import derive_format, read_records
from ml_connector.sage100.raw_boi import RawBoi, split_list
from ml_connector.sage100.settings import BoiSettings
from ml_connector.sandbox.sage100 import ProvideXScript, init_root

PASSWORD = "Probe-Pw-91xq"


def test_split_list_accepts_both_separators() -> None:
    assert split_list("APDivisionNo$\x8aVendorNo$\x8a") == (
        ["APDivisionNo$", "VendorNo$"],
        "U+008A",
    )
    assert split_list("APDivisionNo$ŠVendorNo$Š") == (["APDivisionNo$", "VendorNo$"], "U+0160")
    assert split_list("A\x8aBŠ") == (["A", "B"], "both")
    assert split_list("") == ([], "")
    assert split_list(None) == ([], "")


@given(st.lists(st.text(alphabet="AB1-", min_size=1, max_size=4), min_size=1, max_size=4))
def test_derive_format_finds_lengths_and_separators(segments: list[str]) -> None:
    clean = [s.replace("-", "") or "0" for s in segments]
    account = "-".join(clean)
    derived = derive_format([(account, "".join(clean))])
    assert derived == ([len(c) for c in clean], ["-"] * (len(clean) - 1))


def test_derive_format_refuses_disagreeing_accounts() -> None:
    assert derive_format([("1000-00", "100000"), ("1000-000", "1000000")]) is None
    assert derive_format([("1000-00", "100001")]) is None  # RawAccount is not Account's digits


class ComShaped:
    """A transport-level facade: every string the sandbox answers comes back with 0x8A as
    U+0160, as through COM on a Windows-1252 host; objects it returns are wrapped too."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if callable(value):
            return lambda *args: _shape(value(*(_unwrap(a) for a in args)))
        return _shape(value)


def _unwrap(value: Any) -> Any:
    return value._inner if isinstance(value, ComShaped) else value


def _shape(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x8a", "Š")
    if isinstance(value, tuple):
        return tuple(_shape(v) for v in value)
    if value is None or isinstance(value, int | float | bool):
        return value
    return ComShaped(value)


def _root(tmp_path: Path) -> Path:
    root = tmp_path / "sage"
    init_root(root, password=PASSWORD)
    return root


def _settings(root: Path) -> BoiSettings:
    return BoiSettings(home=str(root), company="ABC", user="sandbox", password=SecretStr(PASSWORD))


def test_read_records_keeps_a_value_holding_the_separator(tmp_path: Path) -> None:
    root = _root(tmp_path)
    conn = sqlite3.connect(root / "ABC.sqlite")
    conn.execute("UPDATE AP_Vendor SET VendorName = 'ŠKODA PARTS' WHERE VendorNo = 'FERGUS'")
    conn.commit()
    conn.close()
    raw = RawBoi(Guarded(ComShaped(ProvideXScript(root)), "ProvideX.Script"), _settings(root))
    raw.open()
    try:
        vendors, why = raw.try_object("AP_Vendor_svc", "A/P", "AP_Vendor_ui")
        assert vendors is not None, why
        rows = read_records(vendors, ("VendorNo$", "VendorName$"))
    finally:
        raw.close()
    assert ["FERGUS", "ŠKODA PARTS"] in rows
    assert all(len(r) == 2 for r in rows)
    assert len(rows) == 39


def test_probe_through_com_shaped_strings(tmp_path: Path) -> None:
    root = _root(tmp_path)
    conn = sqlite3.connect(root / "ABC.sqlite")
    conn.execute("UPDATE AP_Vendor SET VendorNo = '0001234' WHERE VendorNo = 'FERGUS'")
    conn.commit()
    conn.close()
    report = run_probe(_settings(root), lambda: ComShaped(ProvideXScript(root)), mask=(PASSWORD,))
    c = report["conclusions"]
    assert c["result_separator"] == "U+0160"
    assert c["list_separator"] == "U+0160"
    assert c["columns"]["invoice_amount"] == "InvoiceAmt"  # columns split on "Š" too
    assert c["account_format"]["segments"] == [4, 2, 3]
    assert c["vendor_zero_fill"] is True
    assert PASSWORD not in repr(report)


def test_probe_of_an_unknown_company_is_one_unsettled_fact(tmp_path: Path) -> None:
    root = _root(tmp_path)
    settings = _settings(root).model_copy(update={"company": "ZZZ"})
    report = run_probe(settings, lambda: ProvideXScript(root))
    assert list(report["facts"]) == ["session"]
    assert report["facts"]["session"]["settled"] is False
    assert report["conclusions"] == {}
    assert "ZZZ" in report["facts"]["session"]["conclusion"]


def test_scrub_masks_everywhere() -> None:
    data = {"a": ["x secret y", {"secret": 1}], "b": ("secret",), "c": 3}
    assert scrub(data, "secret") == {"a": ["x *** y", {"***": 1}], "b": ["***"], "c": 3}


def _tables(root: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(root / "ABC.sqlite")
    try:
        return {
            t: sorted(tuple(r) for r in conn.execute(f"SELECT * FROM {t}"))  # noqa: S608
            for t in ("AP_InvoiceHeader", "AP_InvoiceDetail", "GL_CompanyActiveBatch")
        }
    finally:
        conn.close()


def test_the_probe_tells_each_tax_and_receipt_of_invoice_setting_apart(tmp_path: Path) -> None:
    """The probe fields that answer what only a real server can: the same company under
    both settings of each sandbox switch gives the two answers, and nothing is stored."""
    from ml_connector.sandbox.sage100 import SandboxBehaviour

    root = _root(tmp_path)
    conn = sqlite3.connect(root / "ABC.sqlite")
    conn.execute("UPDATE AP_Vendor SET TaxSchedule = 'NONTAX' WHERE VendorNo = 'FERGUS'")
    conn.commit()
    conn.close()
    before = _tables(root)
    answers = {}
    for behaviour in (
        SandboxBehaviour(),
        SandboxBehaviour(
            receipt_of_invoice="refuse", tax_computed="per_line", zero_rate_tax="refuse"
        ),
    ):
        report = run_probe(_settings(root), lambda b=behaviour: ProvideXScript(root, behaviour=b))
        c = report["conclusions"]
        answers[behaviour.tax_computed] = (c.get("receipt_of_invoice_entry"), c["tax_entry"])
    assert _tables(root) == before  # nClear every time: nothing stored, no batch opened
    ri, tax = answers["at_write"]
    assert ri == "accept"
    assert tax == {
        "NONTAX": {"tax_enterable": True, "computed_per_line": False},
        "OHFRANK": {"tax_enterable": True, "computed_per_line": False},
    }
    ri, tax = answers["per_line"]
    assert ri == "refuse"
    assert tax == {
        "NONTAX": {"tax_enterable": False, "computed_per_line": False},
        "OHFRANK": {"tax_enterable": True, "computed_per_line": True},
    }


def test_a_task_sage_does_not_know_is_noted_and_refused(tmp_path: Path) -> None:
    root = _root(tmp_path)
    raw = RawBoi(Guarded(ProvideXScript(root), "ProvideX.Script"), _settings(root))
    raw.open()
    try:
        known, why = raw.try_object("AP_Vendor_svc", "A/P", "AP_Vendor_ui")
        assert known is not None, why
        unknown, why = raw.try_object("AP_Vendor_svc", "A/P", "XX_NoSuchTask_ui")
    finally:
        raw.close()
    assert unknown is None
    assert "nLookupTask(XX_NoSuchTask_ui)" in why
    # the probe's `tasks` fact lists both answers, the refused one as Sage gave it
    assert raw.tasks["AP_Vendor_ui"]
    assert not raw.tasks["XX_NoSuchTask_ui"]
