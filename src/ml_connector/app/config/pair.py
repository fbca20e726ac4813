"""The settings of one pair: its ServiceTitan tenant, its Sage 100 company (and optional
eBusiness Web Services), and what the sync does between them."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator, model_validator

from ml_connector.app.config.types import (
    ST_ENVIRONMENTS,
    FilePath,
    Secret,
    StrictModel,
    Url,
    http_url,
    is_loopback_host,
    refuse_literal,
    resolve_path,
)
from ml_connector.sage100.settings import BoiColumns, BoiNames


class ServiceTitanSettings(StrictModel):
    environment: Literal["production", "integration", "custom"] = "production"
    api_base: Url | None = None  # custom only
    auth_url: Url | None = None  # custom only
    tenant_id: int = Field(gt=0)
    client_id: str = Field(min_length=1)
    client_secret: Secret
    app_key: Secret
    max_rps: float = Field(default=50, gt=0, le=60)
    timeout_seconds: float = Field(default=30, gt=0, le=600)

    @field_validator("api_base", "auth_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else http_url(value)

    @model_validator(mode="after")
    def _environment(self) -> ServiceTitanSettings:
        if self.environment == "custom":
            if not self.api_base or not self.auth_url:
                raise ValueError("environment = 'custom' needs both api_base and auth_url")
        elif self.api_base or self.auth_url:
            raise ValueError(
                f"api_base and auth_url are only for environment = 'custom' "
                f"({self.environment} uses ServiceTitan's own URLs)"
            )
        sandbox = self.environment == "custom" and all(
            is_loopback_host(urlsplit(u or "").hostname) for u in (self.api_base, self.auth_url)
        )
        why = "custom environment on 127.0.0.1"
        refuse_literal(self.client_secret, "client_secret", sandbox, why)
        refuse_literal(self.app_key, "app_key", sandbox, why)
        return self

    @property
    def api_base_url(self) -> str:
        return self.api_base or ST_ENVIRONMENTS[self.environment][0]

    @property
    def token_url(self) -> str:
        return self.auth_url or ST_ENVIRONMENTS[self.environment][1]


class WebServicesConfig(StrictModel):
    url: Url
    user: str | None = None  # default: the sage100 user
    password: Secret | None = None  # default: the sage100 password
    ca_bundle: FilePath | None = None
    wsdl: FilePath | None = None
    timeout_seconds: float = Field(default=30, gt=0, le=600)
    allow_plain_http: bool = False

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return http_url(value)

    @field_validator("ca_bundle", "wsdl")
    @classmethod
    def _paths(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return None if value is None else resolve_path(value, info)

    @model_validator(mode="after")
    def _literal(self) -> WebServicesConfig:
        loopback = is_loopback_host(urlsplit(self.url).hostname)
        refuse_literal(self.password, "password", loopback, "url on 127.0.0.1")
        return self


class Sage100Settings(StrictModel):
    mode: Literal["boi", "sandbox"] = "boi"
    home: str | None = None  # boi: the MAS90\Home folder (a UNC path under a service)
    root: FilePath | None = None  # sandbox: the folder holding <COMPANY>.sqlite
    company: str = Field(pattern=r"^[A-Za-z0-9]{3}$")
    user: str = Field(min_length=1)
    password: Secret
    ap_division: str = Field(default="00", pattern=r"^\d{2}$")
    use_batches: bool | None = None  # absent: follow A/P Options (ask Sage)
    sales_tax_in_ap: bool | None = None  # absent: A/P Options "calculate sales tax" (ask Sage)
    job_cost: bool | None = None  # absent: Job Cost when Sage has a Job Cost job on file
    # nSetKey with the whole invoice key: 3 BOI calls fewer per invoice; only once the
    # probe's whole_key fact says yes (`check` fails otherwise)
    invoice_key_whole: bool = False
    module_date: Literal["today", "fixed"] = "today"
    module_date_value: date | None = None  # TOML date (2026-03-31) or "2026-03-31"
    # Sage names no public source confirms, each a list tried in order ([pairs.sage100.names])
    names: BoiNames | None = None  # absent: the adapter's defaults
    columns: BoiColumns | None = None  # [pairs.sage100.columns]; absent: the defaults
    webservices: WebServicesConfig | None = None

    @field_validator("company")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("root")
    @classmethod
    def _root(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return None if value is None else resolve_path(value, info)

    @model_validator(mode="after")
    def _mode(self) -> Sage100Settings:
        if self.mode == "boi" and not self.home:
            raise ValueError(r"mode = 'boi' needs home (the MAS90\Home folder)")
        if self.mode == "sandbox" and self.root is None:
            raise ValueError("mode = 'sandbox' needs root (the sandbox's folder)")
        if (self.module_date == "fixed") != (self.module_date_value is not None):
            raise ValueError("module_date_value (YYYY-MM-DD) goes with module_date = 'fixed'")
        refuse_literal(self.password, "password", self.mode == "sandbox", "mode = 'sandbox'")
        return self


class InvoiceRoute(StrictModel):
    """ServiceTitan invoices that become Sage AP invoices, and how their vendor is found.

    An invoice matches when every criterion given matches (names compare case-insensitively).
    `vendor` is `fixed:<Sage vendor>` (e.g. `fixed:00-PLUMBCO`), `custom_field:<field name>`
    (the invoice's custom field holds the Sage vendor number) or `customer_name` (the
    invoice's customer name is matched to Sage vendors by name).
    """

    name: str = Field(min_length=1)
    business_units: list[str] = Field(default_factory=list)
    invoice_types: list[str] = Field(default_factory=list)
    custom_field: str | None = None  # "Field name=value"
    vendor: str = Field(pattern=r"^(fixed:\S+|custom_field:.+|customer_name)$")

    @model_validator(mode="after")
    def _criteria(self) -> InvoiceRoute:
        if not (self.business_units or self.invoice_types or self.custom_field):
            raise ValueError(
                f"route {self.name!r} selects every invoice: give business_units, "
                "invoice_types or custom_field"
            )
        if self.custom_field is not None and "=" not in self.custom_field:
            raise ValueError(f"route {self.name!r}: custom_field must read 'Field name=value'")
        return self


Account = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9 .-]{0,29}$")]


class SyncSettings(StrictModel):
    ap_bills: bool = True
    invoices: bool = False
    create_missing_vendors: bool = True
    create_vendors_in_servicetitan: bool = False
    vendor_sync: bool = True  # the vendor step of each cycle (docs/vendors.md)
    write_vendor_number_to_st: bool = False
    # which side's edits flow, per field: {name = "sage", address = "servicetitan"}
    vendor_field_owner: dict[
        Literal["name", "address", "phone", "email", "active"], Literal["servicetitan", "sage"]
    ] = Field(default_factory=dict)
    tax_account: Account | None = None
    freight_account: Account | None = None
    # tax and freight: "auto" header where Sage allows it, "header", or "lines" (docs/engine.md)
    tax_freight: Literal["auto", "header", "lines"] = "auto"
    non_taxing_tax_schedules: list[str] = Field(default_factory=list)
    fallback_account: Account | None = None
    gl_rules: FilePath | None = None
    vendor_aliases: FilePath | None = None  # the controller's alias table (CSV alias,name)
    mark_exported: bool = False
    invoice_routes: list[InvoiceRoute] = Field(default_factory=list)
    look_back_minutes: int = Field(default=10, ge=0, le=1440)
    sage_vendor_look_back_hours: int = Field(default=24, ge=0, le=24 * 14)
    application_guid: str | None = None

    @field_validator("gl_rules", "vendor_aliases")
    @classmethod
    def _rules(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return None if value is None else resolve_path(value, info)

    @field_validator("application_guid")
    @classmethod
    def _guid(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return str(uuid.UUID(value))
        except ValueError:
            raise ValueError("must be a GUID, e.g. 3f2c9a4e-0b7d-4c1e-9f43-2d8a6b1c5e70") from None

    @model_validator(mode="after")
    def _consistent(self) -> SyncSettings:
        if self.invoices and not self.invoice_routes:
            raise ValueError("invoices = true needs at least one [[...invoice_routes]] rule")
        if self.create_vendors_in_servicetitan and not self.application_guid:
            raise ValueError(
                "create_vendors_in_servicetitan needs application_guid (the Sage vendor "
                "number is kept in the ServiceTitan vendor's externalData under that GUID)"
            )
        if self.write_vendor_number_to_st and not self.application_guid:
            raise ValueError("write_vendor_number_to_st needs application_guid")
        names = [r.name for r in self.invoice_routes]
        if len(names) != len(set(names)):
            raise ValueError("invoice_routes names must be unique")
        return self


class PairSettings(StrictModel):
    servicetitan: ServiceTitanSettings
    sage100: Sage100Settings
    sync: SyncSettings = SyncSettings()
