"""Fixtures of the web app tests (helpers in web_world.py): both sandboxes, a config, and
`ml-connector run` started in a thread with the web app on a free loopback port; and a
real browser (Playwright driving Debian's chromium), skipped with the reason when none
can be had."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

for helpers in ("cli", "sync"):  # cli_world, engine_bills
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / helpers))

from web_world import CHROMIUM, WebWorld, browser_unavailable, open_web_world  # noqa: E402


@pytest.fixture
def web(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebWorld]:
    with open_web_world(tmp_path, monkeypatch) as world:
        yield world


@pytest.fixture
def web_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebWorld]:
    with open_web_world(tmp_path, monkeypatch, require_login=True) as world:
        yield world


@pytest.fixture
def browser() -> Iterator[Any]:
    reason = browser_unavailable()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()
