"""`ml-connector check`: the connectivity check as a table (rich) or one JSON object.

    ml-connector check --config FILE [--pair NAME] [--json]

Exit 0 when nothing failed (warnings allowed), 1 otherwise. Never a traceback: an
unexpected error is a FAILED row, its details go to the log file only (the console gets
no log lines, so stdout stays the table or the JSON). `register(app)` also adds
`ml-connector init` (`init_cli`), which offers to run this check at its end.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import structlog
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ml_connector.app.check.run import CheckOptions, CheckReport, run_checks, run_checks_on
from ml_connector.app.check.types import CheckResult, Rows
from ml_connector.app.config.files import default_config_path, load_config
from ml_connector.app.config.secrets import SecretStore, current_identity
from ml_connector.app.logging import LoggingHandle, configure_logging
from ml_connector.errors import ConfigError, ConnectorError

log = structlog.get_logger(__name__)

StoreFactory = Callable[[], SecretStore]

_STYLE = {"ok": "green", "warning": "yellow", "FAILED": "bold red", "skipped": "dim"}


def check_config(
    config_path: Path,
    store: SecretStore,
    *,
    pair: str | None = None,
    options: CheckOptions | None = None,
) -> CheckReport:
    """Run the check with logging sent to the config's log file only."""
    handle: LoggingHandle | None = None
    warn: CheckResult | None = None
    try:
        config = load_config(config_path)
    except ConnectorError:
        return run_checks(config_path, store=store, pair=pair, options=options)  # the config row
    try:
        # The console gets nothing: a person reads the table, a script the JSON.
        handle = configure_logging(config.logging, stream=io.StringIO())
    except (ConfigError, OSError) as exc:  # the log folder is not writable: check anyway
        why = exc.message if isinstance(exc, ConfigError) else str(exc.strerror)
        warn = Rows("", "config").warning(
            "log file",
            f"no log file: {why}",
            "Let this account write the log folder, or set [logging] file (or to_file = false).",
        )
        quiet = config.logging.model_copy(update={"to_file": False})
        handle = configure_logging(quiet, stream=io.StringIO())  # still nothing on the console
    try:
        report = run_checks_on(
            config,
            source=str(config_path),
            store=store,
            pair=pair,
            options=options,
            on_secret=handle.redactor.add_secret if handle is not None else None,
        )
    finally:
        if handle is not None:
            handle.close()
    if warn is not None:
        report = CheckReport(report.config_path, (report.results[0], warn, *report.results[1:]))
    return report


def render_table(report: CheckReport, console: Console) -> None:
    table = Table(title=f"ml-connector check: {report.config_path}", show_lines=False)
    for column in ("pair", "system", "check", "verdict", "detail"):
        table.add_column(column, overflow="fold")
    for row in report.results:
        table.add_row(
            Text(row.pair or "-"),
            Text(row.system),
            Text(row.name),
            Text(row.verdict, style=_STYLE[row.verdict]),
            Text(row.detail),
        )
    console.print(table)
    problems = [r for r in report.results if r.verdict in ("FAILED", "warning") and r.fix]
    if problems:
        console.print(Text("How to fix:", style="bold"))
        for row in problems:
            console.print(_fix_line(row))
    counts = report.counts()
    summary = ", ".join(f"{n} {v}" for v, n in counts.items() if n)
    verdict = "all checks passed" if report.passed else f"{len(report.failed)} check(s) FAILED"
    console.print(Text(f"{verdict} ({summary}); run as {current_identity()}"))


def _fix_line(row: CheckResult) -> Text:
    where = " / ".join(p for p in (row.pair, row.system, row.name) if p)
    line = Text("- ")
    line.append(f"{where} ({row.verdict}): ", style=_STYLE[row.verdict])
    line.append(row.fix)
    return line


def run_and_print(
    config_path: Path,
    store: SecretStore,
    *,
    pair: str | None = None,
    as_json: bool = False,
    probe: Path | None = None,
) -> int:
    """Run the check, print it, and return the exit code (0 passed, 1 failed)."""
    try:
        options = CheckOptions(probe=probe) if probe is not None else None
        report = check_config(config_path, store, pair=pair, options=options)
        if as_json:
            typer.echo(json.dumps(report.to_json(), indent=2))
        else:
            console = Console(highlight=False)
            if not console.is_terminal:  # a pipe or a log: wide enough to read the details
                console = Console(highlight=False, width=120)
            render_table(report, console)
    except Exception as exc:  # the person gets a line, never a traceback
        log.error("check_crashed", exc_info=exc)
        typer.echo(f"error: the check itself failed: {type(exc).__name__}", err=True)
        return 1
    return 0 if report.passed else 1


def register(app: typer.Typer, *, store_factory: StoreFactory = SecretStore) -> None:
    """Add `check` to `app` (`init`, which ends by offering it, registers itself)."""

    @app.command("check")
    def check(
        config: Annotated[
            Path | None,
            typer.Option("--config", "-c", help="The config file (default: the standard place)."),
        ] = None,
        pair: Annotated[str | None, typer.Option("--pair", help="Check only this pair.")] = None,
        as_json: Annotated[
            bool, typer.Option("--json", help="Print one JSON object instead of a table.")
        ] = False,
        probe: Annotated[
            Path | None,
            typer.Option(
                "--probe",
                help="A `sage probe` file to compare with (default: sage-probe-<pair>.json "
                "beside the config, when there is one).",
            ),
        ] = None,
    ) -> None:
        """Try both systems of each pair and say what is wrong and how to fix it."""
        code = run_and_print(
            config or default_config_path(),
            store_factory(),
            pair=pair,
            as_json=as_json,
            probe=probe,
        )
        if code:
            raise typer.Exit(code)
