"""The audit log exported for finance: CSV with stable columns, and JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from ml_connector.store.audit_export import CSV_COLUMNS, export_audit_csv, export_audit_json
from ml_connector.store.port import AuditEvent, DocKind, PairId
from ml_connector.store.sql import SqlStateStore

T0 = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
MAIN = PairId("main")


def _events(store: SqlStateStore) -> list[AuditEvent]:
    with store.transaction() as tx:
        run = tx.start_run(MAIN, T0, dry_run=False)
        tx.append_audit(
            AuditEvent(
                at=T0,
                pair=MAIN,
                action="written",
                doc_kind=DocKind.AP_BILL,
                doc_id=5012,
                run_id=run,
                message="AP bill 5012 written as 00-FERGUSO 0012345",
                details={"amount": Decimal("1234.50"), "lines": 2, "vendor": 'Müller, "AG"'},
            )
        )
        tx.append_audit(
            AuditEvent(
                at=(T0 + timedelta(minutes=1)).astimezone(timezone(timedelta(hours=-5))),
                pair=MAIN,
                action="review_resolved",
                actor='=HYPERLINK("http://x")',
                message="-5 lines\nsecond line",
            )
        )
    with store.transaction() as tx:
        return list(tx.iter_audit())


def test_csv_has_one_row_per_event_and_stable_columns(tmp_path: Path) -> None:
    store = SqlStateStore.open(f"sqlite:///{tmp_path / 'state.sqlite'}")
    events = _events(store)
    store.close()
    target = tmp_path / "audit.csv"
    with target.open("w", newline="", encoding="utf-8") as file:
        assert export_audit_csv(events, file) == 2
    with target.open(newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    assert rows[0] == list(CSV_COLUMNS)
    assert rows[0] == [
        "id", "at", "pair", "action", "actor", "doc_kind", "doc_id", "run_id", "message", "details"
    ]  # fmt: skip
    written, resolved = (dict(zip(rows[0], row, strict=True)) for row in rows[1:])
    assert written == {
        "id": str(events[0].id),
        "at": "2026-01-05T14:00:00.000000Z",
        "pair": "main",
        "action": "written",
        "actor": "ml-connector",
        "doc_kind": "ap_bill",
        "doc_id": "5012",
        "run_id": str(events[0].run_id),
        "message": "AP bill 5012 written as 00-FERGUSO 0012345",
        "details": '{"amount": "1234.50", "lines": 2, "vendor": "Müller, \\"AG\\""}',
    }
    assert json.loads(written["details"])["amount"] == "1234.50"
    assert resolved["at"] == "2026-01-05T14:01:00.000000Z"  # UTC, whatever went in
    assert resolved["doc_kind"] == resolved["doc_id"] == resolved["run_id"] == ""
    assert resolved["actor"] == '\'=HYPERLINK("http://x")'  # never run as a formula
    assert resolved["message"] == "'-5 lines\nsecond line"
    assert resolved["details"] == "{}"


def test_csv_of_no_events_is_the_header() -> None:
    out = io.StringIO()
    assert export_audit_csv([], out) == 0
    assert out.getvalue() == ",".join(CSV_COLUMNS) + "\r\n"


def test_json_export_reads_back(tmp_path: Path) -> None:
    store = SqlStateStore.open(f"sqlite:///{tmp_path / 'state.sqlite'}")
    events = _events(store)
    store.close()
    out = io.StringIO()
    assert export_audit_json(iter(events), out) == 2
    text = out.getvalue()
    assert text.count("\n") == 4  # "[", two events, "]"
    loaded = json.loads(text)
    assert [e["id"] for e in loaded] == [e.id for e in events]
    assert loaded[0]["details"] == {"amount": "1234.50", "lines": 2, "vendor": 'Müller, "AG"'}
    assert loaded[0]["at"] == "2026-01-05T14:00:00.000000Z"
    assert loaded[1]["actor"] == '=HYPERLINK("http://x")'  # JSON is data: kept verbatim
    assert loaded[1]["doc_kind"] is None
    assert set(loaded[0]) == set(CSV_COLUMNS)

    empty = io.StringIO()
    assert export_audit_json([], empty) == 0
    assert json.loads(empty.getvalue()) == []
