"""Password hashes, sessions and CSRF tokens of the web app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ml_connector.app.web.auth import Access, LoginThrottle, SessionStore, csrf_ok
from ml_connector.app.web.passwords import WeakPasswordError, hash_password, verify_password
from ml_connector.clock import ManualClock
from ml_connector.store.browse import Role


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


def test_sessions_expire_when_idle_and_csrf_must_match() -> None:
    clock = ManualClock(datetime(2026, 5, 1, tzinfo=UTC))
    sessions = SessionStore(clock, idle=timedelta(hours=1), max_sessions=2)
    s = sessions.new(username="maria", role=Role.CLERK)
    assert csrf_ok(s, s.csrf)
    assert not csrf_ok(s, "")
    assert not csrf_ok(s, s.csrf[:-1] + "x")
    assert not csrf_ok(None, s.csrf)
    clock.advance(3000)
    assert sessions.get(s.token) is not None  # seen: idle time starts again
    clock.advance(3000)
    assert sessions.get(s.token) is not None
    clock.advance(3601)
    assert sessions.get(s.token) is None
    a, b, c = sessions.new(), sessions.new(), sessions.new()
    assert sessions.get(a.token) is None  # capped: the oldest goes first
    assert sessions.get(b.token) is not None
    assert sessions.get(c.token) is not None


def test_who_may_act() -> None:
    clock = ManualClock(datetime(2026, 5, 1, tzinfo=UTC))
    anonymous = SessionStore(clock, idle=timedelta(hours=1)).new()
    assert Access(login_required=True).actor(anonymous) is None
    assert Access(login_required=False).actor(anonymous) == "local user"
    assert Access(login_required=False).is_admin(anonymous)
    assert not Access(login_required=True).is_admin(anonymous)
    assert Access(login_required=True).is_open("/static/app.css")
    assert not Access(login_required=True).is_open("/review")


def test_wrong_passwords_pause_that_user_name() -> None:
    clock = ManualClock(datetime(2026, 5, 1, tzinfo=UTC))
    throttle = LoginThrottle(clock, limit=3, pause=timedelta(minutes=5))
    for _ in range(3):
        assert throttle.blocked_for("maria") is None
        throttle.failed("maria")
    assert throttle.blocked_for("maria") == timedelta(minutes=5)
    assert throttle.blocked_for("bob") is None  # other names are not slowed
    clock.advance(301)
    assert throttle.blocked_for("maria") is None
    throttle.failed("maria")  # a fresh allowance after the pause
    assert throttle.blocked_for("maria") is None
    throttle.succeeded("maria")
    throttle.failed("maria")
    throttle.failed("maria")
    assert throttle.blocked_for("maria") is None
