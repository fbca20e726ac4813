"""What the matching tests share: the labelled Sage vendor list and pairs, and the figures
shown in pytest's summary. A module of its own, with a unique name, so that test modules
import it safely (`from conftest import` resolves to another folder's conftest when
several test folders run in one command)."""

from __future__ import annotations

import csv
from pathlib import Path

from ml_connector.sage100.port import DivisionNo, SageVendor, SageVendorNo

HERE = Path(__file__).parent

# Figures the tests want a person to see (the labelled set's share decided without a
# person): shown by conftest's pytest_terminal_summary, so `make test` prints them without -s.
REPORT: list[str] = []


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
