"""The `ml-connector` command line.

Each area registers its own Typer sub-application here. `main()` is the console entry
point: a `ConnectorError` becomes a short message with what to do (exit 2), never a
traceback; any other exception (a bug) one redacted line (exit 3), its traceback only with
ML_CONNECTOR_DEBUG=1.
"""

from __future__ import annotations

import os
import sys

import typer

from ml_connector import __version__
from ml_connector.errors import ConnectorError

app = typer.Typer(
    name="ml-connector",
    help="ServiceTitan AP bills and invoices into Sage 100 accounts payable, exactly once.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

sandbox_app = typer.Typer(
    help="Local stand-ins for ServiceTitan and Sage 100, for the demo and tests.",
    no_args_is_help=True,
)
app.add_typer(sandbox_app, name="sandbox")


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


DEBUG_ENV = "ML_CONNECTOR_DEBUG"  # set: an unexpected error shows its traceback
_registered = False


def _register() -> None:
    """Attach the sub-commands that live beside the code they drive (once: tests call it
    before driving `app` in-process)."""
    global _registered  # one registration per process
    if _registered:
        return
    _registered = True
    # Each import below adds its commands to `app` / `sandbox_app`.
    from ml_connector.app.cli import check as check_cli
    from ml_connector.app.cli import demo
    from ml_connector.app.cli import init as init_cli
    from ml_connector.app.cli import secrets as secrets_cli
    from ml_connector.app.cli import service as service_cli
    from ml_connector.app.cli import sync as sync_cli
    from ml_connector.app.cli import vendors as vendors_cli
    from ml_connector.app.service import runner
    from ml_connector.sandbox.sage100 import cli as sage_sandbox_cli
    from ml_connector.sandbox.servicetitan import cli as st_sandbox_cli

    service_cli.register(app)
    secrets_cli.register(app)
    sync_cli.register(app)
    runner.register(app)
    demo.register(app, sandbox_app)
    st_sandbox_cli.register(sandbox_app)
    sage_sandbox_cli.register(sandbox_app)
    check_cli.register(app)
    init_cli.register(app)  # init ends by offering the check
    vendors_cli.register(app)


def main() -> None:
    """Console entry point."""
    _register()
    try:
        app()
    except ConnectorError as exc:
        typer.echo(f"error: {exc.describe()}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug or an unforeseen failure: one line, no traceback
        if os.environ.get(DEBUG_ENV):
            raise
        from ml_connector.app.logging import redact_text

        text = redact_text(str(exc))[:500]
        typer.echo(
            f"error: unexpected {type(exc).__name__}: {text}\n"
            f"  What to do: run again with {DEBUG_ENV}=1 for the full traceback, and report it",
            err=True,
        )
        sys.exit(3)
