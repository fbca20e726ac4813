"""Helpers of the web app tests: the connector running (`Runner`, as `ml-connector run`)
on both sandboxes, with data that puts every kind of review item in the queue:

- the seed's vendors that match no Sage vendor safely (ambiguous vendor items);
- bill 3900001 whose line carries ServiceTitan GL account 7777, unknown to Sage (no GL);
- bill 3900002, reference DUP-77 for 55.00, which a person keyed in Sage by hand under
  another vendor (suspected duplicate);
and, once bill 3900001 is written and then changed in ServiceTitan, a changed-after-
export item. ServiceTitan vendor 601 (Ferguson) is linked to Sage FERGUS beforehand, as
a person did in review, so those bills get past the vendor step.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cli_world import (
    SAGE_PASSWORD,
    SANDBOX_SETTINGS,
    SECRET_ENV,
    PairSpec,
    write_test_config,
)
from engine_bills import ap_bill
from typer.testing import CliRunner

from ml_connector.app.cli import main as cli
from ml_connector.app.service.runner import Runner
from ml_connector.clock import SystemClock
from ml_connector.sandbox.sage100 import init_root
from ml_connector.sandbox.servicetitan.server import RunningSandbox, running_sandbox
from ml_connector.servicetitan.records import Vendor
from ml_connector.store.port import PairId, VendorLink
from ml_connector.store.sql import SqlStateStore

CHROMIUM = os.environ.get("ML_CONNECTOR_CHROMIUM", "/usr/bin/chromium")
GL_BILL = 3900001
DUP_BILL = 3900002
PAIR = PairId("main")
APPLICATION_GUID = "00000000-0000-4000-8000-0000000c11e0"  # cli_world's config
SB_APP_KEY = SANDBOX_SETTINGS.app_key
PASSWORDS = {"maria": "Maria-web-pass-1", "admin": "Admin-web-pass-2"}
ABC_PLUMBING = (690, "ABC Plumbing Supply")  # ServiceTitan vendor of `abc_plumbing`


def browser_unavailable() -> str | None:
    """Why no browser test can run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed: pip install -e '.[dev]'"
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        return f"no chromium at {CHROMIUM}: apt-get install chromium (.ci/run does it)"
    return None


@dataclass
class WebWorld:
    tmp: Path
    sb: RunningSandbox
    sage_root: Path
    config: Path
    gl_rules: Path
    runner: Runner

    @property
    def url(self) -> str:
        assert self.runner.dashboard_url is not None
        return self.runner.dashboard_url

    def cycles(self) -> int:
        assert self.runner.scheduler is not None
        return self.runner.scheduler.cycles["main"]

    def wait_for_cycle(self, after: int, timeout: float = 60) -> None:
        wait_for(f"cycle {after + 1}", lambda: self.cycles() > after, timeout)

    @contextmanager
    def store(self) -> Iterator[SqlStateStore]:
        store = SqlStateStore.open(f"sqlite:///{self.tmp / 'ml-connector.sqlite'}")
        try:
            yield store
        finally:
            store.close()

    def sage_vendor(self, vendor_no: str) -> tuple[str, str, str]:
        """(name, first address line, city) of a Sage vendor in division 00."""
        conn = sqlite3.connect(self.sage_root / "ABC.sqlite")
        try:
            row = conn.execute(
                "SELECT VendorName, AddressLine1, City FROM AP_Vendor "
                "WHERE APDivisionNo = '00' AND VendorNo = ?",
                (vendor_no,),
            ).fetchone()
        finally:
            conn.close()
        return (str(row[0]).strip(), str(row[1]).strip(), str(row[2]).strip())

    def sage_invoices(self) -> dict[tuple[str, str], float]:
        conn = sqlite3.connect(self.sage_root / "ABC.sqlite")
        try:
            rows = conn.execute(
                "SELECT VendorNo, InvoiceNo, InvoiceAmt FROM AP_InvoiceHeader"
            ).fetchall()
        finally:
            conn.close()
        return {(str(v).strip(), str(n).strip()): float(a) for v, n, a in rows}

    def st_vendor_number(self, st_vendor_id: int) -> str | None:
        """The Sage number kept in a ServiceTitan vendor's externalData (ours), or None."""
        response = httpx.get(
            self.sb.api_url("inventory", f"vendors/{st_vendor_id}"),
            params={"externalDataApplicationGuid": APPLICATION_GUID},
            headers={"Authorization": f"Bearer {self.sb.token()}", "ST-App-Key": SB_APP_KEY},
            timeout=30.0,
        )
        response.raise_for_status()
        return Vendor.model_validate(response.json()).external_value("sage100VendorNo")


class MinutesBehind(SystemClock):
    """The ServiceTitan sandbox's clock, a few minutes behind: what it changes is older than
    the engine's signpost (now - 30 s) at once, so the next cycle reads it."""

    def now(self) -> datetime:
        return super().now() - timedelta(minutes=5)


