"""`SqlStateBatch`: many transactions, one commit. The sync cycle's way to the store.

Every `transaction()` block of a batch is a SAVEPOINT inside one outer transaction on one
connection: it sees what earlier blocks wrote, and a block that raises is rolled back on
its own (the earlier ones stay). The SAVEPOINT is opened by the block's first statement
that is not a SELECT: a block that only reads (most of a cycle's) costs no statement of
its own, and has nothing to roll back. Nothing is durable until `commit()`, which makes every
block so far durable at once: one commit, one fsync of the WAL with synchronous=FULL.

The caller decides where durability matters (the engine: the write intent before the Sage
write, the outcome after it, a link after a vendor is created) and calls `commit()` there;
everything in between (reads, decisions that write nothing, cursor moves) rides along in
the next commit. A crash loses at most the blocks since the last commit: they are all
bookkeeping that the next cycle decides again.

The outer transaction holds SQLite's write lock (BEGIN IMMEDIATE) from the first block
after a commit to the next commit. So that other writers (the dashboard resolving a review
item, the CLI) do not wait long, a block that starts more than `max_seconds` after the
outer transaction began commits it first. Committing earlier is always safe.

    with store.batch() as batch:         # commits what is left when the block ends
        with batch.transaction() as tx:  # a savepoint
            tx.append_audit(...)
        batch.commit()                   # durable from here
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from time import monotonic
from typing import Any, cast

from sqlalchemy import Connection, Engine, NestedTransaction, RootTransaction, Select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from ml_connector.clock import Clock
from ml_connector.store.translate import translate
from ml_connector.store.tx import SqlStateTx

DEFAULT_MAX_SECONDS = 1.0


def driver_statement(conn: Connection, sql: str) -> None:
    """Run `sql` (no parameters, no rows) on the driver's own connection, past SQLAlchemy's
    statement path, which costs many times what BEGIN or a SAVEPOINT does. A failure is
    raised as that path would raise it (`DBAPIError` around the driver's error)."""
    raw = conn.connection.driver_connection
    if raw is None:  # pragma: no cover - a closed connection; SQLAlchemy would refuse it too
        raise DBAPIError(sql, None, Exception("the connection is closed"))
    dbapi = conn.dialect.loaded_dbapi
    try:
        cursor = raw.cursor()
        try:
            cursor.execute(sql)
        finally:
            cursor.close()
    except dbapi.Error as exc:
        raise DBAPIError.instance(sql, None, exc, dbapi.Error) from exc


class _BlockSavepoint:
    """A block's SAVEPOINT, said to the driver itself: SQLAlchemy's own (`begin_nested`)
    cost thirty times the statement, and a written bill opens three or four. Blocks of a
    batch follow one another, so one name serves (a savepoint of a name taken again is the
    newest; RELEASE and ROLLBACK TO take the newest)."""

    _NAME = "ml_block"

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.is_active = False

    def _say(self, sql: str, operation: str) -> None:
        try:
            driver_statement(self._conn, sql)
        except DBAPIError as exc:
            raise translate(exc, operation, None) from exc

    def open(self) -> None:
        self._say(f"SAVEPOINT {self._NAME}", "savepoint")
        self.is_active = True

    def release(self) -> None:
        self.is_active = False
        self._say(f"RELEASE SAVEPOINT {self._NAME}", "release savepoint")

    def rollback(self) -> None:
        self.is_active = False
        self._say(f"ROLLBACK TO SAVEPOINT {self._NAME}", "rollback")
        self._say(f"RELEASE SAVEPOINT {self._NAME}", "rollback")


class _SavepointOnWrite:
    """The connection as one block of a batch sees it: the block's SAVEPOINT is opened
    just before its first statement that is not a SELECT (or its first nested one)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.savepoint: _BlockSavepoint | None = None

    def _writing(self) -> None:
        if self.savepoint is None:
            savepoint = _BlockSavepoint(self._conn)
            savepoint.open()
            self.savepoint = savepoint

    def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(statement, Select):
            self._writing()
        return self._conn.execute(statement, *args, **kwargs)

    def begin_nested(self) -> NestedTransaction:
        self._writing()
        return self._conn.begin_nested()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)  # dialect and the like


class SqlStateBatch:
    """Transactions of one thread that commit together (see the module docstring)."""

    def __init__(
        self, engine: Engine, clock: Clock, url: str, *, max_seconds: float = DEFAULT_MAX_SECONDS
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._url = url
        self._max_seconds = max_seconds
        self._conn: Connection | None = None
        self._outer: RootTransaction | None = None
        self._began = 0.0
        self.commits = 0  # commits made (for benchmarks and tests)

    def _open(self) -> Connection:
        if self._outer is not None and monotonic() - self._began > self._max_seconds:
            self.commit()
        try:
            if self._conn is None:
                self._conn = self._engine.connect()
            if self._outer is None:
                self._outer = self._conn.begin()
                self._began = monotonic()
        except SQLAlchemyError as exc:
            raise translate(exc, "begin", self._url) from exc
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[SqlStateTx]:
        """A SAVEPOINT (opened by the first write): released when the block ends normally,
        rolled back when it raises."""
        block = _SavepointOnWrite(self._open())
        try:
            yield SqlStateTx(cast(Connection, block), self._clock)
        except BaseException:
            savepoint = block.savepoint
            if savepoint is not None and savepoint.is_active:
                savepoint.rollback()  # a StoreError of its own; the block's error its context
            raise
        if block.savepoint is not None:  # else the block only read
            block.savepoint.release()

    def commit(self) -> None:
        """Make every block so far durable (nothing to do when none ran since the last)."""
        outer, self._outer = self._outer, None
        if outer is None:
            return
        try:
            outer.commit()
        except SQLAlchemyError as exc:
            raise translate(exc, "commit", None) from exc
        self.commits += 1

    def rollback(self) -> None:
        """Forget every block since the last commit."""
        outer, self._outer = self._outer, None
        if outer is not None and outer.is_active:
            try:
                outer.rollback()
            except SQLAlchemyError as exc:
                raise translate(exc, "rollback", None) from exc

    def close(self) -> None:
        """Commit what is left and give the connection back."""
        try:
            self.commit()
        finally:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
