"""The vendor candidates of a review row in a real browser: each shows its Sage status, an
inactive one cannot be ticked (Sage refuses invoices for it), and the one ticked is the
one `review list` suggests: the best candidate that is not inactive.

ServiceTitan vendor 690 "ABC Plumbing Supply" scores closest to Sage's inactive
ABCPLUM "ABC Plumbing Supply (closed)" (seed), then to ABCPLHE "ABC Plumbing & Heating",
an active vendor keyed in Sage by hand before the first cycle (`web_world.abc_plumbing`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web_world import ABC_PLUMBING, PAIR, WebWorld, abc_plumbing, open_web_world

from ml_connector.app.cli.review import next_command
from ml_connector.store.port import ReviewStatus

ST_VENDOR = ABC_PLUMBING


def _row(page: Any) -> Any:
    """The row of ServiceTitan vendor 690 (other rows may list ABCPLUM as a candidate)."""
    heading = page.locator("h2", has_text=f"Which Sage vendor? {ST_VENDOR[1]}")
    return page.locator("section.problem", has=heading)


@pytest.fixture
def abc_web(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebWorld]:
    with open_web_world(tmp_path, monkeypatch, before_run=abc_plumbing) as world:
        yield world


def test_an_inactive_candidate_is_shown_but_not_ticked(abc_web: WebWorld, browser: Any) -> None:
    web = abc_web
    with web.store() as store, store.transaction() as tx:
        [item] = [
            i
            for i in tx.list_reviews(PAIR, ReviewStatus.OPEN)
            if i.doc_id is None and i.details.get("st_vendor_id") == ST_VENDOR[0]
        ]
    statuses = [(c["vendor_no"], c["status"]) for c in item.details["candidates"]]
    assert statuses[:2] == [("ABCPLUM", "I"), ("ABCPLHE", "A")]  # the inactive one first
    assert "--vendor 00-ABCPLHE" in next_command(item)  # what the CLI suggests

    page = browser.new_page()
    page.goto(f"{web.url}/review")
    row = _row(page)
    inactive = row.locator("input[name=vendor][value='00-ABCPLUM']")
    active = row.locator("input[name=vendor][value='00-ABCPLHE']")
    assert not inactive.is_checked()
    assert inactive.is_disabled()
    assert active.is_checked()
    labels = row.locator("label.candidate")
    assert "inactive in Sage" in labels.filter(has_text="ABCPLUM").inner_text()
    assert "active" in labels.filter(has_text="ABCPLHE").inner_text()
    assert "inactive" not in labels.filter(has_text="ABCPLHE").inner_text()

    # the page cannot send the inactive one; a forged form is refused by the server
    csrf = row.locator("input[name=csrf]").first.get_attribute("value")
    forged = page.request.post(
        f"{web.url}/review/{item.id}/link", form={"csrf": csrf, "vendor": "00-ABCPLUM"}
    )
    assert "Not done" in forged.text()
    assert "inactive" in forged.text()
    with web.store() as store, store.transaction() as tx:
        assert tx.get_link_by_st(PAIR, ST_VENDOR[0]) is None

    page.goto(f"{web.url}/review")
    row = _row(page)
    row.locator("form.link-vendor button").click()
    assert "Linked to Sage vendor 00-ABCPLHE" in page.locator(".flash").first.inner_text()
    with web.store() as store, store.transaction() as tx:
        link = tx.get_link_by_st(PAIR, ST_VENDOR[0])
    assert link is not None
    assert link.vendor_no == "ABCPLHE"
