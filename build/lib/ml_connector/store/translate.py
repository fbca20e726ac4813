"""SQLAlchemy and driver errors -> `StoreError`s, at the boundary of the store.

The message names the operation, the record and the driver's own one-line reason. It
never carries the SQL parameters (SQLAlchemy's `str(exc)` does) nor a password from the
database URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError, StatementError

from ml_connector.errors import StoreError
from ml_connector.store.errors import StoreBusyError

# PostgreSQL SQLSTATEs after which the same transaction may well succeed on a retry
# (serialization failure, deadlock detected, lock not available, query canceled by timeout)
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03", "57014"})
_SQLITE_BUSY = ("database is locked", "database is busy", "database table is locked")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")


def redact_url(url: str) -> str:
    """The URL with any password replaced by ***."""
    return _URL_PASSWORD.sub(r"\1***@", url)


def reason_of(exc: BaseException) -> str:
    """The driver's one-line reason for `exc`, without SQL or parameters."""
    orig: BaseException | None = exc.orig if isinstance(exc, StatementError) else exc
    if orig is None:
        orig = exc
    text = str(orig).strip().splitlines()
    first = redact_url(text[0]) if text else ""
    return f"{type(orig).__name__}: {first}" if first else type(orig).__name__


def _sqlstate(exc: BaseException) -> str | None:
    orig = exc.orig if isinstance(exc, DBAPIError) else None
    state = getattr(orig, "sqlstate", None)
    return state if isinstance(state, str) else None


def is_busy(exc: BaseException) -> bool:
    if _sqlstate(exc) in _RETRYABLE_SQLSTATES:
        return True
    message = str(exc.orig if isinstance(exc, DBAPIError) else exc).lower()
    return any(marker in message for marker in _SQLITE_BUSY)


def violated(exc: IntegrityError, constraint: str, column: str) -> bool:
    """Whether `exc` is a unique violation of `constraint` (PostgreSQL names it; SQLite
    lists the columns instead, so `column` is looked for in its message)."""
    diag = getattr(exc.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if isinstance(name, str):
        return name == constraint
    return f".{column}" in str(exc.orig)


def translate(exc: SQLAlchemyError, operation: str, record: str | None) -> StoreError:
    """The `StoreError` for a failed store operation (the caller raises it `from exc`)."""
    where = f"{operation} ({record})" if record else operation
    message = f"state database: {where} failed: {reason_of(exc)}"
    if is_busy(exc):
        return StoreBusyError(
            message,
            operation=operation,
            record=record,
            hint="another process held the state database too long; the cycle retries later",
        )
    return StoreError(
        message,
        operation=operation,
        record=record,
        hint="check the state database (disk space, permissions, server); see docs/store.md",
    )


@contextmanager
def translated(operation: str, record: str | None = None) -> Iterator[None]:
    """Run a block, raising SQLAlchemy errors as `StoreError` (chained with `from`)."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise translate(exc, operation, record) from exc
