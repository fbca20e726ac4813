"""The demo company: the Sage side of the ServiceTitan sandbox's contractor.

A plumbing and electrical contractor (12 trucks and an office). Its vendors are keyed the
way a real office keys them: names differ from ServiceTitan's here and there ("Ferguson
Enterprises #1187" vs "FERGUSON ENTERPRISES INC"), cut to Sage's 30 characters; a few
vendors exist only here (utilities, permits, the landlord), a few ServiceTitan vendors are
missing. The chart of accounts uses three segments (`5000-01-100`: main 4, department 2,
location 3) with some inactive and one deleted account. A year of AP history (paid
invoices in history, recent ones still open) is generated from a fixed seed, plus the
invoices keyed by hand listed in `HAND_KEYED` (some duplicate ServiceTitan bills).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from ml_connector.sandbox.sage100.chart import DEFAULT_PLAN, AccountPlan

Row = dict[str, str | float]

DEPARTMENTS = {"00": "Office", "01": "Plumbing", "02": "Electrical"}

# (main, description, account type, departments, locations, status)
_ACCOUNTS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("1000", "Cash - Operating", "01", "0", "1", "A"),
    ("1200", "Accounts Receivable", "03", "0", "1", "A"),
    ("1300", "Inventory - Truck Stock", "04", "12", "1", "A"),
    ("2000", "Accounts Payable", "07", "0", "1", "A"),
    ("2100", "Sales Tax Payable", "07", "0", "1", "A"),
    ("4000", "Service Revenue", "11", "12", "1", "A"),
    ("5000", "Materials - Job Cost", "12", "12", "12", "A"),
    ("5100", "Subcontractors", "12", "12", "1", "A"),
    ("5150", "Subcontractors - Old (do not use)", "12", "12", "1", "I"),
    ("5200", "Equipment Rental", "12", "12", "1", "A"),
    ("5300", "Permits and Inspection Fees", "12", "12", "1", "A"),
    ("5400", "Freight In", "12", "0", "1", "A"),
    ("5900", "Miscellaneous Job Cost", "12", "0", "1", "D"),
    ("6000", "Vehicle Fuel", "13", "12", "1", "A"),
    ("6010", "Vehicle Repairs and Maintenance", "13", "12", "1", "A"),
    ("6050", "Vehicle Lease - Closed", "13", "0", "1", "I"),
    ("6100", "Tools and Small Equipment", "13", "12", "1", "A"),
    ("6200", "Utilities - Electric", "13", "0", "12", "A"),
    ("6210", "Utilities - Gas and Water", "13", "0", "12", "A"),
    ("6220", "Telephone and Internet", "13", "0", "1", "A"),
    ("6300", "Office Supplies", "13", "0", "1", "A"),
    ("6310", "Postage", "13", "0", "1", "I"),
    ("6400", "Rent", "13", "0", "12", "A"),
    ("6500", "Insurance", "13", "0", "1", "A"),
    ("6600", "Uniforms", "13", "12", "1", "A"),
    ("6700", "Professional Fees", "13", "0", "1", "A"),
    ("6800", "Safety Supplies", "13", "12", "1", "A"),
    ("6900", "Waste Disposal", "13", "0", "1", "A"),
)
_LOCATIONS = {"1": "100", "2": "200"}  # 100 main shop, 200 north branch


def gl_accounts(plan: AccountPlan = DEFAULT_PLAN) -> list[Row]:
    """The demo chart in the given format (accounts a shorter format merges appear once)."""
    rows: list[Row] = []
    seen: set[str] = set()
    for main, desc, acct_type, depts, locs, status in _ACCOUNTS:
        for d in depts:
            dept = f"0{d}"
            for loc in (_LOCATIONS[x] for x in locs):
                account, raw = plan.fit(main, dept, loc)
                if raw in seen:
                    continue
                seen.add(raw)
                suffix = "" if dept == "00" or len(plan.lengths) < 2 else f" - {DEPARTMENTS[dept]}"
                north = "" if loc == "100" or len(plan.lengths) < 3 else " (North)"
                rows.append(
                    {
                        "AccountKey": f"{len(rows) + 1:09d}",
                        "Account": account,
                        "RawAccount": raw,
                        "AccountDesc": (desc + suffix + north)[:50],
                        "MainAccountCode": account.split(plan.separator)[0]
                        if plan.separator
                        else raw[: plan.lengths[0]],
                        "Status": status,
                        "AccountType": acct_type,
                        "ClearBalance": "Y" if acct_type >= "11" else "N",
                    }
                )
    return rows


def account_key(accounts: list[Row], account: str, plan: AccountPlan = DEFAULT_PLAN) -> str:
    """The AccountKey of a demo account given in the demo's notation ('5000-01-100')."""
    wanted = plan.convert(account)
    for row in accounts:
        if row["Account"] == wanted:
            return str(row["AccountKey"])
    raise KeyError(account)


