"""Logon through SY_Session: users, passwords, companies, module dates, task rights."""

from __future__ import annotations

from pathlib import Path

import pytest

from ml_connector.sandbox.sage100 import (
    ProvideXScript,
    SandboxBehaviour,
    SandboxComError,
    add_user,
    init_root,
    set_company_access,
)
from ml_connector.sandbox.sage100.testing import logged_on


def _session(root: Path) -> object:
    pvx = ProvideXScript(root)
    pvx.Init(str(root))
    return pvx.NewObject("SY_Session")


def test_the_documented_sequence_logs_on(root: Path) -> None:
    pvx = ProvideXScript(root)
    pvx.Init(r"\\server\Sage\MAS90\Home")
    ss = pvx.NewObject("SY_Session")
    assert ss.nLogon() == 0  # no unified login: fall back to nSetUser
    assert ss.nSetUser("sandbox", "sandbox") == 1
    assert ss.nSetCompany("abc") == 1
    assert ss.sCompanyCode == "ABC"
    assert ss.nSetDate("A/P", "20261120") == 1
    assert ss.nSetModule("A/P") == 1
    assert ss.sModuleDate == "20261120"
    task = ss.nLookupTask("AP_Invoice_ui")
    assert task > 0
    assert ss.nSetProgram(task) == 1
    assert ss.sUserCode == "SAN"
    bus = pvx.NewObject("AP_Invoice_bus", ss)
    assert bus != 0
    bus.DropObject()
    assert ss.nCleanup() == 1
    ss.DropObject()


def test_new_object_before_init_raises(root: Path) -> None:
    with pytest.raises(SandboxComError):
        ProvideXScript(root).NewObject("SY_Session")


@pytest.mark.parametrize(
    ("user", "password", "message"),
    [
        ("nobody", "sandbox", "Invalid user logon or password."),
        ("sandbox", "wrong", "Invalid user logon or password."),
    ],
)
def test_bad_user_or_password_is_refused(
    root: Path, user: str, password: str, message: str
) -> None:
    ss = _session(root)
    assert ss.nSetUser(user, password) == 0
    assert ss.sLastErrorMsg == message
    assert ss.nSetCompany("ABC") == 0  # still nobody logged on


def test_locked_user_is_refused(root: Path) -> None:
    add_user(root, "clerk", "pw", locked=True)
    ss = _session(root)
    assert ss.nSetUser("clerk", "pw") == 0
    assert "locked" in ss.sLastErrorMsg


def test_unknown_company_no_access_and_external_access_off(root: Path) -> None:
    add_user(root, "xyzonly", "pw", companies=("XYZ",))
    ss = _session(root)
    assert ss.nSetUser("sandbox", "sandbox") == 1
    assert ss.nSetCompany("ZZZ") == 0
    assert ss.sLastErrorMsg == "Company code ZZZ is invalid."
    ss2 = _session(root)
    assert ss2.nSetUser("xyzonly", "pw") == 1
    assert ss2.nSetCompany("ABC") == 0
    assert "do not have access to company ABC" in ss2.sLastErrorMsg
    set_company_access(root, "ABC", external_access=False)
    assert ss.nSetCompany("ABC") == 0
    assert "External access is not allowed" in ss.sLastErrorMsg


def test_two_companies_share_the_system_database(root: Path) -> None:
    init_root(root, company="XYZ", seed="none")
    pvx, ss = logged_on(root, company="XYZ")
    svc = pvx.NewObject("AP_Vendor_svc", ss)
    assert svc.nGetResultSets("VendorNo$", "VendorNo$", "", "", "", "", "") == (1, "", "")


def test_bad_dates_and_modules(root: Path) -> None:
    ss = _session(root)
    ss.nSetUser("sandbox", "sandbox")
    ss.nSetCompany("ABC")
    assert ss.nSetDate("A/P", "2026-11-20") == 0
    assert ss.nSetDate("A/P", "20260230") == 0
    assert ss.nSetDate("X/X", "20261120") == 0
    assert ss.nSetModule("Q/Q") == 0
    assert ss.nLookupTask("NO_Such_ui") == 0
    assert "not found" in ss.sLastErrorMsg


