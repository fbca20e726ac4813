"""`ml-connector sync --once`, `audit` and `status`: the clerk's commands (`review ...`: review.py).

`sync --once` checks both connections, runs one cycle for every pair (or `--pair`) and
prints what happened in words a controller reads; with `--json` stdout holds exactly one
summary object (log records go to stderr and the log file). Exit codes: 0 when every cycle
ran (review items included), 1 when a cycle could not run or ran only in part (a system
down, a stream unreadable), 2 for a setup error, 4 when another process (the service, or
another `sync --once`) holds a pair's lease and nothing else failed: the message names it.

A cycle holds its pair's lease in the state database (`ml_connector.store.lease`), so two
processes never write for one pair at once; a dry run writes nothing and takes none.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ml_connector.app.cli.options import ConfigOpt, JsonOpt, PairOpt, pairs_of
from ml_connector.errors import ConfigError

if TYPE_CHECKING:
    from ml_connector.sync.summary import CycleSummary, DocumentOutcome

# The engine, the adapters, the store and rich are imported by the commands that use them,
# so that `ml-connector sync --help` answers without loading the product.
AllOpt = Annotated[
    bool, typer.Option("--all", help="List every document in the report (default: the first few).")
]


@contextmanager
def _stop_on_signal() -> Iterator[Callable[[], bool]]:
    """Ctrl-C (or SIGTERM) during `sync --once` finishes the document in flight and ends the
    cycle there (the rest waits for the next one); a second Ctrl-C aborts at once."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop.is_set  # signal handlers can only be set from the main thread
        return

    def handler(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        typer.echo("stopping after the document in flight (Ctrl-C again to abort)", err=True)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop.is_set
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def sync(
    once: Annotated[bool, typer.Option("--once", help="Run one cycle and exit.")] = False,
    config: ConfigOpt = None,
    pair: PairOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would happen; write nothing.")
    ] = False,
    as_json: JsonOpt = False,
    show_all: AllOpt = False,
) -> None:
    """Run one sync cycle: ServiceTitan AP bills (and routed invoices) into Sage 100 AP.

    Exit codes: 0 every cycle ran (review items included);
    1 a cycle could not run, or ran only in part;
    2 a setup error; 3 an unexpected error;
    4 another process is syncing a pair (the service, another `sync --once`):
    the message says which (host, pid, since when)."""
    from rich.console import Console

    from ml_connector.app.cli.report import SHORT_ROWS, print_cycle_report, summary_totals
    from ml_connector.app.runtime import open_cli_runtime
    from ml_connector.errors import ConnectorError
    from ml_connector.store.errors import PairBusyError

    if not once:
        typer.echo("use `sync --once` for one cycle, or `ml-connector run` for the schedule")
        raise typer.Exit(2)
    summaries: list[CycleSummary] = []
    failed: list[str] = []
    busy: list[PairBusyError] = []
    with open_cli_runtime(config) as rt, _stop_on_signal() as stop_requested:
        for name in pairs_of(rt, pair):
            if stop_requested():
                failed.append(f"{name}: not run (stopped on request)")
                continue
            try:
                with rt.pair_lease(name, command="sync --once", dry_run=dry_run) as lease_lost:
                    runtime = rt.pair(name)
                    runtime.check_connections()
                    runtime.engine.preflight()  # a broken GL setup: exit 2 before any write
                    with _progress(name, enabled=not as_json) as on_outcome:
                        summary = runtime.engine.run_cycle(
                            dry_run=dry_run,
                            should_stop=lambda: stop_requested() or lease_lost(),
                            on_outcome=on_outcome,
                        )
                    if lease_lost():
                        failed.append(f"{name}: {LEASE_LOST}")
            except ConfigError:
                raise
            except PairBusyError as exc:
                busy.append(exc)
                continue
            except ConnectorError as exc:  # one pair failing does not hide the others' results
                failed.append(f"{name}: {exc.describe()}")
                continue
            summaries.append(summary)
    if as_json:
        totals = summary_totals(summaries, failed)
        totals["busy"] = [b.as_dict() for b in busy]
        totals["completed"] = totals["completed"] and not busy
        typer.echo(json.dumps(totals, default=str))
        for line in failed:
            typer.echo(f"could not run {line}", err=True)
        for b in busy:
            typer.echo(f"not run: {b.describe()}", err=True)
    else:
        console = Console()
        for summary in summaries:
            print_cycle_report(console, summary, max_rows=None if show_all else SHORT_ROWS)
        for line in failed:
            console.print(f"[red]could not run[/red] {line}")
        for b in busy:
            console.print(f"[yellow]not run[/yellow]: {b.describe()}", highlight=False)
    # A cycle stopped, or with a stream it could not read, did not run in full.
    if failed or any(s.errors for s in summaries):
        raise typer.Exit(1)
    if busy:
        raise typer.Exit(EXIT_PAIR_BUSY)


