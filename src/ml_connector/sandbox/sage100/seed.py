"""The demo company: the Sage side of the ServiceTitan sandbox's contractor.

Derived from `ml_connector.sandbox.servicetitan.seed` (Buckeye Plumbing & Electric,
Columbus OH: plumbing and electrical, 12 trucks and an office), the way its office would
have keyed Sage before the connector:

- vendors with Sage numbers and names as a clerk typed them: "Ferguson Enterprises #1187"
  for ServiceTitan's "Ferguson Enterprises LLC", "Charter Comm (Spectrum)" for "Spectrum
  Business", names cut at Sage's 30 characters; three ServiceTitan vendors are missing
  (`ST_ONLY`), four vendors exist only in Sage, and one vendor inactive in ServiceTitan is
  still active here;
- the chart of accounts: every ServiceTitan GL account that fits the three-segment format
  (`5000-01-100`: main 4, department 2 = business unit, location 3), plus Sage-only ones,
  some inactive and one deleted; ServiceTitan's legacy numbers (`60150`, `MISC`) are not
  here;
- a year of AP history before ServiceTitan's documents start, paid invoices in history and
  the last weeks' still open;
- invoices keyed by hand that duplicate bills of the ServiceTitan demo (`hand_keyed()`):
  by vendor + number (paid, open, unposted) and by reference + amount under another vendor;
- A/P calculates sales tax: two tax schedules, one of which computes tax (`TAX_SCHEDULES`),
  given to Hajoca (`VENDOR_TAX_SCHEDULES`); Crescent Electric uses P/O Receipt of Invoice
  Entry (`RECEIPT_OF_INVOICE`);
- Job Cost: a job for each ServiceTitan demo job with its cost codes (`jc_jobs()`), one job
  closed and one without the Service phase.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from ml_connector.sandbox.sage100.chart import DEFAULT_PLAN, AccountPlan
from ml_connector.sandbox.servicetitan import seed as st
from ml_connector.sandbox.servicetitan import seed_documents as st_docs

COMPANY_NAME = st.TENANT_NAME[:30]
HISTORY_END = st.SEED_START.date()  # ServiceTitan's documents start here
ST_SEED, ST_SIZE = "demo", 200  # the ServiceTitan sandbox run the hand-keyed invoices copy

Row = dict[str, str | float]

# ServiceTitan vendor id -> (Sage VendorNo, name as keyed in Sage or "" for ST's cut at 30)
SAGE_VENDORS: dict[int, tuple[str, str]] = {
    601: ("FERGUS", "Ferguson Enterprises #1187"),
    602: ("FERGWAT", "Ferguson Waterworks #2520"),
    603: ("WINSUPP", "WINSUPPLY OF COLUMBUS"),
    604: ("HAJOCA", "Hajoca Corp"),
    605: ("CED", ""),  # "Consolidated Electrical Distri"
    606: ("GRAYBAR", ""),
    607: ("CRESCEN", "Crescent Electric Supply"),
    608: ("GRAINGE", "Grainger"),
    609: ("FASTENA", "Fastenal Co."),
    610: ("HOMEDEP", "Home Depot Pro"),
    611: ("LOWES", "Lowes Pro Supply"),
    612: ("JOHNSTO", "Johnstone Supply - Columbus"),
    613: ("WESCO", "WESCO Distribution Inc"),
    614: ("SUNBELT", "Sunbelt Rentals Inc"),
    615: ("UNITEDR", ""),  # "United Rentals (North America)"
    617: ("AEPOHIO", "AEP Ohio"),
    618: ("COLGAS", ""),
    619: ("COLSWTR", "City of Columbus - Utilities"),
    620: ("CHARTER", "Charter Comm (Spectrum)"),
    621: ("VERIZON", ""),
    622: ("WEXBANK", "WEX Bank"),
    623: ("NAPA", "NAPA Auto Parts #4421"),
    624: ("BYERS", "Byers Chevrolet LLC"),
    625: ("BUCKEXC", ""),  # "Buckeye Excavating & Trenching"
    626: ("COCC", ""),
    627: ("MILLERE", ""),  # "Miller Electrical Subcontracti"
    628: ("ABBACKF", "A&B Backflow Testing"),
    629: ("PRECDRN", "Precision Drain Camera Svcs"),
    630: ("CINTAS", "Cintas Corporation #2"),
    631: ("RUMPKE", "Rumpke Waste Inc"),
    632: ("STAPLES", ""),
    634: ("PARKSID", "Parkside Commercial Propertie"),
    635: ("ERIEINS", "Erie Insurance"),
    637: ("OLDDOMI", "Old Dominion Supply"),
    638: ("MIDOHIO", ""),
}
ST_ONLY = (616, 633, 636)  # Herc Rentals, the cleaning service, the Snap-on dealer
ACTIVE_HERE = (638,)  # inactive in ServiceTitan, never deactivated in Sage
ELECTRICAL = (605, 606, 607, 613)

# Sales tax (A/P Options CalcSalesTaxInAP = "Y"): (schedule, description, rate %)
TAX_SCHEDULES = (("NONTAX", "Non-taxable", 0.0), ("OHFRANK", "Franklin County OH", 7.5))
VENDOR_TAX_SCHEDULES = {"HAJOCA": "OHFRANK"}  # Sage would compute tax on Hajoca's invoices
RECEIPT_OF_INVOICE = ("CRESCEN",)  # invoices belong in P/O Receipt of Invoice Entry

# Job Cost: cost code = ServiceTitan budget code phase + cost type code ("01-100"), cost type
# M materials, E equipment, S subcontract, O other; the jobs are ServiceTitan's job numbers.
JC_COST_CODES = (
    ("100", "M", "Materials"),
    ("110", "E", "Equipment"),
    ("300", "S", "Subcontract"),
    ("400", "O", "Permits & Fees"),
    ("500", "E", "Equipment Rental"),
)
JC_PHASES = (("01", "Rough-In"), ("02", "Trim / Finish"), ("03", "Service"))
JC_CLOSED_JOB = "40007"  # closed in Sage: its costs go to review
JC_NO_SERVICE_JOB = "40011"  # set up without the Service phase (03-*)

# Sage-only vendors: (VendorNo, name, city, state, zip, terms, account, status)
SAGE_ONLY: tuple[tuple[str, str, str, str, str, str, str, str], ...] = (
    ("OHBWC", "Ohio Bureau of Workers Comp", "Columbus", "OH", "43215", "00", "6900-07-100", "A"),
    ("FRANKCO", "Franklin County Treasurer", "Columbus", "OH", "43215", "00", "5450-00-100", "A"),
    ("ATTBUS", "AT&T Business", "Carol Stream", "IL", "60197", "01", "6300-07-100", "A"),
    (
        "ABCPLUM",
        "ABC Plumbing Supply (closed)",
        "Columbus",
        "OH",
        "43207",
        "01",
        "5000-01-100",
        "I",
    ),
)

TERMS = (
    ("00", "Due on receipt", 0, 0, 0.0),
    ("01", "Net 30", 30, 0, 0.0),
    ("02", "Net 10", 10, 0, 0.0),
    ("03", "2% 10 Net 30", 30, 10, 2.0),
    ("04", "Net 45", 45, 0, 0.0),
    ("05", "Net 60", 60, 0, 0.0),
    ("06", "Net 15", 15, 0, 0.0),
)
_TERMS_BY_NAME = {desc: code for code, desc, *_ in TERMS}

# Sage-only accounts: (account in the demo's notation, description, type, status)
SAGE_ACCOUNTS: tuple[tuple[str, str, str, str], ...] = (
    ("1000-00-100", "Cash - Operating", "01", "A"),
    ("1100-00-100", "Accounts Receivable", "03", "A"),
    ("3000-00-100", "Retained Earnings", "10", "A"),
    ("6400-00-100", "Vehicle Fuel - Company", "13", "A"),
    ("6900-00-100", "Insurance - Company", "13", "A"),
    ("5150-02-100", "Subcontractors - Old (do not use)", "12", "I"),
    ("6310-07-100", "Postage", "13", "I"),
    ("5900-00-100", "Miscellaneous Job Cost", "12", "D"),
)
_TYPES = {"Asset": "04", "Liability": "07", "Revenue": "11", "COGS": "12", "Expense": "13"}


@dataclass(frozen=True, slots=True)
class DemoVendor:
    vendor_no: str
    name: str  # as keyed in Sage (<= 30)
    street: str
    city: str
    state: str
    zip_code: str
    telephone: str
    email: str
    terms: str  # Sage terms code
    account: str  # default G/L account, demo notation
    status: str  # A / I
    kind: str  # ServiceTitan's vendor kind ("" for Sage-only vendors)
    st_id: int | None = None


@dataclass(frozen=True, slots=True)
class DemoInvoice:
    """An AP invoice of the demo company, and where it sits (entry, open or history)."""

    vendor_no: str
    invoice_no: str
    amount: str
    invoice_date: str  # YYYYMMDD
    where: str  # "history" (paid), "open" or "entry"
    note: str = ""


def _default_account(v: st.VendorProfile) -> str:
    for table in (st_docs.UTILITY_GL, st_docs.SUB_GL, st_docs.SERVICE_GL, st_docs.FLEET_GL):
        if v.id in table:
            return table[v.id]
    if v.kind in st_docs.EXPENSE_GL:
        return st_docs.EXPENSE_GL[v.kind][0]
    return "5000-04-100" if v.id in ELECTRICAL else "5000-01-100"


@cache
def vendors() -> tuple[DemoVendor, ...]:
    """The Sage vendors: ServiceTitan's as keyed here, then the Sage-only ones."""
    out = []
    states = {rec["id"]: rec["address"]["state"] for rec in st.demo_vendors()}
    for v in st.VENDORS:
        if v.id in ST_ONLY:
            continue
        number, name = SAGE_VENDORS[v.id]
        state = states[v.id]
        active = v.active or v.id in ACTIVE_HERE
        out.append(
            DemoVendor(
                vendor_no=number,
                name=(name or v.name)[:30],
                street=v.street,
                city=v.city,
                state=state,
                zip_code=v.zip,
                telephone=v.phone,
                email=v.email,
                terms=_TERMS_BY_NAME[v.terms],
                account=_default_account(v),
                status="A" if active else "I",
                kind=v.kind,
                st_id=v.id,
            )
        )
    for number, name, city, state, zip_code, terms, account, status in SAGE_ONLY:
        out.append(
            DemoVendor(number, name, "", city, state, zip_code, "", "", terms, account, status, "")
        )
    return tuple(out)


