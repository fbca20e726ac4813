"""Fixtures for the state store: one store per test, on SQLite (a file) and PostgreSQL.

PostgreSQL runs as a throwaway server for the whole session (`running_postgres`), each
test in a database of its own; without PostgreSQL installed those tests are skipped.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ml_connector.clock import ManualClock
from ml_connector.store.sql import SqlStateStore
from ml_connector.store.testing import PostgresServer, postgres_unavailable, running_postgres

_databases = itertools.count()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    with running_postgres() as server:
        yield server


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.sqlite'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database(f"store_{os.getpid()}_{next(_databases)}")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 1, 5, 14, 0, tzinfo=UTC))


@pytest.fixture
def store(store_url: str, clock: ManualClock) -> Iterator[SqlStateStore]:
    opened = SqlStateStore.open(store_url, clock=clock)
    yield opened
    opened.close()
