"""The vendor fields that can flow between ServiceTitan and Sage on edit, compared the way
each side stores them.

Owns `VendorValues` (one side's values of name, address, phone, email, active), how two
values compare (`same`: case, spacing and Sage's column lengths do not count, a phone
compares by its digits), the snapshot kept per link (the values of both sides when the
vendor sync last looked; stored as JSON), and how a value becomes a write on the other side
(`sage_changes` -> `VendorChanges`, `st_patch` -> an `UpdateVendorRequest` body).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ml_connector.sage100.port import VENDOR_NAME_LEN, SageVendor, VendorChanges
from ml_connector.servicetitan.records import Vendor
from ml_connector.sync.settings import VENDOR_FIELDS

Address = tuple[str, str, str, str, str]  # street/line 1, unit/line 2, city, state, zip
# Sage's AP_Vendor column lengths of the address parts
ADDRESS_LENGTHS = (30, 30, 20, 2, 10)
PHONE_LEN = 17
_NOT_DIGIT = re.compile(r"\D")


@dataclass(frozen=True, slots=True)
class VendorValues:
    name: str
    address: Address
    phone: str
    email: str
    active: bool

    def get(self, name: str) -> Any:
        return getattr(self, name)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "address": list(self.address),
            "phone": self.phone,
            "email": self.email,
            "active": self.active,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VendorValues:
        address = tuple(str(p) for p in data.get("address", ()))
        address = (address + ("",) * 5)[:5]
        return cls(
            name=str(data.get("name", "")),
            address=(address[0], address[1], address[2], address[3], address[4]),
            phone=str(data.get("phone", "")),
            email=str(data.get("email", "")),
            active=bool(data.get("active", True)),
        )


def st_values(vendor: Vendor) -> VendorValues:
    a = vendor.address
    c = vendor.contact_info
    return VendorValues(
        name=vendor.name or "",
        address=(
            (a.street if a else None) or "",
            (a.unit if a else None) or "",
            (a.city if a else None) or "",
            (a.state if a else None) or "",
            (a.zip if a else None) or "",
        ),
        phone=(c.phone if c else None) or "",
        email=(c.email if c else None) or "",
        active=vendor.active is not False,
    )


def sage_values(vendor: SageVendor) -> VendorValues:
    return VendorValues(
        name=vendor.name,
        address=(
            vendor.address_line1,
            vendor.address_line2,
            vendor.city,
            vendor.state,
            vendor.zip_code,
        ),
        phone=vendor.telephone_no,
        email=vendor.email_address,
        active=vendor.status != "I",
    )


def _text(value: str, length: int | None = None) -> str:
    folded = " ".join(value.split()).casefold()
    return folded[:length] if length is not None else folded


def _comparable(name: str, value: Any) -> Any:
    if name == "name":
        return _text(value, VENDOR_NAME_LEN)
    if name == "address":
        return tuple(_text(p, n) for p, n in zip(value, ADDRESS_LENGTHS, strict=True))
    if name == "phone":
        return _NOT_DIGIT.sub("", value)[:PHONE_LEN]
    if name == "email":
        return _text(value)
    return bool(value)


def same(name: str, a: Any, b: Any) -> bool:
    """Whether two values of field `name` are the same once stored in Sage."""
    return bool(_comparable(name, a) == _comparable(name, b))


def shown(name: str, value: Any) -> Any:
    """A value as an audit event shows it."""
    if name == "address":
        return ", ".join(p for p in value if p)
    return value


# --- snapshots ------------------------------------------------------------------------


def snapshot_stream(st_vendor_id: int) -> str:
    """The store key (a cursor of the pair) of one link's snapshot."""
    return f"vendor_link:{st_vendor_id}"


def encode_snapshot(st: VendorValues, sage: VendorValues) -> str:
    return json.dumps({"st": st.as_json(), "sage": sage.as_json()}, sort_keys=True)


def decode_snapshot(value: str | None) -> tuple[VendorValues, VendorValues] | None:
    if not value:
        return None
    try:
        data = json.loads(value)
        return VendorValues.from_json(data["st"]), VendorValues.from_json(data["sage"])
    except (ValueError, KeyError, TypeError):
        return None  # unreadable: taken as "no snapshot" (nothing flows until re-taken)


# --- writes ---------------------------------------------------------------------------


def sage_changes(values: VendorValues, fields: list[str]) -> VendorChanges:
    """The Sage edit that gives `fields` the values of `values` (cut to Sage's lengths by
    the adapter)."""
    kwargs: dict[str, str] = {}
    for name in fields:
        if name == "name":
            kwargs["name"] = values.name
        elif name == "address":
            keys = ("address_line1", "address_line2", "city", "state", "zip_code")
            kwargs.update(dict(zip(keys, values.address, strict=True)))
        elif name == "phone":
            kwargs["telephone_no"] = values.phone
        elif name == "email":
            kwargs["email_address"] = values.email
        elif name == "active":
            kwargs["status"] = "A" if values.active else "I"
    return VendorChanges(**kwargs)


def st_patch(values: VendorValues, fields: list[str], current: Vendor) -> dict[str, Any]:
    """The `UpdateVendorRequest` body that gives `fields` the values of `values`. An address
    is sent whole (ServiceTitan requires every part); the country is kept as it is."""
    body: dict[str, Any] = {}
    for name in fields:
        if name == "name":
            body["name"] = values.name
        elif name == "address":
            street, unit, city, state, zip_code = values.address
            country = (current.address.country if current.address else None) or ""
            body["address"] = {
                "street": street,
                "unit": unit,
                "city": city,
                "state": state,
                "zip": zip_code,
                "country": country,
            }
        elif name == "phone":
            body["phone"] = values.phone
        elif name == "email":
            body["email"] = values.email
        elif name == "active":
            body["active"] = values.active
    return body


__all__ = [
    "VENDOR_FIELDS",
    "VendorValues",
    "decode_snapshot",
    "encode_snapshot",
    "sage_changes",
    "sage_values",
    "same",
    "snapshot_stream",
    "st_patch",
    "st_values",
]