def test_program_must_match_the_module_and_be_granted(root: Path) -> None:
    add_user(root, "viewer", "pw", rights={"AP_Vendor_ui": "V"})
    ss = _session(root)
    ss.nSetUser("viewer", "pw")
    ss.nSetCompany("ABC")
    ss.nSetModule("G/L")
    assert ss.nSetProgram(ss.nLookupTask("AP_Vendor_ui")) == 0
    assert "nSetModule" in ss.sLastErrorMsg
    ss.nSetModule("A/P")
    assert ss.nSetProgram(ss.nLookupTask("AP_Invoice_ui")) == 0
    assert ss.sLastErrorMsg == "You do not have security access to Invoice Data Entry."
    assert ss.nSetProgram(ss.nLookupTask("AP_Vendor_ui")) == 1


@pytest.mark.parametrize("refusal", ["raise", "zero"])
def test_objects_need_a_program_and_the_right_task(root: Path, refusal: str) -> None:
    """A refused NewObject raises (default, as pvxcom does in public code) or answers 0;
    either way the reason is on the session, and the session goes on working."""
    behaviour = SandboxBehaviour(new_object_refusal="raise" if refusal == "raise" else "zero")
    pvx = ProvideXScript(root, behaviour=behaviour)
    pvx.Init(str(root))
    ss = pvx.NewObject("SY_Session")
    ss.nSetUser("sandbox", "sandbox")
    ss.nSetCompany("ABC")
    ss.nSetModule("A/P")

    def refused(name: str) -> str:
        if refusal == "raise":
            with pytest.raises(SandboxComError, match="Error #90"):
                pvx.NewObject(name, ss)
        else:
            assert pvx.NewObject(name, ss) == 0
        return str(ss.sLastErrorMsg)

    assert "program has not been set" in refused("AP_Vendor_svc")
    ss.nSetProgram(ss.nLookupTask("AP_Vendor_ui"))
    assert pvx.NewObject("AP_Vendor_svc", ss) != 0
    assert "AP_Invoice_ui" in refused("AP_Invoice_bus")
    assert refused("AR_Customer_bus") == "Object AR_Customer_bus was not found."
    assert not hasattr(pvx, "sLastErrorMsg")  # the message lives on the session only
    assert pvx.NewObject("AP_Vendor_bus", ss) != 0  # the session still works


def test_view_only_user_cannot_write(root: Path) -> None:
    add_user(root, "viewer", "pw", rights={"AP_Vendor_ui": "V"})
    pvx, ss = logged_on(root, user="viewer", password="pw", program="AP_Vendor_ui")
    bus = pvx.NewObject("AP_Vendor_bus", ss)
    bus.nSetKeyValue("APDivisionNo$", "00")
    bus.nSetKeyValue("VendorNo$", "NEWVEND")
    assert bus.nSetKey() == 2
    bus.nSetValue("VendorName$", "New Vendor")
    assert bus.nWrite() == 0
    assert "security rights to create" in bus.sLastErrorMsg
    assert bus.nFind("00FERGUS") == 1  # reading is fine


def test_writes_need_the_module_date(root: Path) -> None:
    pvx = ProvideXScript(root)
    pvx.Init(str(root))
    ss = pvx.NewObject("SY_Session")
    ss.nSetUser("sandbox", "sandbox")
    ss.nSetCompany("ABC")
    ss.nSetModule("A/P")
    ss.nSetProgram(ss.nLookupTask("AP_Vendor_ui"))
    bus = pvx.NewObject("AP_Vendor_bus", ss)
    assert bus.nSetKey("00NEWVEND") == 2
    bus.nSetValue("VendorName$", "New Vendor")
    assert bus.nWrite() == 0
    assert bus.sLastErrorMsg == "The A/P module date has not been set (nSetDate)."
