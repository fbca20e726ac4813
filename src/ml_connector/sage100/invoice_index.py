"""The per-session index of AP invoice numbers, by reference key, for duplicate lookups.

`find_invoices_by_reference` must find an invoice keyed by hand under any vendor, in
entry, open invoices or history, and must stay fast against 100,000 history rows. One
`nGetResultSets` per table fills the index when the session first needs it; afterwards a
refresh (at most every `reference_index_max_age_seconds`) re-reads data entry whole and
only the open and history rows stamped on or after the newest stamp already seen. Data
entry is small in daily use (unposted invoices) but holds every invoice a backfill writes
until someone posts them, so a re-read is cut into slices of about
`reference_index_slice_rows` rows by invoice number, where the index's own entry rows say
(`InvoiceIndex.boundaries`); entry rows no slice returned are forgotten (mark and sweep),
so a result set, and the memory it takes, does not grow with data entry. The index is
rebuilt from scratch every `reference_index_rebuild_seconds` (in slices cut where the old
index says) and with every new session, which also forgets rows deleted in Sage. Invoices
the adapter writes are added at once. Each row is filed under every key of its invoice
number (`references.reference_keys`: strong and loose).

The same index answers the exact-key lookup before a first write (`holds_key`), when its
open and history rows were read at most `KEY_FRESH_SECONDS` ago (`fresh_for_keys`
refreshes just those two tables, from the day before the newest day seen): a key it does
not hold is not in open or history, and not in data entry as of the last entry read; what
was keyed in data entry since is refused by the write's `nSetKey` (2 = new, confirmed BOI
behaviour). A key it holds is looked up exactly (`boi_reads.find_invoice`) for the
details. History is read whole here, so its key order (S3 in reference/sage100-live.md)
does not matter.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from decimal import Decimal

import structlog

from ml_connector.sage100.boi_reads import invoice_object, sage_money
from ml_connector.sage100.boi_session import BoiSession
from ml_connector.sage100.changestamp import format_sage_date, parse_sage_date
from ml_connector.sage100.port import (
    ApInvoiceKey,
    DivisionNo,
    ExistingInvoice,
    InvoiceWhere,
    SageInvoiceNo,
    SageVendorNo,
)
from ml_connector.sage100.references import reference_keys
from ml_connector.sage100.resultsets import all_of, any_of, iter_tuples, quote, read_values

log = structlog.get_logger(__name__)

_CACHE_KEY = "invoice_index"
_ORDER = {"entry": 0, "open": 1, "history": 2}

# One indexed row: where, division, vendor, invoice number, amount (text), invoice date (text).
IndexRow = tuple[str, str, str, str, str, str]
RowId = tuple[str, str, str, str, str]  # where, division, vendor, invoice, history sequence


_SCHEMA = (
    "CREATE TABLE row (id INTEGER PRIMARY KEY, src TEXT NOT NULL, div TEXT NOT NULL, "
    "vendor TEXT NOT NULL, invoice TEXT NOT NULL, seq TEXT NOT NULL, amount TEXT NOT NULL, "
    "day TEXT NOT NULL, gen INTEGER NOT NULL, UNIQUE (src, div, vendor, invoice, seq))",
    "CREATE TABLE ref (ref TEXT NOT NULL, row INTEGER NOT NULL, PRIMARY KEY (ref, row)) "
    "WITHOUT ROWID",
    "CREATE INDEX ref_row ON ref (row)",
    "CREATE INDEX row_key ON row (invoice, vendor, div)",
)


class InvoiceIndex:
    """Rows by normalised invoice number; each row remembered by its identity.

    The rows live in a private SQLite database in a temporary file (deleted when the index
    is let go): 100,000 history rows plus every invoice a backfill writes cost the process
    a few MB of page cache, not a Python object per row. `ExistingInvoice` values are made
    only for the hits of a lookup. Used from the BOI thread only.
    """

    def __init__(self, built_at: float, refreshed_at: float, posted_at: float = 0.0) -> None:
        self.built_at = built_at
        self.refreshed_at = refreshed_at
        self.posted_at = posted_at  # monotonic time of the last read of open and history
        self.newest_day: dict[str, str] = {}  # YYYYMMDD, per table
        self._gen = 0  # the read a row was last seen in (a refresh of entry sweeps the rest)
        # "" = a temporary file of SQLite's own, removed on close; the page cache is bounded
        self._db = sqlite3.connect("", check_same_thread=False, isolation_level=None)
        # 1 MiB: filled at a few thousand rows already, so that the process's peak is the
        # same at 20,000 and 100,000 bills (4 MiB filled only past 50,000 rows); a lookup
        # reads its few pages from the OS cache instead, microseconds
        self._db.execute("PRAGMA cache_size=-1024")  # KiB
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        for statement in _SCHEMA:
            self._db.execute(statement)

    def close(self) -> None:
        self._db.close()

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM row").fetchone()[0])

    @property
    def entries(self) -> list[RowId]:
        """The rows of data entry (re-read whole by a refresh)."""
        return list(
            self._db.execute("SELECT src, div, vendor, invoice, seq FROM row WHERE src='entry'")
        )

    def put(self, row_id: RowId, row: IndexRow) -> None:
        self._put_many([(row_id, row)])

    def _put_many(self, items: Iterable[tuple[RowId, IndexRow]]) -> None:
        db = self._db
        db.execute("BEGIN")
        try:
            for row_id, row in items:
                found = db.execute(
                    "SELECT id FROM row WHERE src=? AND div=? AND vendor=? AND invoice=? AND seq=?",
                    row_id,
                ).fetchone()
                if found is not None:  # same identity, same number: the keys stay
                    db.execute(
                        "UPDATE row SET amount=?, day=?, gen=? WHERE id=?",
                        (row[4], row[5], self._gen, found[0]),
                    )
                    continue
                cur = db.execute(
                    "INSERT INTO row (src, div, vendor, invoice, seq, amount, day, gen) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (*row_id, row[4], row[5], self._gen),
                )
                db.executemany(
                    "INSERT OR IGNORE INTO ref (ref, row) VALUES (?, ?)",
                    [(ref, cur.lastrowid) for ref in reference_keys(row[3]).all],
                )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def drop(self, row_id: RowId) -> None:
        self._drop_where("src=? AND div=? AND vendor=? AND invoice=? AND seq=?", row_id)

    def begin_sweep(self) -> None:
        """Start a read of data entry: rows it loads are marked as seen in it."""
        self._gen += 1

    def sweep_entries(self) -> None:
        """After a whole read of data entry: forget the entry rows it did not see."""
        self._drop_where("src='entry' AND gen<>?", (self._gen,))

    def boundaries(self, where: InvoiceWhere, every: int) -> list[str]:
        """Invoice numbers that split this table's rows, as the index holds them, into
        slices of about `every` rows (none when it holds fewer): where a re-read of the
        table is cut into several reads, so that no one result set grows with the table."""
        cut = self._db.execute(
            "SELECT invoice FROM (SELECT invoice, ROW_NUMBER() OVER (ORDER BY invoice) AS n "
            "FROM row WHERE src=?) WHERE n % ? = 0",
            (where, max(1, every)),
        )
        found: list[str] = []
        for (invoice,) in cut:
            if (not found or invoice != found[-1]) and _quotable(invoice):
                found.append(invoice)
        return found

    def _drop_where(self, condition: str, params: tuple[object, ...]) -> None:
        db = self._db
        db.execute("BEGIN")
        try:
            db.execute(
                f"DELETE FROM ref WHERE row IN (SELECT id FROM row WHERE {condition})",  # noqa: S608 -- our own fixed conditions
                params,
            )
            db.execute(f"DELETE FROM row WHERE {condition}", params)  # noqa: S608 -- as above
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def holds_key(self, division: str, vendor: str, invoice_no: str) -> bool:
        """Whether any row (entry, open or history) has exactly this key."""
        found = self._db.execute(
            "SELECT 1 FROM row WHERE invoice=? AND vendor=? AND div=? LIMIT 1",
            (invoice_no, vendor, division),
        ).fetchone()
        return found is not None

    def load(self, where: InvoiceWhere, records: Iterable[list[str]]) -> None:
        """Records of `index_columns(where)`, as parsed from the result set."""
        history = where == "history"
        newest = [self.newest_day.get(where, "")]

        def rows() -> Iterator[tuple[RowId, IndexRow]]:
            for f in records:
                div, vendor, number = f[0].rstrip(), f[1].rstrip(), f[2].rstrip()
                seq = f[7].rstrip() if history else ""
                newest[0] = max(newest[0], f[5].strip(), f[6].strip())
                yield (where, div, vendor, number, seq), (where, div, vendor, number, f[4], f[3])

        self._put_many(rows())
        self.newest_day[where] = newest[0]

    def lookup(self, reference: str, amount: Decimal | None) -> list[ExistingInvoice]:
        """Invoices whose number shares a key (strong or loose) with `reference` and, unless
        `amount` is None, whose amount equals `amount`.

        History rows of one invoice are added up; an invoice matches when its total or any
        one of its rows equals the amount (an adjustment must not hide the original).
        """
        refs = sorted(reference_keys(reference).all)
        if not refs:
            return []
        marks = ", ".join("?" * len(refs))
        bucket = self._db.execute(
            "SELECT DISTINCT row.id, src, div, vendor, invoice, amount, day FROM ref "  # noqa: S608 -- placeholders only
            f"JOIN row ON row.id = ref.row WHERE ref.ref IN ({marks})",
            refs,
        ).fetchall()
        totals: dict[tuple[str, str, str, str], Decimal] = {}
        first: dict[tuple[str, str, str, str], tuple[str, ...]] = {}
        single: set[tuple[str, str, str, str]] = set()
        for _, src, div, vendor, number, money, day in bucket:
            k = (src, div, vendor, number)
            value = sage_money(money, source="reference index")
            totals[k] = totals.get(k, Decimal("0.00")) + value
            first.setdefault(k, (day,))
            if value == amount:
                single.add(k)
        hits = [
            ExistingInvoice(
                key=ApInvoiceKey(DivisionNo(k[1]), SageVendorNo(k[2]), SageInvoiceNo(k[3])),
                where=k[0],  # type: ignore[arg-type]  # one of entry/open/history
                invoice_date=parse_sage_date(first[k][0]),
                amount=total,
            )
            for k, total in totals.items()
            if amount is None or total == amount or k in single
        ]
        return sorted(hits, key=lambda i: (_ORDER[i.where], i.key))


def _quotable(text: str) -> bool:
    try:
        quote(text)
    except ValueError:
        return False
    return True


def index_columns(s: BoiSession, where: InvoiceWhere) -> list[str]:
    c = s.settings.columns
    amount = {
        "entry": c.invoice_amount,
        "open": c.open_invoice_amount,
        "history": c.history_invoice_amount,
    }[where]
    cols = ["APDivisionNo$", "VendorNo$", "InvoiceNo$", "InvoiceDate$", amount]
    cols += ["DateUpdated$", "DateCreated$"]
    return [*cols, "HeaderSeqNo$"] if where == "history" else cols


def _read(
    s: BoiSession,
    where: InvoiceWhere,
    since_day: str = "",
    invoices: tuple[str, str] = ("", ""),
) -> Iterator[list[str]]:
    """One result set: the rows stamped on or after `since_day` (all when ""), with an
    invoice number from `invoices[0]` (inclusive) to `invoices[1]` (exclusive); an empty
    bound is open."""
    cols = index_columns(s, where)
    name = invoice_object(s, where)
    source = f"{name.removesuffix('#lookup')} ({where})"
    low, high = invoices
    filter_expr = all_of(
        any_of(f"DateUpdated$>={quote(since_day)}", f"DateCreated$>={quote(since_day)}")
        if since_day
        else "",
        f"InvoiceNo$>={quote(low)}" if low else "",
        f"InvoiceNo$<{quote(high)}" if high else "",
    )
    values = read_values(
        s.obj(name),
        cols,
        key_column="APDivisionNo$+VendorNo$+InvoiceNo$",
        source=source,
        filter_expr=filter_expr,
    )
    return iter_tuples(values, cols, source=source)


def _slices(cuts: list[str]) -> list[tuple[str, str]]:
    """Consecutive invoice-number ranges, open at both ends, that together hold every
    invoice number whatever the order of `cuts` (a number lies in the range that ends at
    the first cut above it); one open range when there are no cuts."""
    return list(zip(["", *cuts], [*cuts, ""], strict=True))


def _load_sliced(
    s: BoiSession, index: InvoiceIndex, where: InvoiceWhere, cuts: list[str], since_day: str = ""
) -> None:
    for invoices in _slices(cuts):
        index.load(where, _read(s, where, since_day=since_day, invoices=invoices))


def build(s: BoiSession, previous: InvoiceIndex | None = None) -> InvoiceIndex:
    """A new index, each table read whole; in slices where the `previous` index (that of
    a rebuild) held more than `reference_index_slice_rows` rows of it."""
    every = s.settings.reference_index_slice_rows
    tables: tuple[InvoiceWhere, ...] = ("entry", "open", "history")
    cuts = {w: previous.boundaries(w, every) if previous is not None else [] for w in tables}
    if previous is not None:
        previous.close()
    now = s.clock.monotonic()
    index = InvoiceIndex(built_at=now, refreshed_at=now, posted_at=now)
    for where in tables:
        _load_sliced(s, index, where, cuts[where])
    log.info("sage_invoice_index_built", rows=len(index), session=s.serial)
    return index


def refresh(s: BoiSession, index: InvoiceIndex) -> None:
    """Data entry whole, in slices of about `reference_index_slice_rows` rows cut where
    the index's own entry rows say (entry rows no slice returned are forgotten); open and
    history from the newest day seen."""
    cuts = index.boundaries("entry", s.settings.reference_index_slice_rows)
    index.begin_sweep()
    _load_sliced(s, index, "entry", cuts)
    index.sweep_entries()
    _refresh_posted(s, index)
    index.refreshed_at = index.posted_at


def _day_before(day: str) -> str:
    """YYYYMMDD one day earlier ("" stays ""): a stamp from a clock a little behind."""
    if not day:
        return ""
    try:
        return (
            date.fromisoformat(f"{day[:4]}-{day[4:6]}-{day[6:8]}") - timedelta(days=1)
        ).strftime("%Y%m%d")
    except ValueError:
        return ""  # not a date: read the table whole


def _refresh_posted(s: BoiSession, index: InvoiceIndex) -> None:
    """Open and history rows stamped on or after the day before the newest day seen."""
    started = s.clock.monotonic()
    for where in ("open", "history"):
        since = _day_before(index.newest_day.get(where, ""))
        index.load(where, _read(s, where, since_day=since))
    index.posted_at = started


# How old the index's open and history rows may be when it answers an exact-key lookup:
# the same gap the write already allows between the engine's lookup and its own
# (`boi_writes.LOOKUP_FRESH_SECONDS`).
KEY_FRESH_SECONDS = 5.0


def fresh_for_keys(s: BoiSession) -> InvoiceIndex:
    """The session's index with open and history read at most `KEY_FRESH_SECONDS` ago."""
    index = current(s)
    if s.clock.monotonic() - index.posted_at > KEY_FRESH_SECONDS:
        _refresh_posted(s, index)
    return index