@dataclass(frozen=True, slots=True)
class DemoVendor:
    vendor_no: str
    name: str  # as keyed in Sage (<= 30)
    city: str
    state: str
    terms: str
    account: str  # default G/L account, formatted
    status: str = "A"
    invoice_prefix: str = ""
    monthly: int = 0  # invoices per month in the generated history


VENDORS: tuple[DemoVendor, ...] = (
    DemoVendor(
        "FERGUS",
        "Ferguson Enterprises #1187",
        "Phoenix",
        "AZ",
        "01",
        "5000-01-100",
        invoice_prefix="1187-",
        monthly=8,
    ),
    DemoVendor(
        "FERGWAT",
        "Ferguson Waterworks #2520",
        "Tempe",
        "AZ",
        "01",
        "5000-01-100",
        invoice_prefix="2520-",
        monthly=1,
    ),
    DemoVendor(
        "WINSUPP",
        "Winsupply of Phoenix",
        "Phoenix",
        "AZ",
        "01",
        "5000-01-100",
        invoice_prefix="W",
        monthly=4,
    ),
    DemoVendor(
        "CED",
        "Consolidated Electrical Distri",
        "Phoenix",
        "AZ",
        "01",
        "5000-02-100",
        invoice_prefix="4471-",
        monthly=6,
    ),
    DemoVendor(
        "GRAYBAR",
        "Graybar Electric Company, Inc.",
        "Phoenix",
        "AZ",
        "03",
        "5000-02-100",
        invoice_prefix="9",
        monthly=3,
    ),
    DemoVendor(
        "UNITEDR",
        "United Rentals (North America)",
        "Phoenix",
        "AZ",
        "01",
        "5200-01-100",
        invoice_prefix="UR",
        monthly=2,
    ),
    DemoVendor(
        "SUNBELT",
        "Sunbelt Rentals Inc",
        "Mesa",
        "AZ",
        "01",
        "5200-02-100",
        invoice_prefix="SB",
        monthly=1,
    ),
    DemoVendor(
        "HOMEDEP",
        "Home Depot Pro",
        "Phoenix",
        "AZ",
        "00",
        "5000-01-100",
        invoice_prefix="HD",
        monthly=5,
    ),
    DemoVendor(
        "GRAINGE",
        "W.W. Grainger, Inc.",
        "Chandler",
        "AZ",
        "01",
        "6100-01-100",
        invoice_prefix="",
        monthly=2,
    ),
    DemoVendor(
        "JOHNSTO",
        "Johnstone Supply #24",
        "Phoenix",
        "AZ",
        "01",
        "5000-01-100",
        invoice_prefix="J24",
        monthly=2,
    ),
    DemoVendor(
        "HAJOCA",
        "Hajoca Corp - Phoenix",
        "Phoenix",
        "AZ",
        "01",
        "5000-01-100",
        invoice_prefix="H",
        monthly=1,
    ),
    DemoVendor(
        "REXEL", "Rexel USA Inc", "Tempe", "AZ", "01", "5000-02-100", invoice_prefix="RX", monthly=1
    ),
    DemoVendor(
        "PLATT",
        "Platt Electric Supply",
        "Phoenix",
        "AZ",
        "01",
        "5000-02-200",
        invoice_prefix="P",
        monthly=1,
    ),
    DemoVendor(
        "WESCO",
        "WESCO Distribution",
        "Phoenix",
        "AZ",
        "04",
        "5000-02-100",
        invoice_prefix="WD",
        monthly=1,
    ),
    DemoVendor(
        "CITYELE",
        "City Electric Supply",
        "Glendale",
        "AZ",
        "01",
        "5000-02-200",
        invoice_prefix="CES",
        monthly=1,
    ),
    DemoVendor(
        "MORRISN",
        "Morrison Supply Company",
        "Phoenix",
        "AZ",
        "01",
        "5000-01-200",
        invoice_prefix="MS",
        monthly=1,
    ),
    DemoVendor(
        "LOWES",
        "Lowe's Pro Supply",
        "Phoenix",
        "AZ",
        "00",
        "5000-01-100",
        invoice_prefix="L",
        monthly=2,
    ),
    DemoVendor(
        "FASTENA",
        "Fastenal Company",
        "Tempe",
        "AZ",
        "01",
        "6100-02-100",
        invoice_prefix="AZTEM",
        monthly=1,
    ),
    DemoVendor(
        "NAPA",
        "NAPA Auto Parts #4412",
        "Phoenix",
        "AZ",
        "00",
        "6010-01-100",
        invoice_prefix="4412-",
        monthly=1,
    ),
    DemoVendor(
        "WEXFLEE",
        "WEX Bank - Fleet Card",
        "Portland",
        "ME",
        "00",
        "6000-01-100",
        invoice_prefix="WEX",
        monthly=1,
    ),
    DemoVendor(
        "APS",
        "Arizona Public Service",
        "Phoenix",
        "AZ",
        "00",
        "6200-00-100",
        invoice_prefix="APS",
        monthly=1,
    ),
    DemoVendor(
        "SWGAS",
        "Southwest Gas Corporation",
        "Las Vegas",
        "NV",
        "00",
        "6210-00-100",
        invoice_prefix="SWG",
        monthly=1,
    ),
    DemoVendor(
        "CITYPHX",
        "City of Phoenix",
        "Phoenix",
        "AZ",
        "00",
        "5300-01-100",
        invoice_prefix="PMT",
        monthly=1,
    ),
    DemoVendor(
        "VERIZON",
        "Verizon Wireless",
        "Dallas",
        "TX",
        "00",
        "6220-00-100",
        invoice_prefix="VZ",
        monthly=1,
    ),
    DemoVendor(
        "COXBUS", "Cox Business", "Phoenix", "AZ", "00", "6220-00-100", invoice_prefix="COX"
    ),
    DemoVendor(
        "WASTEMG",
        "Waste Management of Arizona",
        "Phoenix",
        "AZ",
        "01",
        "6900-00-100",
        invoice_prefix="WM",
        monthly=1,
    ),
    DemoVendor(
        "CINTAS",
        "Cintas Corporation #2",
        "Phoenix",
        "AZ",
        "01",
        "6600-01-100",
        invoice_prefix="C",
        monthly=1,
    ),
    DemoVendor(
        "UNIFIRS", "UniFirst Corporation", "Tempe", "AZ", "01", "6600-02-100", invoice_prefix="UF"
    ),
    DemoVendor("ULINE", "Uline", "Pleasant Prairie", "WI", "01", "6300-00-100", invoice_prefix="U"),
    DemoVendor(
        "STAPLES",
        "Staples Business Advantage",
        "Chicago",
        "IL",
        "01",
        "6300-00-100",
        invoice_prefix="SBA",
    ),
    DemoVendor(
        "SAFETYK",
        "Safety-Kleen Systems Inc",
        "Phoenix",
        "AZ",
        "01",
        "6900-00-100",
        invoice_prefix="SK",
    ),
    DemoVendor(
        "DESERTX",
        "Desert Excavating LLC",
        "Mesa",
        "AZ",
        "04",
        "5100-01-100",
        invoice_prefix="DX",
        monthly=1,
    ),
    DemoVendor(
        "ACEDRIL",
        "Ace Directional Drilling",
        "Gilbert",
        "AZ",
        "04",
        "5100-02-100",
        invoice_prefix="ACE",
    ),
    DemoVendor(
        "RAMIREZ",
        "Ramirez Concrete Cutting",
        "Phoenix",
        "AZ",
        "00",
        "5100-01-100",
        invoice_prefix="R",
    ),
    DemoVendor(
        "BRIGHTL",
        "Bright Line Electric LLC",
        "Scottsdale",
        "AZ",
        "04",
        "5100-02-100",
        invoice_prefix="BL",
    ),
    DemoVendor(
        "PROINSU",
        "ProInsulation Services",
        "Phoenix",
        "AZ",
        "04",
        "5100-01-100",
        invoice_prefix="PI",
    ),
    DemoVendor(
        "CAMELBK",
        "Camelback Properties LLC",
        "Phoenix",
        "AZ",
        "00",
        "6400-00-100",
        invoice_prefix="RENT",
        monthly=1,
    ),
    DemoVendor(
        "STATEFA",
        "State Farm Insurance",
        "Bloomington",
        "IL",
        "00",
        "6500-00-100",
        invoice_prefix="SF",
    ),
    DemoVendor(
        "OLDDESE",
        "Old Desert Plumbing Supply",
        "Phoenix",
        "AZ",
        "01",
        "5000-01-100",
        status="I",
        invoice_prefix="OD",
    ),
    DemoVendor(
        "ABCPLUM",
        "ABC Plumbing Supply (closed)",
        "Phoenix",
        "AZ",
        "01",
        "5000-01-100",
        status="I",
        invoice_prefix="ABC",
    ),
)


