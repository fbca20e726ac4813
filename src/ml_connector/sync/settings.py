"""What the engine is told to do for one pair: `SyncSettings` and invoice routing rules.

The app builds these from the TOML config; the engine only reads them. Everything has a
default that a careful first install can run with: division "00", both AP bill types, no
invoices routed to AP, no mark-as-exported, a 10-minute look-back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from ml_connector.errors import ConfigError
from ml_connector.sage100.port import sage_vendor_no
from ml_connector.servicetitan.records import Invoice
from ml_connector.sync.gl.rules import GlRules
from ml_connector.sync.vendors.aliases import load_vendor_aliases
from ml_connector.sync.vendors.match import MatchSettings

BillTypeName = Literal["Procurement", "ApBill"]
VendorSourceKind = Literal["fixed", "custom_field", "customer_name"]
VendorSide = Literal["servicetitan", "sage"]
# Where ServiceTitan tax and freight go (docs/engine.md "Tax and freight"): "auto" = the
# header's SalesTaxAmt / FreightAmt when the company calculates sales tax in A/P and the AP
# division has the account (and no other account is configured), else distribution lines
TaxFreightPosting = Literal["auto", "header", "lines"]
VENDOR_FIELDS = ("name", "address", "phone", "email", "active")  # see docs/vendors.md


@dataclass(frozen=True, slots=True)
class InvoiceVendorSource:
    """How the Sage vendor of a routed invoice is found.

    - `fixed`: always `value`, a Sage vendor number ("DD-VVVVVVV" or "VVVVVVV" in the
      configured division);
    - `custom_field`: the invoice's custom field named `value` holds the Sage vendor number;
    - `customer_name`: the invoice's customer name, matched to Sage vendors by name.
    """

    how: VendorSourceKind
    value: str = ""

    def __post_init__(self) -> None:
        if self.how in ("fixed", "custom_field") and not self.value.strip():
            raise ConfigError(f"invoice routing: vendor source {self.how!r} needs a value")


@dataclass(frozen=True, slots=True)
class InvoiceRoute:
    """A rule that sends some ServiceTitan invoices to Sage AP.

    An invoice matches when every criterion given matches (names compare case-insensitively):
    its business unit is one of `business_units`, its invoice type is one of
    `invoice_types`, and its custom field `custom_field[0]` equals `custom_field[1]`.
    A rule must give at least one criterion, so that no rule routes every invoice by accident.
    """

    name: str
    vendor: InvoiceVendorSource
    business_units: frozenset[str] = frozenset()
    invoice_types: frozenset[str] = frozenset()
    custom_field: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if not (self.business_units or self.invoice_types or self.custom_field):
            raise ConfigError(
                f"invoice routing rule {self.name!r} has no criterion; it would send every "
                "invoice to AP",
                hint="give business_units, invoice_types or custom_field",
            )

    def matches(self, invoice: Invoice) -> bool:
        if self.business_units:
            bu = (invoice.business_unit.name if invoice.business_unit else None) or ""
            if bu.casefold() not in {b.casefold() for b in self.business_units}:
                return False
        if self.invoice_types:
            it = (invoice.invoice_type.name if invoice.invoice_type else None) or ""
            if it.casefold() not in {t.casefold() for t in self.invoice_types}:
                return False
        if self.custom_field is not None:
            name, value = self.custom_field
            found = [cf.value for cf in invoice.custom_fields if (cf.name or "") == name]
            if not found or (found[0] or "").strip().casefold() != value.strip().casefold():
                return False
        return True


def split_vendor(text: str, default_division: str) -> tuple[str, str]:
    """'01-FERGUSO' -> ('01', 'FERGUSO'); 'FERGUSO' -> (default division, 'FERGUSO');
    an all-digit number as Sage stores it: '123' -> (default division, '0000123')."""
    value = text.strip().upper()
    if len(value) > 3 and value[2] == "-":
        return value[:2], sage_vendor_no(value[3:])
    return default_division, sage_vendor_no(value)


def route_for(routes: tuple[InvoiceRoute, ...], invoice: Invoice) -> InvoiceRoute | None:
    """The first rule that matches, or None (the invoice is not for AP)."""
    for route in routes:
        if route.matches(invoice):
            return route
    return None


@dataclass(frozen=True, slots=True)
class SyncSettings:
    """Settings of the engine for one pair. Accounts are Sage accounts, formatted
    ("6000-01-100"), raw ("600001100") or as an AccountKey."""

    division: str = "00"
    bill_types: tuple[BillTypeName, ...] = ("Procurement", "ApBill")
    create_missing_vendors: bool = True
    auto_link_score: float | None = None  # None: the matcher's default
    match_margin: float | None = None  # None: the matcher's default
    tax_account: str | None = None  # None: the AP division's sales tax account
    freight_account: str | None = None  # None: the AP division's freight account
    tax_freight: TaxFreightPosting = "auto"
    # vendor tax schedules that compute no tax; a vendor with any other schedule goes to
    # review (Sage would compute tax on top of ServiceTitan's)
    non_taxing_tax_schedules: tuple[str, ...] = ()
    fallback_gl_account: str | None = None  # None: unmapped lines go to review
    gl_rules_path: Path | None = None  # None: the default rule (same account number)
    gl_rules: GlRules | None = None  # rules already loaded; wins over gl_rules_path
    # the controller's vendor alias table (CSV alias,name), read when a cycle starts matching
    vendor_aliases_path: Path | None = None
    mark_exported: bool = False
    invoice_routes: tuple[InvoiceRoute, ...] = ()
    look_back: timedelta = timedelta(minutes=10)
    # The Sage vendor cursor is a (date, hours) stamp of the writer's local clock: workstation
    # clock skew or the DST fall-back hour can stamp an edit below it, so each cycle reads
    # from this much earlier (re-reading a vendor is harmless).
    sage_look_back: timedelta = timedelta(days=1)
    signpost_safety: timedelta = timedelta(seconds=30)
    start_at: datetime | None = None  # first sync reads from here; None: all history
    batch_description: str = "ServiceTitan"
    application_guid: str | None = None  # ours, for ServiceTitan vendor externalData
    external_data_key: str = "sage100VendorNo"
    write_vendor_number_to_st: bool = False  # keep the Sage number in ST externalData
    vendor_sync: bool = True  # the vendor step of each cycle (sync.vendor_sync)
    create_vendors_in_servicetitan: bool = False  # Sage vendors with no ST counterpart
    # which side owns each vendor field on edit: {"name": "sage", "address": "servicetitan"}
    # (fields: VENDOR_FIELDS); a field with no owner never flows, its edits are audited
    vendor_field_owner: Mapping[str, VendorSide] = field(default_factory=dict)
    max_attempts: int = 10  # retryable failures of one document before it goes to review
    export_max_attempts: int = 5  # failed mark-as-exported calls before review
    actor: str = "ml-connector"

    def __post_init__(self) -> None:
        if len(self.division) != 2 or not self.division.isalnum():
            raise ConfigError(f"division {self.division!r} must be 2 characters, e.g. '00'")
        if not self.bill_types:
            raise ConfigError("bill_types is empty; nothing would be synchronised")
        if min(self.look_back, self.signpost_safety, self.sage_look_back) < timedelta(0):
            raise ConfigError("look_back, sage_look_back and signpost_safety must not be negative")
        if self.start_at is not None and self.start_at.tzinfo is None:
            raise ConfigError("start_at must be timezone-aware (UTC)")
        if self.write_vendor_number_to_st and not self.application_guid:
            raise ConfigError("write_vendor_number_to_st needs application_guid")
        if self.create_vendors_in_servicetitan and not self.application_guid:
            raise ConfigError("create_vendors_in_servicetitan needs application_guid")
        for name, side in self.vendor_field_owner.items():
            if name not in VENDOR_FIELDS or side not in ("servicetitan", "sage"):
                raise ConfigError(
                    f"vendor_field_owner: {name!r} = {side!r} is not valid",
                    hint=f"fields: {', '.join(VENDOR_FIELDS)}; owners: servicetitan, sage",
                )
        if self.tax_freight not in ("auto", "header", "lines"):
            raise ConfigError(
                f"tax_freight {self.tax_freight!r} is not valid", hint="auto, header or lines"
            )
        if self.max_attempts < 1 or self.export_max_attempts < 1:
            raise ConfigError("max_attempts and export_max_attempts must be at least 1")


def match_settings(settings: SyncSettings) -> MatchSettings:
    """The vendor matcher's settings for a pair (its own defaults where ours say None)."""
    kwargs: dict[str, Any] = {
        "create_missing": settings.create_missing_vendors,
        "default_division": settings.division,
        "divisions": (settings.division,),
    }
    if settings.auto_link_score is not None:
        kwargs["auto_link_score"] = settings.auto_link_score
    if settings.match_margin is not None:
        kwargs["margin"] = settings.match_margin
    if settings.vendor_aliases_path is not None:
        kwargs["aliases"] = load_vendor_aliases(settings.vendor_aliases_path)
    return MatchSettings(**kwargs)
