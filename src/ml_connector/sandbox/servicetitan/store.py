"""The sandbox's state: records as JSON blobs in one SQLite file, with indexed filter columns.

Each record is kept exactly as the API returns it (camelCase JSON), plus the columns the list
filters need (`active`, created/modified instants, `billType`, `syncStatus`, `status`) and a
`version` that grows by one on every change: the export feeds (`from`/`continueFrom`) read in
version order. The file survives restarts; the seed is written once, when the file is new.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

RESOURCES = (
    "ap-bills",
    "invoices",
    "gl-accounts",
    "vendors",
    "purchase-orders",
    "jobs",
    "job-types",
    "budget-codes",
    "business-units",
    "categories",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    resource TEXT NOT NULL,
    id INTEGER NOT NULL,
    active INTEGER NOT NULL,
    created_us INTEGER,
    modified_us INTEGER,
    bill_type TEXT,
    sync_status TEXT,
    status TEXT,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (resource, id)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# Created after a bulk load (building them once is much faster than maintaining them).
_INDEXES = """
-- Covers every filter column, so that paging (LIMIT/OFFSET) skips index entries, not bodies.
CREATE INDEX IF NOT EXISTS records_list ON records
    (resource, id, active, bill_type, sync_status, status, modified_us, created_us);
CREATE INDEX IF NOT EXISTS records_modified ON records (resource, modified_us);
CREATE INDEX IF NOT EXISTS records_version ON records (resource, version);
"""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_instant(text: str) -> datetime:
    """An ISO-8601 instant as UTC-aware datetime; no offset means UTC (ServiceTitan's habit)."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ", "+"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_micros(value: datetime) -> int:
    return (value - _EPOCH) // timedelta(microseconds=1)


def from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def format_instant(value: datetime) -> str:
    """The wire form of a timestamp: `2026-01-05T14:00:00.123456Z`."""
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def format_date(value: datetime) -> str:
    """The wire form of a date-only field: midnight UTC, `2026-01-05T00:00:00Z`."""
    return f"{value.date().isoformat()}T00:00:00Z"


def _micros_of(body: dict[str, Any], key: str) -> int | None:
    text = body.get(key)
    return to_micros(parse_instant(text)) if isinstance(text, str) and text else None


def _row(resource: str, body: dict[str, Any], version: int) -> tuple[Any, ...]:
    return (
        resource,
        int(body["id"]),
        0 if body.get("active") is False else 1,
        _micros_of(body, "createdOn"),
        _micros_of(body, "modifiedOn"),
        body.get("billType"),
        body.get("syncStatus"),
        body.get("status") if isinstance(body.get("status"), str) else body.get("jobStatus"),
        version,
        json.dumps(body, separators=(",", ":")),
    )


@dataclass(frozen=True, slots=True)
class Query:
    """What a list endpoint asks of the store; `None` means "no filter"."""

    ids: Sequence[int] | None = None
    active: bool | None = True
    modified_on_or_after: int | None = None
    modified_before: int | None = None
    created_on_or_after: int | None = None
    created_before: int | None = None
    bill_types: Sequence[str] | None = None
    sync_statuses: Sequence[str] | None = None
    statuses: Sequence[str] | None = None
    descending: bool = False
    order_by: str = "id"
    extra: list[tuple[str, list[Any]]] = field(default_factory=list)


class RecordStore:
    """Records of every resource of one tenant, in one SQLite file (thread safe)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        if self.meta("seeded") is not None:
            self._db.executescript(_INDEXES)
        row = self._db.execute("SELECT max(version) FROM records").fetchone()
        self._version = int(row[0] or 0)

    @classmethod
    def open(cls, state_dir: Path) -> RecordStore:
        return cls(state_dir / "servicetitan-sandbox.sqlite")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- meta -------------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def ensure_indexes(self) -> None:
        with self._lock:
            self._db.executescript(_INDEXES)

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- writes -----------------------------------------------------------------------------

    def load(self, pairs: Iterable[tuple[str, dict[str, Any]]], batch: int = 2000) -> int:
        """Bulk insert `(resource, body)` pairs as-is (seeding, `--data`, in one transaction).

        `modifiedOn` is kept; versions follow the order given (the export feeds' order).
        """
        count = 0
        with self._lock:
            # A bulk load fills a new file: no fsync until it is done (a crash leaves the file
            # unseeded, and seeding again rewrites the same deterministic records).
            self._db.execute("PRAGMA synchronous=OFF")
            self._db.execute("BEGIN")
            try:
                rows: list[tuple[Any, ...]] = []
                for resource, body in pairs:
                    self._version += 1
                    rows.append(_row(resource, body, self._version))
                    if len(rows) >= batch:
                        self._insert(rows)
                        count += len(rows)
                        rows = []
                self._insert(rows)
                count += len(rows)
                self._db.execute("COMMIT")
                self._db.executescript(_INDEXES)
                self._db.execute("PRAGMA synchronous=NORMAL")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return count

    def _insert(self, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self._db.executemany(
                "INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
            )

    def save(self, resource: str, bodies: Iterable[dict[str, Any]], now: datetime) -> list[int]:
        """Insert or replace records as a change: each gets a fresh `modifiedOn` and version.

        `modifiedOn` is `now`, or one microsecond after the record's previous value when the
        clock has not moved past it, so that every change is visible to `modifiedOnOrAfter`.
        """
        ids: list[int] = []
        with self._lock:
            self._db.execute("BEGIN")
            try:
                for body in bodies:
                    previous = self._db.execute(
                        "SELECT modified_us FROM records WHERE resource = ? AND id = ?",
                        (resource, int(body["id"])),
                    ).fetchone()
                    stamp = to_micros(now)
                    if previous is not None and previous[0] is not None:
                        stamp = max(stamp, int(previous[0]) + 1)
                    body["modifiedOn"] = format_instant(from_micros(stamp))
                    body.setdefault("createdOn", body["modifiedOn"])
                    self._version += 1
                    self._insert([_row(resource, body, self._version)])
                    ids.append(int(body["id"]))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return ids

    def next_id(self, resource: str, floor: int) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT max(id) FROM records WHERE resource = ?", (resource,)
            ).fetchone()
        return max(int(row[0] or 0) + 1, floor)

    # -- reads ------------------------------------------------------------------------------

    def get(self, resource: str, record_id: int) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM records WHERE resource = ? AND id = ?", (resource, record_id)
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def count(self, resource: str) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT count(*) FROM records WHERE resource = ?", (resource,)
            ).fetchone()
        return int(row[0])

    def _where(self, resource: str, query: Query) -> tuple[str, list[Any]]:
        clauses = ["resource = ?"]
        params: list[Any] = [resource]
        if query.ids is not None:
            clauses.append(f"id IN ({','.join('?' * len(query.ids))})")
            params.extend(query.ids)
        if query.active is not None:
            clauses.append("active = ?")
            params.append(1 if query.active else 0)
        for column, op, value in (
            ("modified_us", ">=", query.modified_on_or_after),
            ("modified_us", "<", query.modified_before),
            ("created_us", ">=", query.created_on_or_after),
            ("created_us", "<", query.created_before),
        ):
            if value is not None:
                clauses.append(f"{column} {op} ?")
                params.append(value)
        for column, values in (
            ("bill_type", query.bill_types),
            ("sync_status", query.sync_statuses),
            ("status", query.statuses),
        ):
            if values is not None:
                clauses.append(f"{column} IN ({','.join('?' * len(values))})")
                params.extend(values)
        for clause, values in query.extra:
            clauses.append(clause)
            params.extend(values)
        return " AND ".join(clauses), params

    def page(
        self, resource: str, query: Query, *, page: int, page_size: int, with_total: bool
    ) -> tuple[list[str], bool, int | None]:
        """One page of raw JSON bodies, whether more follow, and the total when asked."""
        where, params = self._where(resource, query)
        order = {"id": "id", "modifiedOn": "modified_us", "createdOn": "created_us"}[query.order_by]
        direction = "DESC" if query.descending else "ASC"
        # Ids first, from the covering index (skipping the offset reads no bodies), then the
        # bodies of one page. Filters on the body (`extra`) need the table itself.
        source = "records" if query.extra else "records INDEXED BY records_list"
        sql = (
            f"SELECT id FROM {source} WHERE {where}"  # noqa: S608 - fixed names, values bound
            f" ORDER BY {order} {direction}, id {direction} LIMIT ? OFFSET ?"
        )
        with self._lock:
            ids = [
                int(r[0])
                for r in self._db.execute(
                    sql, [*params, page_size + 1, (page - 1) * page_size]
                ).fetchall()
            ]
            wanted = ids[:page_size]
            marks = ",".join("?" * len(wanted))
            found: dict[int, str] = {}
            if wanted:
                found = dict(
                    self._db.execute(
                        "SELECT id, body FROM records"  # noqa: S608 - placeholders only
                        f" WHERE resource = ? AND id IN ({marks})",
                        [resource, *wanted],
                    ).fetchall()
                )
            total = None
            if with_total:
                total = int(
                    self._db.execute(
                        f"SELECT count(*) FROM {source} WHERE {where}",  # noqa: S608 - as above
                        params,
                    ).fetchone()[0]
                )
        return [str(found[i]) for i in wanted], len(ids) > page_size, total

    def scan(self, resource: str, query: Query) -> Iterator[dict[str, Any]]:
        """Every matching record, decoded, in id order (small resources only)."""
        where, params = self._where(resource, query)
        with self._lock:
            rows = self._db.execute(
                f"SELECT body FROM records WHERE {where} ORDER BY id",  # noqa: S608 - as above
                params,
            ).fetchall()
        for row in rows:
            yield dict(json.loads(row[0]))

    def export(self, resource: str, after_version: int, limit: int) -> tuple[list[str], int, bool]:
        """Records changed after a version (the export feed), oldest change first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT body, version FROM records WHERE resource = ? AND version > ?"
                " ORDER BY version LIMIT ?",
                (resource, after_version, limit + 1),
            ).fetchall()
        chunk = rows[:limit]
        last = int(chunk[-1][1]) if chunk else after_version
        return [str(r[0]) for r in chunk], last, len(rows) > limit

    def version_at(self, resource: str, instant_us: int) -> int:
        """The last version of records modified before an instant (export `from=<date>`)."""
        with self._lock:
            row = self._db.execute(
                "SELECT min(version) FROM records WHERE resource = ? AND modified_us >= ?",
                (resource, instant_us),
            ).fetchone()
        if row[0] is None:
            return self._version
        return int(row[0]) - 1
