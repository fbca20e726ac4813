"""Sage 100 BOI adapter against the sandbox: AP invoices written per second, and reference
lookups per second against 100,000 history rows.

    .venv/bin/python benchmarks/bench_sage100.py [--invoices 300] [--history 100000]

Each invoice write is the full path: duplicate check in entry/open/history, nSetKey,
header and two lines, nWrite, read-back. History rows are loaded straight into the
sandbox's SQLite file (setup only); lookups go through `find_invoices_by_reference`.
"""

from __future__ import annotations

import argparse
import logging
import random
import sqlite3
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import structlog
from pydantic import SecretStr

from ml_connector.sage100.boi import BoiSage100
from ml_connector.sage100.port import (
    AccountKey,
    ApInvoiceKey,
    ApInvoiceLine,
    DivisionNo,
    NewApInvoice,
    SageInvoiceNo,
    SageVendorNo,
)
from ml_connector.sage100.settings import BoiSettings
from ml_connector.sandbox.sage100 import ProvideXScript, init_root

VENDORS = [f"V{n:05d}" for n in range(200)]


def arrange(root: Path, history: int) -> None:
    conn = sqlite3.connect(root / "ABC.sqlite")
    with conn:
        conn.execute(
            "INSERT INTO GL_Account (AccountKey, Account, RawAccount, AccountDesc, "
            "MainAccountCode, Status, AccountType) VALUES "
            "('000000001', '5000-01-100', '500001100', 'Materials', '5000', 'A', '12'), "
            "('000000002', '6000-01-100', '600001100', 'Fuel', '6000', 'A', '13')"
        )
        conn.executemany(
            "INSERT INTO AP_Vendor (APDivisionNo, VendorNo, VendorName, VendorStatus, "
            "TermsCode, DateUpdated, TimeUpdated) VALUES ('00', ?, ?, 'A', '01', "
            "'20250101', '08.00000')",
            [(v, f"Vendor {v}") for v in VENDORS],
        )
        rng = random.Random(7)
        rows = []
        for n in range(history):
            day = f"2025{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
            rows.append(
                (
                    rng.choice(VENDORS),
                    f"H{n:08d}",
                    day,
                    rng.randrange(100, 500_000) / 100,
                    day,
                    f"{rng.randrange(7, 18):02d}.{rng.randrange(0, 100_000):05d}",
                )
            )
        conn.executemany(
            "INSERT INTO AP_InvoiceHistoryHeader (APDivisionNo, VendorNo, InvoiceNo, "
            "HeaderSeqNo, InvoiceType, ModuleCode, InvoiceDate, InvoiceAmt, DateCreated, "
            "TimeCreated, DateUpdated, TimeUpdated) "
            "SELECT '00', ?1, ?2, '000001', 'IN', 'A/P', ?3, ?4, ?5, ?6, ?5, ?6",
            rows,
        )
    conn.close()


def invoice(n: int) -> NewApInvoice:
    amount = Decimal(100 + n % 900) + Decimal("0.25")
    first = (amount / 3).quantize(Decimal("0.01"))
    return NewApInvoice(
        key=ApInvoiceKey(
            DivisionNo("00"), SageVendorNo(VENDORS[n % 50]), SageInvoiceNo(f"B{n:07d}")
        ),
        invoice_date=date(2026, 1, 5),
        amount=amount,
        lines=(
            ApInvoiceLine(AccountKey("000000001"), first, comment=f"bench line 1 of {n}"),
            ApInvoiceLine(AccountKey("000000002"), amount - first),
        ),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=300)
    parser.add_argument("--history", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=2000)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "sage"
        init_root(root, seed="none")
        t0 = time.perf_counter()
        arrange(root, args.history)
        print(f"setup: {args.history:,} history rows loaded in {time.perf_counter() - t0:.1f} s")

        settings = BoiSettings(
            home=r"\\SAGESRV\Sage\MAS90\Home",
            company="ABC",
            user="sandbox",
            password=SecretStr("sandbox"),
        )
        with BoiSage100(settings, lambda: ProvideXScript(root)) as sage:
            sage.ping()
            t0 = time.perf_counter()
            for n in range(args.invoices):
                sage.create_invoice(invoice(n))
            spent = time.perf_counter() - t0
            print(
                f"AP invoices written (check entry/open/history, nSetKey, 2 lines, nWrite, "
                f"read-back): {args.invoices / spent:,.1f}/s ({spent / args.invoices * 1000:.1f} "
                f"ms each, {args.history:,} history rows)"
            )

            t0 = time.perf_counter()
            found = sage.find_invoices_by_reference("H-00000042", Decimal("0.00"))
            print(
                f"reference index first build: {time.perf_counter() - t0:.2f} s ({len(found)} hits)"
            )
            rng = random.Random(3)
            refs = [f"h{rng.randrange(args.history):08d}" for _ in range(args.lookups)]
            t0 = time.perf_counter()
            hits = 0
            for ref in refs:
                hits += len(sage.find_invoices_by_reference(ref, Decimal("1.00")))
            spent = time.perf_counter() - t0
            print(
                f"reference + amount lookups (index fresh): {args.lookups / spent:,.0f}/s "
                f"({spent / args.lookups * 1e6:.0f} us each)"
            )

        fresh = settings.model_copy(update={"reference_index_max_age_seconds": 0.0})
        with BoiSage100(fresh, lambda: ProvideXScript(root)) as sage:
            sage.find_invoices_by_reference("X", Decimal("1.00"))  # build
            n = max(args.lookups // 10, 50)
            t0 = time.perf_counter()
            for ref in refs[:n]:
                sage.find_invoices_by_reference(ref, Decimal("1.00"))
            spent = time.perf_counter() - t0
            print(
                f"reference + amount lookups (refresh before every lookup): {n / spent:,.0f}/s "
                f"({spent / n * 1000:.1f} ms each)"
            )
            key = invoice(0).key
            t0 = time.perf_counter()
            for _ in range(n):
                sage.find_invoice(key)
            spent = time.perf_counter() - t0
            print(f"exact key lookups (entry + open + history): {n / spent:,.0f}/s")


if __name__ == "__main__":
    main()
