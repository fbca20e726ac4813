"""`ml-connector service ...` against a fake Service Control Manager."""

from __future__ import annotations

import sys
from pathlib import Path

from typer.testing import CliRunner

from ml_connector.app.cli import service as service_cli
from ml_connector.app.service.platform import ServiceSpec


class FakeScm:
    def __init__(self) -> None:
        self.installed: dict[str, tuple[ServiceSpec, str | None]] = {}
        self.running: set[str] = set()

    def install(self, spec: ServiceSpec, password: str | None) -> None:
        self.installed[spec.name] = (spec, password)

    def uninstall(self, name: str) -> None:
        del self.installed[name]

    def start(self, name: str) -> None:
        self.running.add(name)

    def stop(self, name: str) -> None:
        self.running.discard(name)

    def status(self, name: str) -> str:
        return "running" if name in self.running else "stopped"


def test_install_start_status_stop_uninstall(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("version = 1\n")
    scm = FakeScm()
    runner = CliRunner()
    app = service_cli.service_app
    with service_cli.using_control(scm):
        result = runner.invoke(
            app,
            ["install", "--config", str(config), "--account", r".\mlsvc", "--password-stdin"],
            input="s3cret-pw\n",
        )
        assert result.exit_code == 0, result.output
        spec, password = scm.installed["MlConnector"]
        assert spec.python_exe == Path(sys.executable)
        assert spec.account == r".\mlsvc"
        assert password == "s3cret-pw"
        assert "s3cret-pw" not in result.output
        assert runner.invoke(app, ["start"]).exit_code == 0
        assert "MlConnector: running" in runner.invoke(app, ["status"]).output
        assert runner.invoke(app, ["stop"]).exit_code == 0
        assert "MlConnector: stopped" in runner.invoke(app, ["status"]).output
        assert runner.invoke(app, ["uninstall"]).exit_code == 0
    assert scm.installed == {}


def test_install_refuses_a_missing_config(tmp_path: Path) -> None:
    with service_cli.using_control(FakeScm()):
        result = CliRunner().invoke(
            service_cli.service_app, ["install", "--config", str(tmp_path / "nope.toml")]
        )
    assert result.exit_code == 2
    assert "run `ml-connector init` first" in result.output


def test_systemd_unit_command(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        service_cli.service_app, ["systemd-unit", "--config", str(tmp_path / "c.toml")]
    )
    assert result.exit_code == 0
    assert "[Service]" in result.output