EXIT_PAIR_BUSY = 4  # 3 is the unexpected error of every command (cli/main.py)
LEASE_LOST = (
    "the pair's lease expired and another process took it over (this one was stalled for"
    " longer than [state] lease_seconds); the cycle stopped after the document in flight"
)


@contextmanager
def _progress(pair: str, *, enabled: bool) -> Iterator[Callable[[DocumentOutcome], None]]:
    """A live count on stderr while a long cycle (a first sync, a backfill) runs; only on a
    terminal, so logs, pipes and `--json` stay clean."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not (enabled and console.is_terminal),
    )
    counts: Counter[str] = Counter()
    task = progress.add_task(f"pair {pair}: reading ServiceTitan")

    def on_outcome(outcome: DocumentOutcome) -> None:
        counts[str(outcome.outcome)] += 1
        done = ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in counts.most_common())
        progress.update(task, description=f"pair {pair}: {counts.total()} documents ({done})")

    with progress:
        yield on_outcome


def audit(
    config: ConfigOpt = None,
    pair: PairOpt = None,
    since: Annotated[
        str | None, typer.Option(help="Only events at or after this date/time (ISO, UTC).")
    ] = None,
    csv_out: Annotated[bool, typer.Option("--csv", help="CSV for finance.")] = False,
    as_json: JsonOpt = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to a file.")] = None,
) -> None:
    """The audit log: every decision, oldest first."""
    from rich.console import Console
    from rich.table import Table

    from ml_connector.app.runtime import open_cli_runtime
    from ml_connector.store.audit_export import export_audit_csv, export_audit_json
    from ml_connector.store.port import PairId

    when = _parse_since(since) if since else None
    with open_cli_runtime(config) as rt, rt.store.transaction() as tx:
        events = list(tx.iter_audit(since=when, pair=PairId(pair) if pair else None))
    try:
        out = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
    except OSError as exc:
        raise ConfigError(
            f"cannot write the audit export to {output}: {exc.strerror}",
            hint="check that the folder exists and that this account may write there",
        ) from None
    try:
        if csv_out:
            export_audit_csv(events, out)
        elif as_json:
            export_audit_json(events, out)
        else:
            table = Table(title=f"Audit log: {len(events)} event(s)")
            for col in ("when (UTC)", "pair", "action", "document", "by", "message"):
                table.add_column(col, overflow="fold")
            for e in events:
                doc = f"{e.doc_kind} {e.doc_id}" if e.doc_id is not None else ""
                table.add_row(
                    e.at.strftime("%Y-%m-%d %H:%M:%S"), e.pair, e.action, doc, e.actor, e.message
                )
            Console(file=out).print(table)
    finally:
        if output:
            out.close()
    if output:
        typer.echo(f"{len(events)} audit event(s) written to {output}", err=True)


def _parse_since(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"--since {text!r} is not a date or date-time", hint="e.g. --since 2026-05-01"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def status(config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """Last runs, open review items and documents by state, per pair."""
    from rich.console import Console

    from ml_connector.app.runtime import open_cli_runtime
    from ml_connector.store.port import LedgerStatus, PairId, ReviewStatus

    report: dict[str, Any] = {}
    with open_cli_runtime(config) as rt:
        for name in rt.config.pairs:
            pid = PairId(name)
            with rt.store.transaction() as tx:
                runs = tx.last_runs(pid, limit=5)
                reviews = tx.list_reviews(pid, ReviewStatus.OPEN)
                counts: dict[str, int] = dict.fromkeys((str(s) for s in LedgerStatus), 0)
                for entry in tx.iter_ledger(pid):
                    counts[str(entry.status)] += 1
            report[name] = {
                "last_runs": [
                    {
                        "run_id": r.id,
                        "started_at": r.started_at.isoformat(),
                        "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                        "status": r.status,
                        "dry_run": r.dry_run,
                        # a dry run's record counts what it would have written
                        "written": 0 if r.dry_run else r.summary.get("written", 0),
                        "would_write": r.summary.get("written", 0) if r.dry_run else 0,
                        "sent_to_review": 0 if r.dry_run else r.summary.get("sent_to_review", 0),
                    }
                    for r in runs
                ],
                "open_review_items": len(reviews),
                "documents": counts,
            }
    if as_json:
        typer.echo(json.dumps(report, default=str))
        return
    console = Console()
    for name, info in report.items():
        console.print(f"[bold]{name}[/bold]: {info['open_review_items']} open review item(s)")
        docs = ", ".join(f"{k} {v}" for k, v in info["documents"].items() if v)
        console.print(f"  documents: {docs or 'none yet'}")
        for r in info["last_runs"]:
            if r["dry_run"]:
                what = f"{r['would_write']} would be written"
            else:
                what = f"{r['written']} written, {r['sent_to_review']} to review"
            kind = " (dry run)" if r["dry_run"] else ""
            console.print(f"  run {r['run_id']}{kind}: {r['status']} at {r['started_at']}, {what}")


def register(app: typer.Typer) -> None:
    app.command("sync")(sync)
    app.command("audit")(audit)
    app.command("status")(status)
