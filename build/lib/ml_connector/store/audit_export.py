"""The audit log as files for finance: CSV (one row per event) and JSON.

CSV columns, in this order, always present: id, at, pair, action, actor, doc_kind, doc_id,
run_id, message, details. `at` is ISO 8601 in UTC with a Z ("2026-01-05T14:00:00.000000Z"),
`details` is JSON text with sorted keys (amounts as strings such as "12.50"), empty
values are empty cells. Text cells that a spreadsheet would run as a formula (starting
with = + - @ or a tab) get a leading apostrophe, the usual guard against CSV injection:
vendor names and messages come from outside.

JSON: an array of objects with the same keys, one event per line; `details` is an object.

Open the CSV file with `newline=""` (the csv module writes its own line ends) and
`encoding="utf-8"`; both functions return how many events they wrote.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

from ml_connector.store.coltypes import to_json_object
from ml_connector.store.port import AuditEvent

CSV_COLUMNS = (
    "id",
    "at",
    "pair",
    "action",
    "actor",
    "doc_kind",
    "doc_id",
    "run_id",
    "message",
    "details",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _utc_text(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _event_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": _utc_text(event.at),
        "pair": str(event.pair),
        "action": event.action,
        "actor": event.actor,
        "doc_kind": event.doc_kind.value if event.doc_kind else None,
        "doc_id": event.doc_id,
        "run_id": event.run_id,
        "message": event.message,
        "details": to_json_object(event.details),
    }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    text = str(value)
    if isinstance(value, str) and text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def export_audit_csv(events: Iterable[AuditEvent], file: TextIO) -> int:
    """Write `events` as CSV with a header row; returns the number of events."""
    writer = csv.writer(file, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for event in events:
        fields = _event_fields(event)
        writer.writerow([_cell(fields[column]) for column in CSV_COLUMNS])
        count += 1
    return count


def export_audit_json(events: Iterable[AuditEvent], file: TextIO) -> int:
    """Write `events` as a JSON array, one event per line; returns the number of events."""
    count = 0
    file.write("[")
    for event in events:
        file.write(",\n" if count else "\n")
        file.write(json.dumps(_event_fields(event), sort_keys=True, ensure_ascii=False))
        count += 1
    file.write("\n]\n" if count else "]\n")
    return count
