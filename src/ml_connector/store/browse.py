"""The BrowseTx port: what the web app reads page by page, and its user accounts.

The engine never uses it. Each query takes filters and a page (`offset`, `limit`) and
answers a `Page` that carries the total count of matches, so a screen with thousands of
bills or audit events shows one page and the true count. Obtained from
`SqlStateStore.browse()`, inside one transaction like `StateStore.transaction()`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Generic, Protocol, TypeVar

from ml_connector.store.port import (
    AuditEvent,
    DocKind,
    LedgerEntry,
    LedgerStatus,
    PairId,
    ReviewItem,
    RunRecord,
)

T = TypeVar("T")


class Role(enum.StrEnum):
    CLERK = "clerk"  # reads everything, acts on the review queue, asks for a cycle
    ADMIN = "admin"  # the same, plus what changes the setup (GL rules)


@dataclass(frozen=True, slots=True)
class User:
    username: str  # lower case; unique
    password_hash: str  # "scrypt$..." (see ml_connector.app.web.passwords); never a password
    role: Role
    active: bool = True
    created_at: datetime | None = None
    created_by: str = ""
    updated_at: datetime | None = None
    last_login_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class WebSession:
    """A web app session as stored: `id_hash` is the SHA-256 (hex) of the session id, which
    itself lives only in the browser's cookie. `role` comes from the user's account at
    read time (None when not logged in, or the account is gone or disabled)."""

    id_hash: str
    csrf: str
    username: str | None
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    flash: tuple[str, ...] = ()
    role: Role | None = None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    total: int  # every match, not only this page
    offset: int
    limit: int

    @property
    def first(self) -> int:
        """1-based number of the first item shown (0 when none)."""
        return self.offset + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.offset + len(self.items)


@dataclass(frozen=True, slots=True)
class BillFilter:
    """`text`: a ServiceTitan id (all digits), or part of the reference, the vendor's name
    or the Sage vendor / invoice number (case-insensitive)."""

    pair: PairId | None = None
    text: str = ""
    status: LedgerStatus | None = None
    amount: Decimal | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True, slots=True)
class AuditFilter:
    pair: PairId | None = None
    action: str = ""
    actor: str = ""
    text: str = ""  # part of the message
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    doc_kind: DocKind | None = None
    doc_id: int | None = None


class BrowseTx(Protocol):
    # users
    def add_user(self, user: User) -> int:
        """Raises UserExistsError when the name is taken."""
        ...

    def get_user(self, username: str) -> User | None: ...
    def list_users(self) -> list[User]: ...
    def update_user(
        self,
        username: str,
        at: datetime,
        *,
        password_hash: str | None = None,
        role: Role | None = None,
        active: bool | None = None,
    ) -> None: ...
    def record_login(self, username: str, at: datetime) -> None: ...

    # web sessions (a new password or a disabled account ends the user's sessions)
    def add_session(self, session: WebSession) -> None: ...
    def get_session(self, id_hash: str) -> WebSession | None: ...
    def touch_session(self, id_hash: str, last_seen_at: datetime, expires_at: datetime) -> None: ...
    def set_session_flash(self, id_hash: str, flash: tuple[str, ...]) -> None: ...
    def delete_session(self, id_hash: str) -> None: ...
    def purge_sessions(self, now: datetime, *, keep_anonymous: int) -> int:
        """Delete expired sessions, and the oldest not-logged-in ones beyond
        `keep_anonymous`; returns how many went."""
        ...

    # bills
    def bills(self, where: BillFilter, *, offset: int, limit: int) -> Page[LedgerEntry]: ...
    def ledger_counts(self, pair: PairId | None = None) -> dict[LedgerStatus, int]: ...
    def ledger_for(
        self, keys: Sequence[tuple[PairId, DocKind, int]]
    ) -> dict[tuple[PairId, DocKind, int], LedgerEntry]: ...
    def reviews_of(self, pair: PairId, kind: DocKind, doc_id: int) -> list[ReviewItem]: ...

    # runs and audit
    def runs(self, pair: PairId | None, *, offset: int, limit: int) -> Page[RunRecord]: ...
    def audit(self, where: AuditFilter, *, offset: int, limit: int) -> Page[AuditEvent]: ...
    def iter_audit_matching(self, where: AuditFilter) -> Iterator[AuditEvent]: ...
    def audit_actions(self) -> list[str]: ...
