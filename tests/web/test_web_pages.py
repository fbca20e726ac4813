"""Bills, runs and the audit log in a real browser: find a bill by what a clerk knows of
it, read its history, and export the audit log (UTC) with the filters on screen."""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

from web_world import DUP_BILL, GL_BILL, PAIR, WebWorld

from ml_connector.store.audit_export import CSV_COLUMNS


def _rows(page: Any, table: str) -> list[str]:
    return list(page.locator(f"table#{table} tr").all_inner_texts())[1:]


def test_search_a_bill_read_its_history_and_export_the_audit(web: WebWorld, browser: Any) -> None:
    page = browser.new_page()
    page.goto(f"{web.url}/bills")
    with web.store() as store, store.transaction() as tx:  # as `ml-connector status` counts
        counts = Counter(e.status.value for e in tx.iter_ledger(PAIR))
    shown = page.locator("p.counts").inner_text()
    for status, n in counts.items():
        assert f"{status.replace('_', ' ')}: {n}" in shown

    # by reference
    page.get_by_label("ServiceTitan id, reference or vendor").fill("dup-77")
    page.get_by_role("button", name="Search").click()
    rows = _rows(page, "bills")
    assert len(rows) == 1
    assert "DUP-77" in rows[0]
    assert "55.00" in rows[0]
    # by amount and date, then by ServiceTitan id
    page.goto(f"{web.url}/bills?amount=80&from=2026-01-12&to=2026-01-12")
    assert [r.split("\t")[0] for r in _rows(page, "bills")] == [f"AP bill {GL_BILL}"]
    page.goto(f"{web.url}/bills?q={DUP_BILL}")
    page.get_by_role("link", name=f"AP bill {DUP_BILL}").click()
    assert page.locator("#bill-state").inner_text() == "review"
    history = page.locator("table#history").inner_text()
    assert "suspected duplicate" in history
    assert "00-CED invoice DUP-77" in history
    # by vendor name, paged: the count is every match
    page.goto(f"{web.url}/bills?q=ferguson")
    assert "3 bills found" in page.locator("main").inner_text()

    page.goto(f"{web.url}/runs")
    assert len(_rows(page, "runs")) == 1
    assert page.locator("svg rect").count() >= 2

    page.goto(f"{web.url}/audit")
    page.get_by_label("What").select_option("suspected_duplicate")
    page.get_by_role("button", name="Filter").click()
    total = page.locator("main p").first.inner_text()
    assert total.startswith("1 event")
    with page.expect_download() as download:
        page.locator("#export").click()
    body = download.value.path().read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(body)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 2
    assert rows[1][3] == "suspected_duplicate"
    assert rows[1][1].endswith("Z")  # UTC in exports
    assert rows[1][6] == str(DUP_BILL)
