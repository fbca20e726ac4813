"""`ml-connector sandbox servicetitan`: serve the ServiceTitan sandbox in the foreground."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ml_connector.errors import ConfigError
from ml_connector.sandbox.servicetitan.faults import Faults, FaultSpecError
from ml_connector.sandbox.servicetitan.settings import (
    DEFAULT_APP_KEY,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_TENANT_ID,
    DEFAULT_TOKEN_LIFETIME,
    SandboxSettings,
)


def servicetitan(
    host: Annotated[str, typer.Option(help="Address to bind (keep it loopback).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0 picks a free one).")] = 8040,
    state: Annotated[Path, typer.Option(help="Folder of the state file.")] = Path(
        ".sandbox/servicetitan"
    ),
    seed: Annotated[str, typer.Option(help="Seed of a new state: demo or none.")] = "demo",
    size: Annotated[int, typer.Option(help="Number of AP bills the demo seed generates.")] = 200,
    data: Annotated[
        Path | None, typer.Option(help="Load DIR/<resource>.json instead of a seed.")
    ] = None,
    tenant: Annotated[int, typer.Option(help="Tenant id in the API paths.")] = DEFAULT_TENANT_ID,
    client_id: Annotated[str, typer.Option(help="OAuth client id.")] = DEFAULT_CLIENT_ID,
    client_secret: Annotated[
        str, typer.Option(help="OAuth client secret.")
    ] = DEFAULT_CLIENT_SECRET,
    app_key: Annotated[str, typer.Option(help="ST-App-Key value.")] = DEFAULT_APP_KEY,
    token_lifetime: Annotated[
        int, typer.Option(help="Token lifetime (s).")
    ] = DEFAULT_TOKEN_LIFETIME,
    faults: Annotated[
        str | None,
        typer.Option(
            help="e.g. rate429=0.2,rate5xx=0.1,latency_ms=50,token_lifetime=60,"
            "unlicensed=inventory (see docs/st-sandbox.md).",
        ),
    ] = None,
) -> None:
    """Serve the ServiceTitan sandbox (official paths and shapes, tokens, limits, faults)."""
    from ml_connector.sandbox.servicetitan.server import serve

    try:
        Faults.parse(faults)
    except FaultSpecError as exc:
        raise ConfigError(f"--faults: {exc}", hint="see docs/st-sandbox.md") from exc
    settings = SandboxSettings(
        tenant_id=tenant,
        client_id=client_id,
        client_secret=client_secret,
        app_key=app_key,
        token_lifetime=token_lifetime,
    )

    def announce(base: str, seeded: dict[str, Any]) -> None:
        typer.echo(f"ServiceTitan sandbox on {base} (state in {state}: {seeded})")
        typer.echo(f"  token endpoint  {base}/connect/token")
        typer.echo(f"  API             {base}/<module>/v2/tenant/{tenant}/...")
        typer.echo(
            f"  tenant {tenant}  client id {client_id}  client secret {client_secret}"
            f"  app key {app_key}  (sandbox credentials, not secrets)"
        )
        typer.echo(f"  admin           {base}/_sandbox/stats", nl=True)
        sys.stdout.flush()

    serve(
        state,
        host=host,
        port=port,
        seed=seed,
        size=size,
        data_dir=data,
        faults=faults,
        settings=settings,
        announce=announce,
    )


def register(sandbox_app: typer.Typer) -> None:
    """Add the `servicetitan` command to the sandbox group."""
    sandbox_app.command("servicetitan")(servicetitan)
