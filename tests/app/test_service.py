"""Service registration pieces that run on any OS."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ml_connector.app.service.platform import PywinServiceControl, ServiceSpec, render_systemd_unit
from ml_connector.errors import ConfigError


def test_windows_service_runs_the_venv_python_on_our_host_module() -> None:
    spec = ServiceSpec(Path(r"C:\ml\.venv\Scripts\python.exe"), Path(r"C:\ml\config.toml"))
    assert spec.command_args() == [
        "-m",
        "ml_connector.app.service.winservice",
        "--config",
        r"C:\ml\config.toml",
    ]


def test_systemd_unit_runs_the_scheduler_with_json_logs() -> None:
    spec = ServiceSpec(Path("/opt/ml connector/.venv/bin/python"), Path("/etc/ml/config.toml"))
    unit = render_systemd_unit(spec, user="mlc")
    assert "User=mlc" in unit
    assert (
        "ExecStart='/opt/ml connector/.venv/bin/python' -m ml_connector run "
        "--config /etc/ml/config.toml --json-logs"
    ) in unit
    assert "Restart=on-failure" in unit
    assert unit.rstrip().endswith("WantedBy=multi-user.target")


@pytest.mark.skipif(sys.platform == "win32", reason="checks the refusal off Windows")
def test_windows_service_control_refuses_off_windows() -> None:
    with pytest.raises(ConfigError, match="only be managed on Windows"):
        PywinServiceControl()
