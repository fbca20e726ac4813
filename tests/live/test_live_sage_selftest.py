"""The Sage 100 probe and live self-test as a pytest suite: on the sandbox here, and on a
real Sage server behind the `real_sage` marker.

Real server (Windows, 32-bit Python matching pvxcom in most releases):

    set ML_CONNECTOR_REAL_SAGE_HOME=\\\\server\\Sage\\MAS90\\Home
    set ML_CONNECTOR_REAL_SAGE_COMPANY=ABC          (read-only probe)
    set ML_CONNECTOR_REAL_SAGE_USER=...  ML_CONNECTOR_REAL_SAGE_PASSWORD=...
    set ML_CONNECTOR_REAL_SAGE_TEST_COMPANY=TST     (selftest writes here, then deletes)
    pytest -m real_sage tests/live

The self-test deletes its own test invoice and vendor whether it passes or fails; a
company with posted invoices is refused (the suite then fails with that reason).
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from ml_connector.sage100.probe import run_probe
from ml_connector.sage100.selftest import run_sage_selftest
from ml_connector.sage100.settings import BoiSettings
from ml_connector.sandbox.sage100 import ProvideXScript, init_root

REAL_ENV = (
    "ML_CONNECTOR_REAL_SAGE_HOME",
    "ML_CONNECTOR_REAL_SAGE_COMPANY",
    "ML_CONNECTOR_REAL_SAGE_USER",
    "ML_CONNECTOR_REAL_SAGE_PASSWORD",
)
TEST_COMPANY_ENV = "ML_CONNECTOR_REAL_SAGE_TEST_COMPANY"


@dataclass(frozen=True)
class Target:
    settings: BoiSettings  # the live company (read-only)
    test_company: str | None  # where the self-test may write
    factory: Callable[[], Any]


def _sandbox(tmp_path: Path) -> Target:
    root = tmp_path / "sage"
    init_root(root, password="Live-Suite-Pw-3")
    init_root(root, company="TST", password="Live-Suite-Pw-3")
    conn = sqlite3.connect(root / "TST.sqlite")
    for table in ("AP_OpenInvoice", "AP_InvoiceHistoryHeader", "AP_InvoiceHistoryDetail"):
        conn.execute(f"DELETE FROM {table}")  # noqa: S608  # fixed names
    conn.commit()
    conn.close()
    settings = BoiSettings(
        home=str(root), company="ABC", user="sandbox", password=SecretStr("Live-Suite-Pw-3")
    )
    return Target(settings, "TST", lambda: ProvideXScript(root))


def _real() -> Target:
    missing = [name for name in REAL_ENV if not os.environ.get(name)]
    if sys.platform != "win32" or missing:
        pytest.skip(
            "real Sage 100 server not configured: needs Windows and "
            + ", ".join(missing or REAL_ENV)
            + f" (and {TEST_COMPANY_ENV} for the self-test); see docs/sage-adapter.md"
        )
    from ml_connector.sage100.com import ProvideXComFactory

    settings = BoiSettings(
        home=os.environ["ML_CONNECTOR_REAL_SAGE_HOME"],
        company=os.environ["ML_CONNECTOR_REAL_SAGE_COMPANY"],
        user=os.environ["ML_CONNECTOR_REAL_SAGE_USER"],
        password=SecretStr(os.environ["ML_CONNECTOR_REAL_SAGE_PASSWORD"]),
        try_unified_login=False,
    )
    return Target(settings, os.environ.get(TEST_COMPANY_ENV), ProvideXComFactory())


@pytest.fixture(params=["sandbox", pytest.param("real", marks=pytest.mark.real_sage)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    return _sandbox(tmp_path) if request.param == "sandbox" else _real()


def test_probe_settles_what_the_adapter_needs(target: Target) -> None:
    password = target.settings.password.get_secret_value()
    report = run_probe(target.settings, target.factory, mask=(password,))
    assert password not in repr(report)
    facts = report["facts"]
    assert facts["session"]["settled"], facts["session"]["conclusion"]
    c = report["conclusions"]
    assert c["objects"]["invoice_entry"] == "AP_Invoice_bus"
    assert c["objects"]["gl_accounts"] == "GL_Account_svc"
    for fact in ("result_separator", "account_format", "columns"):
        assert facts[fact]["settled"], facts[fact]["conclusion"]
    # Posted keys were only keyed, never written: nClear answered for each.
    for where in ("open_invoices", "invoice_history"):
        seen = facts["posted_keys"]["observed"].get(where)
        if isinstance(seen, dict):
            assert seen["nClear"] == 1


def test_selftest_in_the_test_company_passes_and_cleans_up(target: Target) -> None:
    if target.test_company is None:
        pytest.skip(f"no test company named ({TEST_COMPANY_ENV}): the self-test writes")
    settings = target.settings.model_copy(update={"company": target.test_company.upper()})
    steps = run_sage_selftest(settings, target.factory)
    failed = [f"{s.name}: {s.detail}" for s in steps if s.verdict == "FAILED"]
    assert not failed, failed
    deletes = [s for s in steps if s.name.startswith("delete ")]
    assert len(deletes) == 2
    assert all(s.verdict == "ok" for s in deletes)


def test_selftest_refuses_the_live_company(target: Target) -> None:
    steps = run_sage_selftest(target.settings, target.factory)
    assert steps[0].name == "test company"
    if steps[0].verdict == "ok":
        pytest.skip("this company has no posted invoices: nothing to refuse")
    assert steps[0].verdict == "FAILED"
    assert all(s.verdict == "skipped" for s in steps[1:])
