"""Who is using the web app: sessions, logins, CSRF tokens and the access rule.

- Sessions live in this process's memory (a restart logs everyone out), keyed by a random
  token in an HttpOnly, SameSite=Strict cookie (Secure under TLS); an idle session ends
  after `session_hours`. Their number is capped, oldest dropped first.
- Every session, logged in or not, carries a CSRF token; every POST must send it back in
  the form (`csrf`), compared in constant time. So no page elsewhere can make a browser
  act here, not even on 127.0.0.1.
- The access rule (`Access`): when a login is required (any address but loopback, or
  `require_login`), a request without a logged-in session may only reach the login page,
  /healthz, /metrics and the static files. On loopback without `require_login`, the person
  at the server acts as "local user" unless they log in.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from ml_connector.clock import Clock
from ml_connector.store.browse import Role

COOKIE = "mlc_session"
LOCAL_ACTOR = "local user"
MAX_SESSIONS = 5000
OPEN_PATHS = ("/login", "/healthz", "/metrics", "/static/")


@dataclass(frozen=True, slots=True)
class Session:
    token: str
    csrf: str
    last_seen: datetime
    username: str | None = None  # None: not logged in
    role: Role | None = None
    flash: tuple[str, ...] = field(default=())


class SessionStore:
    """Thread-safe, in memory, idle sessions expire."""

    def __init__(self, clock: Clock, *, idle: timedelta, max_sessions: int = MAX_SESSIONS):
        self._clock = clock
        self._idle = idle
        self._max = max_sessions
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def get(self, token: str | None) -> Session | None:
        if not token:
            return None
        now = self._clock.now()
        with self._lock:
            found = self._sessions.get(token)
            if found is None:
                return None
            if now - found.last_seen > self._idle:
                del self._sessions[token]
                return None
            found = replace(found, last_seen=now)
            self._sessions[token] = found
            self._sessions.move_to_end(token)
            return found

    def new(self, *, username: str | None = None, role: Role | None = None) -> Session:
        session = Session(
            token=secrets.token_urlsafe(32),
            csrf=secrets.token_urlsafe(32),
            last_seen=self._clock.now(),
            username=username,
            role=role,
        )
        with self._lock:
            self._sessions[session.token] = session
            while len(self._sessions) > self._max:
                self._sessions.popitem(last=False)
        return session

    def drop(self, token: str) -> None:
        with self._lock:
            self._sessions.pop(token, None)

    def flash(self, token: str, message: str) -> None:
        """A message shown once, on the next page (after a POST's redirect)."""
        with self._lock:
            found = self._sessions.get(token)
            if found is not None:
                self._sessions[token] = replace(found, flash=(*found.flash, message))

    def take_flash(self, token: str) -> tuple[str, ...]:
        with self._lock:
            found = self._sessions.get(token)
            if found is None or not found.flash:
                return ()
            self._sessions[token] = replace(found, flash=())
            return found.flash


class LoginThrottle:
    """After `limit` failed logins for one user name, refuse further tries for `pause`
    (without checking the password); a success clears the count. In memory, like the
    sessions: it slows a guesser down, it does not replace a strong password."""

    def __init__(self, clock: Clock, *, limit: int = 5, pause: timedelta = timedelta(minutes=5)):
        self._clock = clock
        self._limit = limit
        self._pause = pause
        self._lock = threading.Lock()
        self._failures: dict[str, tuple[int, datetime]] = {}

    def blocked_for(self, username: str) -> timedelta | None:
        with self._lock:
            count, last = self._failures.get(username, (0, self._clock.now()))
        if count < self._limit:
            return None
        left = last + self._pause - self._clock.now()
        return left if left > timedelta(0) else None

    def failed(self, username: str) -> None:
        now = self._clock.now()
        with self._lock:
            count, last = self._failures.get(username, (0, now))
            if count >= self._limit and now - last >= self._pause:
                count = 0  # the pause is over: a fresh allowance
            self._failures[username] = (count + 1, now)
            while len(self._failures) > MAX_SESSIONS:
                self._failures.pop(next(iter(self._failures)))

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username, None)


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
