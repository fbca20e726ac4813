"""`ml-connector sync --once`, `review ...`, `audit` and `status`: the clerk's commands.

`sync --once` checks both connections, runs one cycle for every pair (or `--pair`) and
prints what happened in words a controller reads; with `--json` stdout holds exactly one
summary object (log records go to stderr and the log file). Exit codes: 0 when every cycle
ran (review items included), 1 when a cycle could not run or ran only in part (a system
down, a stream unreadable), 2 for a setup error.
"""

from __future__ import annotations

import getpass
import json
import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ml_connector.app.cli.report import print_cycle_report, summary_totals
from ml_connector.app.runtime import Runtime, open_cli_runtime
from ml_connector.errors import ConfigError, ConnectorError
from ml_connector.sage100.port import DivisionNo, SageVendorNo
from ml_connector.store.audit_export import export_audit_csv, export_audit_json
from ml_connector.store.port import LedgerStatus, PairId, ReviewItem, ReviewStatus
from ml_connector.sync.review import ReviewError, ReviewQueue
from ml_connector.sync.settings import split_vendor
from ml_connector.sync.summary import CycleSummary, DocumentOutcome

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Config file (default: see `ml-connector init`)."),
]
PairOpt = Annotated[str | None, typer.Option("--pair", help="Only this pair.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _pairs(rt: Runtime, only: str | None) -> list[str]:
    names = list(rt.config.pairs)
    if only is None:
        return names
    if only not in names:
        raise ConfigError(f"no pair named {only!r} in the config (pairs: {', '.join(names)})")
    return [only]


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
) -> None:
    """Run one sync cycle: ServiceTitan AP bills (and routed invoices) into Sage 100 AP."""
    if not once:
        typer.echo("use `sync --once` for one cycle, or `ml-connector run` for the schedule")
        raise typer.Exit(2)
    summaries: list[CycleSummary] = []
    failed: list[str] = []
    with open_cli_runtime(config) as rt, _stop_on_signal() as stop_requested:
        for name in _pairs(rt, pair):
            if stop_requested():
                failed.append(f"{name}: not run (stopped on request)")
                continue
            try:
                runtime = rt.pair(name)
                runtime.check_connections()
                with _progress(name, enabled=not as_json) as on_outcome:
                    summary = runtime.engine.run_cycle(
                        dry_run=dry_run, should_stop=stop_requested, on_outcome=on_outcome
                    )
            except ConfigError:
                raise
            except ConnectorError as exc:  # one pair failing does not hide the others' results
                failed.append(f"{name}: {exc.describe()}")
                continue
            summaries.append(summary)
    if as_json:
        typer.echo(json.dumps(summary_totals(summaries, failed), default=str))
        for line in failed:
            typer.echo(f"could not run {line}", err=True)
    else:
        console = Console()
        for summary in summaries:
            print_cycle_report(console, summary)
        for line in failed:
            console.print(f"[red]could not run[/red] {line}")
    # A cycle stopped, or with a stream it could not read, did not run in full.
    if failed or any(s.errors for s in summaries):
        raise typer.Exit(1)


@contextmanager
def _progress(pair: str, *, enabled: bool) -> Iterator[Callable[[DocumentOutcome], None]]:
    """A live count on stderr while a long cycle (a first sync, a backfill) runs; only on a
    terminal, so logs, pipes and `--json` stay clean."""
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


review_app = typer.Typer(help="The review queue: what needs a person.", no_args_is_help=True)


def _queue(rt: Runtime, pair: str | None) -> ReviewQueue:
    names = _pairs(rt, pair)
    if len(names) > 1:
        raise ConfigError(
            "the config has several pairs: say which with --pair", hint="e.g. --pair main"
        )
    name = names[0]
    return ReviewQueue(
        PairId(name), rt.store, rt.clock, division=rt.config.pair(name).sage100.ap_division
    )


def _item_dict(item: ReviewItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "pair": item.pair,
        "kind": str(item.kind),
        "document": f"{item.doc_kind} {item.doc_id}" if item.doc_id is not None else None,
        "status": str(item.status),
        "reason": item.reason,
        "suggestion": item.suggestion,
        "details": dict(item.details),
        "created_at": item.created_at.isoformat() if item.created_at else None,
        "resolved_by": item.resolved_by or None,
        "note": item.note or None,
    }


@review_app.command("list")
def review_list(
    config: ConfigOpt = None,
    pair: PairOpt = None,
    all_items: Annotated[bool, typer.Option("--all", help="Closed items too.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List open review items."""
    with open_cli_runtime(config) as rt:
        items: list[ReviewItem] = []
        for name in _pairs(rt, pair):
            with rt.store.transaction() as tx:
                items += tx.list_reviews(PairId(name), None if all_items else ReviewStatus.OPEN)
    if as_json:
        typer.echo(json.dumps([_item_dict(i) for i in items], default=str))
        return
    table = Table(title=f"Review queue: {len(items)} item(s)")
    for col in ("id", "pair", "kind", "document", "status", "what happened", "what to do"):
        table.add_column(col, overflow="fold")
    for i in items:
        doc = f"{i.doc_kind} {i.doc_id}" if i.doc_id is not None else ""
        table.add_row(str(i.id), i.pair, str(i.kind), doc, str(i.status), i.reason, i.suggestion)
    Console().print(table)


@review_app.command("show")
def review_show(review_id: int, config: ConfigOpt = None, pair: PairOpt = None) -> None:
    """Show one review item with its details (candidates, scores, amounts)."""
    with open_cli_runtime(config) as rt:
        item = _queue(rt, pair).get(review_id)
    typer.echo(json.dumps(_item_dict(item), indent=2, default=str))


_BY = Annotated[str, typer.Option("--by", help="Who is acting (for the audit log).")]
_NOTE = Annotated[str, typer.Option("--note", help="Why (kept in the audit log).")]


def _default_by() -> str:
    try:
        return getpass.getuser()
    except OSError:  # no login name (some services)
        return "unknown"


@review_app.command("resolve")
def review_resolve(
    review_id: int,
    config: ConfigOpt = None,
    pair: PairOpt = None,
    vendor: Annotated[
        str | None,
        typer.Option(help="For vendor items: the Sage vendor to link, e.g. 00-FERGUSO."),
    ] = None,
    by: _BY = "",
    note: _NOTE = "",
) -> None:
    """The cause is fixed: re-queue the document (or link the vendor given)."""
    with open_cli_runtime(config) as rt:
        queue = _queue(rt, pair)
        if vendor is not None:
            queue.get(review_id)  # an unknown item is reported before Sage is asked
            _check_sage_vendor(rt, str(queue.pair), vendor)
        open_before = {i.id for i in queue.items() if i.id is not None}
        item = queue.resolve(review_id, by=by or _default_by(), note=note, vendor=vendor)
        also = sorted(open_before - {i.id for i in queue.items() if i.id is not None} - {item.id})
    typer.echo(f"review item {item.id} resolved; the next cycle picks the document up again")
    if also:
        typer.echo(f"also resolved, with the same vendor link: {', '.join(str(i) for i in also)}")


def _check_sage_vendor(rt: Runtime, pair: str, vendor: str) -> None:
    """A vendor typed by a person must be on file in Sage and active: otherwise every bill
    re-queued by the link would only come back rejected."""
    division, vendor_no = split_vendor(vendor, rt.config.pair(pair).sage100.ap_division)
    found = rt.pair(pair).sage.vendor(DivisionNo(division), SageVendorNo(vendor_no))
    if found is None:
        raise ReviewError(
            f"Sage vendor {division}-{vendor_no} is not on file in company "
            f"{rt.config.pair(pair).sage100.company}",
            hint="check the number in Vendor Maintenance (division-vendor, e.g. 00-FERGUSO)",
        )
    if found.status.upper() == "I":
        raise ReviewError(
            f"Sage vendor {division}-{vendor_no} ({found.name}) is inactive: Sage refuses "
            "invoices for it",
            hint="pick an active vendor, or make this one active in Vendor Maintenance first",
        )


@review_app.command("retry")
def review_retry(
    review_id: int, config: ConfigOpt = None, pair: PairOpt = None, by: _BY = "", note: _NOTE = ""
) -> None:
    """Try the document again as it is."""
    with open_cli_runtime(config) as rt:
        item = _queue(rt, pair).retry(review_id, by=by or _default_by(), note=note)
    typer.echo(f"review item {item.id} re-queued")


@review_app.command("ignore")
def review_ignore(
    review_id: int, config: ConfigOpt = None, pair: PairOpt = None, by: _BY = "", note: _NOTE = ""
) -> None:
    """Nothing to do: close the item (a document not written is recorded as skipped)."""
    with open_cli_runtime(config) as rt:
        item = _queue(rt, pair).ignore(review_id, by=by or _default_by(), note=note)
    typer.echo(f"review item {item.id} ignored")


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
    app.add_typer(review_app, name="review")
    app.command("audit")(audit)
    app.command("status")(status)
