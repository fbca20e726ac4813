"""Fixtures for the Sage 100 adapter: a sandbox company arranged row by row, and the
real Sage server behind the `real_sage` marker.

`SandboxCompany` creates a sandbox root (`init_root(..., seed="none")`) and adds the rows
a test needs straight into the company's SQLite file, with Sage's own table and column
names: the same data a clerk would have keyed. `adapter()` builds a `BoiSage100` driving
`ProvideXScript` with the test's `ManualClock` (lock back-off sleeps advance it).
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from ml_connector.clock import ManualClock
from ml_connector.sage100.boi import BoiSage100
from ml_connector.sage100.port import AccountKey, Sage100, SageInvoiceNo, SageVendorNo
from ml_connector.sage100.settings import BoiSettings, LockRetry

try:
    from ml_connector.sandbox.sage100 import ProvideXScript, init_root
except ImportError:  # the sandbox branch is not merged yet: sandbox tests skip
    SANDBOX = False
else:
    SANDBOX = True

COMPANY = "ABC"

# GL accounts: key, formatted account, raw account, description, status.
ACCOUNTS = (
    ("000000001", "2000-00-100", "200000100", "Accounts Payable", "A"),
    ("000000002", "5000-01-100", "500001100", "Materials - Plumbing", "A"),
    ("000000003", "5000-02-100", "500002100", "Materials - Electrical", "A"),
    ("000000004", "5150-01-100", "515001100", "Subcontractors - Old", "I"),
    ("000000005", "5900-00-100", "590000100", "Miscellaneous", "D"),
    ("000000006", "6000-01-100", "600001100", "Vehicle Fuel", "A"),
)
MATERIALS = "000000002"
ELECTRICAL = "000000003"
FUEL = "000000006"

# Vendors: number and name.
VENDORS = (
    ("FERGUS", "Ferguson Enterprises #1187"),
    ("WINSUPP", "Winsupply of Phoenix"),
    ("CED", "Consolidated Electrical Distri"),
)


class HookClock(ManualClock):
    """A ManualClock that runs `on_sleep` callbacks (test arrangements between retries)."""

    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self.on_sleep: list[Callable[[int], None]] = []

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        for hook in self.on_sleep:
            hook(len(self.slept))


class Tamper:
    """A transport-level fault injector around the sandbox's COM objects.

    `rules["AP_Invoice_bus.oLines.nWrite"] = fn` makes that call run `fn(original, *args)`
    instead: to raise a COM exception once, or to blind a read. Only for single edge cases
    the sandbox cannot produce on its own.
    """

    def __init__(self) -> None:
        self.rules: dict[str, Callable[..., Any]] = {}

    def wrap(self, obj: Any, name: str) -> Any:
        return _Tampered(obj, name, self)


class _Tampered:
    def __init__(self, obj: Any, name: str, tamper: Tamper) -> None:
        self._obj, self._name, self._tamper = obj, name, tamper

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._obj, attr)
        where = f"{self._name}.{attr}"
        if attr.startswith("o") and not callable(value):
            return _Tampered(value, where, self._tamper)
        if not callable(value):
            return value

        def call(*args: Any) -> Any:
            plain = tuple(a._obj if isinstance(a, _Tampered) else a for a in args)
            rule = self._tamper.rules.get(where)
            result = rule(value, *plain) if rule else value(*plain)
            if attr == "NewObject" and result:
                return _Tampered(result, str(plain[0]), self._tamper)
            return result

        return call


@dataclass
class SandboxCompany:
    """A sandbox root with one company, and ways to arrange and inspect its rows."""

    root: Path
    clock: HookClock
    adapters: list[BoiSage100] = field(default_factory=list)
    tamper: Tamper = field(default_factory=Tamper)
    behaviour: Any = None  # a SandboxBehaviour for the scripts made from now on (None: default)

    MATERIALS = MATERIALS
    ELECTRICAL = ELECTRICAL
    FUEL = FUEL

    def script(self) -> ProvideXScript:
        return ProvideXScript(self.root, clock=self.clock, tz=UTC, behaviour=self.behaviour)

    def tampered_script(self) -> Any:
        return self.tamper.wrap(self.script(), "ProvideX.Script")

    def other_user(self, task: str = "AP_Invoice_ui", bus: str = "AP_Invoice_bus") -> Any:
        """A second Sage session (another workstation), logged on, with `bus` created."""
        pvx = self.script()
        pvx.Init("home")
        ss = pvx.NewObject("SY_Session")
        assert ss.nSetUser("sandbox", "sandbox") == 1
        assert ss.nSetCompany(COMPANY) == 1
        ss.nSetDate("A/P", "20260105")
        ss.nSetModule("A/P")
        assert ss.nSetProgram(ss.nLookupTask(task)) == 1
        return pvx.NewObject(bus, ss)

    def settings(self, **overrides: Any) -> BoiSettings:
        values: dict[str, Any] = {
            "home": r"\\SAGESRV\Sage\MAS90\Home",
            "company": COMPANY,
            "user": "sandbox",
            "password": SecretStr("sandbox"),
            "lock_retry": LockRetry(tries=4, budget_seconds=7.0),
            **overrides,
        }
        return BoiSettings(**values)

    def adapter(self, factory: Callable[[], Any] | None = None, **overrides: Any) -> BoiSage100:
        boi = BoiSage100(self.settings(**overrides), factory or self.script, clock=self.clock)
        self.adapters.append(boi)
        return boi

    def db(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.root / f"{COMPANY}.sqlite", isolation_level=None)
        conn.row_factory = sqlite3.Row
        return conn

    def insert(self, table: str, **values: object) -> None:
        cols = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        with self.db() as conn:
            conn.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", tuple(values.values()))  # noqa: S608  # test tables

    def rows(self, sql: str, *params: object) -> list[dict[str, Any]]:
        conn = self.db()
        try:
            return [dict(r) for r in conn.execute(sql, params)]
        finally:
            conn.close()

    def posted_invoice(
        self,
        vendor: str,
        invoice: str,
        amount: str,
        *,
        where: str,
        day: str = "20251201",
        stamp: tuple[str, str] = ("20251203", "10.00000"),
        seq: str = "000001",
    ) -> None:
        """An invoice already posted: in AP_OpenInvoice or AP_InvoiceHistoryHeader."""
        common = {
            "APDivisionNo": "00",
            "VendorNo": vendor,
            "InvoiceNo": invoice,
            "InvoiceDate": day,
            "InvoiceAmt": float(amount),
            "DateCreated": stamp[0],
            "TimeCreated": stamp[1],
            "DateUpdated": stamp[0],
            "TimeUpdated": stamp[1],
        }
        if where == "open":
            self.insert("AP_OpenInvoice", **common, Balance=float(amount))
        else:
            self.insert(
                "AP_InvoiceHistoryHeader",
                **common,
                HeaderSeqNo=seq,
                InvoiceType="IN",
                ModuleCode="A/P",
            )

    def entry_invoice(self, vendor: str, invoice: str, amount: str) -> None:
        """An invoice keyed by hand in A/P Invoice Data Entry, not yet posted."""
        self.insert(
            "AP_InvoiceHeader",
            APDivisionNo="00",
            VendorNo=vendor,
            InvoiceNo=invoice,
            InvoiceDate="20260102",
            InvoiceAmt=float(amount),
            DateCreated="20260102",
            TimeCreated="09.00000",
            DateUpdated="20260102",
            TimeUpdated="09.00000",
        )
        self.insert(
            "AP_InvoiceDetail",
            APDivisionNo="00",
            VendorNo=vendor,
            InvoiceNo=invoice,
            LineKey="000001",
            AccountKey=MATERIALS,
            DistributionAmt=float(amount),
        )

    def amounts(self, vendor: str, invoice: str) -> dict[str, list[float]]:
        """Every amount Sage holds for this key, by table: to prove nothing was adjusted."""
        out = {}
        for table in ("AP_InvoiceHeader", "AP_OpenInvoice", "AP_InvoiceHistoryHeader"):
            out[table] = [
                r["InvoiceAmt"]
                for r in self.rows(
                    f"SELECT InvoiceAmt FROM {table} WHERE VendorNo = ? AND InvoiceNo = ?",  # noqa: S608
                    vendor,
                    invoice,
                )
            ]
        out["AP_InvoiceDetail"] = [
            r["DistributionAmt"]
            for r in self.rows(
                "SELECT DistributionAmt FROM AP_InvoiceDetail WHERE VendorNo = ? AND InvoiceNo = ?",
                vendor,
                invoice,
            )
        ]
        return out


def arrange(company: SandboxCompany) -> None:
    stamp = {"DateCreated": "20251101", "TimeCreated": "08.00000"}
    for key, account, raw, desc, status in ACCOUNTS:
        company.insert(
            "GL_Account",
            AccountKey=key,
            Account=account,
            RawAccount=raw,
            AccountDesc=desc,
            MainAccountCode=account[:4],
            Status=status,
            AccountType="13",
            **stamp,
            DateUpdated="20251101",
            TimeUpdated="08.00000",
        )
    for number, name in VENDORS:
        company.insert(
            "AP_Vendor",
            APDivisionNo="00",
            VendorNo=number,
            VendorName=name,
            VendorStatus="A",
            TermsCode="01",
            City="Phoenix",
            State="AZ",
            **stamp,
            DateUpdated="20251215",
            TimeUpdated="16.25000",
        )


def make_company(tmp_path: Path, *, batches: bool = False) -> SandboxCompany:
    if not SANDBOX:
        pytest.skip("the Sage sandbox (ml_connector.sandbox.sage100) is not available")
    clock = HookClock(datetime(2026, 1, 5, 14, 0, tzinfo=UTC))
    root = tmp_path / "sage"
    init_root(root, company=COMPANY, seed="none", batches=batches, clock=clock, tz=UTC)
    company = SandboxCompany(root, clock)
    arrange(company)
    return company


@pytest.fixture
def company(tmp_path: Path) -> Iterator[SandboxCompany]:
    made = make_company(tmp_path)
    yield made
    for boi in made.adapters:
        boi.close()


@pytest.fixture
def make_sandbox(tmp_path: Path) -> Iterator[Callable[..., SandboxCompany]]:
    """Build further sandbox companies (e.g. `make_sandbox(batches=True)`)."""
    made: list[SandboxCompany] = []

    def build(*, batches: bool = False) -> SandboxCompany:
        company = make_company(tmp_path / f"c{len(made)}", batches=batches)
        made.append(company)
        return company

    yield build
    for company in made:
        for adapter in company.adapters:
            adapter.close()


@pytest.fixture
def boi(company: SandboxCompany) -> BoiSage100:
    return company.adapter()


@dataclass
class Given:
    """What a contract test may rely on in the company under test."""

    sage: Sage100
    vendor_no: SageVendorNo
    accounts: tuple[AccountKey, AccountKey]
    can_write: bool

    def fresh_vendor_no(self) -> str:
        return "ZQ" + secrets.token_hex(3)[:5]

    def fresh_invoice_no(self) -> SageInvoiceNo:
        return SageInvoiceNo("ZQ-" + secrets.token_hex(4)[:7].upper())

    def need_writes(self) -> None:
        if not self.can_write:
            pytest.skip("writes into the real Sage company are off (ML_CONNECTOR_REAL_SAGE_WRITES)")


@pytest.fixture(
    params=["sandbox", "sandbox-demo", pytest.param("real", marks=pytest.mark.real_sage)]
)
def given(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Given]:
    """The `Sage100` under test: the BOI adapter on the sandbox (arranged rows, or the demo
    company with a year of history), or on a real Sage server."""
    if request.param == "sandbox":
        company = make_company(tmp_path)
        sage = company.adapter()
        yield Given(
            sage, SageVendorNo("FERGUS"), (AccountKey(MATERIALS), AccountKey(ELECTRICAL)), True
        )
    elif request.param == "sandbox-demo":
        if not SANDBOX:
            pytest.skip("the Sage sandbox (ml_connector.sandbox.sage100) is not available")
        clock = HookClock(datetime(2026, 1, 5, 14, 0, tzinfo=UTC))
        init_root(tmp_path / "demo", seed="demo", clock=clock, tz=UTC)
        demo = SandboxCompany(tmp_path / "demo", clock)
        sage = demo.adapter()
        active = [a.account_key for a in sage.gl_accounts() if a.is_active]
        yield Given(sage, SageVendorNo("FERGUS"), (active[0], active[-1]), True)
    else:
        sage = real_sage_or_skip()
        active = [a.account_key for a in sage.gl_accounts() if a.is_active]
        vendor = next(v for v in sage.vendors() if v.status == "A")
        yield Given(sage, vendor.vendor_no, (active[0], active[-1]), real_writes_allowed())
    sage.close()


# ---- the real server ---------------------------------------------------------------

REAL_ENV = (
    "ML_CONNECTOR_REAL_SAGE_HOME",
    "ML_CONNECTOR_REAL_SAGE_COMPANY",
    "ML_CONNECTOR_REAL_SAGE_USER",
    "ML_CONNECTOR_REAL_SAGE_PASSWORD",
)


def real_sage_or_skip() -> BoiSage100:
    missing = [name for name in REAL_ENV if not os.environ.get(name)]
    if sys.platform != "win32" or missing:
        pytest.skip(
            "real Sage 100 server not configured (Windows + ML_CONNECTOR_REAL_SAGE_HOME/"
            "_COMPANY/_USER/_PASSWORD; see docs/sage-adapter.md)"
        )
    from ml_connector.sage100.com import ProvideXComFactory

    settings = BoiSettings(
        home=os.environ["ML_CONNECTOR_REAL_SAGE_HOME"],
        company=os.environ["ML_CONNECTOR_REAL_SAGE_COMPANY"],
        user=os.environ["ML_CONNECTOR_REAL_SAGE_USER"],
        password=SecretStr(os.environ["ML_CONNECTOR_REAL_SAGE_PASSWORD"]),
    )
    return BoiSage100(settings, ProvideXComFactory())


def real_writes_allowed() -> bool:
    return os.environ.get("ML_CONNECTOR_REAL_SAGE_WRITES") == "1"
