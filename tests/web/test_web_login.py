"""Logins, roles and refused writes: with a login required, nothing is reachable or
writable without one; a write without the session's CSRF token is refused even when
logged in; what a clerk does is audited with her name; logging out ends the session."""

from __future__ import annotations

import re
from typing import Any

import httpx
from web_world import PAIR, PASSWORDS, WebWorld

from ml_connector.store.port import ReviewStatus


def _log_in(page: Any, name: str, password: str) -> None:
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def _open_ids(web: WebWorld) -> list[int]:
    with web.store() as store, store.transaction() as tx:
        return [i.id or 0 for i in tx.list_reviews(PAIR, ReviewStatus.OPEN)]


def test_login_roles_logout_and_refused_writes(web_login: WebWorld, browser: Any) -> None:
    web = web_login
    open_before = _open_ids(web)
    target = open_before[0]

    # no login: pages lead to the login form, writes are refused
    with httpx.Client(base_url=web.url) as anonymous:
        page_resp = anonymous.get("/bills")
        assert page_resp.status_code == 303
        assert page_resp.headers["location"].startswith("/login")
        refused = anonymous.post(f"/review/{target}/ignore", data={"note": "x", "csrf": "x"})
        assert refused.status_code == 403
        assert "log in first" in refused.text
        assert anonymous.get("/healthz").status_code == 200  # monitoring stays open

    page = browser.new_page()
    page.goto(f"{web.url}/review")
    assert page.url.startswith(f"{web.url}/login")
    _log_in(page, "maria", "not her password")
    assert "Wrong user name or password" in page.locator(".flash").inner_text()
    _log_in(page, "Maria", PASSWORDS["maria"])
    assert page.url == f"{web.url}/review"
    assert "maria (clerk)" in page.locator("header").inner_text()

    # logged in, but a write without the form's CSRF token is refused
    refused = page.request.post(f"{web.url}/review/{target}/ignore", form={"note": "x"})
    assert refused.status == 403
    assert _open_ids(web) == open_before

    # a clerk ignores an item (audited with her name); saving a GL rule is for admins
    row = page.locator("section.problem", has_text="WEX Fleet")
    row.locator("form[action$='/ignore'] input[name=note]").fill("paid by fuel card")
    row.get_by_role("button", name="Ignore").click()
    assert "Ignored" in page.locator(".flash").inner_text()
    row = page.locator("section.problem", has_text="GL-7777")
    assert row.locator("input[name=scope][value=rule]").is_disabled()
    csrf = row.locator("input[name=csrf]").first.input_value()
    forced = page.request.post(
        f"{web.url}{row.locator('form.map-gl').get_attribute('action')}",
        form={"csrf": csrf, "account": "6400-00-100", "scope": "rule"},
    )
    assert "an admin does it" in forced.text()
    assert "7777" not in web.gl_rules.read_text(encoding="utf-8")
    with web.store() as store, store.transaction() as tx:
        mine = [e for e in tx.iter_audit() if e.actor == "maria"]
    assert {"login", "review_ignored"} <= {e.action for e in mine}

    # log out: the session is gone, the old cookie is worth nothing
    cookie = next(c for c in page.context.cookies() if c["name"] == "mlc_session")
    page.get_by_role("button", name="Log out").click()
    assert page.url.startswith(f"{web.url}/login")
    with httpx.Client(base_url=web.url, cookies={"mlc_session": cookie["value"]}) as stale:
        assert stale.get("/review").status_code == 303
    page.goto(f"{web.url}/audit")
    assert page.url.startswith(f"{web.url}/login")

    # an admin may save the rule
    _log_in(page, "admin", PASSWORDS["admin"])
    assert re.search(r"admin \(admin\)", page.locator("header").inner_text())
    page.goto(f"{web.url}/review")
    row = page.locator("section.problem", has_text="GL-7777")
    row.locator("select[name=account]").select_option("6400-00-100")
    row.locator("input[name=scope][value=rule]").check()
    row.get_by_role("button", name="Map").click()
    assert "GL rule saved: 7777 -> 6400-00-100" in page.locator(".flash").inner_text()
    assert 'st_gl_account = "7777"' in web.gl_rules.read_text(encoding="utf-8")
