"""Alembic's environment: runs on the connection `ml_connector.store.migrate` hands over.

It opens no engine and configures no logging of its own: the caller owns both, and the
caller's transaction (BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL) covers
the whole upgrade, so two processes opening the store at once migrate it once.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from ml_connector.store.migrate import VERSION_TABLE
from ml_connector.store.schema import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite's ALTER TABLE is thin
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


_connection = context.config.attributes.get("connection")
if not isinstance(_connection, Connection):
    raise RuntimeError(
        "run the migrations through ml_connector.store.migrate.upgrade_to_head(engine)"
    )
_run(_connection)