def jc_jobs(count: int = 50) -> list[tuple[str, str, str, list[tuple[str, str, str]]]]:
    """(JobNo, description, status, [(cost code, cost type, description)]) of the demo jobs:
    ServiceTitan's job numbers 40000.. of its 200-bill demo (no random draws)."""
    out = []
    for k in range(count):
        job_no = str(40_000 + k)
        codes = [
            (f"{phase}-{code}", cost_type, f"{phase_name} / {name}"[:30])
            for phase, phase_name in JC_PHASES
            for code, cost_type, name in JC_COST_CODES
            if not (job_no == JC_NO_SERVICE_JOB and phase == "03")
        ]
        status = "C" if job_no == JC_CLOSED_JOB else "A"
        out.append((job_no, f"ServiceTitan job {job_no}", status, codes))
    return out


def gl_accounts(plan: AccountPlan = DEFAULT_PLAN) -> list[Row]:
    """The chart: ServiceTitan's accounts that fit the format plus Sage's own, in `plan`."""
    rows: list[Row] = []
    seen: set[str] = set()
    given = [
        (a["number"], a["name"], _TYPES.get(a["type"], "13"), "A" if a["active"] else "I")
        for a in st.demo_gl_accounts()
        if len(a["number"].split("-")) == 3
        and [len(p) for p in a["number"].split("-")] == [4, 2, 3]
    ]
    for number, desc, acct_type, status in sorted([*given, *SAGE_ACCOUNTS]):
        account = plan.convert(number)
        raw = account.replace(plan.separator, "") if plan.separator else account
        if raw in seen:
            continue
        seen.add(raw)
        rows.append(
            {
                "AccountKey": f"{len(rows) + 1:09d}",
                "Account": account,
                "RawAccount": raw,
                "AccountDesc": desc[:50],
                "MainAccountCode": raw[: plan.lengths[0]],
                "Status": status,
                "AccountType": acct_type,
                "ClearBalance": "Y" if acct_type >= "11" else "N",
            }
        )
    return rows


