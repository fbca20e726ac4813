"""The Sage 100 eBusiness Web Services (SOAP) client.

eBusiness Web Services covers only customers, contacts and sales orders, so ml-connector uses
it for one thing: the connectivity check (`ping`), which proves that the IIS service answers,
which contract version it speaks, and that the configured user, password and company are
accepted. Every call except GetContractInformation carries the `logon` (user name and password)
and the `companyCode`, as Sage's guide documents.

The WSDL (`ml_connector/sage100/wsdl/MasBasicService.wsdl` and its XSD) is loaded from disk
with zeep's safe XML settings and never fetched; the configured service URL replaces its
address. zeep, requests and lxml errors are translated into `Sage100Error`s at this boundary
(see `errors.py`); the password never appears in a message or in the envelope history.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import zeep
from pydantic import SecretStr

from ml_connector.errors import ConfigError, ConnectorError
from ml_connector.sage100.webservices.errors import (
    WebServicesFaultError,
    safe_url,
    scrub,
    translate,
)
from ml_connector.sage100.webservices.transport import (
    EnvelopeHistory,
    LocalWsdlTransport,
    is_loopback,
)

BUILTIN_WSDL = "MasBasicService.wsdl"
PING_DIVISION = "00"
PING_CUSTOMER = "MLCPING"  # looked up to prove the logon; it need not exist


def builtin_wsdl_path() -> Path:
    """The WSDL shipped with ml-connector."""
    return Path(str(resources.files("ml_connector.sage100").joinpath("wsdl", BUILTIN_WSDL)))


@dataclass(frozen=True, slots=True)
class WebServicesSettings:
    """Where the service is and who calls it.

    `url` is the service endpoint, e.g. https://sage01.example.com/SageWebServices/
    MasBasicService.svc (its WSDL address is ignored). Plain http is refused except on
    loopback, because the password travels in every envelope; `allow_plain_http` overrides
    that for a test rig. `ca_bundle` is a PEM file for a private CA; `wsdl` replaces the
    built-in WSDL with one saved from the server (its XSDs must sit in the same folder).
    """

    url: str
    company: str
    user: str
    password: SecretStr
    timeout: float = 30.0
    ca_bundle: Path | None = None
    wsdl: Path | None = None
    allow_plain_http: bool = False


@dataclass(frozen=True, slots=True)
class ContractInformation:
    contract_version: int
    assembly_version: str
    null_date_time: datetime | None  # Sage's value that blanks a date field, UTC


@dataclass(frozen=True, slots=True)
class WsCustomer:
    division_no: str
    customer_no: str
    name: str
    address_line1: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    telephone_no: str = ""
    email_address: str = ""


@dataclass(frozen=True, slots=True)
class WsSalesOrderLine:
    item_code: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    extension: Decimal


@dataclass(frozen=True, slots=True)
class WsSalesOrder:
    sales_order_no: str
    order_date: date | None
    division_no: str
    customer_no: str
    customer_po_no: str
    bill_to_name: str
    lines: tuple[WsSalesOrderLine, ...]


class SageWebServicesClient:
    """A zeep client for Sage 100 eBusiness Web Services, one company and one user."""

    def __init__(self, settings: WebServicesSettings, *, history_size: int = 6) -> None:
        _check_url(settings)
        self._settings = settings
        secret = settings.password.get_secret_value()
        self._secrets = (secret,) if secret else ()
        wsdl = (settings.wsdl or builtin_wsdl_path()).resolve()
        self._transport = LocalWsdlTransport(
            service_url=settings.url, wsdl_dir=wsdl.parent, timeout=settings.timeout
        )
        if settings.ca_bundle is not None:
            self._transport.session.verify = str(settings.ca_bundle)
        self.history = EnvelopeHistory(maxlen=history_size, secrets=self._secrets)
        zeep_settings = zeep.Settings(
            # Lenient: a real server's records carry more fields than our reconstructed WSDL
            # lists, and strict mode would refuse them. (zeep also parses in lxml's recover
            # mode then; entities stay unresolved and DTDs forbidden, and non-XML answers are
            # stopped by the transport's content-type check.)
            strict=False,
            xml_huge_tree=False,
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
        )
        try:
            self._client = zeep.Client(  # type: ignore[no-untyped-call]  # zeep: no annotations
                wsdl.as_uri(),
                transport=self._transport,
                settings=zeep_settings,
                plugins=[self.history],
            )
            binding = _soap11_binding(self._client)
            self._service = self._client.create_service(binding, settings.url)  # type: ignore[no-untyped-call]
        except ConnectorError:
            self._transport.session.close()
            raise
        except Exception as exc:  # any zeep/lxml failure reading our own WSDL
            self._transport.session.close()
            raise ConfigError(
                f"cannot load the Web Services WSDL {wsdl}: {type(exc).__name__}: {exc}",
                hint="Remove `wsdl` from the config to use the built-in WSDL.",
            ) from exc

    @property
    def url(self) -> str:
        """The service URL, safe to show."""
        return safe_url(self._settings.url)

    # -- operations ----------------------------------------------------------------------

    def contract_information(self) -> ContractInformation:
        """GetContractInformation: the contract version, assembly version and NullDateTime."""
        result = self._call("GetContractInformation", {})
        return ContractInformation(
            contract_version=int(_get(result, "ContractVersion") or 0),
            assembly_version=str(_get(result, "AssemblyVersion") or ""),
            null_date_time=_utc(_get(result, "NullDateTime")),
        )

    def get_customer(self, division_no: str, customer_no: str) -> WsCustomer:
        """GetCustomer for A/R division + customer number."""
        return self._customer(division_no, customer_no, f"customer {division_no}-{customer_no}")

    def _customer(self, division_no: str, customer_no: str, record: str | None) -> WsCustomer:
        result = self._call(
            "GetCustomer",
            {"arDivisionNo": division_no, "customerNo": customer_no},
            logon=True,
            record=record,
        )
        return WsCustomer(
            division_no=_text(result, "ARDivisionNo"),
            customer_no=_text(result, "CustomerNo"),
            name=_text(result, "CustomerName"),
            address_line1=_text(result, "AddressLine1"),
            city=_text(result, "City"),
            state=_text(result, "State"),
            zip_code=_text(result, "ZipCode"),
            telephone_no=_text(result, "TelephoneNo"),
            email_address=_text(result, "EmailAddress"),
        )

    def get_next_customer_no(self, division_no: str) -> str:
        """GetNextCustomerNo for an A/R division."""
        return str(self._call("GetNextCustomerNo", {"arDivisionNo": division_no}, logon=True) or "")

    def get_sales_order(self, sales_order_no: str) -> WsSalesOrder:
        """GetSalesOrder by number."""
        result = self._call(
            "GetSalesOrder",
            {"salesOrderNo": sales_order_no},
            logon=True,
            record=f"sales order {sales_order_no}",
        )
        lines_holder = _get(result, "Lines")
        raw_lines = _get(lines_holder, "SalesOrderLine") or []
        order_date = _get(result, "OrderDate")
        return WsSalesOrder(
            sales_order_no=_text(result, "SalesOrderNo"),
            order_date=order_date.date() if isinstance(order_date, datetime) else order_date,
            division_no=_text(result, "ARDivisionNo"),
            customer_no=_text(result, "CustomerNo"),
            customer_po_no=_text(result, "CustomerPONo"),
            bill_to_name=_text(result, "BillToName"),
            lines=tuple(
                WsSalesOrderLine(
                    item_code=_text(line, "ItemCode"),
                    description=_text(line, "ItemCodeDesc"),
                    quantity=_decimal(line, "QuantityOrdered"),
                    unit_price=_decimal(line, "UnitPrice"),
                    extension=_decimal(line, "ExtensionAmt"),
                )
                for line in raw_lines
            ),
        )

    def get_next_sales_order_no(self) -> str:
        """GetNextSalesOrderNo for the company."""
        return str(self._call("GetNextSalesOrderNo", {}, logon=True) or "")

    def ping(self, *, check_logon: bool = True) -> int:
        """The connectivity check: the service's contract version.

        GetContractInformation needs no credentials, so with `check_logon` (the default) a
        GetCustomer for a probe customer follows: a logon fault raises `SageLoginError`, while
        "no such customer" (any other fault about the request) proves the logon was accepted.
        """
        info = self.contract_information()
        if check_logon:
            # A fault about what was asked (no such customer), not about who asked: logon ok.
            with contextlib.suppress(WebServicesFaultError):
                self._customer(PING_DIVISION, PING_CUSTOMER, None)
        return info.contract_version

    # -- plumbing ------------------------------------------------------------------------

    def _call(
        self,
        operation: str,
        arguments: Mapping[str, Any],
        *,
        logon: bool = False,
        record: str | None = None,
    ) -> Any:
        kwargs = dict(arguments)
        if logon:
            kwargs = {
                "logon": {
                    "Username": self._settings.user,
                    "Password": self._settings.password.get_secret_value(),
                },
                "companyCode": self._settings.company,
                **kwargs,
            }
        try:
            return getattr(self._service, operation)(**kwargs)
        except ConnectorError:
            raise
        except Exception as exc:  # translate() re-raises what it does not know
            raise translate(
                exc,
                operation=operation,
                url=self._settings.url,
                record=record,
                secrets=self._secrets,
            ) from exc

    def close(self) -> None:
        self._transport.session.close()

    def __enter__(self) -> SageWebServicesClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"SageWebServicesClient(url={self.url!r}, company={self._settings.company!r}, "
            f"user={self._settings.user!r})"
        )


def _check_url(settings: WebServicesSettings) -> None:
    parts = urlsplit(settings.url)
    shown = scrub(safe_url(settings.url), (settings.password.get_secret_value(),))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"the Web Services URL {shown!r} is not an http(s) URL",
            hint="Use the service URL, e.g. https://server/SageWebServices/MasBasicService.svc",
        )
    if parts.username or parts.password:
        raise ConfigError(
            f"the Web Services URL {shown!r} carries credentials",
            hint="Remove user:password@ from the URL; the logon goes in `user` and `password`.",
        )
    if parts.scheme == "http" and not is_loopback(settings.url) and not settings.allow_plain_http:
        raise ConfigError(
            f"the Web Services URL {shown!r} is plain http: the Sage password would cross the "
            "network unencrypted",
            hint="Use https (Sage requires SSL for eBusiness Web Services).",
        )


def _soap11_binding(client: Any) -> str:
    names = [str(name) for name in client.wsdl.bindings]
    basic = [n for n in names if n.rsplit("}", 1)[-1].startswith("BasicHttpBinding")]
    return (basic or names)[0]


def _get(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def _text(obj: Any, name: str) -> str:
    value = _get(obj, name)
    return "" if value is None else str(value).strip()


def _decimal(obj: Any, name: str) -> Decimal:
    value = _get(obj, name)
    return Decimal(0) if value is None else Decimal(str(value))


def _utc(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
