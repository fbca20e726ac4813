"""`ml-connector secrets ...`: store, check and delete the secrets a config refers to.

The lead wires it with `secrets_cli.register(app)`. Values are read with a hidden prompt or
from stdin, never from the command line (it would land in shell history and process lists),
and are never printed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from pydantic import SecretStr

from ml_connector.app.config.credentials import check_secrets
from ml_connector.app.config.files import load_config
from ml_connector.app.config.secrets import SecretRef, SecretStore, current_identity
from ml_connector.errors import ConfigError

SERVICE_ACCOUNT_GUIDE = """\
A Windows service reads secrets from the credential store of the account it runs as.
A secret stored by you ({who}) is invisible to a service running as LocalSystem.

Either run the service as a dedicated account and store the secrets as that account:
    runas /user:CONTOSO\\svc-mlconnector "ml-connector secrets set {ref}"

or, for LocalSystem, store them from a SYSTEM prompt (Sysinternals PsExec):
    psexec -s -i cmd.exe
    ml-connector secrets set {ref}

Then check as the service sees it (from the same prompt):
    ml-connector secrets check --config "%ProgramData%\\ml-connector\\config.toml"

On Linux (systemd), prefer env: references and an EnvironmentFile= readable by root only.
"""


def service_account_guide(ref: str = "keyring:ml-connector/<name>") -> str:
    """How to store a secret where a Windows service can read it (for `init
    --for-service-account` and `secrets set --for-service-account`)."""
    return SERVICE_ACCOUNT_GUIDE.format(who=current_identity(), ref=ref)


def _parse(ref: str) -> SecretRef:
    try:
        return SecretRef.parse(ref)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def register(app: typer.Typer, *, store_factory: Callable[[], SecretStore] = SecretStore) -> None:
    """Add the `secrets` command group to `app`."""
    secrets_app = typer.Typer(help="Store and check the secrets the config refers to.")
    app.add_typer(secrets_app, name="secrets")

    @secrets_app.command("set")
    def set_secret(
        ref: Annotated[str, typer.Argument(help="keyring:<service>/<name>")] = "",
        from_stdin: Annotated[bool, typer.Option(help="Read the value from stdin.")] = False,
        for_service_account: Annotated[
            bool, typer.Option(help="Explain how to store secrets for a Windows service.")
        ] = False,
    ) -> None:
        """Store a secret in this account's credential store."""
        if for_service_account:
            typer.echo(service_account_guide(ref or "keyring:ml-connector/<name>"))
            return
        parsed = _parse(ref)
        if from_stdin:
            value = sys.stdin.readline().rstrip("\r\n")
        else:
            value = typer.prompt(f"Value for {parsed}", hide_input=True)
        store = store_factory()
        store.store(parsed, SecretStr(value))
        typer.echo(f"stored {parsed} for {current_identity()} in {store.describe_backend()}")

    @secrets_app.command("check")
    def check(
        config: Annotated[Path, typer.Option("--config", "-c", help="The config file.")],
    ) -> None:
        """Resolve every secret the config refers to; exit 2 if any is missing."""
        loaded = load_config(config)
        store = store_factory()
        checks = check_secrets(loaded, store)
        for item in checks:
            typer.echo(
                f"{'ok     ' if item.problem is None else 'MISSING'} {item.key} = {item.ref}"
            )
        missing = [c for c in checks if c.problem]
        typer.echo(f"({current_identity()}, {store.describe_backend()})")
        if missing:
            raise ConfigError(
                f"{len(missing)} of {len(checks)} secrets cannot be resolved",
                hint=missing[0].problem,
            )

    @secrets_app.command("delete")
    def delete(ref: Annotated[str, typer.Argument(help="keyring:<service>/<name>")]) -> None:
        """Remove a secret from this account's credential store."""
        parsed = _parse(ref)
        store_factory().delete(parsed)
        typer.echo(f"deleted {parsed}")
