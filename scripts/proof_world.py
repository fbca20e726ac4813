"""What the proof scripts share: a ServiceTitan sandbox, a Sage 100 sandbox root, a config
file that reaches both, AP bills made to order, `sync --once` as a real process, and the
comparison of a Sage company with a clean run's.

The proofs (`soak_kill.py`, `fuzz_payloads.py`) import this module; so do their short
runs in the test suite (tests/proofs/).
"""

from __future__ import annotations

import os
import platform
import random
import sqlite3
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ml_connector.app.config.files import config_from_mapping, write_config
from ml_connector.sandbox.sage100 import init_root

CENT = Decimal("0.01")
# Demo vendors whose names match one Sage vendor each (the others go to review, in every run;
# so does Hajoca, 604: its Sage tax schedule would compute tax on top of the bill's)
VENDORS = [
    (603, "Winsupply of Columbus"),
    (605, "Consolidated Electrical Distributors"),
    (606, "Graybar Electric Company, Inc."),
    (609, "Fastenal Company"),
    (617, "AEP Ohio"),
    (632, "Staples Business Advantage"),
]
GL = [
    {"id": 520, "name": "Materials - Plumbing Service", "number": "5000-01-100", "type": "COGS"},
    {"id": 523, "name": "Materials - Electrical Service", "number": "5000-04-100", "type": "COGS"},
    {"id": 567, "name": "Office Supplies", "number": "6500-07-100", "type": "Expense"},
    {"id": 568, "name": "Small Tools", "number": "6600-07-100", "type": "Expense"},
]


def machine() -> str:
    system = f"{platform.system()} {platform.machine()}"
    return f"{system}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def money(value: Decimal) -> str:
    return f"{value.quantize(CENT)}"


def ap_bill(bill_id: int, rng: random.Random, *, reference: str | None = None) -> dict[str, Any]:
    """A valid ApBill in the API's JSON shape: 1-4 expense lines, tax and freight, that add
    up to the bill amount."""
    vendor = rng.choice(VENDORS)
    lines = [Decimal(rng.randrange(100, 250_000)) / 100 for _ in range(rng.randint(1, 4))]
    tax = Decimal(rng.choice([0, 0, rng.randrange(1, 5_000)])) / 100
    freight = Decimal(rng.choice([0, 0, 0, rng.randrange(1, 9_000)])) / 100
    amount = sum(lines, Decimal(0)) + tax + freight
    day = rng.randint(1, 28)
    return {
        "id": bill_id,
        "billType": "ApBill",
        "status": "Unreconciled",
        "syncStatus": "Posted",
        "source": "Standalone",
        "referenceNumber": reference or f"P{bill_id}-{rng.randrange(10**6)}",
        "vendorNumber": None,
        "summary": "proof bill",
        "billDate": f"2026-03-{day:02d}T00:00:00Z",
        "dueDate": "2026-04-30T00:00:00Z",
        "billAmount": money(amount),
        "vendorInvoiceTotal": money(amount),
        "taxAmount": money(tax),
        "shippingAmount": money(freight),
        "doNotPay": False,
        "vendor": {"id": vendor[0], "name": vendor[1]},
        "businessUnit": {"id": 107, "name": "Office & Admin"},
        "jobNumber": None,
        "items": [],
        "expenseItems": [
            {
                "id": bill_id * 10 + n,
                "amount": money(value),
                "description": f"line {n}",
                "generalLedgerAccount": rng.choice(GL),
            }
            for n, value in enumerate(lines)
        ],
        "customFields": [],
    }


def write_proof_config(path: Path, base_url: str, tenant_id: int, sage_root: Path) -> Path:
    """A config reaching both sandboxes with the sandboxes' default credentials (`env:`)."""
    data: dict[str, Any] = {
        "pairs": {
            "main": {
                "servicetitan": {
                    "environment": "custom",
                    "api_base": base_url,
                    "auth_url": f"{base_url}/connect/token",
                    "tenant_id": tenant_id,
                    "client_id": "sandbox-client",
                    "client_secret": "env:MLC_PROOF_ST_SECRET",
                    "app_key": "env:MLC_PROOF_ST_APP_KEY",
                },
                "sage100": {
                    "mode": "sandbox",
                    "root": str(sage_root),
                    "company": "ABC",
                    "user": "sandbox",
                    "password": "env:MLC_PROOF_SAGE_PASSWORD",
                },
                "sync": {
                    "application_guid": "00000000-0000-4000-8000-00000000f00f",
                    "tax_account": "5250-00-100",
                    "freight_account": "5200-00-100",
                    "mark_exported": True,
                },
            }
        },
        "logging": {"level": "INFO"},
    }
    write_config(config_from_mapping(data, base_dir=path.parent), path, overwrite=True)
    return path


def proof_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "MLC_PROOF_ST_SECRET": "sandbox-secret",
            "MLC_PROOF_ST_APP_KEY": "sandbox-app-key",
            "MLC_PROOF_SAGE_PASSWORD": "sandbox",
            "COLUMNS": "200",
        }
    )
    return env


