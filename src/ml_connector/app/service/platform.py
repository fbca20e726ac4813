"""Running `ml-connector run` as an operating-system service.

Windows (the Sage 100 server): the service is registered so that the Service Control
Manager starts the *virtual environment's own* `python.exe` with
`-m ml_connector.app.service.winservice --config <file>`, and that process hosts the service itself
(`servicemanager.StartServiceCtrlDispatcher`). This avoids the two classic failures of
Python services in virtual environments:

- Error 1053 ("the service did not respond in a timely fashion"): `pythonservice.exe`
  copied out of its installation cannot import the service module; here the interpreter
  that starts is the one the package is installed in, and it reports SERVICE_RUNNING at once.
- "pywintypes3xx.dll not found": only the base interpreter's `pythonservice.exe` needs the
  DLL on PATH; the venv's `python.exe` loads pywin32 through its site-packages.

Everything that touches pywin32 sits behind `ServiceControl`, so the CLI is tested here
with a fake. Linux gets a systemd unit instead (`render_systemd_unit`).
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ml_connector.errors import ConfigError

SERVICE_NAME = "MlConnector"
DISPLAY_NAME = "ml-connector (ServiceTitan to Sage 100 AP)"
DESCRIPTION = "Moves ServiceTitan AP bills and invoices into Sage 100 accounts payable."


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """What to register: the interpreter, the config, and the account to run under."""

    python_exe: Path
    config_path: Path
    account: str | None = None  # None: LocalSystem; else ".\\user" or "DOMAIN\\user"
    name: str = SERVICE_NAME

    def command_args(self) -> list[str]:
        return ["-m", "ml_connector.app.service.winservice", "--config", str(self.config_path)]


class ServiceControl(Protocol):
    """The few Service Control Manager operations the CLI needs."""

    def install(self, spec: ServiceSpec, password: str | None) -> None: ...
    def uninstall(self, name: str) -> None: ...
    def start(self, name: str) -> None: ...
    def stop(self, name: str) -> None: ...
    def status(self, name: str) -> str: ...


class PywinServiceControl:
    """The real Service Control Manager, through pywin32 (Windows only)."""

    def __init__(self) -> None:
        if sys.platform != "win32":
            raise ConfigError(
                "Windows services can only be managed on Windows",
                hint="on Linux, run `ml-connector service systemd-unit` and install the unit",
            )

    def install(self, spec: ServiceSpec, password: str | None) -> None:
        import win32serviceutil

        win32serviceutil.InstallService(
            "ml_connector.app.service.winservice.MlConnectorService",
            spec.name,
            DISPLAY_NAME,
            startType=0x2,  # SERVICE_AUTO_START
            userName=spec.account,
            password=password,
            exeName=str(spec.python_exe),
            exeArgs=" ".join(_quote_windows(a) for a in spec.command_args()),
            description=DESCRIPTION,
            delayedstart=True,  # after the network and Sage's file shares are up
        )

    def uninstall(self, name: str) -> None:
        import win32serviceutil

        win32serviceutil.RemoveService(name)

    def start(self, name: str) -> None:
        import win32serviceutil

        win32serviceutil.StartService(name)

    def stop(self, name: str) -> None:
        import win32serviceutil

        win32serviceutil.StopService(name)

    def status(self, name: str) -> str:
        import win32serviceutil

        state = win32serviceutil.QueryServiceStatus(name)[1]
        return _STATES.get(state, f"unknown ({state})")


_STATES = {1: "stopped", 2: "start pending", 3: "stop pending", 4: "running", 7: "paused"}


def _quote_windows(arg: str) -> str:
    return f'"{arg}"' if (" " in arg or "\t" in arg) else arg


def render_systemd_unit(spec: ServiceSpec, *, user: str = "ml-connector") -> str:
    """A systemd unit that runs the scheduler and restarts it if it dies."""
    exec_start = shlex.join(
        [
            str(spec.python_exe),
            "-m",
            "ml_connector",
            "run",
            "--config",
            str(spec.config_path),
            "--json-logs",
        ]
    )
    return "\n".join(
        [
            "[Unit]",
            f"Description={DESCRIPTION}",
            "After=network-online.target",
            "Wants=network-online.target",
            "",
            "[Service]",
            "Type=simple",
            f"User={user}",
            f"ExecStart={exec_start}",
            "Restart=on-failure",
            "RestartSec=30",
            "KillSignal=SIGTERM",
            "TimeoutStopSec=120",
            "NoNewPrivileges=true",
            "",
            "[Install]",
            "WantedBy=multi-user.target",
            "",
        ]
    )
