"""The Sage 100 half of the connectivity check.

Before any BOI call: the platform and the COM registration (mode boi: Windows only; the
ProvideX.Script class registered for this Python's bitness), the Home path (boi) or the
sandbox root (sandbox). Then `BoiSage100.ping()` walks the session: open, login, company,
module date, rights on AP invoice entry / AP vendors / GL accounts (objects AP_Invoice_bus,
AP_Vendor_bus, GL_Account_svc), the AP division; then the GL account format is read. A ping
stops at its first failure: that step is FAILED, the earlier ones passed, the later ones are
skipped. eBusiness Web Services, when configured, get their own ping over SOAP.
"""

from __future__ import annotations

import importlib.util
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from ml_connector.app.adapters import build_sage
from ml_connector.app.check.gl import GL_RULES, gl_rules_row
from ml_connector.app.check.types import CheckResult, Rows
from ml_connector.app.check.webservices import check_webservices
from ml_connector.app.config.pair import PairSettings
from ml_connector.clock import Clock
from ml_connector.errors import ConnectorError, Sage100Error
from ml_connector.sage100.boi import BoiSage100
from ml_connector.sage100.errors import SageSessionError
from ml_connector.sage100.port import HealthReport
from ml_connector.sage100.webservices import WebServicesSettings

PLATFORM = "platform"
COM = "COM registration"
PYWIN32 = "pywin32"
HOME = "Home path"
ROOT = "sandbox root"
SESSION = "session"
LOGIN = "login"
COMPANY = "company"
MODULE_DATE = "module date"
AP_INVOICE = "AP invoice rights (AP_Invoice_bus)"
AP_VENDOR = "AP vendor rights (AP_Vendor_bus)"
GL_RIGHTS = "GL rights (GL_Account_svc)"
DIVISION = "AP division"
ACCOUNT_FORMAT = "GL account format"
WEBSERVICES = "Web Services"

PING_STEPS = (SESSION, LOGIN, COMPANY, MODULE_DATE, AP_INVOICE, AP_VENDOR, GL_RIGHTS, DIVISION)

PROG_ID = "ProvideX.Script"
SANDBOX_SYSTEM_DB = "SYSTEM.sqlite"  # what `init_root` creates first in a sandbox root


@dataclass(frozen=True, slots=True)
class ComRegistration:
    """Where ProvideX.Script is registered, as seen from this machine's registry."""

    prog_id_found: bool
    in_64bit_view: bool
    in_32bit_view: bool
    python_bits: int


def python_bits() -> int:
    return struct.calcsize("P") * 8


def read_com_registration() -> ComRegistration:  # pragma: no cover - needs Windows
    """Look ProvideX.Script up in both registry views (Windows only)."""
    bits = python_bits()
    if sys.platform != "win32":
        return ComRegistration(False, False, False, bits)
    import winreg

    try:
        with winreg.OpenKey(winreg.HKEY_CLASSES_ROOT, rf"{PROG_ID}\CLSID") as key:
            clsid = str(winreg.QueryValue(key, None))
    except OSError:
        return ComRegistration(False, False, False, bits)

    def registered(view: int) -> bool:
        try:
            access = winreg.KEY_READ | view
            with winreg.OpenKey(winreg.HKEY_CLASSES_ROOT, rf"CLSID\{clsid}", 0, access):
                return True
        except OSError:
            return False

    return ComRegistration(
        True, registered(winreg.KEY_WOW64_64KEY), registered(winreg.KEY_WOW64_32KEY), bits
    )


def com_registration_row(rows: Rows, reg: ComRegistration) -> CheckResult:
    """The verdict on a registration: registered for this Python's bitness, or why not."""
    own = reg.in_64bit_view if reg.python_bits == 64 else reg.in_32bit_view
    other = reg.in_32bit_view if reg.python_bits == 64 else reg.in_64bit_view
    other_bits = 32 if reg.python_bits == 64 else 64
    if reg.prog_id_found and own:
        return rows.ok(COM, f"{PROG_ID} registered for {reg.python_bits}-bit programs")
    if reg.prog_id_found and other:
        return rows.failed(
            COM,
            f"{PROG_ID} is registered for {other_bits}-bit programs only, and this Python is "
            f"{reg.python_bits}-bit",
            f"Install the {other_bits}-bit Python 3.11 and ml-connector in it (pvxcom.exe is "
            "32-bit on most Sage 100 releases), or re-run Sage 100 Workstation Setup as "
            "administrator if your Sage release is 64-bit.",
        )
    return rows.failed(
        COM,
        f"{PROG_ID} is not registered on this machine",
        "Install the Sage 100 workstation components on this machine (Workstation Setup, as "
        "administrator), or run ml-connector on the Sage 100 server.",
    )


def pywin32_installed() -> bool:
    """pywin32 (pythoncom, win32com) importable by this Python."""
    return all(importlib.util.find_spec(m) is not None for m in ("pythoncom", "win32com"))


