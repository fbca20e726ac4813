"""The tables of the state database, as SQLAlchemy Core metadata.

This is what the queries in `ml_connector.store.tx` are written against. The database
itself is built by the Alembic migrations in `ml_connector.store.migrations`; a test
compares the migrated database with this metadata, so the two cannot drift apart.

Safety nets kept by the database itself, not only by the code:
- `ledger`: one row per (pair, kind, doc_id); and `uq_ledger_sage_key`, a unique index on
  (pair, division, vendor, invoice number) over the rows that hold a Sage key, so two
  documents can never claim one Sage invoice. A Sage key is all three parts or none.
- `vendor_links`: one link per ServiceTitan vendor and one per Sage vendor, per pair.
- `review_items`: `open_key` is set only while an item is OPEN and is unique per pair, so
  there is at most one open item per (kind, doc_kind, doc_id, subject).
- `audit_events`: triggers refuse UPDATE and DELETE (created by the migration).
- `pair_leases`: at most one lease row per pair (the primary key).
- `users`: the web app's accounts; one row per user name (case-insensitive: stored lower
  case), the password only as a salted hash.
- `gl_overrides`: a person's one-off Sage GL account for one document, at most one per
  document, valid only for the revision (fingerprint) it was set for.
- `web_sessions`: the web app's sessions, keyed by the SHA-256 of the session id (the id
  itself is only in the browser's cookie).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from ml_connector.store.coltypes import JsonDocument, Money, UtcDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

# SQLite's INTEGER PRIMARY KEY is its rowid; BIGINT elsewhere.
RowId = BigInteger().with_variant(Integer(), "sqlite")

PAIR = 64
FINGERPRINT = 128
SAGE_PART = 32
SHORT = 64
NAME = 128

runs = Table(
    "runs",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("pair", String(PAIR), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=True),
    Column("status", String(16), nullable=False),
    Column("dry_run", Boolean(), nullable=False),
    Column("summary", JsonDocument(), nullable=False),
    Index("ix_runs_pair_started_at", "pair", "started_at"),
)

cursors = Table(
    "cursors",
    metadata,
    Column("pair", String(PAIR), primary_key=True),
    Column("stream", String(SHORT), primary_key=True),
    Column("value", Text(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

ledger = Table(
    "ledger",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("pair", String(PAIR), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("doc_id", BigInteger(), nullable=False),
    Column("fingerprint", String(FINGERPRINT), nullable=False),
    Column("status", String(24), nullable=False),
    Column("sage_division_no", String(SAGE_PART), nullable=True),
    Column("sage_vendor_no", String(SAGE_PART), nullable=True),
    Column("sage_invoice_no", String(SAGE_PART), nullable=True),
    Column("amount", Money(), nullable=True),
    Column("reference", Text(), nullable=False),
    Column("attempts", Integer(), nullable=False),
    Column("last_error", Text(), nullable=False),
    Column("written_fingerprint", String(FINGERPRINT), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    # what a person searches bills by (revision 0002): the ServiceTitan vendor's name and
    # the document's date, as last read
    Column("vendor_name", String(255), nullable=False, server_default=""),
    Column("document_date", Date(), nullable=True),
    UniqueConstraint("pair", "kind", "doc_id", name="uq_ledger_doc"),
    CheckConstraint(
        "(sage_division_no IS NULL AND sage_vendor_no IS NULL AND sage_invoice_no IS NULL)"
        " OR (sage_division_no IS NOT NULL AND sage_vendor_no IS NOT NULL"
        " AND sage_invoice_no IS NOT NULL)",
        name="sage_key_whole",
    ),
    Index("ix_ledger_pair_status", "pair", "status"),
    Index(
        "uq_ledger_sage_key",
        "pair",
        "sage_division_no",
        "sage_vendor_no",
        "sage_invoice_no",
        unique=True,
        sqlite_where=text("sage_invoice_no IS NOT NULL"),
        postgresql_where=text("sage_invoice_no IS NOT NULL"),
    ),
)

vendor_links = Table(
    "vendor_links",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("pair", String(PAIR), nullable=False),
    Column("st_vendor_id", BigInteger(), nullable=False),
    Column("division_no", String(SAGE_PART), nullable=False),
    Column("vendor_no", String(SAGE_PART), nullable=False),
    Column("method", String(SHORT), nullable=False),
    Column("score", Float(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(NAME), nullable=False),
    UniqueConstraint("pair", "st_vendor_id", name="uq_vendor_links_st"),
    UniqueConstraint("pair", "division_no", "vendor_no", name="uq_vendor_links_sage"),
)

review_items = Table(
    "review_items",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("pair", String(PAIR), nullable=False),
    Column("kind", String(SHORT), nullable=False),
    Column("doc_kind", String(16), nullable=True),
    Column("doc_id", BigInteger(), nullable=True),
    Column("subject", String(255), nullable=False),
    Column("reason", Text(), nullable=False),
    Column("suggestion", Text(), nullable=False),
    Column("details", JsonDocument(), nullable=False),
    Column("status", String(16), nullable=False),
    # "kind|doc_kind|doc_id|subject" while OPEN, NULL otherwise (see module docstring)
    Column("open_key", String(512), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("resolved_at", UtcDateTime(), nullable=True),
    Column("resolved_by", String(NAME), nullable=False),
    Column("note", Text(), nullable=False),
    UniqueConstraint("pair", "open_key", name="uq_review_items_open"),
    Index("ix_review_items_status", "status"),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("pair", String(PAIR), nullable=False),
    Column("action", String(SHORT), nullable=False),
    Column("actor", String(NAME), nullable=False),
    Column("doc_kind", String(16), nullable=True),
    Column("doc_id", BigInteger(), nullable=True),
    Column("run_id", RowId, ForeignKey("runs.id"), nullable=True),
    Column("message", Text(), nullable=False),
    Column("details", JsonDocument(), nullable=False),
    Index("ix_audit_events_at", "at"),
    Index("ix_audit_events_pair_at", "pair", "at"),
    Index("ix_audit_events_doc", "pair", "doc_kind", "doc_id"),  # a bill's history
    sqlite_autoincrement=True,  # ids never reused: they are the append order
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("pair", String(PAIR), nullable=False),
    Column("operation", String(SHORT), nullable=False),
    Column("payload", JsonDocument(), nullable=False),
    Column("attempts", Integer(), nullable=False),
    Column("last_error", Text(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_attempt_at", UtcDateTime(), nullable=True),
    Column("done_at", UtcDateTime(), nullable=True),
    Index("ix_outbox_pair_done_at", "pair", "done_at"),
)

# one row per pair while a process holds its lease (see ml_connector.store.lease)
pair_leases = Table(
    "pair_leases",
    metadata,
    Column("pair", String(PAIR), primary_key=True),
    Column("holder", String(SHORT), nullable=False),
    Column("host", String(255), nullable=False),
    Column("pid", BigInteger(), nullable=False),
    Column("command", String(NAME), nullable=False),
    Column("acquired_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("username", String(NAME), nullable=False),
    Column("password_hash", String(512), nullable=False),
    Column("role", String(16), nullable=False),
    Column("active", Boolean(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(NAME), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("last_login_at", UtcDateTime(), nullable=True),
    UniqueConstraint("username", name="uq_users_username"),
)

# a person's Sage account for the lines of one document revision the GL rules cannot place
gl_overrides = Table(
    "gl_overrides",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("pair", String(PAIR), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("doc_id", BigInteger(), nullable=False),
    Column("fingerprint", String(FINGERPRINT), nullable=False),
    Column("account", String(SHORT), nullable=False),
    Column("set_by", String(NAME), nullable=False),
    Column("set_at", UtcDateTime(), nullable=False),
    Column("note", Text(), nullable=False),
    Column("lines", JsonDocument(), nullable=False),  # {"lines": [the refs placed]}
    UniqueConstraint("pair", "kind", "doc_id", name="uq_gl_overrides_doc"),
)

# the web app's sessions: the SHA-256 of the session id, never the id itself
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(SHORT), primary_key=True),
    Column("csrf", String(SHORT), nullable=False),
    Column("username", String(NAME), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_seen_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("flash", JsonDocument(), nullable=False),
    Index("ix_web_sessions_expires_at", "expires_at"),
    Index("ix_web_sessions_username", "username"),
)
