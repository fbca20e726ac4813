"""The `ml-connector` command line: the entry point, the global options, and the command
table that keeps `--help` quick.

Commands live beside the code they drive (`app/cli/*.py`, the service runner, the
sandboxes' own CLIs). `main()` imports only the module of the command being run: every
other command is listed from `COMMANDS` (its one-line help) without importing it, so
`ml-connector --help`, `--version` and a mistyped command answer without loading the
engine, the adapters, the state store or the web stack. `register_all()` attaches every
command for real (tests drive `app` in-process after calling it); a test checks that the
one-line helps here match the commands' own docstrings.

Global options: `--version`; `-v` / `--verbose` puts the INFO log records back on the
terminal (by default a person sees warnings and errors only; the log file keeps the
config's level, and `run` as a service logs as configured). It may stand anywhere on the
line (`ml-connector sync --once -v`). Help is plain text (no rich markup), so help texts
with brackets such as "[default: 00]" are shown as written.

`main()` turns a `ConnectorError` into a short message with what to do (exit 2), never a
traceback; any other exception (a bug) into one redacted line (exit 3), its traceback only
with ML_CONNECTOR_DEBUG=1.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Annotated, NamedTuple

import typer

from ml_connector import __version__
from ml_connector.app.console import set_console_verbose
from ml_connector.errors import ConnectorError

DEBUG_ENV = "ML_CONNECTOR_DEBUG"  # set: an unexpected error shows its traceback
VERBOSE_FLAGS = ("-v", "--verbose")
APP_HELP = "ServiceTitan AP bills and invoices into Sage 100 accounts payable, exactly once."


def new_typer(**settings: object) -> typer.Typer:
    """A Typer with the house settings: plain-text help (rich markup would eat "[...]"),
    no shell-completion options, no rich tracebacks."""
    return typer.Typer(
        rich_markup_mode=None,
        add_completion=False,
        pretty_exceptions_enable=False,
        **settings,  # type: ignore[arg-type]  # help=, no_args_is_help=, ...
    )


app = new_typer(
    name="ml-connector",
    help=APP_HELP,
    no_args_is_help=True,
    context_settings={"max_content_width": 120},  # the terminal's width, up to 120 columns
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"ml-connector {__version__}")
        raise typer.Exit


@app.callback()
def _global_options(
    ctx: typer.Context,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="Show the INFO log records on the terminal too (they always go to the log file).",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", is_eager=True, callback=_show_version, help="Print the version."),
    ] = False,
) -> None:
    if verbose:
        ctx.call_on_close(set_console_verbose(True))


def version() -> None:
    """Print the version."""
    typer.echo(__version__)


# --- the command table --------------------------------------------------------------------


def _sync(host: typer.Typer) -> None:
    from ml_connector.app.cli import review, sync

    sync.register(host)
    review.register(host)


def _run(host: typer.Typer) -> None:
    from ml_connector.app.service import runner

    runner.register(host)


def _check(host: typer.Typer) -> None:
    from ml_connector.app.cli import check

    check.register(host)


def _init(host: typer.Typer) -> None:
    from ml_connector.app.cli import init

    init.register(host)  # init ends by offering the check


def _vendors(host: typer.Typer) -> None:
    from ml_connector.app.cli import vendors

    vendors.register(host)


def _secrets(host: typer.Typer) -> None:
    from ml_connector.app.cli import secrets

    secrets.register(host)


def _service(host: typer.Typer) -> None:
    from ml_connector.app.cli import service

    service.register(host)


def _sage(host: typer.Typer) -> None:
    from ml_connector.app.cli import sage

    sage.register(host)  # `sage probe` and `selftest`


def _users(host: typer.Typer) -> None:
    from ml_connector.app.cli import users

    users.register(host)


def _sandboxes(host: typer.Typer) -> None:
    from ml_connector.app.cli import demo
    from ml_connector.sandbox.sage100 import cli as sage_sandbox_cli
    from ml_connector.sandbox.servicetitan import cli as st_sandbox_cli

    sandbox_app = new_typer(help=COMMANDS["sandbox"].help, no_args_is_help=True)
    host.add_typer(sandbox_app, name="sandbox")
    demo.register(host, sandbox_app)  # `demo`, and `sandbox up`
    st_sandbox_cli.register(sandbox_app)
    sage_sandbox_cli.register(sandbox_app)


class Command(NamedTuple):
    help: str  # the one line `ml-connector --help` shows
    load: Callable[[typer.Typer], None]  # imports the module and registers its commands


# In the order `ml-connector --help` lists them: what a person does first, first.
COMMANDS: dict[str, Command] = {
    "init": Command("Write the config file and store the secrets (guided, or from flags).", _init),
    "check": Command(
        "Try both systems of each pair and say what is wrong and how to fix it.", _check
    ),
    "sync": Command(
        "Run one sync cycle: ServiceTitan AP bills (and routed invoices) into Sage 100 AP.",
        _sync,
    ),
    "review": Command("The review queue: what needs a person.", _sync),
    "audit": Command("The audit log: every decision, oldest first.", _sync),
    "status": Command("Last runs, open review items and documents by state, per pair.", _sync),
    "run": Command(
        "Run on the schedule until stopped (Ctrl-C or SIGTERM): every pair, dashboard, webhooks.",
        _run,
    ),
    "vendors": Command("Vendors both ways: matching, links.", _vendors),
    "gl": Command("GL mapping.", _vendors),
    "secrets": Command("Store and check the secrets the config refers to.", _secrets),
    "sage": Command("Sage 100 on this server: discovery probe.", _sage),
    "selftest": Command(
        "Prove the connector on the real systems, with test records it removes again.", _sage
    ),
    "users": Command("Accounts of the web app (clerks and admins).", _users),
    "service": Command(
        "Run ml-connector as a Windows service (or get a systemd unit on Linux).", _service
    ),
    "demo": Command(
        "Run the whole flow once on local sandboxes of both systems and explain the result.",
        _sandboxes,
    ),
    "sandbox": Command(
        "Local stand-ins for ServiceTitan and Sage 100, for the demo and tests.", _sandboxes
    ),
}

_loaded: set[Callable[[typer.Typer], None]] = set()  # loaders already run on `app`


def _load(loader: Callable[[typer.Typer], None]) -> None:
    if loader not in _loaded:
        _loaded.add(loader)
        loader(app)


def _version_last() -> None:
    if not any(c.callback is version for c in app.registered_commands):
        app.command("version")(version)


def register_all() -> None:
    """Attach every command for real (tests call it before driving `app` in-process)."""
    for command in COMMANDS.values():
        _load(command.load)
    _version_last()


def _register_for(args: list[str]) -> None:
    """Attach the command named in `args` for real and list the others by name and help
    only: their modules are not imported."""
    wanted = next((a for a in args if not a.startswith("-")), None)
    if wanted in COMMANDS:
        _load(COMMANDS[wanted].load)
    for name, command in COMMANDS.items():
        if command.load not in _loaded:
            _listed_only(name, command.help)
    _version_last()


def _listed_only(name: str, help_text: str) -> None:
    """A placeholder that only shows `name` in the command list; never run, as `main`
    attaches the real command when it is the one asked for."""

    def placeholder() -> None:  # pragma: no cover - never invoked
        raise typer.Exit(3)

    app.command(name, help=help_text, add_help_option=False)(placeholder)


def hoist_global_flags(args: list[str]) -> list[str]:
    """`-v` / `--verbose` anywhere before a `--` moves to the front, where the parser wants
    a global option (`ml-connector sync --once -v` reads as `ml-connector -v sync --once`)."""
    end = args.index("--") if "--" in args else len(args)
    flags = [a for a in args[:end] if a in VERBOSE_FLAGS]
    rest = [a for a in args[:end] if a not in VERBOSE_FLAGS]
    return [*flags[:1], *rest, *args[end:]]


def main() -> None:
    """Console entry point."""
    args = hoist_global_flags(sys.argv[1:])
    _register_for(args)
    try:
        app(args=args, prog_name="ml-connector")
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
