"""Alembic from empty to head, idempotent opens, the migrated schema equal to the one the
code queries, SQLite's connection settings, and the migrations shipped in the package."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest
import setuptools
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import SQLAlchemyError

from ml_connector.errors import StoreError
from ml_connector.store.migrate import (
    VERSION_TABLE,
    current_revision,
    head_revision,
    make_config,
    upgrade_to_head,
)
from ml_connector.store.port import AuditEvent, PairId
from ml_connector.store.schema import metadata
from ml_connector.store.sql import SqlStateStore

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
TABLES = {
    "runs",
    "cursors",
    "ledger",
    "vendor_links",
    "review_items",
    "audit_events",
    "outbox",
    "users",
    "gl_overrides",
    "web_sessions",
}


def test_empty_to_head_then_open_again_changes_nothing(store_url: str) -> None:
    first = SqlStateStore.open(store_url)
    assert current_revision(first.engine) == head_revision()
    assert VERSION_TABLE == "ml_connector_schema_version"
    assert TABLES | {VERSION_TABLE} <= set(inspect(first.engine).get_table_names())
    with first.transaction() as tx:
        tx.set_cursor(PairId("main"), "ap_bills", "kept", T0)
    first.close()

    second = SqlStateStore.open(store_url)  # migrations already at head: a no-op
    assert current_revision(second.engine) == head_revision()
    with second.transaction() as tx:
        assert tx.get_cursor(PairId("main"), "ap_bills") == "kept"
    with second.engine.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM ml_connector_schema_version")).all()
    assert [v[0] for v in versions] == [head_revision()]
    second.close()


def test_the_migrated_schema_is_the_schema_the_code_uses(store: SqlStateStore) -> None:
    with store.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "version_table": VERSION_TABLE}
        )
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_downgrade_to_empty_and_back(store: SqlStateStore) -> None:
    config = make_config()
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert not TABLES & set(inspect(store.engine).get_table_names())
    upgrade_to_head(store.engine)
    assert set(inspect(store.engine).get_table_names()) >= TABLES
    with store.transaction() as tx:
        tx.append_audit(AuditEvent(T0, PairId("main"), "written"))
    with pytest.raises(SQLAlchemyError, match="append-only"), store.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events"))  # the triggers came back too


def test_a_database_from_a_newer_version_is_refused(store_url: str) -> None:
    store = SqlStateStore.open(store_url)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE ml_connector_schema_version SET version_num = '9999'"))
    store.close()
    with pytest.raises(StoreError, match="revision 9999") as caught:
        SqlStateStore.open(store_url)
    assert caught.value.hint is not None
    assert "newer" in caught.value.hint


def test_sqlite_connections_are_set_up_for_the_ledger(tmp_path: Path) -> None:
    store = SqlStateStore.open(f"sqlite:///{tmp_path / 'deep' / 'er' / 'state.sqlite'}")
    assert (tmp_path / "deep" / "er" / "state.sqlite").is_file()
    with store.engine.connect() as conn:
        pragmas = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    store.close()
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 2,  # FULL
        "foreign_keys": 1,
        "busy_timeout": 30000,
    }


def test_in_memory_sqlite_is_one_database_for_all_connections() -> None:
    store = SqlStateStore.open("sqlite://")
    with store.transaction() as tx:
        tx.set_cursor(PairId("main"), "s", "v", T0)
    with store.transaction() as tx:
        assert tx.get_cursor(PairId("main"), "s") == "v"
    store.close()


def test_setuptools_ships_the_migrations() -> None:
    """The wheel holds what find_packages finds plus the package-data globs."""
    packages = setuptools.find_packages(where=str(ROOT / "src"))
    assert "ml_connector.store.migrations" in packages
    assert "ml_connector.store.migrations.versions" in packages
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "**/*.mako" in config["tool"]["setuptools"]["package-data"]["ml_connector"]
    migrations = ROOT / "src" / "ml_connector" / "store" / "migrations"
    assert (migrations / "env.py").is_file()
    assert (migrations / "script.py.mako").is_file()
    assert sorted(p.name for p in (migrations / "versions").glob("0*.py")) == [
        "0001_initial.py",
        "0002_pair_leases.py",
        "0003_web_users.py",
        "0004_overrides_sessions.py",
    ]