def account_key(accounts: list[Row], account: str, plan: AccountPlan = DEFAULT_PLAN) -> str:
    """The AccountKey of an account given in the demo's notation ('5000-01-100')."""
    wanted = plan.convert(account)
    for row in accounts:
        if row["Account"] == wanted:
            return str(row["AccountKey"])
    raise KeyError(account)


@cache
def _st_bills() -> tuple[tuple[int, str, str, str], ...]:
    """(ServiceTitan vendor id, referenceNumber, billAmount, billDate) of the demo bills."""
    return tuple(
        (rec["vendor"]["id"], rec["referenceNumber"], rec["billAmount"], rec["billDate"][:10])
        for kind, rec in st_docs.demo_bills_and_pos(ST_SEED, ST_SIZE)
        if kind == "ap-bills"
        and rec["status"] != "Canceled"
        and not rec["billAmount"].startswith("-")
    )


@cache
def hand_keyed() -> tuple[DemoInvoice, ...]:
    """Invoices keyed by hand before go-live that duplicate ServiceTitan demo bills.

    The first fitting bill (reference of at most 10 characters) of: Ferguson (paid, in
    history), Graybar (open), Winsupply (unposted, in entry), Johnstone (unposted), and a
    Lowe's bill keyed under Home Depot (same reference and amount, another vendor).
    """
    by_st = {v.st_id: v.vendor_no for v in vendors() if v.st_id is not None}
    plan = ((601, 601, "history"), (606, 606, "open"), (603, 603, "entry"), (612, 612, "entry"),
            (611, 610, "open"))  # fmt: skip
    out: list[DemoInvoice] = []
    for st_vendor, sage_vendor, where in plan:
        for vendor_id, ref, amount, day in _st_bills():
            if vendor_id == st_vendor and len(ref) <= 10:
                note = "keyed by hand" if st_vendor == sage_vendor else "keyed under another vendor"
                out.append(
                    DemoInvoice(by_st[sage_vendor], ref.upper(), amount, day.replace("-", ""),
                                where, note)
                )  # fmt: skip
                break
    return tuple(out)


