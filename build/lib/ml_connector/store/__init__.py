"""The state database: cursors, the document ledger, vendor links, the review queue, the
audit log, runs and the outbox (SQLAlchemy 2 + Alembic; SQLite by default, PostgreSQL)."""
