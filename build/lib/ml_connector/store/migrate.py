"""Alembic, driven from code: the migrations ship inside the package, no alembic.ini.

`upgrade_to_head(engine)` brings a database (empty or older) to the newest schema. It runs
in one transaction that first takes the database's write lock (BEGIN IMMEDIATE on SQLite,
an advisory lock on PostgreSQL), so two processes opening one store at once migrate it
once, and a failed migration leaves the schema as it was (both engines have
transactional DDL).
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from ml_connector.errors import StoreError

SCRIPT_LOCATION = "ml_connector.store:migrations"
VERSION_TABLE = "ml_connector_schema_version"
# pg_advisory_xact_lock key: "mlconn" as a number, so other applications' locks don't clash
_PG_LOCK_KEY = 0x6D6C636F6E6E


def make_config() -> Config:
    """Alembic's configuration, built in memory (also for `command.revision` in dev)."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return config


def head_revision() -> str:
    """The newest revision this version of ml-connector knows."""
    head = ScriptDirectory.from_config(make_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships revisions
        raise StoreError("no migrations found in ml_connector.store.migrations")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, None for an empty database."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def upgrade_to_head(engine: Engine) -> None:
    """Migrate the database to `head_revision()`; a no-op when it is there already."""
    config = make_config()
    known = {s.revision for s in ScriptDirectory.from_config(config).walk_revisions()}
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        current = MigrationContext.configure(
            conn, opts={"version_table": VERSION_TABLE}
        ).get_current_revision()
        if current is not None and current not in known:
            raise StoreError(
                f"the state database is at schema revision {current}, which this version of"
                f" ml-connector does not know (newest known: {head_revision()})",
                operation="migrate",
                hint="run the ml-connector version that last wrote this database, or a newer one",
            )
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