def _pywin32(rows: Rows, installed: bool) -> CheckResult:
    if installed:
        return rows.ok(PYWIN32, "pythoncom and win32com found")
    return rows.failed(
        PYWIN32,
        "pywin32 is not installed for this Python (ml-connector drives ProvideX through it)",
        f'Install it into this Python: "{sys.executable}" -m pip install pywin32',
    )


@dataclass(frozen=True, slots=True)
class SageCheckOptions:
    platform: str = sys.platform
    com_registration: Callable[[], ComRegistration] = read_com_registration
    pywin32_installed: Callable[[], bool] = pywin32_installed


def sage_checks(
    pair_name: str,
    pair: PairSettings,
    password: SecretStr,
    clock: Clock,
    options: SageCheckOptions,
) -> list[CheckResult]:
    """Every Sage 100 BOI row of one pair (Web Services apart)."""
    rows = Rows(pair_name, "sage100")
    sage = pair.sage100
    later = [*PING_STEPS, ACCOUNT_FORMAT, GL_RULES]
    results: list[CheckResult] = []
    if sage.mode == "boi":
        if options.platform != "win32":
            results.append(
                rows.failed(
                    PLATFORM,
                    f"BOI needs Windows: mode = 'boi' drives the ProvideX COM server, and this "
                    f"machine runs {options.platform}",
                    "Run ml-connector on the Sage 100 server (or a Windows machine with the Sage "
                    "100 workstation components); use mode = 'sandbox' on Linux for tests only.",
                )
            )
            return results + [rows.skipped(n, "BOI needs Windows") for n in [HOME, *later]]
        com = rows.guard(COM, lambda: com_registration_row(rows, options.com_registration()))
        pywin32 = rows.guard(PYWIN32, lambda: _pywin32(rows, options.pywin32_installed()))
        home = rows.guard(HOME, lambda: _home(rows, sage.home or ""))
        results += [com, pywin32, home]
        if com.verdict == "FAILED" or pywin32.verdict == "FAILED":
            return results + [rows.skipped(n, "ProvideX.Script is not usable") for n in later]
        if home.verdict == "FAILED":
            return results + [rows.skipped(n, "no Home folder") for n in later]
    else:
        root = rows.guard(ROOT, lambda: _root(rows, sage.root))
        results.append(root)
        if root.verdict == "FAILED":
            return results + [rows.skipped(n, "no sandbox root") for n in later]
    return results + rows_from_ping(rows, lambda: build_sage(pair, password, clock), pair)


def row_names(pair: PairSettings, platform: str = sys.platform) -> list[str]:
    """Every BOI row of the pair, in order (Web Services apart)."""
    if pair.sage100.mode == "sandbox":
        first = [ROOT]
    elif platform != "win32":
        first = [PLATFORM, HOME]
    else:
        first = [COM, PYWIN32, HOME]
    return [*first, *PING_STEPS, ACCOUNT_FORMAT, GL_RULES]


def _home(rows: Rows, home: str) -> CheckResult:
    if Path(home).is_dir():
        return rows.ok(HOME, f"{home} is a folder")
    return rows.failed(
        HOME,
        f"{home} is not a folder this account can see",
        r"Set home to the MAS90\Home folder of the Sage 100 installation; when the connector "
        r"runs as a service use its UNC path (\\server\Sage\MAS90\Home), and let the service "
        "account read it.",
    )


def _root(rows: Rows, root: Path | None) -> CheckResult:
    if root is not None and (root / SANDBOX_SYSTEM_DB).is_file():
        return rows.ok(ROOT, f"{root} holds a sandbox")
    return rows.failed(
        ROOT,
        f"{root} is not a Sage sandbox root (no {SANDBOX_SYSTEM_DB})",
        f"Create it with `ml-connector sandbox sage100 init {root}`, or fix `root`.",
    )


def failed_step(exc: ConnectorError) -> str:
    """Which ping step an error of `BoiSage100.ping()` belongs to (by the failing call)."""
    op = exc.operation or ""
    text = f"{op} {exc.message}"
    if isinstance(exc, SageSessionError) or op in ("Dispatch", "Init", "boi"):
        return SESSION
    if op.startswith(("nSetUser", "nLogon")):
        return LOGIN
    if op.startswith("nSetCompany"):
        return COMPANY
    if op.startswith("nSetDate(A/P"):
        return MODULE_DATE
    if op == "ping":
        return DIVISION
    if op.startswith(("NewObject", "nSetProgram", "nLookupTask", "nSetModule", "nSetDate")):
        if "SY_Session" in text:
            return SESSION
        if "GL_" in text or "G/L" in text:
            return GL_RIGHTS
        if "AP_Vendor" in text:
            return AP_VENDOR
        return AP_INVOICE
    return SESSION


