"""The demo tenant's reference data: business units, job types, budget codes, GL accounts,
pricebook categories and vendors, in the API's own shapes. Pure and deterministic.

The story: Buckeye Plumbing & Electric, Columbus, Ohio, a residential and light-commercial
plumbing and electrical contractor with 12 service trucks and an office. Its ServiceTitan GL
account numbers follow the three-segment Sage format `AAAA-DD-LLL` (main account, department
= business unit `accountCode`, location 100 = Columbus), except a few legacy ones that do not
(`60150`, `MISC`, `5000-1-100`, `6999-07`): the GL mapping must catch those.

The tables live in `seed_reference.json` beside this module (data, not code).
`demo_vendors()` and `demo_gl_accounts()` are what the Sage sandbox derives its side from.
Documents (jobs, purchase orders, AP bills, invoices) are generated in `seed_documents`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from ml_connector.sandbox.servicetitan.store import format_instant

SEED_START = datetime(2025, 7, 1, 13, 0, tzinfo=UTC)
"""Reference data was created around here; documents follow over the next 180 days."""

TENANT_NAME = "Buckeye Plumbing & Electric"


def _stamp(offset_minutes: int) -> str:
    return format_instant(SEED_START - timedelta(days=200) + timedelta(minutes=offset_minutes))


REFERENCE: dict[str, Any] = json.loads(
    resources.files(__package__).joinpath("seed_reference.json").read_text(encoding="utf-8")
)

# Rows hold: id; name; accountCode; trade; active.
BUSINESS_UNITS: tuple[tuple[int, str, str, str, bool], ...] = tuple(
    (r[0], r[1], r[2], r[3], r[4]) for r in REFERENCE["business_units"]
)
# Rows hold: id; name; business unit ids; active.
JOB_TYPES: tuple[tuple[int, str, tuple[int, ...], bool], ...] = tuple(
    (r[0], r[1], tuple(r[2]), r[3]) for r in REFERENCE["job_types"]
)

PHASES = ((1, "01", "Rough-In"), (2, "02", "Trim / Finish"), (3, "03", "Service"))
COST_TYPES = (
    (11, "100", "Materials"),
    (12, "110", "Equipment"),
    (13, "300", "Subcontract"),
    (14, "400", "Permits & Fees"),
    (15, "500", "Equipment Rental"),
)

# Rows hold: id; number; name; type; subtype; defaultAccountType; active.
GL_ACCOUNTS: tuple[tuple[int, str, str, str, str, str | None, bool], ...] = tuple(
    (r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in REFERENCE["gl_accounts"]
)

# Rows hold: id; name; type; parent id; active
CATEGORIES: tuple[tuple[int, str, str, int | None, bool], ...] = tuple(
    (r[0], r[1], r[2], r[3], r[4]) for r in REFERENCE["categories"]
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


VENDORS: tuple[VendorProfile, ...] = tuple(VendorProfile(**row) for row in REFERENCE["vendors"])


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
