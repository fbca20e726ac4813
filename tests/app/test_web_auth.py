"""Password hashes, sessions and CSRF tokens of the web app."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from ml_connector.app.web.auth import Access, LoginThrottle, SessionStore, csrf_ok
from ml_connector.app.web.passwords import WeakPasswordError, hash_password, verify_password
from ml_connector.clock import ManualClock
from ml_connector.store.browse import Role, User
from ml_connector.store.schema import web_sessions
from ml_connector.store.sql import SqlStateStore


def test_hashes_are_salted_and_checked() -> None:
    first = hash_password("correct horse battery")
    second = hash_password("correct horse battery")
    assert first != second  # a salt per hash
    assert "correct horse" not in first
    assert verify_password("correct horse battery", first)
    assert not verify_password("correct horse batterx", first)
    assert not verify_password("correct horse battery", "scrypt$broken")
    assert not verify_password("correct horse battery", "md5$" + first.split("$", 1)[1])
    with pytest.raises(WeakPasswordError):
        hash_password("short")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStateStore]:
    store = SqlStateStore.open(f"sqlite:///{tmp_path / 'state.sqlite'}")
    yield store
    store.close()


def _user(store: SqlStateStore, name: str, role: Role, at: datetime) -> None:
    with store.browse() as browse:
        browse.add_user(
            User(name, hash_password("a good long password"), role, created_at=at, created_by="t")
        )


def _rows(store: SqlStateStore) -> list[tuple[str, str | None]]:
    with store.transaction() as tx:
        found = tx.connection.execute(select(web_sessions.c.id_hash, web_sessions.c.username))
        return [(r.id_hash, r.username) for r in found]


def test_sessions_are_stored_hashed_expire_when_idle_and_csrf_must_match(
    store: SqlStateStore,
) -> None:
    clock = ManualClock(datetime(2026, 5, 1, tzinfo=UTC))
    _user(store, "maria", Role.CLERK, clock.now())
    sessions = SessionStore(store, clock, idle=timedelta(hours=1))
    s = sessions.new(username="maria", role=Role.CLERK)
    assert csrf_ok(s, s.csrf)
    assert not csrf_ok(s, "")
    assert not csrf_ok(s, s.csrf[:-1] + "x")
    assert not csrf_ok(None, s.csrf)
    # only the hash of the id is stored: a copy of the database opens no session
    [(stored, who)] = _rows(store)
    assert who == "maria"
    assert s.token not in stored
    assert stored == hashlib.sha256(s.token.encode()).hexdigest()
    assert sessions.get(stored) is None
    clock.advance(3000)
    assert sessions.get(s.token) is not None  # seen: idle time starts again
    clock.advance(3000)
    assert sessions.get(s.token) is not None
    clock.advance(3601)
    assert sessions.get(s.token) is None
    assert _rows(store) == []  # an expired session's row is gone


def test_sessions_survive_a_restart_and_logout_deletes_them(store: SqlStateStore) -> None:
    clock = ManualClock(datetime(2026, 5, 1, tzinfo=UTC))
    _user(store, "maria", Role.CLERK, clock.now())
    s = SessionStore(store, clock, idle=timedelta(hours=8)).new(username="maria", role=Role.CLERK)
    SessionStore(store, clock, idle=timedelta(hours=8)).flash(s.token, "saved")
    again = SessionStore(store, clock, idle=timedelta(hours=8))  # a new process
    found = again.get(s.token)
    assert found is not None
    assert (found.username, found.role, found.csrf) == ("maria", Role.CLERK, s.csrf)
    assert again.take_flash(s.token) == ("saved",)
    assert again.take_flash(s.token) == ()  # shown once
    again.drop(s.token)
    assert again.get(s.token) is None
    assert _rows(store) == []


def test_a_disabled_user_or_a_new_password_ends_her_sessions(store: SqlStateStore) -> None:
    clock = ManualClock(datetime(2026, 5, 1, tzinfo=UTC))
    _user(store, "maria", Role.CLERK, clock.now())
    sessions = SessionStore(store, clock, idle=timedelta(hours=8))
    first = sessions.new(username="maria", role=Role.CLERK)
    with store.browse() as browse:  # promoted: the role counts at the next request
        browse.update_user("maria", clock.now(), role=Role.ADMIN)
    found = sessions.get(first.token)
    assert found is not None
    assert found.role is Role.ADMIN
    with store.browse() as browse:
        browse.update_user("maria", clock.now(), password_hash=hash_password("another long one"))
    assert sessions.get(first.token) is None
    second = sessions.new(username="maria", role=Role.CLERK)
    with store.browse() as browse:
        browse.update_user("maria", clock.now(), active=False)
    assert sessions.get(second.token) is None


def test_sessions_not_logged_in_are_capped(store: SqlStateStore) -> None:
    clock = ManualClock(datetime(2026, 5, 1, tzinfo=UTC))
    _user(store, "maria", Role.CLERK, clock.now())
    sessions = SessionStore(store, clock, idle=timedelta(hours=1), max_anonymous=2)
    mine = sessions.new(username="maria", role=Role.CLERK)
    a = sessions.new()
    clock.advance(1)
    b = sessions.new()
    clock.advance(1)
    c = sessions.new()
    assert sessions.get(a.token) is None  # the oldest goes first
    assert sessions.get(b.token) is not None
    assert sessions.get(c.token) is not None
    assert sessions.get(mine.token) is not None  # a logged-in one is never pushed out


def test_who_may_act(store: SqlStateStore) -> None:
    clock = ManualClock(datetime(2026, 5, 1, tzinfo=UTC))
    anonymous = SessionStore(store, clock, idle=timedelta(hours=1)).new()
    assert Access(login_required=True).actor(anonymous) is None
    assert Access(login_required=False).actor(anonymous) == "local user"
    assert Access(login_required=False).is_admin(anonymous)
    assert not Access(login_required=True).is_admin(anonymous)
    assert Access(login_required=True).is_open("/static/app.css")
    assert not Access(login_required=True).is_open("/review")


def test_wrong_passwords_pause_that_user_from_that_address_only() -> None:
    clock = ManualClock(datetime(2026, 5, 1, tzinfo=UTC))
    throttle = LoginThrottle(clock, limit=3, address_limit=20, pause=timedelta(minutes=5))
    guesser, hers = "10.0.0.66", "10.0.0.12"
    for _ in range(3):
        assert throttle.blocked_for("maria", guesser) is None
        throttle.failed("maria", guesser)
    assert throttle.blocked_for("maria", guesser) == timedelta(minutes=5)
    assert throttle.blocked_for("maria", hers) is None  # she still logs in from her PC
    assert throttle.blocked_for("bob", guesser) is None  # other names are not slowed yet
    clock.advance(301)
    assert throttle.blocked_for("maria", guesser) is None
    throttle.failed("maria", guesser)  # a fresh allowance after the pause
    assert throttle.blocked_for("maria", guesser) is None
    throttle.succeeded("maria", guesser)
    throttle.failed("maria", guesser)
    throttle.failed("maria", guesser)
    assert throttle.blocked_for("maria", guesser) is None


def test_one_address_guessing_many_names_is_paused() -> None:
    clock = ManualClock(datetime(2026, 5, 1, tzinfo=UTC))
    throttle = LoginThrottle(clock, limit=3, address_limit=6, pause=timedelta(minutes=5))
    for name in ("a", "b", "c", "d", "e", "f"):
        assert throttle.blocked_for(name, "10.0.0.66") is None
        throttle.failed(name, "10.0.0.66")
    assert throttle.blocked_for("maria", "10.0.0.66") == timedelta(minutes=5)
    assert throttle.blocked_for("maria", "10.0.0.12") is None
