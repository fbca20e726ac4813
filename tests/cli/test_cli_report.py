"""The cycle report a person reads: short by default (a few rows per section, where the
rest is listed, within the terminal's width), every row with `--all`."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal

from rich.console import Console

from ml_connector.app.cli.report import SHORT_ROWS, print_cycle_report
from ml_connector.store.port import DocKind, PairId
from ml_connector.sync.summary import CycleSummary, DocumentOutcome, Outcome

WHEN = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
WHY = (
    "ServiceTitan vendor 'Johnstone Supply' (612) could not be matched safely: No Sage vendor "
    "has this name. The closest, 00-JOHNSTO 'Johnstone Supply - Columbus', scores 72: too "
    "far to link without a person."
)


def _summary() -> CycleSummary:
    written = [
        DocumentOutcome(
            DocKind.AP_BILL,
            100 + n,
            f"R{n}",
            Outcome.WRITTEN,
            f"written as 00-X R{n}",
            "00-X",
            f"R{n}",
            Decimal("10.00"),
        )
        for n in range(20)
    ]
    review = [
        DocumentOutcome(DocKind.AP_BILL, 200 + n, f"V{n}", Outcome.REVIEW, WHY, amount=Decimal(1))
        for n in range(30)
    ]
    return CycleSummary(
        pair=PairId("main"),
        run_id=1,
        dry_run=False,
        started_at=WHEN,
        finished_at=WHEN,
        written=20,
        sent_to_review=30,
        outcomes=(*written, *review),
    )


def _report(max_rows: int | None) -> str:
    out = io.StringIO()
    print_cycle_report(Console(file=out, width=100), _summary(), max_rows=max_rows)
    return out.getvalue()


def test_the_short_report_cuts_each_section_and_says_where_the_rest_is() -> None:
    text = _report(SHORT_ROWS)
    assert max(len(line) for line in text.splitlines()) <= 100
    assert text.count("AP bill 1") == SHORT_ROWS  # written rows
    assert text.count("AP bill 2") == SHORT_ROWS  # review rows
    assert f"... and {20 - SHORT_ROWS} more (`ml-connector audit` lists every one" in text
    assert f"... and {30 - SHORT_ROWS} more (`ml-connector review list`" in text
    assert "written as" not in text  # a write's why only repeats its columns
    assert "too far to link" not in text  # a long why is shortened; review list has it whole


def test_all_lists_every_row_with_its_whole_why() -> None:
    text = _report(None)
    assert text.count("AP bill 1") == 20
    assert text.count("AP bill 2") == 30
    assert "more (" not in text
    assert "link without a person" in " ".join(text.replace("│", " ").split())
