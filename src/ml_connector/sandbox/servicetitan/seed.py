"""The demo tenant's reference data: business units, job types, budget codes, GL accounts,
pricebook categories and vendors, in the API's own shapes. Pure and deterministic.

The story: Buckeye Plumbing & Electric, Columbus, Ohio, a residential and light-commercial
plumbing and electrical contractor with 12 service trucks and an office. Its ServiceTitan GL
account numbers follow the three-segment Sage format `AAAA-DD-LLL` (main account, department
= business unit `accountCode`, location 100 = Columbus), except a few legacy ones that do not
(`60150`, `MISC`, `5000-1-100`, `6999-07`): the GL mapping must catch those.

`demo_vendors()` and `demo_gl_accounts()` are what the Sage sandbox derives its side from.
Documents (jobs, purchase orders, AP bills, invoices) are generated in `seed_documents`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ml_connector.sandbox.servicetitan.store import format_instant

SEED_START = datetime(2025, 7, 1, 13, 0, tzinfo=UTC)
"""Reference data was created around here; documents follow over the next 180 days."""

TENANT_NAME = "Buckeye Plumbing & Electric"
CITY = ("Columbus", "OH", "USA")


def _stamp(offset_minutes: int) -> str:
    return format_instant(SEED_START - timedelta(days=200) + timedelta(minutes=offset_minutes))


# Rows hold: id; name; accountCode; trade; active
BUSINESS_UNITS: tuple[tuple[int, str, str, str, bool], ...] = (
    (101, "Plumbing Service", "01", "Plumbing", True),
    (102, "Plumbing Install", "02", "Plumbing", True),
    (103, "Drain & Sewer", "03", "Plumbing", True),
    (104, "Electrical Service", "04", "Electrical", True),
    (105, "Electrical Install", "05", "Electrical", True),
    (106, "Generators", "06", "Electrical", True),
    (107, "Office & Admin", "07", "Administration", True),
    (108, "HVAC (discontinued)", "08", "HVAC", False),
)

# Rows hold: id; name; business unit ids; active
JOB_TYPES: tuple[tuple[int, str, tuple[int, ...], bool], ...] = (
    (201, "Plumbing Service Call", (101,), True),
    (202, "Water Heater Replacement", (101, 102), True),
    (203, "Repipe", (102,), True),
    (204, "Drain Cleaning", (103,), True),
    (205, "Sewer Line Repair", (103,), True),
    (206, "Electrical Service Call", (104,), True),
    (207, "Panel Upgrade", (104, 105), True),
    (208, "EV Charger Install", (105,), True),
    (209, "Standby Generator Install", (106,), True),
    (210, "New Construction Rough-In", (102, 105), True),
    (211, "Warranty Callback", (101, 104), False),
)

PHASES = ((1, "01", "Rough-In"), (2, "02", "Trim / Finish"), (3, "03", "Service"))
COST_TYPES = (
    (11, "100", "Materials"),
    (12, "110", "Equipment"),
    (13, "300", "Subcontract"),
    (14, "400", "Permits & Fees"),
    (15, "500", "Equipment Rental"),
)

# Rows hold: id; number; name; type; subtype; defaultAccountType; active
GL_ACCOUNTS: tuple[tuple[int, str, str, str, str, str | None, bool], ...] = (
    (501, "1200-00-100", "Inventory - Warehouse", "Asset", "Inventory", "Inventory", True),
    (502, "1210-00-100", "Inventory - Trucks", "Asset", "Inventory", None, True),
    (
        503,
        "2000-00-100",
        "Accounts Payable",
        "Liability",
        "AccountsPayable",
        "AccountsPayable",
        True,
    ),
    (
        504,
        "2100-00-100",
        "Sales Tax Payable",
        "Liability",
        "OtherCurrentLiability",
        "SalesTaxPayable",
        True,
    ),
    (
        505,
        "2150-00-100",
        "Use Tax Payable",
        "Liability",
        "OtherCurrentLiability",
        "UseTaxLiability",
        True,
    ),
    (510, "4000-01-100", "Revenue - Plumbing Service", "Revenue", "Income", "Revenue", True),
    (511, "4000-02-100", "Revenue - Plumbing Install", "Revenue", "Income", None, True),
    (512, "4000-03-100", "Revenue - Drain & Sewer", "Revenue", "Income", None, True),
    (513, "4000-04-100", "Revenue - Electrical Service", "Revenue", "Income", None, True),
    (514, "4000-05-100", "Revenue - Electrical Install", "Revenue", "Income", None, True),
    (515, "4000-06-100", "Revenue - Generators", "Revenue", "Income", None, True),
    (
        520,
        "5000-01-100",
        "Materials - Plumbing Service",
        "COGS",
        "CostOfGoodsSold",
        "CostOfGoodsSoldMaterials",
        True,
    ),
    (521, "5000-02-100", "Materials - Plumbing Install", "COGS", "CostOfGoodsSold", None, True),
    (522, "5000-03-100", "Materials - Drain & Sewer", "COGS", "CostOfGoodsSold", None, True),
    (523, "5000-04-100", "Materials - Electrical Service", "COGS", "CostOfGoodsSold", None, True),
    (524, "5000-05-100", "Materials - Electrical Install", "COGS", "CostOfGoodsSold", None, True),
    (525, "5000-06-100", "Materials - Generators", "COGS", "CostOfGoodsSold", None, True),
    (
        530,
        "5100-02-100",
        "Equipment - Plumbing Install",
        "COGS",
        "CostOfGoodsSold",
        "CostOfGoodsSoldEquipment",
        True,
    ),
    (531, "5100-05-100", "Equipment - Electrical Install", "COGS", "CostOfGoodsSold", None, True),
    (532, "5100-06-100", "Equipment - Generators", "COGS", "CostOfGoodsSold", None, True),
    (540, "5200-00-100", "Freight In", "COGS", "CostOfGoodsSold", "CostOfGoodsSoldShipping", True),
    (541, "5250-00-100", "Purchase Tax", "COGS", "CostOfGoodsSold", "CostOfGoodsSoldTax", True),
    (545, "5300-03-100", "Subcontractors - Drain & Sewer", "COGS", "CostOfGoodsSold", None, True),
    (546, "5300-05-100", "Subcontractors - Electrical", "COGS", "CostOfGoodsSold", None, True),
    (547, "5300-02-100", "Subcontractors - Plumbing", "COGS", "CostOfGoodsSold", None, True),
    (550, "5400-00-100", "Equipment Rental", "COGS", "CostOfGoodsSold", None, True),
    (551, "5450-00-100", "Permits & Inspection Fees", "COGS", "CostOfGoodsSold", None, True),
    (560, "6100-07-100", "Rent - Shop & Office", "Expense", "Expense", None, True),
    (561, "6200-07-100", "Utilities - Electric", "Expense", "Expense", None, True),
    (562, "6210-07-100", "Utilities - Gas & Water", "Expense", "Expense", None, True),
    (563, "6300-07-100", "Telephone & Internet", "Expense", "Expense", None, True),
    (564, "6400-07-100", "Vehicle Fuel", "Expense", "Expense", None, True),
    (565, "6410-07-100", "Vehicle Repairs & Maintenance", "Expense", "Expense", None, True),
    (566, "6450-07-100", "Vehicle Lease", "Expense", "Expense", None, False),
    (567, "6500-07-100", "Office Supplies", "Expense", "Expense", None, True),
    (568, "6600-07-100", "Small Tools", "Expense", "Expense", None, True),
    (569, "6700-07-100", "Uniforms", "Expense", "Expense", None, True),
    (570, "6800-07-100", "Waste Disposal", "Expense", "Expense", None, True),
    (571, "6900-07-100", "Insurance", "Expense", "Expense", None, True),
    # Legacy numbers that do not fit the Sage format (the GL mapping must catch these).
    (590, "60150", "Shop Supplies (legacy)", "Expense", "Expense", None, True),
    (591, "MISC", "Miscellaneous", "Expense", "Expense", None, True),
    (592, "5000-1-100", "Materials - Misc (bad segment)", "COGS", "CostOfGoodsSold", None, True),
    (593, "6999-07", "Bank Charges (two segments)", "Expense", "Expense", None, True),
)

# Rows hold: id; name; type; parent id; active
CATEGORIES: tuple[tuple[int, str, str, int | None, bool], ...] = (
    (401, "Plumbing", "Services", None, True),
    (402, "Water Heaters", "Services", 401, True),
    (403, "Drains & Sewer", "Services", 401, True),
    (404, "Electrical", "Services", None, True),
    (405, "Panels & Service", "Services", 404, True),
    (406, "Generators", "Services", 404, True),
    (407, "Pipe & Fittings", "Materials", None, True),
    (408, "Wire & Cable", "Materials", None, True),
    (409, "Fixtures", "Materials", None, True),
    (410, "HVAC (retired)", "Services", None, False),
)


@dataclass(frozen=True, slots=True)
class VendorProfile:
    """A demo vendor and how its bills look (kind decides the lines and GL accounts)."""

    id: int
    name: str
    kind: str  # supply | rental | utility | sub | fleet | service | rent
    street: str
    city: str
    zip: str
    phone: str
    email: str
    terms: str = "Net 30"
    active: bool = True
    truck_replenishment: bool = False
    reference_style: str = "digits7"


VENDORS: tuple[VendorProfile, ...] = (
    VendorProfile(
        601,
        "Ferguson Enterprises LLC",
        "supply",
        "2500 Harrison Rd",
        "Columbus",
        "43204",
        "614-274-5000",
        "ar.columbus@ferguson.com",
        truck_replenishment=True,
    ),
    VendorProfile(
        602,
        "Ferguson Waterworks",
        "supply",
        "1800 Alum Creek Dr",
        "Columbus",
        "43207",
        "614-443-1600",
        "waterworks@ferguson.com",
    ),
    VendorProfile(
        603,
        "Winsupply of Columbus",
        "supply",
        "4250 Indianola Ave",
        "Columbus",
        "43214",
        "614-262-1212",
        "billing@winsupplycolumbus.com",
        truck_replenishment=True,
        reference_style="alpha",
    ),
    VendorProfile(
        604,
        "Hajoca Corporation",
        "supply",
        "888 Frank Rd",
        "Columbus",
        "43223",
        "614-276-4800",
        "columbus@hajoca.com",
        reference_style="long",
    ),
    VendorProfile(
        605,
        "Consolidated Electrical Distributors",
        "supply",
        "1500 Universal Rd",
        "Columbus",
        "43207",
        "614-445-8871",
        "ced.columbus@cedcareers.com",
        truck_replenishment=True,
    ),
    VendorProfile(
        606,
        "Graybar Electric Company, Inc.",
        "supply",
        "4100 Fisher Rd",
        "Columbus",
        "43228",
        "614-279-1000",
        "columbus.ar@graybar.com",
        reference_style="digits10",
    ),
    VendorProfile(
        607,
        "Crescent Electric Supply Co.",
        "supply",
        "2140 Lockbourne Rd",
        "Columbus",
        "43207",
        "614-491-3100",
        "columbusoh@cesco.com",
    ),
    VendorProfile(
        608,
        "W.W. Grainger, Inc.",
        "supply",
        "3640 Interchange Rd",
        "Columbus",
        "43204",
        "614-276-5101",
        "invoices@grainger.com",
        reference_style="digits10",
    ),
    VendorProfile(
        609,
        "Fastenal Company",
        "supply",
        "1975 Morse Rd",
        "Columbus",
        "43229",
        "614-888-6100",
        "ohcol@fastenal.com",
        reference_style="alpha",
    ),
    VendorProfile(
        610,
        "The Home Depot Pro",
        "supply",
        "5200 N Hamilton Rd",
        "Columbus",
        "43230",
        "800-431-1000",
        "pro.invoices@homedepot.com",
        reference_style="long",
    ),
    VendorProfile(
        611,
        "Lowe's Pro Supply",
        "supply",
        "1465 Polaris Pkwy",
        "Columbus",
        "43240",
        "614-431-0400",
        "prosupply@lowes.com",
    ),
    VendorProfile(
        612,
        "Johnstone Supply",
        "supply",
        "3620 Interchange Rd",
        "Columbus",
        "43204",
        "614-272-0800",
        "columbus@johnstonesupply.com",
    ),
    VendorProfile(
        613,
        "Wesco Distribution",
        "supply",
        "1290 Essex Ave",
        "Columbus",
        "43201",
        "614-299-1040",
        "ar@wesco.com",
        reference_style="digits10",
    ),
    VendorProfile(
        614,
        "Sunbelt Rentals",
        "rental",
        "2000 Westbelt Dr",
        "Columbus",
        "43228",
        "614-850-5020",
        "billing@sunbeltrentals.com",
        reference_style="long",
    ),
    VendorProfile(
        615,
        "United Rentals (North America), Inc.",
        "rental",
        "3800 Groves Rd",
        "Columbus",
        "43232",
        "614-864-4000",
        "ar@ur.com",
        reference_style="digits10",
    ),
    VendorProfile(
        616,
        "Herc Rentals",
        "rental",
        "2700 Morse Rd",
        "Columbus",
        "43231",
        "614-475-4372",
        "invoices@hercrentals.com",
    ),
    VendorProfile(
        617,
        "AEP Ohio",
        "utility",
        "850 Tech Center Dr",
        "Gahanna",
        "43230",
        "800-672-2231",
        "ebill@aep.com",
        terms="Due on receipt",
        reference_style="account",
    ),
    VendorProfile(
        618,
        "Columbia Gas of Ohio",
        "utility",
        "290 W Nationwide Blvd",
        "Columbus",
        "43215",
        "800-344-4077",
        "billing@columbiagasohio.com",
        terms="Due on receipt",
        reference_style="account",
    ),
    VendorProfile(
        619,
        "City of Columbus Division of Water",
        "utility",
        "910 Dublin Rd",
        "Columbus",
        "43215",
        "614-645-8276",
        "utilitybilling@columbus.gov",
        terms="Due on receipt",
        reference_style="account",
    ),
    VendorProfile(
        620,
        "Spectrum Business",
        "utility",
        "1015 Olentangy River Rd",
        "Columbus",
        "43212",
        "855-299-9353",
        "business@spectrum.com",
        reference_style="account",
    ),
    VendorProfile(
        621,
        "Verizon Wireless",
        "utility",
        "PO Box 489",
        "Newark",
        "07101",
        "800-922-0204",
        "business@verizonwireless.com",
        reference_style="account",
    ),
    VendorProfile(
        622,
        "WEX Fleet Services",
        "fleet",
        "1 Hancock St",
        "Portland",
        "04101",
        "800-492-0669",
        "fleet.billing@wexinc.com",
        reference_style="digits7",
    ),
    VendorProfile(
        623,
        "NAPA Auto Parts - Grandview",
        "fleet",
        "1280 W 5th Ave",
        "Columbus",
        "43212",
        "614-486-0241",
        "store4421@napa.com",
    ),
    VendorProfile(
        624,
        "Byers Chevrolet Fleet Service",
        "fleet",
        "401 N Hamilton Rd",
        "Columbus",
        "43213",
        "614-864-5180",
        "fleet@byerschevy.com",
    ),
    VendorProfile(
        625,
        "Buckeye Excavating & Trenching LLC",
        "sub",
        "6400 Cosgray Rd",
        "Dublin",
        "43016",
        "614-889-3377",
        "office@buckeyeexcavating.com",
        terms="Net 15",
        reference_style="alpha",
    ),
    VendorProfile(
        626,
        "Central Ohio Concrete Cutting",
        "sub",
        "1111 Gibbard Ave",
        "Columbus",
        "43201",
        "614-291-7800",
        "cocc@concretecutting.net",
        terms="Net 15",
    ),
    VendorProfile(
        627,
        "Miller Electrical Subcontracting, Inc.",
        "sub",
        "77 E Main St",
        "Westerville",
        "43081",
        "614-882-4410",
        "ap@millerelectricalsub.com",
        terms="Net 15",
    ),
    VendorProfile(
        628,
        "A & B Backflow Testing",
        "sub",
        "4455 Sunbury Rd",
        "Columbus",
        "43219",
        "614-476-2020",
        "abbackflow@gmail.com",
        terms="Due on receipt",
        reference_style="alpha",
    ),
    VendorProfile(
        629,
        "Precision Drain Camera Services",
        "sub",
        "2931 E 14th Ave",
        "Columbus",
        "43219",
        "614-252-9181",
        "precisiondrain@outlook.com",
    ),
    VendorProfile(
        630,
        "Cintas Corporation No. 2",
        "service",
        "3399 E 5th Ave",
        "Columbus",
        "43219",
        "614-237-7800",
        "ar.loc33@cintas.com",
        reference_style="digits10",
    ),
    VendorProfile(
        631,
        "Rumpke Waste & Recycling",
        "service",
        "1191 Fields Ave",
        "Columbus",
        "43201",
        "800-828-8171",
        "billing@rumpke.com",
        reference_style="account",
    ),
    VendorProfile(
        632,
        "Staples Business Advantage",
        "service",
        "500 Staples Dr",
        "Framingham",
        "01702",
        "877-826-7755",
        "sbainvoices@staples.com",
        reference_style="long",
    ),
    VendorProfile(
        633,
        "Désirée's Cleaning & Janitorial",
        "service",
        "2217 Cleveland Ave",
        "Columbus",
        "43211",
        "614-725-0912",
        "desiree.cleaning@yahoo.com",
        terms="Net 10",
        reference_style="alpha",
    ),
    VendorProfile(
        634,
        "Parkside Commercial Properties LLC",
        "rent",
        "150 E Broad St",
        "Columbus",
        "43215",
        "614-228-5500",
        "leasing@parksidecp.com",
        terms="Due on receipt",
        reference_style="month",
    ),
    VendorProfile(
        635,
        "Erie Insurance Group",
        "service",
        "100 Erie Insurance Pl",
        "Erie",
        "16530",
        "800-458-0811",
        "commercial@erieinsurance.com",
        reference_style="long",
    ),
    VendorProfile(
        636,
        "Snap-on Tools (Dealer M. Ortiz)",
        "supply",
        "5880 Sharon Woods Blvd",
        "Columbus",
        "43229",
        "614-554-0180",
        "mortiz.snapon@gmail.com",
        terms="Due on receipt",
    ),
    VendorProfile(
        637,
        "Old Dominion Supply (closed)",
        "supply",
        "90 Frank Rd",
        "Columbus",
        "43223",
        "614-276-1111",
        "closed@example.com",
        active=False,
    ),
    VendorProfile(
        638,
        "Mid-Ohio Pipe & Supply",
        "supply",
        "3301 Lockbourne Rd",
        "Columbus",
        "43207",
        "614-445-6100",
        "ar@midohiopipe.com",
        active=False,
    ),
)


def _named_address(street: str, city: str, state: str, zip_code: str) -> dict[str, str]:
    return {
        "street": street,
        "unit": "",
        "city": city,
        "state": state,
        "zip": zip_code,
        "country": "USA",
    }


def _state_of(profile: VendorProfile) -> str:
    return {"04101": "ME", "07101": "NJ", "01702": "MA", "16530": "PA"}.get(profile.zip, "OH")


def demo_vendors() -> list[dict[str, Any]]:
    """The demo vendors as `VendorResponse` records (inactive ones included)."""
    out = []
    for n, v in enumerate(VENDORS):
        first, _, last = ("Accounts Receivable" if v.kind != "sub" else "Owner Operator").partition(
            " "
        )
        out.append(
            {
                "id": v.id,
                "name": v.name,
                "active": v.active,
                "isTruckReplenishment": v.truck_replenishment,
                "isMobileCreationRestricted": False,
                "memo": f"{v.kind} vendor; terms {v.terms}",
                "deliveryOption": "EmailAsPdf" if v.kind == "supply" else "Manual",
                "defaultTaxRate": 0.075 if v.kind == "supply" else 0.0,
                "contactInfo": {
                    "firstName": first,
                    "lastName": last,
                    "phone": v.phone,
                    "email": v.email,
                    "fax": "",
                },
                "address": _named_address(v.street, v.city, _state_of(v), v.zip),
                "createdOn": _stamp(n * 37),
                "modifiedOn": _stamp(n * 37 + 5),
                "externalData": [],
            }
        )
    return out


def vendor_terms() -> dict[int, str]:
    return {v.id: v.terms for v in VENDORS}


def demo_gl_accounts() -> list[dict[str, Any]]:
    """The demo GL accounts as `GlAccountExtendedResponse` records (inactive ones included)."""
    return [
        {
            "id": gid,
            "name": name,
            "number": number,
            "description": f"{name} ({number})",
            "type": gtype,
            "subtype": subtype,
            "active": active,
            "isIntacctGroup": False,
            "isIntacctBankAccount": False,
            "source": "AccountingSystem" if "-" in number else "ManuallyCreated",
            "defaultAccountType": default,
            "createdOn": _stamp(n * 11),
            "modifiedOn": _stamp(n * 11 + 3),
        }
        for n, (gid, number, name, gtype, subtype, default, active) in enumerate(GL_ACCOUNTS)
    ]


def gl_ref(number: str) -> dict[str, Any]:
    """The short `GLAccountResponse` embedded in bill and invoice lines."""
    for gid, num, name, gtype, subtype, _default, _active in GL_ACCOUNTS:
        if num == number:
            return {"id": gid, "name": name, "number": num, "type": gtype, "detailType": subtype}
    raise KeyError(number)


def demo_business_units() -> list[dict[str, Any]]:
    street, city, state, zip_code = "1450 Kinnear Rd", "Columbus", "OH", "43212"
    return [
        {
            "id": bid,
            "active": active,
            "name": name,
            "officialName": f"{TENANT_NAME} - {name}",
            "email": "office@buckeyepe.com",
            "currency": "USD",
            "phoneNumber": "614-555-0142",
            "invoiceHeader": None,
            "invoiceMessage": "Thank you for your business!",
            "defaultTaxRate": 0.075,
            "authorizationParagraph": None,
            "acknowledgementParagraph": None,
            "address": {
                "street": street,
                "unit": "",
                "city": city,
                "state": state,
                "zip": zip_code,
                "country": "USA",
                "latitude": 40.0039,
                "longitude": -83.0451,
                "isManualCoordinates": False,
                "isMilitary": False,
            },
            "materialSku": None,
            "quickbooksClass": trade,
            "accountCode": code,
            "franchiseId": None,
            "conceptCode": None,
            "corporateContractNumber": None,
            "trade": {"id": 1 + [b[3] for b in BUSINESS_UNITS].index(trade), "name": trade},
            "division": {
                "id": 1 if trade != "Administration" else 2,
                "name": "Field" if trade != "Administration" else "Office",
            },
            "tagTypeIds": [],
            "tenant": {
                "id": 1234567,
                "name": TENANT_NAME,
                "accountCode": None,
                "franchiseId": None,
                "conceptCode": None,
                "modifiedOn": _stamp(0),
            },
            "createdOn": _stamp(n),
            "modifiedOn": _stamp(n + 1),
            "externalData": None,
        }
        for n, (bid, name, code, trade, active) in enumerate(BUSINESS_UNITS)
    ]


def demo_job_types() -> list[dict[str, Any]]:
    return [
        {
            "id": tid,
            "name": name,
            "businessUnitIds": list(units),
            "skills": [],
            "tagTypeIds": [],
            "priority": "Normal",
            "duration": 7200,
            "soldThreshold": None,
            "class": "Service" if "Install" not in name else "Install",
            "summary": "",
            "noCharge": name == "Warranty Callback",
            "enforceRecurringServiceEventSelection": None,
            "invoiceSignaturesRequired": False,
            "modifiedOn": _stamp(30 + n),
            "createdOn": _stamp(20 + n),
            "externalData": [],
            "active": active,
            "isSmartDispatched": False,
        }
        for n, (tid, name, units, active) in enumerate(JOB_TYPES)
    ]


def demo_budget_codes() -> list[dict[str, Any]]:
    codes = []
    for phase_id, phase_code, phase_name in PHASES:
        for type_id, type_code, type_name in COST_TYPES:
            codes.append(
                {
                    "id": 300 + phase_id * 10 + (type_id - 10),
                    "code": f"{phase_code}-{type_code}",
                    "description": f"{phase_name} / {type_name}",
                    "segments": [
                        {
                            "segmentId": 1,
                            "segmentItemId": phase_id,
                            "code": phase_code,
                            "description": phase_name,
                            "path": phase_code,
                        },
                        {
                            "segmentId": 2,
                            "segmentItemId": type_id,
                            "code": type_code,
                            "description": type_name,
                            "path": f"{phase_code}/{type_code}",
                        },
                    ],
                }
            )
    return codes


def demo_categories() -> list[dict[str, Any]]:
    return [
        {
            "id": cid,
            "name": name,
            "active": active,
            "description": f"{name} pricebook items",
            "image": None,
            "parentId": parent,
            "position": n,
            "categoryType": ctype,
            "subcategories": [],
            "businessUnitIds": [],
            "skuImages": [],
            "skuVideos": [],
            "source": None,
            "externalId": None,
            "hideInMobile": False,
            "createdOn": _stamp(60 + n),
            "modifiedOn": _stamp(70 + n),
        }
        for n, (cid, name, ctype, parent, active) in enumerate(CATEGORIES)
    ]
