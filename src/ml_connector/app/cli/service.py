"""`ml-connector service ...`: install and drive the Windows service; a systemd unit on Linux."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from ml_connector.app.service.platform import (
    SERVICE_NAME,
    PywinServiceControl,
    ServiceControl,
    ServiceSpec,
    render_systemd_unit,
)

service_app = typer.Typer(
    help="Run ml-connector as a Windows service (or get a systemd unit on Linux).",
    no_args_is_help=True,
)

_override: list[ServiceControl] = []


@contextmanager
def using_control(control: ServiceControl) -> Iterator[None]:
    """Test switch: drive `control` instead of the Service Control Manager."""
    _override.append(control)
    try:
        yield
    finally:
        _override.remove(control)


def _control() -> ServiceControl:
    return _override[-1] if _override else PywinServiceControl()


ConfigOpt = Annotated[
    Path, typer.Option("--config", "-c", help="The config file the service runs.")
]
NameOpt = Annotated[str, typer.Option("--name", help="Service name.")]


@service_app.command("install")
def install(
    config: ConfigOpt,
    account: Annotated[
        str | None,
        typer.Option(
            help="Run as this account (e.g. .\\mlsvc or DOMAIN\\mlsvc); default LocalSystem. "
            "It needs read/write access to the Sage 100 share (use a UNC Home path).",
        ),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option(help="Read the account's password from standard input.")
    ] = False,
    name: NameOpt = SERVICE_NAME,
) -> None:
    """Register the service (automatic, delayed start) running `ml-connector run`."""
    if not config.is_file():
        typer.echo(f"error: no config file at {config}; run `ml-connector init` first", err=True)
        raise typer.Exit(2)
    password = None
    if account:
        password = (
            sys.stdin.readline().rstrip("\n")
            if password_stdin
            else getpass.getpass(f"Password for {account}: ")
        )
    spec = ServiceSpec(Path(sys.executable), config.resolve(), account=account, name=name)
    _control().install(spec, password)
    typer.echo(
        f"installed service {name} running {spec.python_exe} {' '.join(spec.command_args())}"
    )
    if account is None:
        typer.echo(
            "note: it runs as LocalSystem. Secrets stored in *your* Windows Credential Manager "
            "are invisible to it; see the README (Windows service and credentials)."
        )


@service_app.command("uninstall")
def uninstall(name: NameOpt = SERVICE_NAME) -> None:
    """Remove the service."""
    _control().uninstall(name)
    typer.echo(f"removed service {name}")


@service_app.command("start")
def start(name: NameOpt = SERVICE_NAME) -> None:
    """Start the service."""
    _control().start(name)
    typer.echo(f"started {name}")


@service_app.command("stop")
def stop(name: NameOpt = SERVICE_NAME) -> None:
    """Stop the service (the cycle in flight finishes or safely abandons its document)."""
    _control().stop(name)
    typer.echo(f"stopped {name}")


@service_app.command("status")
def status(name: NameOpt = SERVICE_NAME) -> None:
    """Show whether the service is running."""
    typer.echo(f"{name}: {_control().status(name)}")


@service_app.command("systemd-unit")
def systemd_unit(
    config: ConfigOpt,
    user: Annotated[str, typer.Option(help="The Linux user the service runs as.")] = "ml-connector",
) -> None:
    """Print a systemd unit for Linux (save as /etc/systemd/system/ml-connector.service)."""
    typer.echo(render_systemd_unit(ServiceSpec(Path(sys.executable), config.resolve()), user=user))


def register(app: typer.Typer) -> None:
    app.add_typer(service_app, name="service")