def _passed_details(report: HealthReport, division: str) -> dict[str, str]:
    found = dict(report.checks)
    info = report.company
    return {
        SESSION: "ProvideX session opened",
        LOGIN: found.get("logon", f"logged on as {report.user}"),
        COMPANY: f"company {info.code}{f' ({info.name})' if info.name else ''} opened; "
        "batch entry "
        f"{'on' if info.uses_batches else 'off'}; divisions "
        f"{'on' if info.divisions_enabled else 'off'}; sales tax in A/P "
        f"{'on' if info.sales_tax_in_ap else 'off'}; Job Cost "
        f"{'on' if info.job_cost else 'off'}",
        MODULE_DATE: found.get("module date", "set"),
        AP_INVOICE: "AP_Invoice_bus " + found.get("object AP_Invoice_bus", "created"),
        AP_VENDOR: "AP_Vendor_bus " + found.get("object AP_Vendor_bus", "created"),
        GL_RIGHTS: "GL_Account_svc " + found.get("object GL_Account_svc", "created"),
        DIVISION: found.get("division", f"AP division {division} on file"),
    }


def _reached(user: str, company: str) -> dict[str, str]:
    """Details of the steps a failed ping got past (its report is lost with the error)."""
    return {
        SESSION: "ProvideX session opened",
        LOGIN: f"logged on as {user}",
        COMPANY: f"company {company} opened",
    }


def rows_from_ping(
    rows: Rows, build: Callable[[], BoiSage100], pair: PairSettings
) -> list[CheckResult]:
    """The ping's rows (every step), the GL account format row and the GL rules row."""
    skipped_all = (*PING_STEPS[1:], ACCOUNT_FORMAT, GL_RULES)
    try:
        sage = build()
    except Sage100Error as exc:
        first = rows.error(SESSION, exc)
        return [first, *(rows.skipped(n, "no Sage session") for n in skipped_all)]
    except Exception as exc:  # noqa: BLE001 - a row, never a traceback
        first = rows.unexpected(SESSION, exc)
        return [first, *(rows.skipped(n, "no Sage session") for n in skipped_all)]
    with sage:
        try:
            report = sage.ping()
        except ConnectorError as exc:  # Sage100Error, or ConfigError for a wrong division
            step = failed_step(exc)
            at = PING_STEPS.index(step)
            done = _reached(sage.settings.user, sage.settings.company)
            out = [rows.ok(n, done.get(n, "passed")) for n in PING_STEPS[:at]]
            out.append(rows.error(step, exc))
            out += [rows.skipped(n, f"Sage {step} failed") for n in PING_STEPS[at + 1 :]]
            if step != DIVISION:
                why = f"Sage {step} failed"
                return [*out, rows.skipped(ACCOUNT_FORMAT, why), rows.skipped(GL_RULES, why)]
            return [*out, *_gl_rows(rows, sage, pair)]
        except Exception as exc:  # noqa: BLE001 - a row, never a traceback
            out = [rows.unexpected(SESSION, exc)]
            return out + [rows.skipped(n, "the Sage ping failed") for n in skipped_all]
        details = _passed_details(report, sage.settings.division)
        out = [rows.ok(n, details[n]) for n in PING_STEPS]
        return [*out, *_gl_rows(rows, sage, pair)]


def _gl_rows(rows: Rows, sage: BoiSage100, pair: PairSettings) -> list[CheckResult]:
    fmt = rows.guard(ACCOUNT_FORMAT, lambda: _account_format(rows, sage))
    if fmt.verdict == "FAILED":
        return [fmt, rows.skipped(GL_RULES, "no GL account format")]
    return [fmt, rows.guard(GL_RULES, lambda: gl_rules_row(rows, pair, sage))]


def _account_format(rows: Rows, sage: BoiSage100) -> CheckResult:
    fmt = sage.account_format()
    if not fmt.segments:
        return rows.failed(
            ACCOUNT_FORMAT,
            "the company's GL account structure has no segments",
            "Check General Ledger > Setup > Account Segment Setup in Sage 100.",
        )
    sample = fmt.separator.join("9" * s.length for s in fmt.segments)
    return rows.ok(
        ACCOUNT_FORMAT, f"{len(fmt.segments)} segment(s), separator {fmt.separator!r}: {sample}"
    )


def webservices_row(
    pair_name: str, settings: Callable[[], WebServicesSettings | None]
) -> CheckResult | None:
    """The Web Services row, or None when the pair has none configured."""
    rows = Rows(pair_name, "sage100")

    def ping() -> CheckResult:
        ws = settings()
        if ws is None:  # pragma: no cover - the caller only asks when configured
            return rows.skipped(WEBSERVICES, "not configured")
        result = check_webservices(ws)
        if result.ok:
            return rows.ok(WEBSERVICES, f"{result.message} at {result.url}")
        return rows.failed(WEBSERVICES, f"{result.url}: {result.message}", result.hint or "")

    return rows.guard(WEBSERVICES, ping)
