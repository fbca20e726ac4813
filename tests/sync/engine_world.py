"""The engine's test world: the ServiceTitan sandbox over HTTP (the real client), a Sage
sandbox root driven by the real BOI adapter, a `SqlStateStore` on disk, and one
`ManualClock` shared by all three so that "modified after the signpost" is in the test's
hands. Helpers read Sage's own tables and key invoices "by hand" into them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from ml_connector.clock import Clock, ManualClock
from ml_connector.sage100.boi import BoiSage100
from ml_connector.sage100.errors import SageSessionError
from ml_connector.sage100.port import NewApInvoice, Sage100, WrittenInvoice
from ml_connector.sage100.settings import BoiSettings
from ml_connector.sandbox.sage100 import ProvideXScript, SandboxBehaviour, init_root
from ml_connector.sandbox.servicetitan.server import RunningSandbox, running_sandbox
from ml_connector.servicetitan.client import ServiceTitanClient
from ml_connector.servicetitan.environment import StCredentials, StEnvironment
from ml_connector.store.port import PairId, VendorLink
from ml_connector.store.sql import SqlStateStore
from ml_connector.sync.engine import SyncEngine
from ml_connector.sync.settings import SyncSettings
from ml_connector.sync.summary import CycleSummary

PAIR = PairId("main")
START = datetime(2026, 1, 20, 15, 0, tzinfo=UTC)  # after every seeded document
FALLBACK = "6900-00-100"
INVOICE_TABLES = {
    "entry": "AP_InvoiceHeader",
    "open": "AP_OpenInvoice",
    "history": "AP_InvoiceHistoryHeader",
}


def sandbox_client(sb: RunningSandbox, clock: Clock) -> ServiceTitanClient:
    return ServiceTitanClient(
        StEnvironment.custom(sb.base_url, sb.base_url + "/connect/token", name="sandbox"),
        StCredentials(
            tenant_id=sb.tenant_id,
            client_id=sb.client_id,
            client_secret=SecretStr(sb.client_secret),
            app_key=SecretStr(sb.app_key),
        ),
        clock=clock,
    )


def boi_sage(root: Path, clock: Clock, behaviour: SandboxBehaviour | None = None) -> BoiSage100:
    settings = BoiSettings(
        home=str(root),
        company="ABC",
        user="sandbox",
        password=SecretStr("sandbox"),
        reference_index_max_age_seconds=0,
    )
    return BoiSage100(
        settings, lambda: ProvideXScript(root, clock=clock, behaviour=behaviour), clock=clock
    )


def insert_sql(table: str, columns: list[str]) -> str:
    marks = ", ".join("?" for _ in columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 -- our names


class CrashAfterWrite:
    """A Sage whose `create_invoice` writes and then fails as if the process died before
    the ledger commit (a COM error after nWrite)."""

    def __init__(self, inner: Sage100, invoice_no: str) -> None:
        self._inner = inner
        self._invoice_no = invoice_no

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def create_invoice(self, invoice: NewApInvoice) -> WrittenInvoice:
        written = self._inner.create_invoice(invoice)
        if invoice.key.invoice_no == self._invoice_no:
            raise SageSessionError("simulated: the session died right after nWrite")
        return written


@dataclass
class World:
    st: RunningSandbox
    source: ServiceTitanClient
    sage_root: Path
    sage: BoiSage100
    store: SqlStateStore
    state_url: str
    clock: ManualClock
    settings: SyncSettings

    def engine(self, settings: SyncSettings | None = None) -> SyncEngine:
        return self.engine_with(self.sage, settings)

    def engine_with(self, sage: Any, settings: SyncSettings | None = None) -> SyncEngine:
        self.clock.advance(120)  # past the signpost safety of whatever changed before
        return SyncEngine(
            PAIR, self.source, sage, self.store, settings or self.settings, self.clock
        )

    def cycle(self, *, dry_run: bool = False, settings: SyncSettings | None = None) -> CycleSummary:
        return self.engine(settings).run_cycle(dry_run=dry_run)

    def reopen_sage(self, behaviour: SandboxBehaviour | None = None) -> None:
        """A fresh adapter (and BOI session), e.g. after changing the fault plan, or on a
        Sage sandbox with other `SandboxBehaviour` switches."""
        self.sage.close()
        self.sage = boi_sage(self.sage_root, self.clock, behaviour)

    def link(self, st_vendor_id: int, vendor_no: str) -> None:
        """A link made by hand (as a person resolving a review item would)."""
        with self.store.transaction() as tx:
            tx.add_link(
                VendorLink(
                    pair=PAIR,
                    st_vendor_id=st_vendor_id,
                    division_no="00",
                    vendor_no=vendor_no,
                    method="manual",
                    created_at=self.clock.now(),
                    created_by="test",
                )
            )

    def crash_after_write(self, invoice_no: str) -> CrashAfterWrite:
        return CrashAfterWrite(self.sage, invoice_no)

    # --- Sage's own tables ------------------------------------------------------------
    def _db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.sage_root / "ABC.sqlite")

    def sage_rows(self, where: str) -> dict[tuple[str, str], tuple[Decimal, str]]:
        """(vendor, invoice number) -> (amount, comment) in one of entry/open/history."""
        with self._db() as conn:
            rows = conn.execute(
                f"SELECT VendorNo, InvoiceNo, InvoiceAmt, Comment FROM {INVOICE_TABLES[where]}"  # noqa: S608 -- fixed names
            ).fetchall()
        return {
            (str(v).strip(), str(n).strip()): (
                Decimal(str(a)).quantize(Decimal("0.01")),
                str(c or ""),
            )
            for v, n, a, c in rows
        }

    def sage_entry(self) -> dict[tuple[str, str], tuple[Decimal, str]]:
        return self.sage_rows("entry")

    def sage_all(self) -> dict[str, dict[tuple[str, str], tuple[Decimal, str]]]:
        return {where: self.sage_rows(where) for where in INVOICE_TABLES}

    def entry_line_totals(self) -> dict[tuple[str, str], Decimal]:
        with self._db() as conn:
            rows = conn.execute(
                "SELECT VendorNo, InvoiceNo, SUM(DistributionAmt) FROM AP_InvoiceDetail "
                "GROUP BY VendorNo, InvoiceNo"
            ).fetchall()
        return {
            (str(v).strip(), str(n).strip()): Decimal(str(a)).quantize(Decimal("0.01"))
            for v, n, a in rows
        }

    def hand_key(self, where: str, vendor_no: str, invoice_no: str, amount: str) -> None:
        """An invoice keyed by a person before go-live, straight into Sage's tables."""
        header: dict[str, Any] = {
            "APDivisionNo": "00",
            "VendorNo": vendor_no,
            "InvoiceNo": invoice_no,
            "InvoiceDate": "20251215",
            "InvoiceDueDate": "20260115",
            "TermsCode": "01",
            "HoldPayment": "N",
            "Comment": "keyed by hand",
            "InvoiceAmt": float(amount),
            "DateCreated": "20251215",
            "TimeCreated": "10.00000",
            "UserCreatedKey": "0000000001",
            "DateUpdated": "20251215",
            "TimeUpdated": "10.00000",
            "UserUpdatedKey": "0000000001",
        }
        if where == "entry":
            header["Adjustment"] = "N"
        elif where == "open":
            header["Balance"] = float(amount)
            header["PostingDate"] = "20251216"
        else:
            header.update(
                {
                    "HeaderSeqNo": "000001",
                    "InvoiceType": "IN",
                    "ModuleCode": "A/P",
                    "PostingDate": "20251216",
                }
            )
        table = INVOICE_TABLES[where]
        with self._db() as conn:
            cols = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
            values = {k: v for k, v in header.items() if k in cols}
            conn.execute(insert_sql(table, list(values)), tuple(values.values()))
            if where == "entry":
                dcols = {r[1] for r in conn.execute("PRAGMA table_info(AP_InvoiceDetail)")}
                line = {
                    "APDivisionNo": "00",
                    "VendorNo": vendor_no,
                    "InvoiceNo": invoice_no,
                    "LineKey": "000001",
                    "AccountKey": self.account_key(FALLBACK),
                    "DistributionAmt": float(amount),
                    **{k: header[k] for k in header if k.startswith(("Date", "Time", "User"))},
                }
                line = {k: v for k, v in line.items() if k in dcols}
                conn.execute(insert_sql("AP_InvoiceDetail", list(line)), tuple(line.values()))

    def account_key(self, account: str) -> str:
        for acct in self.sage.gl_accounts():
            if account in (acct.account, acct.raw_account):
                return acct.account_key
        raise KeyError(account)


@contextmanager
def open_world(
    tmp_path: Path, *, size: int = 60, state_url: str | None = None, batches: bool = False
) -> Iterator[World]:
    clock = ManualClock(START)
    sage_root = tmp_path / "sage"
    sage_root.mkdir()
    init_root(sage_root, seed="demo", batches=batches)
    state_url = state_url or f"sqlite:///{tmp_path / 'state.sqlite'}"
    store = SqlStateStore.open(state_url, clock=clock)
    with running_sandbox(tmp_path / "st", seed="demo", size=size, clock=clock) as sb:
        source = sandbox_client(sb, clock)
        sage = boi_sage(sage_root, clock)
        world = World(
            st=sb,
            source=source,
            sage_root=sage_root,
            sage=sage,
            store=store,
            state_url=state_url,
            clock=clock,
            settings=SyncSettings(
                fallback_gl_account=FALLBACK,
                tax_account="2100-00-100",
                freight_account="5400-00-100",
            ),
        )
        # Ferguson has several Sage branches: a person picked #1187 (as in review)
        world.link(601, "FERGUS")
        try:
            yield world
        finally:
            world.sage.close()
            source.close()
            store.close()
