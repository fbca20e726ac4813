"""Take the screenshots of the web app in docs/ (docs/web-*.png), with the browser tests'
own setup: both sandboxes, `run` in a thread, Playwright driving Debian's chromium.

    .venv/bin/python scripts/web_screenshots.py [OUT_DIR]

Run once after a visible change to the pages; the PNGs are committed.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
for helpers in ("web", "cli", "sync"):
    sys.path.insert(0, str(ROOT / "tests" / helpers))

from web_world import (  # noqa: E402
    ABC_PLUMBING,
    CHROMIUM,
    DUP_BILL,
    PASSWORDS,
    abc_plumbing,
    browser_unavailable,
    open_web_world,
)

SIZE = {"width": 1024, "height": 680}


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs"
    reason = browser_unavailable()
    if reason:
        print(f"cannot take screenshots: {reason}", file=sys.stderr)  # noqa: T201
        return 2
    monkeypatch = pytest.MonkeyPatch()
    with (
        tempfile.TemporaryDirectory() as tmp,
        open_web_world(Path(tmp), monkeypatch, require_login=True) as web,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport=SIZE)
        page.goto(f"{web.url}/login")
        page.screenshot(path=out / "web-login.png")
        page.get_by_label("User name").fill("maria")
        page.get_by_label("Password").fill(PASSWORDS["maria"])
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{web.url}/review")
        page.screenshot(path=out / "web-review.png")
        # a missing GL account: the account for this bill only, or (admins) as a rule
        gl = page.locator("section.problem", has_text="GL-7777")
        gl.locator("select[name=account]").select_option("6400-00-100")
        gl.screenshot(path=out / "web-review-gl.png")
        page.goto(f"{web.url}/bills?q=ferguson")
        page.screenshot(path=out / "web-bills.png")
        page.goto(f"{web.url}/bills/main/ap_bill/{DUP_BILL}")
        page.screenshot(path=out / "web-bill.png")
        page.goto(f"{web.url}/runs")
        page.screenshot(path=out / "web-runs.png")
        page.goto(f"{web.url}/audit")
        page.screenshot(path=out / "web-audit.png")
        browser.close()
    with (
        tempfile.TemporaryDirectory() as tmp,
        open_web_world(Path(tmp), monkeypatch, before_run=abc_plumbing) as web,
        sync_playwright() as pw,
    ):  # a vendor whose closest Sage vendor is inactive: greyed, the active one ticked
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport=SIZE)
        page.goto(f"{web.url}/review")
        heading = page.locator("h2", has_text=f"Which Sage vendor? {ABC_PLUMBING[1]}")
        row = page.locator("section.problem", has=heading)
        row.locator("form.link-vendor").screenshot(path=out / "web-review-inactive.png")
        browser.close()
    monkeypatch.undo()
    for png in sorted(out.glob("web-*.png")):
        print(f"{png} {png.stat().st_size // 1024} KiB")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
