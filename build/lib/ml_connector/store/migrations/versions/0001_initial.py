"""The first schema: runs, cursors, ledger, vendor links, review items, audit, outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ml_connector.store.coltypes import JsonDocument, Money, UtcDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
SAGE_KEY_WHOLE = (
    "(sage_division_no IS NULL AND sage_vendor_no IS NULL AND sage_invoice_no IS NULL)"
    " OR (sage_division_no IS NOT NULL AND sage_vendor_no IS NOT NULL"
    " AND sage_invoice_no IS NOT NULL)"
)
APPEND_ONLY = "audit_events is append-only: UPDATE and DELETE are refused"


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("pair", sa.String(64), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("summary", JsonDocument(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_index("ix_runs_pair_started_at", "runs", ["pair", "started_at"])

    op.create_table(
        "cursors",
        sa.Column("pair", sa.String(64), nullable=False),
        sa.Column("stream", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("pair", "stream", name="pk_cursors"),
    )

    op.create_table(
        "ledger",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("pair", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("doc_id", sa.BigInteger(), nullable=False),
        sa.Column("fingerprint", sa.String(128), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("sage_division_no", sa.String(32), nullable=True),
        sa.Column("sage_vendor_no", sa.String(32), nullable=True),
        sa.Column("sage_invoice_no", sa.String(32), nullable=True),
        sa.Column("amount", Money(), nullable=True),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("written_fingerprint", sa.String(128), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger"),
        sa.UniqueConstraint("pair", "kind", "doc_id", name="uq_ledger_doc"),
        sa.CheckConstraint(SAGE_KEY_WHOLE, name="ck_ledger_sage_key_whole"),
    )
    op.create_index("ix_ledger_pair_status", "ledger", ["pair", "status"])
    op.create_index(
        "uq_ledger_sage_key",
        "ledger",
        ["pair", "sage_division_no", "sage_vendor_no", "sage_invoice_no"],
        unique=True,
        sqlite_where=sa.text("sage_invoice_no IS NOT NULL"),
        postgresql_where=sa.text("sage_invoice_no IS NOT NULL"),
    )

    op.create_table(
        "vendor_links",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("pair", sa.String(64), nullable=False),
        sa.Column("st_vendor_id", sa.BigInteger(), nullable=False),
        sa.Column("division_no", sa.String(32), nullable=False),
        sa.Column("vendor_no", sa.String(32), nullable=False),
        sa.Column("method", sa.String(64), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_vendor_links"),
        sa.UniqueConstraint("pair", "st_vendor_id", name="uq_vendor_links_st"),
        sa.UniqueConstraint("pair", "division_no", "vendor_no", name="uq_vendor_links_sage"),
    )

    op.create_table(
        "review_items",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("pair", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("doc_kind", sa.String(16), nullable=True),
        sa.Column("doc_id", sa.BigInteger(), nullable=True),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("suggestion", sa.Text(), nullable=False),
        sa.Column("details", JsonDocument(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("open_key", sa.String(512), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(128), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_review_items"),
        sa.UniqueConstraint("pair", "open_key", name="uq_review_items_open"),
    )
    op.create_index("ix_review_items_status", "review_items", ["status"])

    op.create_table(
        "audit_events",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("pair", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("doc_kind", sa.String(16), nullable=True),
        sa.Column("doc_id", sa.BigInteger(), nullable=True),
        sa.Column("run_id", RowId, nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("details", JsonDocument(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_audit_events_run_id_runs"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_index("ix_audit_events_pair_at", "audit_events", ["pair", "at"])
    _refuse_audit_changes()

    op.create_table(
        "outbox",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("pair", sa.String(64), nullable=False),
        sa.Column("operation", sa.String(64), nullable=False),
        sa.Column("payload", JsonDocument(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("last_attempt_at", UtcDateTime(), nullable=True),
        sa.Column("done_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
    )
    op.create_index("ix_outbox_pair_done_at", "outbox", ["pair", "done_at"])


def _refuse_audit_changes() -> None:
    """Triggers that make the audit log append-only in the database itself."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION ml_connector_audit_append_only() RETURNS trigger"
            f" LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events"
            " FOR EACH ROW EXECUTE FUNCTION ml_connector_audit_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events"
            " FOR EACH STATEMENT EXECUTE FUNCTION ml_connector_audit_append_only()"
        )
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_events_no_{event.lower()} BEFORE {event} ON audit_events"
            f" BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS ml_connector_audit_append_only()")
    for table in ("outbox", "audit_events", "review_items", "vendor_links", "ledger"):
        op.drop_table(table)
    op.drop_table("cursors")
    op.drop_table("runs")
