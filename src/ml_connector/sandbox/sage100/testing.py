"""Test switches for any area that drives the Sage sandbox (like `structlog.testing`).

root = make_root(tmp_path)                       # demo company ABC, user sandbox/sandbox
pvx, ss = logged_on(root, program="AP_Invoice_ui")
inv = pvx.NewObject("AP_Invoice_bus", ss)
"""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path
from typing import Any

from ml_connector.clock import Clock
from ml_connector.sandbox.sage100.behaviour import SandboxBehaviour
from ml_connector.sandbox.sage100.root import init_root
from ml_connector.sandbox.sage100.session import ProvideXScript, SySession


def make_root(
    path: Path, *, seed: str = "demo", batches: bool = False, company: str = "ABC"
) -> Path:
    """A fresh sandbox root under `path` (created)."""
    root = path / "sage"
    init_root(root, company=company, seed=seed, batches=batches)
    return root


def logged_on(  # each step of the logon sequence
    root: Path,
    *,
    program: str = "AP_Invoice_ui",
    company: str = "ABC",
    user: str = "sandbox",
    password: str = "sandbox",  # noqa: S107  # the documented sandbox default
    module_date: str = "20261120",
    clock: Clock | None = None,
    tz: tzinfo | None = None,
    behaviour: SandboxBehaviour | None = None,
) -> tuple[ProvideXScript, SySession]:
    """A script and a session through the whole logon sequence; AssertionError on refusal."""
    pvx = ProvideXScript(root, clock=clock, tz=tz, behaviour=behaviour)
    pvx.Init(str(root))
    ss = pvx.NewObject("SY_Session")
    assert isinstance(ss, SySession)
    module = "G/L" if program.upper().startswith("GL_") else "A/P"
    steps = (
        ("nSetUser", ss.nSetUser(user, password)),
        ("nSetCompany", ss.nSetCompany(company)),
        ("nSetDate", ss.nSetDate(module, module_date)),
        ("nSetModule", ss.nSetModule(module)),
        ("nSetProgram", ss.nSetProgram(ss.nLookupTask(program))),
    )
    for name, result in steps:
        if result != 1:
            raise AssertionError(f"{name} answered {result}: {ss.sLastErrorMsg}")
    return pvx, ss


def account_key(pvx: ProvideXScript, ss: SySession, account: str) -> str:
    """The AccountKey of a formatted account (through GL_Account_svc)."""
    gl: Any = pvx.NewObject("GL_Account_svc", ss)
    ok, keys, _ = gl.nGetResultSets(
        "AccountKey$", "AccountKey$", "", "", f'Account$="{account}"', "", ""
    )
    if ok != 1 or not keys:
        raise AssertionError(f"account {account} not found: {gl.sLastErrorMsg}")
    return str(keys).split(pvx.behaviour.separator)[0]


def new_invoice(
    pvx: ProvideXScript,
    ss: SySession,
    invoice_no: str,
    lines: list[tuple[str, float]],
    *,
    vendor: str = "FERGUS",
    amount: float | None = None,
    date: str = "20261120",
) -> tuple[object, int]:
    """Key, fill and write an invoice; returns (bus, nWrite's answer)."""
    inv: Any
    inv = pvx.NewObject("AP_Invoice_bus", ss)
    for col, part in (("APDivisionNo$", "00"), ("VendorNo$", vendor), ("InvoiceNo$", invoice_no)):
        inv.nSetKeyValue(col, part)
    inv.nSetKey()
    inv.nSetValue("InvoiceDate$", date)
    inv.nSetValue("InvoiceAmt", amount if amount is not None else sum(a for _, a in lines))
    for account, value in lines:
        inv.oLines.nAddLine()
        inv.oLines.nSetValue("AccountKey$", account_key(pvx, ss, account))
        inv.oLines.nSetValue("DistributionAmt", value)
        inv.oLines.nWrite()
    return inv, inv.nWrite()