@dataclass(frozen=True, slots=True)
class HandKeyed:
    """An invoice a person keyed into Sage by hand before go-live (documented duplicates)."""

    vendor_no: str
    invoice_no: str
    amount: str
    invoice_date: str
    where: str  # "history", "open" or "entry"
    note: str


HAND_KEYED: tuple[HandKeyed, ...] = (
    HandKeyed(
        "FERGUS",
        "1187-50211",
        "1432.18",
        "20261102",
        "open",
        "same vendor + number as a ServiceTitan bill",
    ),
    HandKeyed(
        "CED",
        "4471-90017",
        "612.40",
        "20261105",
        "history",
        "same vendor + number as a ServiceTitan bill",
    ),
    HandKeyed(
        "LOWES",
        "HD88421",
        "219.50",
        "20261109",
        "open",
        "a Home Depot receipt keyed under Lowe's: reference + amount",
    ),
    HandKeyed(
        "WINSUPP",
        "W558812",
        "2045.00",
        "20261112",
        "entry",
        "unposted, same vendor + number as a ServiceTitan bill",
    ),
    HandKeyed(
        "GRAYBAR",
        "INV-77120",
        "880.00",
        "20261116",
        "entry",
        "unposted; the reference 'INV 77120' under another vendor",
    ),
)