# Keyed by hand, not copies of ServiceTitan bills (kept stable: other areas' tests use them).
MANUAL: tuple[DemoInvoice, ...] = (
    DemoInvoice("FERGUS", "1187-50211", "1432.18", "20250620", "open", "keyed by hand"),
)


def _reference(rng: random.Random, vendor: DemoVendor, day: date) -> str:
    if vendor.kind == "utility":
        return f"{rng.randrange(10**9, 10**10)}"[:7] + day.strftime("%m%y")
    if vendor.kind == "rent":
        return f"RENT{day:%y%m}"
    style = rng.choice(("7", "7", "10", "SI"))
    if style == "SI":
        return f"SI-{rng.randrange(10_000, 99_999)}"
    return str(rng.randrange(10 ** (int(style) - 1), 10 ** int(style)))


_PER_MONTH = {"supply": 3, "rental": 1, "utility": 1, "fleet": 1, "sub": 1, "service": 1, "rent": 1}


def history(seed: int = 1187) -> list[DemoInvoice]:
    """A year of invoices up to `HISTORY_END`: paid, except the last 45 days' (open)."""
    rng = random.Random(seed)  # noqa: S311  # demo data, not secrets
    taken = {(bill[0], bill[1]) for bill in _st_bills()}
    start = HISTORY_END - timedelta(days=365)
    out: list[DemoInvoice] = []
    for vendor in vendors():
        per_month = _PER_MONTH.get(vendor.kind, 0) if vendor.status == "A" else 0
        per_month += 2 if vendor.vendor_no in ("FERGUS", "CED", "WINSUPP") else 0
        for month in range(12):
            for _ in range(per_month):
                day = start + timedelta(days=month * 30 + rng.randrange(30))
                number = _reference(rng, vendor, day)
                if day >= HISTORY_END or (vendor.st_id, number) in taken:
                    continue
                amount = f"{rng.randrange(2_500, 480_000) / 100:.2f}"
                where = "open" if (HISTORY_END - day).days < 45 else "history"
                out.append(DemoInvoice(vendor.vendor_no, number, amount, f"{day:%Y%m%d}", where))
    return out