def index_ready_until(s: BoiSession, index: InvoiceIndex) -> float:
    """The monotonic time at which `current` will next have work for `index` (a refresh
    or a rebuild)."""
    settings = s.settings
    return min(
        index.built_at + settings.reference_index_rebuild_seconds,
        index.refreshed_at + settings.reference_index_max_age_seconds,
    )


def current(s: BoiSession) -> InvoiceIndex:
    """The session's index, built or refreshed as its age requires."""
    index: InvoiceIndex | None = s.cache.get(_CACHE_KEY)
    now = s.clock.monotonic()
    settings = s.settings
    if index is None or now - index.built_at >= settings.reference_index_rebuild_seconds:
        s.cache.pop(_CACHE_KEY, None)
        index = build(s, previous=index)
        s.cache[_CACHE_KEY] = index
    elif now - index.refreshed_at >= settings.reference_index_max_age_seconds:
        refresh(s, index)
    return index


def note_written(s: BoiSession, invoice: ExistingInvoice) -> None:
    """Add an invoice the adapter just wrote, so the next lookup sees it without a refresh."""
    index: InvoiceIndex | None = s.cache.get(_CACHE_KEY)
    if index is not None:
        k = invoice.key
        day = format_sage_date(invoice.invoice_date) if invoice.invoice_date else ""
        row = ("entry", k.division_no, k.vendor_no, k.invoice_no, str(invoice.amount), day)
        index.put(("entry", k.division_no, k.vendor_no, k.invoice_no, ""), row)
