"""DateUpdated/TimeUpdated: Sage's decimal-hours stamps, server local time, around midnight."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from ml_connector.clock import ManualClock
from ml_connector.sandbox.sage100.database import sage_stamp
from ml_connector.sandbox.sage100.testing import logged_on

ARIZONA = timezone(timedelta(hours=-7), "MST")


def test_stamp_format() -> None:
    assert sage_stamp(datetime(2026, 11, 20, 13, 30)) == ("20261120", "13.50000")  # noqa: DTZ001
    assert sage_stamp(datetime(2026, 11, 20, 9, 0, 36)) == ("20261120", "09.01000")  # noqa: DTZ001
    assert sage_stamp(datetime(2026, 11, 20, 23, 59, 59, 999999)) == ("20261120", "23.99999")  # noqa: DTZ001


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)))  # noqa: DTZ001
def test_stamps_order_like_time_and_stay_on_their_day(moment: datetime) -> None:
    day, hours = sage_stamp(moment)
    assert day == moment.strftime("%Y%m%d")
    assert len(hours) == 8
    assert Decimal(0) <= Decimal(hours) < Decimal(24)
    later_day, later_hours = sage_stamp(moment + timedelta(seconds=1))
    assert (later_day, later_hours) >= (day, hours)


def _write_vendor(root: Path, clock: ManualClock, phone: str) -> tuple[str, str, str, str]:
    pvx, ss = logged_on(root, program="AP_Vendor_ui", clock=clock, tz=ARIZONA)
    bus = pvx.NewObject("AP_Vendor_bus", ss)
    assert bus.nSetKey("00FERGUS") == 1
    bus.nSetValue("TelephoneNo$", phone)
    assert bus.nWrite() == 1, bus.sLastErrorMsg
    ss.DropObject()
    conn = sqlite3.connect(root / "ABC.sqlite")
    row = conn.execute(
        "SELECT DateUpdated, TimeUpdated, DateCreated, TimeCreated FROM AP_Vendor "
        "WHERE VendorNo = 'FERGUS'"
    ).fetchone()
    conn.close()
    return row


def test_writes_just_before_and_after_midnight_server_time(root: Path) -> None:
    # 06:59:30 UTC is 23:59:30 in Arizona (the Sage server's zone), the day before.
    clock = ManualClock(datetime(2026, 11, 21, 6, 59, 30, tzinfo=UTC))
    before = _write_vendor(root, clock, "1")
    assert before[:2] == ("20261120", "23.99166")
    clock.advance(60)
    after = _write_vendor(root, clock, "2")
    assert after[:2] == ("20261121", "00.00833")
    assert after[:2] > before[:2]  # a changed-since cursor on (date, time) sees the order
    assert after[2:] == before[2:]  # created stamp untouched by edits


def test_invoice_lines_and_register_rows_are_stamped(root: Path) -> None:
    from ml_connector.sandbox.sage100.testing import new_invoice

    clock = ManualClock(datetime(2026, 11, 20, 20, 30, tzinfo=UTC))
    pvx, ss = logged_on(root, clock=clock, tz=ARIZONA)
    _, result = new_invoice(pvx, ss, "STAMP-1", [("5000-01-100", 1.0)])
    assert result == 1
    conn = sqlite3.connect(root / "ABC.sqlite")
    assert conn.execute(
        "SELECT DateUpdated, TimeUpdated FROM AP_InvoiceDetail WHERE InvoiceNo = 'STAMP-1'"
    ).fetchone() == ("20261120", "13.50000")
    clock.advance(3600)
    upd = pvx.NewObject("AP_InvoiceRegister_upd", ss)
    upd.nProcessReport("PRINT")
    assert upd.nUpdate() == 1
    assert conn.execute(
        "SELECT DateCreated, TimeCreated, PostingDate FROM AP_OpenInvoice "
        "WHERE InvoiceNo = 'STAMP-1'"
    ).fetchone() == ("20261120", "14.50000", "20261120")


def test_the_server_zone_can_come_from_sandbox_toml(root: Path) -> None:
    (root / "sandbox.toml").write_text('[server]\ntimezone = "America/New_York"\n')
    clock = ManualClock(datetime(2026, 7, 1, 3, 30, tzinfo=UTC))  # 23:30 EDT on June 30
    pvx, ss = logged_on(root, program="AP_Vendor_ui", clock=clock)
    assert pvx.tz is not None
    bus = pvx.NewObject("AP_Vendor_bus", ss)
    bus.nSetKey("00GRAYBAR")
    bus.nSetValue("FaxNo$", "1")
    assert bus.nWrite() == 1
    conn = sqlite3.connect(root / "ABC.sqlite")
    assert conn.execute(
        "SELECT DateUpdated, TimeUpdated FROM AP_Vendor WHERE VendorNo = 'GRAYBAR'"
    ).fetchone() == ("20260630", "23.50000")
