"""`ml-connector sandbox sage100 init | post-register | lock | faults`, and --data loading."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ml_connector.sandbox.sage100 import IN_USE_MESSAGE
from ml_connector.sandbox.sage100.cli import register
from ml_connector.sandbox.sage100.testing import logged_on, new_invoice


def _app() -> typer.Typer:
    sandbox = typer.Typer()
    register(sandbox)
    return sandbox


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(_app(), ["sage100", *args])
    return result.exit_code, result.output


def test_init_creates_the_documented_layout(tmp_path: Path) -> None:
    root = tmp_path / "sage"
    code, out = _invoke(
        "init", str(root), "--company", "xyz", "--user", "ap", "--password", "s3cret"
    )
    assert code == 0, out
    assert "s3cret" not in out  # no secrets in output
    assert (root / "SYSTEM.sqlite").exists()
    assert (root / "XYZ.sqlite").exists()
    logged_on(root, company="XYZ", user="ap", password="s3cret")
    code, out = _invoke("init", str(root), "--company", "XYZ")
    assert code == 2
    assert "--force" in out
    assert _invoke("init", str(root), "--company", "XYZ", "--force", "--seed", "none")[0] == 0
    conn = sqlite3.connect(root / "XYZ.sqlite")
    assert conn.execute("SELECT COUNT(*) FROM AP_Vendor").fetchone() == (0,)
    assert conn.execute("SELECT COUNT(*) FROM GL_AccountStructure").fetchone() == (3,)


def test_init_loads_data_files_as_given(tmp_path: Path) -> None:
    data = tmp_path / "data" / "ABC"
    data.mkdir(parents=True)
    (data / "AP_Vendor.json").write_text(
        json.dumps(
            [
                {
                    "APDivisionNo$": "00",
                    "VendorNo$": "ACME",
                    "VendorName$": "Acme Supply",
                    "VendorStatus": "A",
                },
                {"APDivisionNo": "00", "VendorNo": "lower", "VendorName": "Kept as given"},
            ]
        )
    )
    (data / "GL_AccountStructure.json").write_text(
        json.dumps(
            [
                {
                    "SegmentNo": "01",
                    "SegmentDesc": "Main",
                    "SegmentLength": 6,
                    "SeparatorChar": ".",
                },
                {"SegmentNo": "02", "SegmentDesc": "Dept", "SegmentLength": 3},
            ]
        )
    )
    root = tmp_path / "sage"
    code, out = _invoke("init", str(root), "--data", str(tmp_path / "data"))
    assert code == 0, out
    conn = sqlite3.connect(root / "ABC.sqlite")
    assert conn.execute("SELECT VendorNo, VendorName FROM AP_Vendor ORDER BY 1").fetchall() == [
        ("ACME", "Acme Supply"),
        ("lower", "Kept as given"),
    ]
    assert conn.execute(
        "SELECT SegmentNo, SegmentLength, SeparatorChar FROM GL_AccountStructure ORDER BY 1"
    ).fetchall() == [("01", 6.0, "."), ("02", 3.0, "")]
    assert conn.execute("SELECT COUNT(*) FROM GL_Account").fetchone()[0] > 0  # the rest of the demo


def test_init_rejects_unknown_tables(tmp_path: Path) -> None:
    data = tmp_path / "data" / "ABC"
    data.mkdir(parents=True)
    (data / "AR_Customer.json").write_text("[]")
    code, out = _invoke("init", str(tmp_path / "sage"), "--data", str(tmp_path / "data"))
    assert code == 2
    assert "AR_Customer" in out


def test_post_register_command(root: Path) -> None:
    pvx, ss = logged_on(root)
    assert new_invoice(pvx, ss, "CLI-1", [("5000-01-100", 12.0)])[1] == 1
    ss.DropObject()
    code, out = _invoke(
        "post-register", str(root), "--company", "ABC", "--posting-date", "20261121"
    )
    assert code == 0, out
    assert "posted 3 invoice(s)" in out
    conn = sqlite3.connect(root / "ABC.sqlite")
    assert conn.execute(
        "SELECT Balance FROM AP_OpenInvoice WHERE InvoiceNo = 'CLI-1'"
    ).fetchone() == (12.0,)
    assert _invoke("post-register", str(root), "--company", "QQQ")[0] == 2


def test_lock_command_holds_then_releases(root: Path) -> None:
    pvx, ss = logged_on(root, program="AP_Vendor_ui")
    bus = pvx.NewObject("AP_Vendor_bus", ss)
    done: list[tuple[int, str]] = []
    worker = threading.Thread(
        target=lambda: done.append(
            _invoke(
                "lock", str(root), "--table", "AP_Vendor", "--key", "00FERGUS", "--seconds", "1.5"
            )
        )
    )
    worker.start()
    deadline = time.monotonic() + 5
    while bus.nSetKey("00FERGUS") != 0 and time.monotonic() < deadline:
        bus.nClear()
        time.sleep(0.02)
    assert bus.sLastErrorMsg == IN_USE_MESSAGE
    worker.join(10)
    assert done
    assert done[0][0] == 0
    assert "released" in done[0][1]
    assert bus.nSetKey("00FERGUS") == 1


def test_faults_command_writes_the_file(root: Path) -> None:
    code, _ = _invoke("faults", str(root), "--lock-rate", "1", "--seed", "5")
    assert code == 0
    pvx, ss = logged_on(root, program="AP_Vendor_ui")
    assert pvx.NewObject("AP_Vendor_bus", ss).nSetKey("00FERGUS") == 0


def test_lock_command_in_a_subprocess(root: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ml_connector",
            "sandbox",
            "sage100",
            "lock",
            str(root),
            "--company",
            "ABC",
            "--table",
            "AP_Vendor",
            "--key",
            "00GRAYBAR",
            "--seconds",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        pvx, ss = logged_on(root, program="AP_Vendor_ui")
        bus = pvx.NewObject("AP_Vendor_bus", ss)
        deadline = time.monotonic() + 15
        while bus.nSetKey("00GRAYBAR") != 0 and time.monotonic() < deadline:
            bus.nClear()
            time.sleep(0.05)
        assert bus.sLastErrorMsg == IN_USE_MESSAGE
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "holding AP_Vendor" in out
    assert bus.nSetKey("00GRAYBAR") == 1


def test_show_command_prints_rows(root: Path) -> None:
    code, out = _invoke("show", str(root), "--table", "AP_Vendor", "--where", "VendorNo = 'FERGUS'")
    assert code == 0, out
    assert "Ferguson Enterprises #1187" in out
    assert _invoke("show", str(root), "--table", "NOPE")[0] == 2
    assert _invoke("show", str(root), "--table", "AP_Vendor", "--where", "bad syntax")[0] == 2


@pytest.mark.skipif(os.name != "posix", reason="process liveness is checked on POSIX")
def test_a_killed_holder_frees_its_record_at_once(root: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ml_connector", "sandbox", "sage100", "lock", str(root),
         "--table", "AP_Vendor", "--key", "00CED", "--seconds", "600"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        pvx, ss = logged_on(root, program="AP_Vendor_ui")
        bus = pvx.NewObject("AP_Vendor_bus", ss)
        deadline = time.monotonic() + 15
        while bus.nSetKey("00CED") != 0 and time.monotonic() < deadline:
            bus.nClear()
            time.sleep(0.05)
        assert bus.sLastErrorMsg == IN_USE_MESSAGE
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert bus.nSetKey("00CED") == 1  # the OS freed the dead process's lock