TERMS = (
    ("00", "Due on receipt", 0, 0, 0.0),
    ("01", "Net 30", 30, 0, 0.0),
    ("02", "Net 10", 10, 0, 0.0),
    ("03", "2% 10 Net 30", 30, 10, 2.0),
    ("04", "Net 45", 45, 0, 0.0),
    ("05", "Net 60", 60, 0, 0.0),
)


def history(today: date, accounts: list[Row], seed: int = 1187) -> list[HandKeyed]:
    """A year of generated invoices up to `today` (amounts in cents, as strings)."""
    rng = random.Random(seed)  # noqa: S311  # demo data, not secrets
    out: list[HandKeyed] = []
    start = today - timedelta(days=365)
    for vendor in VENDORS:
        if vendor.status != "A" and vendor.monthly == 0:
            continue
        per_month = vendor.monthly
        for month in range(12):
            for _ in range(per_month):
                day = start + timedelta(days=month * 30 + rng.randrange(30))
                if day >= today:
                    continue
                number = f"{vendor.invoice_prefix}{rng.randrange(10_000, 999_999)}"[:10]
                amount = f"{rng.randrange(2_500, 480_000) / 100:.2f}"
                out.append(
                    HandKeyed(
                        vendor.vendor_no, number, amount, day.strftime("%Y%m%d"), "history", ""
                    )
                )
    del accounts
    return out