def new_sage_root(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    init_root(root, seed="demo")
    return root


def set_sage_faults(root: Path, *, lock_rate: float, com_error_rate: float, seed: int) -> None:
    """ROOT/sandbox.toml, read by each new Sage session (no file: no faults)."""
    path = root / "sandbox.toml"
    if lock_rate == 0 and com_error_rate == 0:
        path.unlink(missing_ok=True)
        return
    path.write_text(
        f"[faults]\nlock_rate = {lock_rate}\ncom_error_rate = {com_error_rate}\nseed = {seed}\n",
        encoding="utf-8",
    )


def sync_once(
    config: Path, *, json_out: bool = False, log: Path | None = None
) -> subprocess.Popen[str]:
    """`ml-connector sync --once` as a process of its own; its output goes to `log` when
    given (a pipe nobody reads would stall a talkative cycle), else to pipes."""
    args = [sys.executable, "-m", "ml_connector", "sync", "--once", "--config", str(config)]
    if json_out:
        args.append("--json")
    if log is not None:
        with log.open("w", encoding="utf-8") as out:
            return subprocess.Popen(  # noqa: S603  # our own CLI, with arguments we built
                args, env=proof_env(), cwd=config.parent, stdout=out, stderr=out, text=True
            )
    return subprocess.Popen(  # noqa: S603  # our own CLI, with arguments we built
        args,
        env=proof_env(),
        cwd=config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@dataclass(frozen=True, slots=True)
class SageInvoice:
    vendor: str
    invoice_no: str
    amount: Decimal
    lines: tuple[tuple[str, Decimal], ...]


@dataclass
class SageBooks:
    """Our invoices in a Sage sandbox company, by ServiceTitan bill id (from the comment
    "ST bill <id> ..."), and the bills written more than once."""

    by_bill: dict[int, SageInvoice] = field(default_factory=dict)
    doubled: list[int] = field(default_factory=list)
    # header amount != sum of lines + header sales tax and freight
    unbalanced: list[int] = field(default_factory=list)


def read_books(root: Path) -> SageBooks:
    conn = sqlite3.connect(root / "ABC.sqlite")
    try:
        headers = conn.execute(
            "SELECT APDivisionNo, VendorNo, InvoiceNo, InvoiceAmt, Comment,"
            " SalesTaxAmt + FreightAmt FROM AP_InvoiceHeader"
        ).fetchall()
        details = conn.execute(
            "SELECT APDivisionNo, VendorNo, InvoiceNo, AccountKey, DistributionAmt"
            " FROM AP_InvoiceDetail"
        ).fetchall()
    finally:
        conn.close()
    lines: dict[tuple[str, str, str], list[tuple[str, Decimal]]] = {}
    for div, vendor, number, account, amount in details:
        key = (str(div).strip(), str(vendor).strip(), str(number).strip())
        lines.setdefault(key, []).append((str(account), Decimal(str(amount)).quantize(CENT)))
    books = SageBooks()
    seen: Counter[int] = Counter()
    for div, vendor, number, amount, comment, tax_and_freight in headers:
        text = str(comment or "")
        if not text.startswith("ST bill "):
            continue  # keyed by hand (the demo company's own invoices)
        bill_id = int(text.split()[2])
        seen[bill_id] += 1
        key = (str(div).strip(), str(vendor).strip(), str(number).strip())
        invoice = SageInvoice(
            key[1], key[2], Decimal(str(amount)).quantize(CENT), tuple(sorted(lines.get(key, [])))
        )
        books.by_bill[bill_id] = invoice
        header_extras = Decimal(str(tax_and_freight or 0)).quantize(CENT)  # tax, freight
        if sum((a for _, a in invoice.lines), header_extras) != invoice.amount:
            books.unbalanced.append(bill_id)
    books.doubled = sorted(b for b, n in seen.items() if n > 1)
    return books


@dataclass(frozen=True, slots=True)
class Comparison:
    lost: list[int]  # in the clean run's Sage, not in the tested one
    extra: list[int]  # in the tested Sage, not in the clean one
    doubled: list[int]  # written more than once
    adjusted: list[int]  # there, but with another amount or other lines (an adjustment)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.extra or self.doubled or self.adjusted)


def compare(tested: SageBooks, clean: SageBooks) -> Comparison:
    lost = sorted(set(clean.by_bill) - set(tested.by_bill))
    extra = sorted(set(tested.by_bill) - set(clean.by_bill))
    adjusted = sorted(
        b
        for b in set(clean.by_bill) & set(tested.by_bill)
        if (tested.by_bill[b].amount, tested.by_bill[b].lines)
        != (clean.by_bill[b].amount, clean.by_bill[b].lines)
    )
    adjusted = sorted(set(adjusted) | set(tested.unbalanced))
    return Comparison(lost, extra, sorted(tested.doubled), adjusted)
