"""Fixtures for vendor matching and GL mapping: the labelled Sage vendor list (loaded by
`labelled_set`, which test modules import)."""

from __future__ import annotations

import pytest
from labelled_set import REPORT, load_sage_vendors

from ml_connector.sage100.port import SageVendor


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORT:
        terminalreporter.section("vendor matching: labelled set")
        for line in REPORT:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def sage_vendors() -> list[SageVendor]:
    return load_sage_vendors()
