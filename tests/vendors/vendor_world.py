"""The vendor tests' world: the ServiceTitan sandbox over HTTP (the real client), a Sage
sandbox root driven by the real BOI adapter, a `SqlStateStore` on disk, one `ManualClock`
for all three. Helpers look at Sage's own AP_Vendor table and the sandbox's vendors."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from ml_connector.clock import ManualClock
from ml_connector.sage100.boi import BoiSage100
from ml_connector.sage100.settings import BoiSettings
from ml_connector.sandbox.sage100 import ProvideXScript, init_root
from ml_connector.sandbox.servicetitan.server import RunningSandbox, running_sandbox
from ml_connector.servicetitan.client import ServiceTitanClient
from ml_connector.servicetitan.environment import StCredentials, StEnvironment
from ml_connector.store.port import AuditEvent, PairId, ReviewItem, VendorLink
from ml_connector.store.sql import SqlStateStore
from ml_connector.sync.engine import SyncEngine
from ml_connector.sync.settings import SyncSettings
from ml_connector.sync.summary import CycleSummary
from ml_connector.sync.vendors.run import run_vendor_sync
from ml_connector.sync.vendors.summary import VendorSyncSummary

PAIR = PairId("main")
# after every seeded record: the Sage sandbox stamps its seed with the time it was made
START = (datetime.now(UTC) + timedelta(days=1)).replace(hour=15, minute=0, second=0, microsecond=0)
GUID = "6f1c2a4e-8b9d-4e3f-a1b2-c3d4e5f60718"


RENT_GL = {"id": 1, "name": "Rent", "number": "6400-00-100", "type": "Expense"}


def bill(bill_id: int, reference: str, amount: str, vendor: tuple[int, str]) -> dict[str, Any]:
    return {
        "id": bill_id,
        "billType": "ApBill",
        "status": "Unreconciled",
        "syncStatus": "Posted",
        "source": "Standalone",
        "referenceNumber": reference,
        "vendorNumber": None,
        "summary": "test bill",
        "billDate": "2026-01-10T00:00:00Z",
        "dueDate": "2026-02-10T00:00:00Z",
        "billAmount": amount,
        "vendorInvoiceTotal": amount,
        "taxAmount": "0.00",
        "shippingAmount": "0.00",
        "doNotPay": False,
        "vendor": {"id": vendor[0], "name": vendor[1]},
        "businessUnit": {"id": 107, "name": "Office & Admin"},
        "jobNumber": None,
        "items": [],
        "expenseItems": [
            {
                "id": bill_id * 10,
                "amount": amount,
                "description": "line",
                "generalLedgerAccount": RENT_GL,
            }
        ],
        "customFields": [],
    }


@dataclass
class VendorWorld:
    st: RunningSandbox
    source: ServiceTitanClient
    sage_root: Path
    sage: BoiSage100
    store: SqlStateStore
    clock: ManualClock
    settings: SyncSettings

    def with_settings(self, **changes: Any) -> None:
        self.settings = replace(self.settings, **changes)

    def vendor_sync(self, *, dry_run: bool = False, full: bool = False) -> VendorSyncSummary:
        self.clock.advance(120)  # past the signpost safety of whatever changed before
        return run_vendor_sync(
            PAIR,
            self.source,
            self.sage,
            self.store,
            self.settings,
            self.clock,
            dry_run=dry_run,
            full=full,
        )

    def cycle(self) -> CycleSummary:
        self.clock.advance(120)
        engine = SyncEngine(PAIR, self.source, self.sage, self.store, self.settings, self.clock)
        return engine.run_cycle()

    # --- the state ----------------------------------------------------------------------
    def links(self) -> dict[int, VendorLink]:
        with self.store.transaction() as tx:
            return {link.st_vendor_id: link for link in tx.iter_links(PAIR)}

    def reviews(self) -> list[ReviewItem]:
        with self.store.transaction() as tx:
            return tx.list_reviews(PAIR)

    def audit(self, action: str | None = None) -> list[AuditEvent]:
        with self.store.transaction() as tx:
            events = list(tx.iter_audit(pair=PAIR))
        return [e for e in events if action is None or e.action == action]

    # --- ServiceTitan -------------------------------------------------------------------
    def st_vendors(self) -> dict[int, dict[str, Any]]:
        return {v.id: v.model_dump() for v in self.source.vendors(active="Any")}

    def st_vendor(self, st_id: int) -> Any:
        return self.source.vendor(st_id, external_data_application_guid=GUID)

    def st_add(self, **fields: Any) -> int:
        body = {
            "name": "New Vendor",
            "active": True,
            "isTruckReplenishment": False,
            "taxRate": 0,
            "restrictedMobileCreation": False,
            "address": {
                "street": "1 Main St",
                "unit": "",
                "city": "Columbus",
                "state": "OH",
                "zip": "43215",
                "country": "USA",
            },
            **fields,
        }
        from ml_connector.servicetitan.records import NewStVendor

        return self.source.create_vendor(NewStVendor.model_validate(body))

    # --- Sage's own AP_Vendor table -------------------------------------------------------
    def _db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.sage_root / "ABC.sqlite")

    def sage_vendors(self) -> dict[str, dict[str, Any]]:
        with self._db() as conn:
            conn.row_factory = sqlite3.Row
            rows = conn.execute("SELECT * FROM AP_Vendor").fetchall()
        return {f"{r['APDivisionNo']}-{str(r['VendorNo']).strip()}": dict(r) for r in rows}

    def sage_table(self) -> list[tuple[Any, ...]]:
        with self._db() as conn:
            return sorted(conn.execute("SELECT * FROM AP_Vendor").fetchall())

    def sage_set(self, vendor: str, **columns: Any) -> None:
        """A person edits a vendor in Vendor Maintenance (stamps move as Sage moves them)."""
        division, _, number = vendor.partition("-")
        local = self.clock.now().strftime("%Y%m%d")
        hours = self.clock.now().hour + self.clock.now().minute / 60
        sets = {**columns, "DateUpdated": local, "TimeUpdated": f"{hours:.5f}"}
        assignments = ", ".join(f"{c} = ?" for c in sets)
        with self._db() as conn:
            conn.execute(
                f"UPDATE AP_Vendor SET {assignments} WHERE APDivisionNo = ? AND VendorNo = ?",  # noqa: S608 -- test column names
                [*sets.values(), division, number],
            )

    def sage_invoices(self) -> list[tuple[Any, ...]]:
        with self._db() as conn:
            return conn.execute(
                "SELECT APDivisionNo, VendorNo, InvoiceNo, InvoiceAmt FROM AP_InvoiceHeader"
            ).fetchall()

    def sage_add(self, vendor_no: str, name: str, **columns: Any) -> None:
        from ml_connector.sage100.port import DivisionNo, NewVendor, SageVendorNo

        self.sage.create_vendor(
            NewVendor(DivisionNo("00"), SageVendorNo(vendor_no), name, **columns)
        )


@contextmanager
def open_vendor_world(tmp_path: Path, *, size: int = 40) -> Iterator[VendorWorld]:
    clock = ManualClock(START)
    sage_root = tmp_path / "sage"
    sage_root.mkdir()
    init_root(sage_root, seed="demo")
    store = SqlStateStore.open(f"sqlite:///{tmp_path / 'state.sqlite'}", clock=clock)
    with running_sandbox(tmp_path / "st", seed="demo", size=size, clock=clock) as sb:
        source = ServiceTitanClient(
            StEnvironment.custom(sb.base_url, sb.base_url + "/connect/token", name="sandbox"),
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
                home=str(sage_root),
                company="ABC",
                user="sandbox",
                password=SecretStr("sandbox"),
                reference_index_max_age_seconds=0,
            ),
            lambda: ProvideXScript(sage_root, clock=clock),
            clock=clock,
        )
        world = VendorWorld(
            st=sb,
            source=source,
            sage_root=sage_root,
            sage=sage,
            store=store,
            clock=clock,
            settings=SyncSettings(
                application_guid=GUID,
                fallback_gl_account="6900-00-100",
                tax_account="2100-00-100",
                freight_account="5400-00-100",
            ),
        )
        try:
            yield world
        finally:
            sage.close()
            source.close()
            store.close()
