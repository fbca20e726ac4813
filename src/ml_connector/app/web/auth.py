"""Who is using the web app: sessions, logins, CSRF tokens and the access rule.

- Sessions live in the state database (`web_sessions`: a restart logs nobody out), keyed
  by the SHA-256 of a random token that only the browser keeps, in an HttpOnly,
  SameSite=Strict cookie (Secure under TLS); a session ends when idle for `session_hours`
  (its expiry moves on as it is used), at logout (its row is deleted), and when its user
  is disabled or gets a new password. The role is read from the account at each request.
  Sessions not logged in are capped (the oldest go first); expired ones are purged.
- Login throttling (`LoginThrottle`) counts wrong passwords per user name *and client
  address*: a guesser elsewhere pauses only their own tries, never the user's own PC; one
  address guessing many names is paused as a whole.
- Every session, logged in or not, carries a CSRF token; every POST must send it back in
  the form (`csrf`), compared in constant time. So no page elsewhere can make a browser
  act here, not even on 127.0.0.1.
- The access rule (`Access`): when a login is required (any address but loopback, or
  `require_login`), a request without a logged-in session may only reach the login page,
  /healthz, /metrics and the static files. On loopback without `require_login`, the person
  at the server acts as "local user" unless they log in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from ml_connector.clock import Clock
from ml_connector.store.browse import BrowseTx, Role, WebSession


class BrowsingStore(Protocol):
    def browse(self) -> AbstractContextManager[BrowseTx]: ...


COOKIE = "mlc_session"
LOCAL_ACTOR = "local user"
MAX_SESSIONS = 5000
OPEN_PATHS = ("/login", "/healthz", "/metrics", "/static/")


@dataclass(frozen=True, slots=True)
class Session:
    token: str  # the session id, as in the cookie (stored only as its hash)
    csrf: str
    last_seen: datetime
    username: str | None = None  # None: not logged in
    role: Role | None = None
    flash: tuple[str, ...] = field(default=())


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    """The web app's sessions, in the state database (through `browse()`)."""

    TOUCH_EVERY = timedelta(seconds=60)  # last-seen is written at most once a minute

    def __init__(
        self,
        store: BrowsingStore,
        clock: Clock,
        *,
        idle: timedelta,
        max_anonymous: int = MAX_SESSIONS,
    ) -> None:
        self._store = store
        self._clock = clock
        self._idle = idle
        self._max = max_anonymous

    def get(self, token: str | None) -> Session | None:
        """The live session of this cookie value; None when unknown, expired, or its user
        is gone or disabled (then the row is deleted)."""
        if not token or len(token) > 200:
            return None
        key = token_hash(token)
        now = self._clock.now()
        with self._store.browse() as browse:
            found = browse.get_session(key)
            if found is None:
                return None
            if found.expires_at <= now or (found.username and found.role is None):
                browse.delete_session(key)
                return None
            if now - found.last_seen_at >= self.TOUCH_EVERY:
                browse.touch_session(key, now, now + self._idle)
        return Session(token, found.csrf, now, found.username, found.role, found.flash)

    def new(self, *, username: str | None = None, role: Role | None = None) -> Session:
        session = Session(
            token=secrets.token_urlsafe(32),
            csrf=secrets.token_urlsafe(32),
            last_seen=self._clock.now(),
            username=username,
            role=role,
        )
        now = session.last_seen
        with self._store.browse() as browse:
            browse.purge_sessions(now, keep_anonymous=self._max - 1)
            browse.add_session(
                WebSession(
                    id_hash=token_hash(session.token),
                    csrf=session.csrf,
                    username=username,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + self._idle,
                )
            )
        return session

    def drop(self, token: str) -> None:
        with self._store.browse() as browse:
            browse.delete_session(token_hash(token))

    def flash(self, token: str, message: str) -> None:
        """A message shown once, on the next page (after a POST's redirect)."""
        key = token_hash(token)
        with self._store.browse() as browse:
            found = browse.get_session(key)
            if found is not None:
                browse.set_session_flash(key, (*found.flash, message)[-10:])

    def take_flash(self, token: str) -> tuple[str, ...]:
        key = token_hash(token)
        with self._store.browse() as browse:
            found = browse.get_session(key)
            if found is None or not found.flash:
                return ()
            browse.set_session_flash(key, ())
            return found.flash


class LoginThrottle:
    """After `limit` wrong passwords for one user name from one client address, refuse that
    pair's tries for `pause` (without checking the password); after `address_limit` from one
    address across all names, that address's. A success clears the pair's count. In
    memory: it slows a guesser down, it does not replace a strong password."""

    def __init__(
        self,
        clock: Clock,
        *,
        limit: int = 5,
        address_limit: int = 20,
        pause: timedelta = timedelta(minutes=5),
    ):
        self._clock = clock
        self._limit = limit
        self._address_limit = address_limit
        self._pause = pause
        self._lock = threading.Lock()
        self._failures: dict[tuple[str, str], tuple[int, datetime]] = {}

    def _left(self, key: tuple[str, str], limit: int) -> timedelta | None:
        count, last = self._failures.get(key, (0, self._clock.now()))
        if count < limit:
            return None
        left = last + self._pause - self._clock.now()
        return left if left > timedelta(0) else None

    def blocked_for(self, username: str, address: str) -> timedelta | None:
        with self._lock:
            mine = self._left((username, address), self._limit)
            everyone = self._left(("", address), self._address_limit)
        waits = [w for w in (mine, everyone) if w is not None]
        return max(waits) if waits else None

    def failed(self, username: str, address: str) -> None:
        now = self._clock.now()
        with self._lock:
            for key, limit in (
                ((username, address), self._limit),
                (("", address), self._address_limit),
            ):
                count, last = self._failures.get(key, (0, now))
                if count >= limit and now - last >= self._pause:
                    count = 0  # the pause is over: a fresh allowance
                self._failures[key] = (count + 1, now)
            while len(self._failures) > MAX_SESSIONS:
                self._failures.pop(next(iter(self._failures)))

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._failures.pop((username, address), None)


def csrf_ok(session: Session | None, sent: str | None) -> bool:
    return (
        session is not None
        and bool(sent)
        and hmac.compare_digest(session.csrf.encode(), (sent or "").encode())
    )


@dataclass(frozen=True, slots=True)
class Access:
    login_required: bool

    def is_open(self, path: str) -> bool:
        return any(path == p or (p.endswith("/") and path.startswith(p)) for p in OPEN_PATHS)

    def actor(self, session: Session | None) -> str | None:
        """Who acts in this session, for the audit log; None: nobody may act."""
        if session is not None and session.username:
            return session.username
        return None if self.login_required else LOCAL_ACTOR

    def is_admin(self, session: Session | None) -> bool:
        if session is not None and session.username:
            return session.role is Role.ADMIN
        return not self.login_required  # the person at the server's own console
