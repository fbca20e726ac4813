"""Fixtures for vendor matching and GL mapping: the labelled Sage vendor list."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ml_connector.sage100.port import DivisionNo, SageVendor, SageVendorNo

HERE = Path(__file__).parent

# Figures the tests want a person to see (the labelled set's share decided without a
# person): shown in pytest's terminal summary, so `make test` prints them without -s.
REPORT: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORT:
        terminalreporter.section("vendor matching: labelled set")
        for line in REPORT:
            terminalreporter.write_line(line)


def load_sage_vendors() -> list[SageVendor]:
    with (HERE / "sage_vendors.csv").open(newline="", encoding="utf-8") as f:
        return [
            SageVendor(
                division_no=DivisionNo(row["division_no"]),
                vendor_no=SageVendorNo(row["vendor_no"]),
                name=row["name"],
                status=row["status"],
            )
            for row in csv.DictReader(f)
        ]


def load_pairs() -> list[dict[str, str]]:
    with (HERE / "vendor_pairs.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="session")
def sage_vendors() -> list[SageVendor]:
    return load_sage_vendors()
