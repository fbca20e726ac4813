"""The review queue in a real browser: a clerk resolves every kind of review item where
she sees it, each action goes through the review operations and the audit names her, and
the next cycle (asked for with "Sync now") shows the effect in Sage."""

from __future__ import annotations

from typing import Any

from engine_bills import ap_bill
from web_world import DUP_BILL, GL_BILL, PAIR, WebWorld

from ml_connector.app.web.auth import LOCAL_ACTOR
from ml_connector.store.port import DocKind, LedgerStatus, ReviewStatus


def _problem(page: Any, text: str) -> Any:
    return page.locator("section.problem", has_text=text)


def _flash(page: Any) -> str:
    return str(page.locator(".flash").first.inner_text())


def test_a_clerk_resolves_each_kind_of_review_item(web: WebWorld, browser: Any) -> None:
    page = browser.new_page()
    page.goto(f"{web.url}/review")
    with web.store() as store, store.transaction() as tx:
        open_items = tx.list_reviews(PAIR, ReviewStatus.OPEN)  # what `review list` shows
    heading = page.locator("h1").inner_text()
    assert f"({len(open_items)} open review items" in heading
    problems = page.locator("section.problem")
    assert f"Review queue: {problems.count()} problems" in heading
    assert problems.count() < len(open_items)  # a vendor's bills share its row

    # a vendor the matcher could not decide: its first candidate is pre-selected
    row = _problem(page, "Ferguson Waterworks")
    assert row.locator("input[type=radio]").first.is_checked()
    row.locator("form.link-vendor button").click()
    assert "Linked to Sage vendor 00-FERGWAT" in _flash(page)
    # an inactive vendor is refused, with the reason, and nothing changes
    row = _problem(page, "Old Dominion Supply")
    row.locator("input[name=vendor_typed]").fill("00-OLDDOMI")
    row.locator("form.link-vendor button").click()
    assert "Not done" in _flash(page)
    assert "inactive" in _flash(page)
    # search Sage's vendors by name, pick the one found
    row = _problem(page, "Grainger")
    row.locator("input[name=find]").fill("grainger")
    row.locator("input[name=find]").press("Enter")
    row = _problem(page, "Grainger")
    row.get_by_label("GRAINGE Grainger (found)").check()
    row.locator("form.link-vendor button").click()
    assert "Linked to Sage vendor 00-GRAINGE" in _flash(page)
    # create the vendor in Sage
    _problem(page, "Spectrum Business").get_by_role("button", name="Create vendor").click()
    assert "Created Sage vendor 00-" in _flash(page)
    # ... and its Sage number goes to the ServiceTitan vendor's externalData, as the
    # engine's vendor step does (write_vendor_number_to_st is on in this config)
    assert "kept in ServiceTitan vendor 620" in _flash(page)
    # an unknown ServiceTitan GL account: an active Sage account for this bill only (the
    # default), no rule written
    row = _problem(page, "GL-7777")
    assert row.locator("input[name=scope][value=once]").is_checked()
    row.locator("select[name=account]").select_option("6400-00-100")
    row.get_by_role("button", name="Map").click()
    assert "Account 6400-00-100 set for 1 bill(s) only" in _flash(page)
    assert "7777" not in web.gl_rules.read_text(encoding="utf-8")
    page.goto(f"{web.url}/bills/main/ap_bill/{GL_BILL}")
    assert "6400-00-100, set by local user" in page.locator("#gl-override").inner_text()
    assert "this revision" in page.locator("#gl-override").inner_text()
    page.goto(f"{web.url}/review")
    # a suspected duplicate: not one, write this revision
    _problem(page, "DUP-77").get_by_role("button", name="Accept").click()
    assert "Accepted" in _flash(page)
    # retry as it is, and ignore with a reason (a reason is required)
    _problem(page, "City of Columbus").get_by_role("button", name="Retry").click()
    assert "Re-queued" in _flash(page)
    row = _problem(page, "WEX Fleet")
    row.locator("form[action$='/ignore'] input[name=note]").fill("paid by fuel card")
    row.get_by_role("button", name="Ignore").click()
    assert "Ignored" in _flash(page)
    assert _problem(page, "WEX Fleet").count() == 0

    # a write without the page's CSRF token is refused, even on 127.0.0.1
    refused = page.request.post(f"{web.url}/review/1/retry", form={"note": "x"})
    assert refused.status == 403
    assert "security token" in refused.text()

    # the effect shows after the next cycle, asked for now
    before = web.cycles()
    page.get_by_role("button", name="Sync now").click()
    assert "A cycle was asked for" in _flash(page)
    web.wait_for_cycle(before)
    invoices = web.sage_invoices()
    assert invoices[("FERGUS", "GL-7777")] == 80.0
    assert invoices[("FERGUS", "DUP-77")] == 55.0
    with web.store() as store, store.transaction() as tx:
        links = {link.st_vendor_id: link for link in tx.iter_links(PAIR)}
        entry = tx.get_ledger(PAIR, DocKind.AP_BILL, GL_BILL)
        duplicate = tx.get_ledger(PAIR, DocKind.AP_BILL, DUP_BILL)
        events = [e for e in tx.iter_audit(pair=PAIR) if e.actor == LOCAL_ACTOR]
    assert (links[602].vendor_no, links[602].method, links[602].created_by) == (
        "FERGWAT",
        "manual",
        LOCAL_ACTOR,
    )
    assert links[608].vendor_no == "GRAINGE"
    assert links[620].vendor_no.startswith("SPECTR")
    assert web.st_vendor_number(620) == links[620].vendor_no
    # created with the ServiceTitan vendor's address, as the engine creates vendors
    assert web.sage_vendor(links[620].vendor_no)[:3] == (
        "Spectrum Business",
        "1015 Olentangy River Rd",
        "Columbus",
    )
    assert entry is not None
    assert entry.status is LedgerStatus.WRITTEN
    assert duplicate is not None
    assert duplicate.status is LedgerStatus.WRITTEN
    actions = {e.action for e in events}
    assert {"review_resolved_requeued", "review_retry", "review_ignored"} <= actions
    assert {"vendor_created", "vendor_number_saved", "gl_override_set", "sync_requested"} <= (
        actions
    )
    page.goto(f"{web.url}/review")
    assert _problem(page, "GL-7777").count() == 0
    assert _problem(page, "DUP-77").count() == 0

    # the written bill changes in ServiceTitan: changed after export, accepted by hand
    web.sb.upsert(
        "ap-bills",
        [ap_bill(GL_BILL, reference="GL-7777", amount="90.00", bill_date="2026-01-12")],
    )
    before = web.cycles()
    page.get_by_role("button", name="Sync now").click()
    web.wait_for_cycle(before)
    page.goto(f"{web.url}/review")
    row = _problem(page, "Changed after it was written")
    assert row.count() == 1
    assert row.get_by_role("button", name="Retry").count() == 0  # never written again
    row.locator("form.accept input[name=note]").fill("adjusted in Sage by hand")
    row.get_by_role("button", name="Accept").click()
    assert "Accepted" in _flash(page)
    with web.store() as store, store.transaction() as tx:
        accepted = [e for e in tx.iter_audit(pair=PAIR) if e.action == "review_resolved_accepted"]
    assert [(e.doc_id, e.actor) for e in accepted] == [(GL_BILL, LOCAL_ACTOR)]
    assert web.sage_invoices()[("FERGUS", "GL-7777")] == 80.0  # nothing written twice
