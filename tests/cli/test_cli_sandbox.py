"""`sandbox up` and `demo` as a person runs them: subprocesses, real sandboxes."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from cli_world import assert_clean, subprocess_env


def _ml(*args: str) -> list[str]:
    return [sys.executable, "-m", "ml_connector", *args]


@pytest.mark.timeout(90)
def test_sandbox_up_serves_a_config_that_syncs_and_stops_on_sigint(tmp_path: Path) -> None:
    workdir = tmp_path / "wd"
    proc = subprocess.Popen(
        _ml("sandbox", "up", "--workdir", str(workdir), "--size", "40"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        while not any(line.startswith("Press Ctrl-C") for line in lines):
            line = proc.stdout.readline()
            assert line, f"sandbox up ended early: {''.join(lines)}"
            lines.append(line)
        config_line = next(line for line in lines if line.startswith("Config:"))
        config = Path(config_line.split(":", 1)[1].strip())
        assert config == workdir / "config.toml"
        assert config.is_file()

        sync = subprocess.run(
            _ml("sync", "--once", "--config", str(config), "--json"),
            capture_output=True,
            text=True,
            env=subprocess_env(),
            timeout=60,
            check=False,
        )
        assert sync.returncode == 0, sync.stderr
        assert_clean(sync.stdout + sync.stderr, what="sync against `sandbox up`")
        summary = json.loads(sync.stdout)
        assert summary["written"] > 0
        assert summary["completed"] is True
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Stopped." in out
    assert "Traceback" not in err


def test_sandbox_up_refuses_a_folder_it_did_not_make(tmp_path: Path) -> None:
    precious = tmp_path / "mine"
    precious.mkdir()
    (precious / "thesis.txt").write_text("keep me")
    proc = subprocess.run(
        _ml("sandbox", "up", "--workdir", str(precious), "--fresh"),
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "not a folder of an earlier" in proc.stderr
    assert (precious / "thesis.txt").read_text() == "keep me"


def _flat(report: str) -> str:
    """The report's words in order, table borders and line breaks gone (a cell's text folds
    over several lines)."""
    return " ".join(re.sub(r"[│┃]", " ", report).split())


def test_demo_explains_what_happened(tmp_path: Path) -> None:
    # A relative --workdir, as a person types it: the config must still find Sage.
    proc = subprocess.run(
        _ml("demo", "--workdir", "demo"),
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=90,
        check=False,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert_clean(proc.stdout + proc.stderr, what="demo")
    lines = proc.stdout.splitlines()
    # A summary to read in a 100-column terminal (the test's is 200 wide), not every row.
    assert max(len(line) for line in lines) <= 100
    assert len(lines) < 150, len(lines)
    assert "more (`ml-connector review list` lists every item" in proc.stdout
    assert not proc.stderr.strip(), proc.stderr  # no log records on the clerk's terminal
    out = _flat(proc.stdout)
    for heading in (
        "Cycle 1",
        "Written to Sage 100",
        "Skipped: already in Sage 100",
        "Sent to review",
        "could not be matched safely",  # a why
        "already in Sage (",  # the why of a skip names where it is
        "Cycle 2",
        "0 written, 0 already in Sage, 0 sent to review",
        "wait in the review queue",
    ):
        assert heading in out, f"the demo report lacks {heading!r}"
    # --workdir keeps the files: the review queue is there to work on.
    status = subprocess.run(
        _ml("status", "--config", "demo/config.toml", "--json"),
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["demo"]["open_review_items"] > 0
