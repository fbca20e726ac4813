"""`SqlStateStore`: the StateStore port on SQLAlchemy, SQLite by default or PostgreSQL.

    store = SqlStateStore.open("sqlite:///C:/ProgramData/ml-connector/state.sqlite")
    with store.transaction() as tx:
        tx.put_ledger(...)
        tx.append_audit(...)      # both commit together, or neither

SQLite connections are set up for a ledger that is the exactly-once record:
- `journal_mode=WAL`: readers (status screen, dashboard) never block the writer. The
  switch is made once per file, when it is new, and is retried while another connection
  makes it (`_switch_to_wal`): SQLite does not queue it on the busy timeout.
- `synchronous=FULL`: a committed transaction survives a power cut, not only a crash of
  the process. NORMAL in WAL mode may lose the last commits on power loss; losing a
  "written" row means the next cycle finds the invoice in Sage and treats it as "already
  in Sage" (safe, but the audit trail loses our write), so we pay the extra fsync.
- `foreign_keys=ON`, and `busy_timeout` so a second writer waits instead of failing.
- Every transaction starts with `BEGIN IMMEDIATE`: it takes the write lock up front, so two
  writers queue on the busy timeout instead of one failing with "database is locked" when
  it tries to upgrade a read lock (which SQLite refuses without waiting).

Do not nest `transaction()` blocks on one SQLite store: the inner one would wait for the
outer one's write lock until the busy timeout.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from ml_connector.clock import Clock, SystemClock
from ml_connector.errors import ConfigError, StoreError
from ml_connector.store import lease_sql
from ml_connector.store.batch import DEFAULT_MAX_SECONDS, SqlStateBatch, driver_statement
from ml_connector.store.browse_sql import SqlBrowseTx
from ml_connector.store.migrate import upgrade_to_head
from ml_connector.store.port import PairId, PairLease, StateBatch, StateStore, StateTx
from ml_connector.store.translate import redact_url, translate, translated
from ml_connector.store.tx import SqlStateTx

DEFAULT_BUSY_TIMEOUT = 30.0  # seconds a writer waits for another writer's lock


def _sqlite_file(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _switch_to_wal(cursor: sqlite3.Cursor, busy_timeout: float) -> None:
    """Put the file in WAL mode (a no-op once it is), waiting for another connection that
    is doing the same.

    SQLite switches a file to WAL as a read that then upgrades to a write, and an upgrade
    that meets another connection's write lock fails at once with "database is locked"
    rather than waiting on the busy timeout (waiting could deadlock). On a file not yet in
    WAL the only writer is another connection making this very switch (two processes
    opening a new store at once), so once it has made it, ours finds WAL and writes
    nothing. Any other error, or the lock held past the busy timeout, is raised.
    """
    deadline = time.monotonic() + busy_timeout
    pause = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def _sqlite_engine(url: URL, busy_timeout: float, echo: bool) -> Engine:
    path = _sqlite_file(url)
    kwargs: dict[str, Any] = {
        "connect_args": {"timeout": busy_timeout, "check_same_thread": False},
        "echo": echo,
    }
    if path is None:
        # one shared in-memory database for every thread (tests, dry runs)
        kwargs["poolclass"] = StaticPool
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)
    busy_ms = int(busy_timeout * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # take BEGIN away from the sqlite3 module; `_on_begin` emits our own
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if path is not None:
                _switch_to_wal(cursor, busy_timeout)
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # 1 MiB of page cache a connection (SQLite's default is 2): the pages a cycle
            # touches are the newest; the rest come from the OS cache. Keeps the process's
            # peak the same for a small state file and a large one (issue 11)
            cursor.execute("PRAGMA cache_size=-1024")  # KiB
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        driver_statement(conn, "BEGIN IMMEDIATE")  # one a commit, past SQLAlchemy's path

    return engine


class SqlStateStore:
    """The state database. Thread-safe: each `transaction()` takes its own connection."""

    def __init__(self, engine: Engine, *, clock: Clock | None = None) -> None:
        """Wrap an engine whose schema is already at head; most callers want `open`."""
        self._engine = engine
        self._clock: Clock = clock or SystemClock()

    @classmethod
    def open(
        cls,
        url: str,
        *,
        clock: Clock | None = None,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        echo: bool = False,
    ) -> SqlStateStore:
        """Connect to `url`, migrate the schema to head, and return the store.

        `sqlite:///relative/path.sqlite`, `sqlite:////absolute/path.sqlite` (the parent
        folder is created), `sqlite://` (in memory), or `postgresql+psycopg://user@host/db`.
        `clock` fills in timestamps the caller left empty (created_at, updated_at).
        """
        shown = redact_url(url)
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise ConfigError(
                f"not a database URL: {shown}",
                operation="open",
                hint="use sqlite:///path/to/state.sqlite or postgresql+psycopg://user@host/db",
            ) from None  # the parser's own message repeats the URL, password included
        if parsed.drivername in ("postgres", "postgresql"):
            parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3, not psycopg2
        if parsed.get_backend_name() == "sqlite":
            engine = _sqlite_engine(parsed, busy_timeout, echo)
        elif parsed.get_backend_name() == "postgresql":
            try:
                engine = create_engine(
                    parsed,
                    echo=echo,
                    pool_pre_ping=True,
                    connect_args={"options": f"-c lock_timeout={int(busy_timeout * 1000)}"},
                )
            except ImportError as exc:
                raise ConfigError(
                    f"the PostgreSQL driver for {shown} is not installed ({exc.name})",
                    operation="open",
                    hint="pip install 'ml-connector[postgres]' (psycopg 3)",
                ) from exc
        else:
            raise ConfigError(
                f"unsupported state database {shown}: use SQLite or PostgreSQL",
                operation="open",
            )
        try:
            upgrade_to_head(engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise translate(exc, "open", parsed.render_as_string(hide_password=True)) from exc
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, clock=clock)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for backups, status checks and tests)."""
        return self._engine

    @property
    def url(self) -> str:
        """The database URL with any password hidden."""
        return self._engine.url.render_as_string(hide_password=True)

    @contextmanager
    def transaction(self) -> Iterator[SqlStateTx]:
        """Commit when the block ends normally, roll back when it raises."""
        try:
            conn = self._engine.connect()
        except SQLAlchemyError as exc:
            raise translate(exc, "connect", self.url) from exc
        try:
            try:
                trans = conn.begin()
            except SQLAlchemyError as exc:
                raise translate(exc, "begin", None) from exc
            try:
                yield SqlStateTx(conn, self._clock)
            except BaseException:
                if trans.is_active:
                    try:
                        trans.rollback()
                    except SQLAlchemyError as exc:  # the block's own error stays the context
                        raise translate(exc, "rollback", None) from exc
                raise
            try:
                trans.commit()
            except SQLAlchemyError as exc:
                raise translate(exc, "commit", None) from exc
        finally:
            conn.close()

    # the pair lease (ml_connector.store.lease_sql) ---------------------------------------

    def take_lease(
        self, lease: PairLease, *, holder_gone: Callable[[PairLease], bool]
    ) -> PairLease:
        """See `StateStore.take_lease`."""
        with self._lease_tx("take_lease", lease.pair) as conn:
            return lease_sql.take(conn, lease, holder_gone)

    def renew_lease(self, pair: PairId, holder: str, expires_at: datetime) -> bool:
        with self._lease_tx("renew_lease", pair) as conn:
            return lease_sql.renew(conn, pair, holder, expires_at)

    def release_lease(self, pair: PairId, holder: str) -> None:
        with self._lease_tx("release_lease", pair) as conn:
            lease_sql.release(conn, pair, holder)

    def get_lease(self, pair: PairId) -> PairLease | None:
        with self._lease_tx("get_lease", pair) as conn:
            return lease_sql.get(conn, pair)

    @contextmanager
    def _lease_tx(self, operation: str, pair: PairId) -> Iterator[Connection]:
        # a transaction of its own (BEGIN IMMEDIATE on SQLite, see `_sqlite_engine`), apart
        # from the cycle's: the lease is read and written under the write lock
        with translated(operation, f"lease of pair {pair}"), self._engine.begin() as conn:
            yield conn

    @contextmanager
    def browse(self) -> Iterator[SqlBrowseTx]:
        """The web app's queries and its users (`ml_connector.store.browse`), in one
        transaction that commits like `transaction()`."""
        with self.transaction() as tx:
            yield SqlBrowseTx(tx.connection)

    @contextmanager
    def batch(self, *, max_seconds: float = DEFAULT_MAX_SECONDS) -> Iterator[SqlStateBatch]:
        """Transactions that commit together at the caller's `commit()` (`store.batch`).

        When the block ends, what the batch holds is committed, also when the block raises:
        every finished transaction of the batch is a whole decision. A failure of that last
        commit then leaves the block's own error in charge."""
        batch = SqlStateBatch(self._engine, self._clock, self.url, max_seconds=max_seconds)
        try:
            yield batch
        except BaseException:
            try:
                batch.close()
            except StoreError:
                batch.rollback()
            raise
        batch.close()

    def close(self) -> None:
        """Close every pooled connection (a later `transaction()` would open new ones)."""
        self._engine.dispose()


def _implements_the_port(
    store: SqlStateStore, tx: SqlStateTx, batch: SqlStateBatch
) -> tuple[StateStore, StateTx, StateBatch]:
    """Never called: mypy checks here that the classes satisfy the port's Protocols."""
    return store, tx, batch