def wait_for(what: str, check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _hand_keyed_duplicate(sage_root: Path) -> None:
    """DUP-77 for 55.00, keyed by a person in Sage under another vendor (open invoice)."""
    conn = sqlite3.connect(sage_root / "ABC.sqlite")
    try:
        cols = {r[1] for r in conn.execute("PRAGMA table_info(AP_OpenInvoice)")}
        row = {
            "APDivisionNo": "00",
            "VendorNo": "CED",
            "InvoiceNo": "DUP-77",
            "InvoiceDate": "20251215",
            "InvoiceDueDate": "20260115",
            "TermsCode": "01",
            "HoldPayment": "N",
            "Comment": "keyed by hand",
            "InvoiceAmt": 55.0,
            "Balance": 55.0,
            "PostingDate": "20251216",
            "DateCreated": "20251215",
            "TimeCreated": "10.00000",
            "UserCreatedKey": "0000000001",
            "DateUpdated": "20251215",
            "TimeUpdated": "10.00000",
            "UserUpdatedKey": "0000000001",
        }
        row = {k: v for k, v in row.items() if k in cols}
        marks = ", ".join("?" for _ in row)
        conn.execute(
            f"INSERT INTO AP_OpenInvoice ({', '.join(row)}) VALUES ({marks})",  # noqa: S608
            tuple(row.values()),
        )
        conn.commit()
    finally:
        conn.close()


def abc_plumbing(sb: RunningSandbox, sage_root: Path) -> None:
    """A `before_run` whose vendor scores closest to an inactive Sage vendor: ServiceTitan
    vendor 690 "ABC Plumbing Supply" (one bill) against the seed's inactive ABCPLUM "ABC
    Plumbing Supply (closed)" and ABCPLHE "ABC Plumbing & Heating", an active vendor keyed
    in Sage by hand (a copy of ABCPLUM's row)."""
    sb.upsert("vendors", [{"id": ABC_PLUMBING[0], "name": ABC_PLUMBING[1], "active": True}])
    sb.upsert(
        "ap-bills", [ap_bill(3_900_690, reference="ABC-1", amount="40.00", vendor=ABC_PLUMBING)]
    )
    conn = sqlite3.connect(sage_root / "ABC.sqlite")
    try:
        cursor = conn.execute("SELECT * FROM AP_Vendor WHERE VendorNo = 'ABCPLUM'")
        row = dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))
        row.update(VendorNo="ABCPLHE", VendorName="ABC Plumbing & Heating", VendorStatus="A")
        marks = ", ".join("?" for _ in row)
        conn.execute(
            f"INSERT INTO AP_Vendor ({', '.join(row)}) VALUES ({marks})",  # noqa: S608
            tuple(row.values()),
        )
        conn.commit()
    finally:
        conn.close()


@contextmanager
def open_web_world(
    tmp: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    require_login: bool = False,
    before_run: Callable[[RunningSandbox, Path], None] | None = None,
) -> Iterator[WebWorld]:
    """`before_run(sandbox, sage_root)` adds a test's own data before the first cycle."""
    for key, value in SECRET_ENV.items():
        monkeypatch.setenv(key, value)
    cli.register_all()
    sage_root = tmp / "sage100"
    init_root(sage_root, password=SAGE_PASSWORD)
    _hand_keyed_duplicate(sage_root)
    gl_rules = tmp / "gl-rules.toml"
    gl_rules.write_text("version = 1\n", encoding="utf-8")
    with running_sandbox(
        tmp / "st", size=12, settings=SANDBOX_SETTINGS, clock=MinutesBehind()
    ) as sb:
        sb.upsert(
            "ap-bills",
            [
                ap_bill(
                    GL_BILL,
                    reference="GL-7777",
                    amount="80.00",
                    lines=[("80.00", {"id": 9, "name": "?", "number": "7777", "type": "x"})],
                    bill_date="2026-01-12",
                ),
                ap_bill(DUP_BILL, reference="DUP-77", amount="55.00", bill_date="2026-01-13"),
            ],
        )
        config = write_test_config(tmp / "config.toml", [PairSpec("main", sb.base_url, sage_root)])
        text = config.read_text(encoding="utf-8")
        text = text.replace(
            "[pairs.main.sync]\n", '[pairs.main.sync]\ngl_rules = "gl-rules.toml"\n'
        )
        assert "write_vendor_number_to_st = false" in text
        text = text.replace("write_vendor_number_to_st = false", "write_vendor_number_to_st = true")
        if require_login:
            text = text.replace("require_login = false", "require_login = true")
        config.write_text(text, encoding="utf-8")
        store = SqlStateStore.open(f"sqlite:///{tmp / 'ml-connector.sqlite'}")
        with store.transaction() as tx:  # as a person did in review before
            tx.add_link(
                VendorLink(PAIR, 601, "00", "FERGUS", "manual", created_at=datetime.now(UTC))
            )
        store.close()
        if require_login:  # accounts are made on the server before `run` starts
            for name, role in (("maria", "clerk"), ("admin", "admin")):
                result = CliRunner().invoke(
                    cli.app,
                    ["users", "add", name, "--role", role, "--password-stdin", "-c", str(config)],
                    input=f"{PASSWORDS[name]}\n",
                )
                assert result.exit_code == 0, (result.output, repr(result.exception))
        if before_run is not None:
            before_run(sb, sage_root)
        runner = Runner(config, interval=timedelta(hours=6), dashboard_port=0)
        thread = threading.Thread(target=runner.run, name="runner")
        thread.start()
        try:
            wait_for(
                "the first cycle",
                lambda: (
                    bool(runner.scheduler and runner.scheduler.cycles["main"] >= 1)
                    or not thread.is_alive()
                ),
            )
            assert thread.is_alive(), "the runner stopped"
            yield WebWorld(tmp, sb, sage_root, config, gl_rules, runner)
        finally:
            runner.stop()
            thread.join(30)
