"""The vendor step on both sandboxes with SQLite state: N extra ServiceTitan vendors and N
extra Sage vendors (half of them the same companies under slightly different names), then

1. the first run (reads, matching both ways, links, creations on both sides, snapshots);
2. a run with nothing changed (the cost of the re-read and of the "no change" checks);
3. a preview over everything (`vendors match --preview`: reads and decisions only).

Prints vendors per second. Usage: python benchmarks/bench_vendors.py [N]
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path

import structlog
from pydantic import SecretStr

from ml_connector.clock import SystemClock
from ml_connector.sage100.boi import BoiSage100
from ml_connector.sage100.port import DivisionNo, NewVendor, SageVendorNo
from ml_connector.sage100.settings import BoiSettings
from ml_connector.sandbox.sage100 import ProvideXScript, init_root
from ml_connector.sandbox.servicetitan.server import running_sandbox
from ml_connector.servicetitan.client import ServiceTitanClient
from ml_connector.servicetitan.environment import StCredentials, StEnvironment
from ml_connector.store.port import PairId
from ml_connector.store.sql import SqlStateStore
from ml_connector.sync.settings import SyncSettings
from ml_connector.sync.vendors.run import run_vendor_sync

WORDS = [
    "Acme",
    "Apex",
    "Atlas",
    "Beacon",
    "Birch",
    "Cardinal",
    "Cedar",
    "Summit",
    "Delta",
    "Eagle",
    "Falcon",
    "Granite",
    "Harbor",
    "Iron",
    "Juniper",
    "Keystone",
    "Liberty",
    "Maple",
    "Meridian",
    "Northstar",
    "Oak",
    "Pioneer",
    "Quarry",
    "Ridge",
    "Sterling",
    "Titan",
    "Union",
    "Valley",
    "Willow",
    "Zenith",
]
TRADES = [
    "Plumbing",
    "Electric",
    "Supply",
    "Rentals",
    "Mechanical",
    "Drain",
    "Lumber",
    "Hardware",
    "Fleet",
    "Glass",
]


def company(n: int) -> str:
    a, b, c = WORDS[n % len(WORDS)], WORDS[(n // len(WORDS)) % len(WORDS)], TRADES[n % 10]
    return f"{a} {b} {c} {n}"


def st_vendor(vendor_id: int, name: str) -> dict[str, object]:
    return {
        "id": vendor_id,
        "name": name,
        "active": True,
        "isTruckReplenishment": False,
        "isMobileCreationRestricted": False,
        "memo": "",
        "deliveryOption": "Manual",
        "defaultTaxRate": 0.0,
        "contactInfo": {"firstName": "", "lastName": "", "phone": "614-555-0100", "email": ""},
        "address": {
            "street": f"{vendor_id} Main St",
            "unit": "",
            "city": "Columbus",
            "state": "OH",
            "zip": "43215",
            "country": "USA",
        },
        "externalData": [],
        "customFields": [],
        "createdOn": "2025-06-01T12:00:00Z",
        "modifiedOn": "2025-06-01T12:00:00Z",
    }


def main(size: int) -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    clock = SystemClock()
    guid = "6f1c2a4e-8b9d-4e3f-a1b2-c3d4e5f60718"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "sage"
        root.mkdir()
        init_root(root, seed="demo")
        store = SqlStateStore.open(f"sqlite:///{Path(tmp) / 'state.sqlite'}", clock=clock)
        with running_sandbox(Path(tmp) / "st", seed="demo", size=20) as sb:
            source = ServiceTitanClient(
                StEnvironment.custom(sb.base_url, sb.base_url + "/connect/token"),
                StCredentials(
                    tenant_id=sb.tenant_id,
                    client_id=sb.client_id,
                    client_secret=SecretStr(sb.client_secret),
                    app_key=SecretStr(sb.app_key),
                ),
                clock=clock,
            )
            sage = BoiSage100(
                BoiSettings(
                    home=str(root), company="ABC", user="sandbox", password=SecretStr("sandbox")
                ),
                lambda: ProvideXScript(root),
                clock=clock,
            )
            # ServiceTitan: N vendors; Sage: the first half of them (renamed a little), plus
            # N/2 Sage-only vendors
            sb.upsert("vendors", [st_vendor(50_000 + n, company(n)) for n in range(size)])
            for n in range(size):
                if n < size // 2:
                    name, number = company(n).upper() + " INC", f"B{n:06d}"
                else:
                    name, number = company(size + n), f"S{n:06d}"
                sage.create_vendor(
                    NewVendor(DivisionNo("00"), SageVendorNo(number), name[:30], city="Columbus")
                )
            settings = SyncSettings(
                application_guid=guid,
                create_vendors_in_servicetitan=True,
                write_vendor_number_to_st=True,
            )
            pair = PairId("bench")
            runs = (("first run", False, False), ("no change", False, False))
            for label, dry, full in (*runs, ("preview", True, True)):
                started = time.perf_counter()
                summary = run_vendor_sync(
                    pair, source, sage, store, settings, clock, dry_run=dry, full=full
                )
                took = time.perf_counter() - started
                seen = summary.st_read + summary.sage_read
                print(
                    f"{label:<10} {seen:>6} vendors read in {took:6.2f} s "
                    f"({seen / took:7.0f}/s): linked {summary.linked}, created in Sage "
                    f"{summary.count('create_in_sage')}, in ServiceTitan "
                    f"{summary.count('create_in_st')}, review {summary.reviews}"
                )
            source.close()
            sage.close()
        store.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 400)
