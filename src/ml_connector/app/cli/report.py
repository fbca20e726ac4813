"""What a cycle did, in words a controller reads (and as one JSON object)."""

from __future__ import annotations

import textwrap
from collections import defaultdict
from typing import Any

from rich.console import Console
from rich.table import Table

from ml_connector.sync.summary import CycleSummary, DocumentOutcome, Outcome

_SECTIONS: tuple[tuple[str, frozenset[Outcome]], ...] = (
    ("Written to Sage 100", frozenset({Outcome.WRITTEN, Outcome.RECOVERED})),
    ("Would be written (dry run)", frozenset({Outcome.WOULD_WRITE})),
    ("Skipped: already in Sage 100", frozenset({Outcome.ALREADY_IN_SAGE})),
    (
        "Sent to review",
        frozenset({Outcome.SUSPECTED_DUPLICATE, Outcome.CHANGED_AFTER_EXPORT, Outcome.REVIEW}),
    ),
    ("Will be retried next cycle", frozenset({Outcome.RETRY})),
    ("Not for Sage (canceled, nothing to write)", frozenset({Outcome.SKIPPED})),
)


# The engine's why of a plain write repeats the vendor, invoice and amount columns.
_SELF_EXPLAINED = frozenset({Outcome.WRITTEN, Outcome.WOULD_WRITE})
SHORT_WHY = 110  # characters of a why in a short report (the audit log keeps it whole)


def _row(o: DocumentOutcome, *, short: bool) -> list[str]:
    why = "" if o.outcome in _SELF_EXPLAINED else o.reason
    if short:
        why = textwrap.shorten(why, SHORT_WHY, placeholder=" ...")
    return [
        o.label,
        o.vendor,
        o.invoice_no,
        "" if o.amount is None else f"{o.amount:,.2f}",
        why,
    ]


# Where the rows a short report leaves out are listed in full.
_ACTION_SECTIONS = frozenset({"Sent to review", "Will be retried next cycle"})
SHORT_ROWS = 8  # rows per section in a short report (`--all`: every row)


def print_cycle_report(
    console: Console, summary: CycleSummary, *, max_rows: int | None = SHORT_ROWS
) -> None:
    """The cycle in words and one table per kind of outcome; each table cut to `max_rows`
    (None: every row), saying how many more and where they are listed."""
    # In a dry run the engine counts what it *would* write or create.
    would = "would be " if summary.dry_run else ""
    kind = " (dry run: nothing was written)" if summary.dry_run else ""
    console.print(
        f"\n[bold]Pair {summary.pair}[/bold], run {summary.run_id}{kind}: "
        f"{summary.written} {would}written, {summary.already_in_sage} already in Sage, "
        f"{summary.sent_to_review} {would}sent to review "
        f"({summary.suspected_duplicates} suspected duplicates), {summary.failed} to retry, "
        f"{summary.skipped} skipped; vendors: {summary.vendors_linked} {would}linked, "
        f"{summary.vendors_created} {would}created"
    )
    grouped: dict[str, list[DocumentOutcome]] = defaultdict(list)
    for outcome in summary.outcomes:
        for title, members in _SECTIONS:
            if outcome.outcome in members:
                grouped[title].append(outcome)
    for title, _ in _SECTIONS:
        rows = grouped.get(title)
        if not rows:
            continue
        shown = rows if max_rows is None else rows[:max_rows]
        cells = [_row(o, short=max_rows is not None) for o in shown]
        columns = ["document", "Sage vendor", "Sage invoice", "amount", "why"]
        if not any(row[-1] for row in cells):
            columns, cells = columns[:-1], [row[:-1] for row in cells]
        table = Table(title=f"{title} ({len(rows)})", title_justify="left", expand=False)
        for col in columns:
            table.add_column(col, overflow="fold", justify="right" if col == "amount" else "left")
        for row in cells:
            table.add_row(*row)
        console.print(table)
        if len(shown) < len(rows):
            where = (
                "`ml-connector review list` lists every item, with what to do"
                if title in _ACTION_SECTIONS
                else "`ml-connector audit` lists every one"
            )
            console.print(f"... and {len(rows) - len(shown)} more ({where}; --all shows them here)")
    if summary.outcomes_left_out:
        console.print(
            f"... and {summary.outcomes_left_out} more documents handled after these (counted "
            "above; `ml-connector review list` and `ml-connector audit` list every one)"
        )
    for error in summary.errors:
        console.print(f"[red]problem:[/red] {error}")


_COUNTS = (
    "written",
    "already_in_sage",
    "suspected_duplicates",
    "sent_to_review",
    "failed",
    "skipped",
    "vendors_linked",
    "vendors_created",
    "exports_marked",
)


def summary_totals(summaries: list[CycleSummary], failed: list[str]) -> dict[str, Any]:
    """One object: totals over the pairs, the run id(s), and each pair's summary.

    `failed` holds a line per pair that could not run at all; `completed` is true only
    when every cycle ran in full (review items do not count against it). The totals count
    what was done: a dry run's would-be writes are `would_write` (its own per-pair summary,
    under `pairs`, counts them as `written`, as the engine does)."""
    real = [s for s in summaries if not s.dry_run]
    totals: dict[str, Any] = {k: sum(getattr(s, k) for s in real) for k in _COUNTS}
    # A dry run wrote nothing: what it would have done is counted apart.
    totals["would_write"] = sum(s.written for s in summaries if s.dry_run)
    totals["would_create_vendors"] = sum(s.vendors_created for s in summaries if s.dry_run)
    totals["run_id"] = summaries[0].run_id if len(summaries) == 1 else None
    totals["run_ids"] = {s.pair: s.run_id for s in summaries}
    totals["dry_run"] = any(s.dry_run for s in summaries)
    totals["completed"] = not failed and not any(s.errors for s in summaries)
    totals["errors"] = failed + [e for s in summaries for e in s.errors]
    totals["pairs"] = {s.pair: s.as_dict() for s in summaries}
    return totals
