"""Fixtures of the CLI tests (helpers in cli_world.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sync"))  # engine_bills
from cli_world import (
    BILLS,
    SAGE_PASSWORD,
    SANDBOX_SETTINGS,
    SECRET_ENV,
    PairSpec,
    World,
    assert_clean,
    write_test_config,
)

from ml_connector.app.cli import main as cli
from ml_connector.sandbox.sage100 import init_root
from ml_connector.sandbox.servicetitan.server import running_sandbox


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in SECRET_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture
def world(tmp_path: Path, secret_env: None) -> Iterator[World]:
    cli.register_all()
    sage_root = tmp_path / "sage100"
    init_root(sage_root, password=SAGE_PASSWORD)
    with running_sandbox(tmp_path / "st", size=BILLS, settings=SANDBOX_SETTINGS) as sb:
        config = write_test_config(
            tmp_path / "config.toml", [PairSpec("main", sb.base_url, sage_root)]
        )
        w = World(tmp_path, sb, sage_root, config)
        yield w
        assert_clean(w.log_text(), what="the log file")
