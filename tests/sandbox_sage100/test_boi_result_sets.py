"""nGetResultSets: the supported ProvideX expression subset, filters and key ranges."""

from __future__ import annotations

from pathlib import Path

import pytest

from ml_connector.sandbox.sage100 import COM_SEP, SEP, SandboxBehaviour
from ml_connector.sandbox.sage100.expressions import pvx_str
from ml_connector.sandbox.sage100.testing import logged_on


@pytest.fixture
def vendors(root: Path) -> object:
    pvx, ss = logged_on(root, program="AP_Vendor_ui")
    return pvx.NewObject("AP_Vendor_svc", ss)


def _split(text: str) -> list[str]:
    assert text == "" or text.endswith(COM_SEP)  # every element ends with 0x8A, "Š" via COM
    return text.split(COM_SEP)[:-1]


def test_values_and_keys_in_key_order(vendors: object) -> None:
    ok, values, keys = vendors.nGetResultSets(
        "VendorName$", "APDivisionNo$+VendorNo$", "", "", 'VendorStatus$="I"', "", ""
    )
    assert ok == 1
    assert _split(keys) == ["00ABCPLUM", "00OLDDOMI"]
    assert _split(values) == ["ABC Plumbing Supply (closed)", "Old Dominion Supply"]


def test_concatenation_with_hex_separator_and_str(root: Path) -> None:
    pvx, ss = logged_on(root)
    hist = pvx.NewObject("AP_InvoiceHistoryHeader_svc", ss)
    ok, values, _ = hist.nGetResultSets(
        "VendorNo$+$8A$+InvoiceNo$+$8A$+STR(InvoiceAmt)",
        "HeaderSeqNo$",
        "",
        "",
        'InvoiceNo$="7394109"',
        "",
        "",
    )
    assert ok == 1
    # STR drops trailing zeros; ProvideX's 0x8A byte reaches a COM caller as "Š"
    assert values == f"FERGUS{COM_SEP}7394109{COM_SEP}7369{COM_SEP}"


def test_the_raw_separator_byte_when_the_facade_is_switched(root: Path) -> None:
    pvx, ss = logged_on(root, behaviour=SandboxBehaviour(separator=SEP))
    hist = pvx.NewObject("AP_InvoiceHistoryHeader_svc", ss)
    ok, values, keys = hist.nGetResultSets(
        "VendorNo$", "InvoiceNo$", "", "", 'InvoiceNo$="7394109"', "", ""
    )
    assert (ok, values, keys) == (1, f"FERGUS{SEP}", f"7394109{SEP}")


@pytest.mark.parametrize(
    ("filter_expr", "expected"),
    [
        ('VendorNo$="FERGUS"', ["FERGUS"]),
        ('VendorNo$>="W" AND VendorStatus$="A"', ["WESCO", "WEXBANK", "WINSUPP"]),
        ('VendorNo$="AEPOHIO" OR VendorNo$="CED"', ["AEPOHIO", "CED"]),
        ('NOT (VendorStatus$="A") AND TermsCode$="01"', ["ABCPLUM", "OLDDOMI"]),
        ('UCS(VendorName$)="HOME DEPOT PRO"', ["HOMEDEP"]),
        ('MID(VendorNo$,1,4)="FERG"', ["FERGUS", "FERGWAT"]),
        ('LEN(VendorNo$)<=4 AND State$="OH"', ["CED", "COCC", "NAPA"]),
        ('LEN(VendorNo$)=3 AND State$<>"OH"', []),
        ('City$="Erie"', ["ERIEINS"]),
        ('vendorno$="GRAINGE"', ["GRAINGE"]),  # names are case-insensitive
        ("", None),  # no filter: everything
    ],
)
def test_filters(vendors: object, filter_expr: str, expected: list[str] | None) -> None:
    ok, values, _ = vendors.nGetResultSets("VendorNo$", "VendorNo$", "", "", filter_expr, "", "")
    assert ok == 1, vendors.sLastErrorMsg
    if expected is None:
        assert len(_split(values)) == 39
    else:
        assert _split(values) == expected


def test_numeric_filters(root: Path) -> None:
    pvx, ss = logged_on(root)
    open_inv = pvx.NewObject("AP_OpenInvoice_svc", ss)
    ok, values, _ = open_inv.nGetResultSets(
        "InvoiceNo$", "InvoiceNo$", "", "", "InvoiceAmt=483.16 AND Balance>0", "", ""
    )
    assert ok == 1
    assert _split(values) == ["6697708"]  # a Lowe's bill keyed under Home Depot


def test_begin_and_end_bound_the_key(vendors: object) -> None:
    ok, values, _ = vendors.nGetResultSets("VendorNo$", "VendorNo$", "", "", "", "00C", "00CI")
    assert ok == 1
    assert _split(values) == ["CED", "CHARTER", "CINTAS"]


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ('VendorNo$="FERGUS', "Error #20"),
        ("VendorNo$=1", "Error #26"),
        ('SOUNDEX(VendorName$)="X"', "not supported"),
        ('VendorNo$="A" XOR VendorNo$="B"', "Error #20"),
        ("VendorName$", "Error #26"),
    ],
)
def test_unsupported_or_wrong_expressions_answer_0(
    vendors: object, expr: str, message: str
) -> None:
    ok, values, keys = vendors.nGetResultSets("VendorNo$", "VendorNo$", "", "", expr, "", "")
    assert (ok, values, keys) == (0, "", "")
    assert message in vendors.sLastErrorMsg


def test_an_unknown_variable_reads_empty_as_in_providex_or_is_refused_when_switched(
    root: Path,
) -> None:
    pvx, ss = logged_on(root, program="AP_Vendor_ui")
    svc = pvx.NewObject("AP_Vendor_svc", ss)
    # "VendorNo" without $ is another (undefined) variable: a number, 0
    ok, values, _ = svc.nGetResultSets(
        "NoSuchColumn$+$1F$+STR(VendorNo)", "VendorNo$", "", "", 'VendorNo$="FERGUS"', "", ""
    )
    assert (ok, values) == (1, f"\x1f0{COM_SEP}")
    assert svc.nGetResultSets("VendorNo$", "VendorNo$", "", "", 'NoSuchColumn$="X"', "", "")[
        :2
    ] == (1, "")
    pvx, ss = logged_on(
        root, program="AP_Vendor_ui", behaviour=SandboxBehaviour(unknown_variables="refuse")
    )
    strict = pvx.NewObject("AP_Vendor_svc", ss)
    for expr in ('NoSuchColumn$="X"', 'VendorNo="X"'):
        ok, values, keys = strict.nGetResultSets("VendorNo$", "VendorNo$", "", "", expr, "", "")
        assert (ok, values, keys) == (0, "", "")
        assert "Error #41" in strict.sLastErrorMsg


def test_value_expression_errors(vendors: object) -> None:
    assert vendors.nGetResultSets("VendorNo$+1", "VendorNo$", "", "", "", "", "")[0] == 0
    assert "Error #26" in vendors.sLastErrorMsg


@pytest.mark.parametrize(
    ("value", "text"),
    [(12.5, "12.5"), (100.0, "100"), (-3.1, "-3.1"), (0.0, "0"), (0.1 + 0.2, "0.3")],
)
def test_pvx_str(value: float, text: str) -> None:
    assert pvx_str(value) == text
