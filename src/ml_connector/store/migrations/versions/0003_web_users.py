"""The web app: its users, and what a person searches bills by.

- `users`: accounts of the web app (salted password hashes, roles clerk / admin).
- `ledger.vendor_name`, `ledger.document_date`: filled from the next time each document
  is read; older rows keep "" / NULL until then.
- `ix_audit_events_doc`: one bill's history without a scan of the whole audit log.

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ml_connector.store.coltypes import UtcDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(128), nullable=False),
        sa.Column("password_hash", sa.String(512), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("last_login_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    # plain ADD COLUMN on both engines (no table rebuild: the ledger keeps its indexes)
    op.add_column(
        "ledger", sa.Column("vendor_name", sa.String(255), nullable=False, server_default="")
    )
    op.add_column("ledger", sa.Column("document_date", sa.Date(), nullable=True))
    op.create_index("ix_audit_events_doc", "audit_events", ["pair", "doc_kind", "doc_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_doc", table_name="audit_events")
    with op.batch_alter_table("ledger") as batch:
        batch.drop_column("document_date")
        batch.drop_column("vendor_name")
    op.drop_table("users")
