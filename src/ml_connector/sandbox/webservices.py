"""A stand-in for Sage 100 eBusiness Web Services: a small SOAP endpoint on loopback.

It serves the WSDL kept in the repository (GET ...?wsdl), parses each posted envelope with
lxml (no DTDs, no entities, no network) and answers canned records in the shapes of that WSDL:
GetContractInformation without credentials; GetCustomer, GetNextCustomerNo, GetSalesOrder and
GetNextSalesOrderNo only with the right `logon` and `companyCode`. A wrong user or password is
a SOAP fault, as on a real server; `set_fault("generic")` makes every call answer Sage's
"An exception occurred."; `set_fault("http503")` makes IIS answer 503; `set_fault("doctype")`
answers an envelope with an external entity (a careful client refuses it).

    with running_webservices() as ws:      # user "sandbox", password "sandbox", company "ABC"
        settings = WebServicesSettings(url=ws.url, company="ABC", user="sandbox", ...)

The fault texts are this sandbox's wording (Sage does not document its logon fault texts);
every call is recorded in `ws.calls` (operation, user, company: never the password).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape

import uvicorn
from lxml import etree  # type: ignore[import-untyped]  # lxml ships no stubs
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

NS = "http://sage.com/sage100/ebusinessservices/"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_PATH = "/SageWebServices/MasBasicService.svc"
WSDL_DIR = Path(__file__).resolve().parent.parent / "sage100" / "wsdl"

FaultMode = Literal["generic", "http503", "doctype"] | None

_HOSTILE = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/hostname">]>'
    f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body><GetContractInformationResponse xmlns="{NS}">'
    "<GetContractInformationResult><AssemblyVersion>&e;</AssemblyVersion>"
    "</GetContractInformationResult></GetContractInformationResponse></s:Body></s:Envelope>"
)

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False
)


@dataclass(frozen=True, slots=True)
class Call:
    operation: str
    user: str | None
    company: str | None


@dataclass
class WebServicesSandbox:
    """The canned state behind the endpoint; tests may edit it between calls."""

    user: str = "sandbox"
    password: str = "sandbox"  # noqa: S105  # the sandbox's public default
    company: str = "ABC"
    contract_version: int = 3
    assembly_version: str = "7.20.0.0"
    customers: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    sales_orders: dict[str, dict[str, object]] = field(default_factory=dict)
    next_sales_order_no: int = 1
    next_customer_no: int = 1
    fault: FaultMode = None
    calls: list[Call] = field(default_factory=list)

    def set_fault(self, mode: FaultMode) -> None:
        self.fault = mode


def demo_sandbox() -> WebServicesSandbox:
    """A sandbox with two customers and one sales order."""
    sb = WebServicesSandbox()
    sb.customers[("01", "ABF")] = {
        "CustomerName": "American Business Futures",
        "AddressLine1": "2131 N. 14th Street",
        "City": "Irvine",
        "State": "CA",
        "ZipCode": "92614",
        "TelephoneNo": "(714) 555-0103",
        "EmailAddress": "ap@abf.example",
    }
    sb.customers[("01", "AVNET")] = {"CustomerName": "Avnet Processing Corp", "City": "Chicago"}
    sb.sales_orders["0000101"] = {
        "OrderDate": "2026-03-02T00:00:00",
        "ARDivisionNo": "01",
        "CustomerNo": "ABF",
        "CustomerPONo": "PO-7781",
        "BillToName": "American Business Futures",
        "Lines": [("1001-HON-H252", "HON 2 DRAWER FILE", "2", "129.00", "258.00")],
    }
    sb.next_sales_order_no = 102
    sb.next_customer_no = 1000
    return sb


def create_app(sandbox: WebServicesSandbox) -> Starlette:
    async def wsdl(request: Request) -> Response:
        name = request.path_params.get("name") or "MasBasicService.wsdl"
        if "wsdl" not in request.query_params and "xsd" not in request.query_params:
            return Response("eBusiness Web Services sandbox", media_type="text/plain")
        if name not in {"MasBasicService.wsdl", "SageWebServices.xsd"}:
            return Response(status_code=404)
        return Response((WSDL_DIR / name).read_bytes(), media_type="text/xml")

    async def soap(request: Request) -> Response:
        if sandbox.fault == "http503":
            return Response("Service Unavailable", status_code=503, media_type="text/html")
        body = await request.body()
        try:
            doc = etree.fromstring(body, _PARSER)
        except etree.XMLSyntaxError:
            return _fault("s:Client", "The request is not well-formed XML.")
        if doc.getroottree().docinfo.doctype:
            return _fault("s:Client", "DTDs are not accepted.")
        payload = doc.find(f"{{{SOAP_ENV}}}Body/*")
        if payload is None or etree.QName(payload).namespace != NS:
            return _fault("s:Client", "The message has no operation in the expected namespace.")
        operation = etree.QName(payload).localname
        user = _child(payload, "logon", "Username")
        company = _child(payload, "companyCode")
        sandbox.calls.append(Call(operation, user, company))
        if sandbox.fault == "generic":
            return _fault("s:Server", "An exception occurred.")
        if sandbox.fault == "doctype":  # a hostile answer: an entity that reads a local file
            return Response(_HOSTILE, media_type="text/xml; charset=utf-8")
        if operation == "GetContractInformation":
            return _ok(operation, _contract(sandbox))
        if operation not in _HANDLERS:
            return _fault("s:Client", f"The operation {operation} is not supported.")
        refused = _check_logon(sandbox, payload)
        if refused:
            return _fault("s:Client", refused)
        return _HANDLERS[operation](sandbox, payload)

    return Starlette(
        routes=[
            Route(SERVICE_PATH, wsdl, methods=["GET"]),
            Route(SERVICE_PATH + "/{name}", wsdl, methods=["GET"]),
            Route(SERVICE_PATH, soap, methods=["POST"]),
        ]
    )


def _child(element: etree._Element, *path: str) -> str | None:
    node: etree._Element | None = element
    for name in path:
        node = node.find(f"{{{NS}}}{name}") if node is not None else None
    return None if node is None else (node.text or "")


def _check_logon(sandbox: WebServicesSandbox, payload: etree._Element) -> str | None:
    user = _child(payload, "logon", "Username")
    password = _child(payload, "logon", "Password")
    if user is None or password is None:
        return "A logon is required for this operation."
    if user.lower() != sandbox.user.lower() or password != sandbox.password:
        return "The user logon is invalid: user name or password is incorrect."
    company = (_child(payload, "companyCode") or "").upper()
    if company != sandbox.company.upper():
        return f"Company {company or '(blank)'} is not valid or is not enabled for web services."
    return None


def _contract(sb: WebServicesSandbox) -> str:
    return (
        f"<AssemblyVersion>{escape(sb.assembly_version)}</AssemblyVersion>"
        f"<ContractVersion>{sb.contract_version}</ContractVersion>"
        "<NullDateTime>1753-01-01T00:00:00</NullDateTime>"
    )


def _get_customer(sb: WebServicesSandbox, payload: etree._Element) -> Response:
    division = (_child(payload, "arDivisionNo") or "").upper()
    number = (_child(payload, "customerNo") or "").upper()
    record = sb.customers.get((division, number))
    if record is None:
        return _fault("s:Client", f"Customer {division}-{number} was not found.")
    fields = {"ARDivisionNo": division, "CustomerNo": number, **record}
    return _ok("GetCustomer", _fields(fields))


def _get_next_customer_no(sb: WebServicesSandbox, payload: etree._Element) -> Response:
    number = f"{sb.next_customer_no:07d}"
    return _ok("GetNextCustomerNo", escape(number))


def _get_sales_order(sb: WebServicesSandbox, payload: etree._Element) -> Response:
    number = _child(payload, "salesOrderNo") or ""
    order = sb.sales_orders.get(number)
    if order is None:
        return _fault("s:Client", f"Sales order {number} was not found.")
    head = {k: v for k, v in order.items() if k != "Lines"}
    raw_lines = order.get("Lines")
    lines = "".join(
        "<SalesOrderLine>"
        + _fields(
            dict(
                zip(
                    ("ItemCode", "ItemCodeDesc", "QuantityOrdered", "UnitPrice", "ExtensionAmt"),
                    line,
                    strict=True,
                )
            )
        )
        + "</SalesOrderLine>"
        for line in (raw_lines if isinstance(raw_lines, list) else [])
    )
    return _ok(
        "GetSalesOrder", _fields({"SalesOrderNo": number, **head}) + f"<Lines>{lines}</Lines>"
    )


def _get_next_sales_order_no(sb: WebServicesSandbox, payload: etree._Element) -> Response:
    return _ok("GetNextSalesOrderNo", f"{sb.next_sales_order_no:07d}")


_HANDLERS = {
    "GetCustomer": _get_customer,
    "GetNextCustomerNo": _get_next_customer_no,
    "GetSalesOrder": _get_sales_order,
    "GetNextSalesOrderNo": _get_next_sales_order_no,
}

# The order of the data-contract fields in the XSD (xs:sequence): answer in that order.
_ORDER = [
    "SalesOrderNo",
    "OrderDate",
    "OrderType",
    "OrderStatus",
    "ARDivisionNo",
    "CustomerNo",
    "CustomerPONo",
    "CustomerName",
    "AddressLine1",
    "AddressLine2",
    "AddressLine3",
    "City",
    "State",
    "ZipCode",
    "CountryCode",
    "TelephoneNo",
    "EmailAddress",
    "TermsCode",
    "CreditLimit",
    "DateEstablished",
    "BillToName",
    "TaxableAmt",
    "NonTaxableAmt",
    "SalesTaxAmt",
    "ItemCode",
    "ItemCodeDesc",
    "QuantityOrdered",
    "UnitPrice",
    "ExtensionAmt",
]


def _fields(values: Mapping[str, object]) -> str:
    ordered = sorted(values.items(), key=lambda kv: _ORDER.index(kv[0]))
    return "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in ordered)


def _ok(operation: str, inner: str) -> Response:
    result = f"<{operation}Result>{inner}</{operation}Result>"
    xml = (
        f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body>'
        f'<{operation}Response xmlns="{NS}">{result}</{operation}Response>'
        "</s:Body></s:Envelope>"
    )
    return Response(xml, media_type="text/xml; charset=utf-8")


def _fault(code: str, text: str) -> Response:
    xml = (
        f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body><s:Fault>'
        f'<faultcode>{code}</faultcode><faultstring xml:lang="en-US">{escape(text)}</faultstring>'
        "</s:Fault></s:Body></s:Envelope>"
    )
    return Response(xml, status_code=500, media_type="text/xml; charset=utf-8")


@dataclass(frozen=True, slots=True)
class RunningWebServices:
    url: str  # the service URL, e.g. http://127.0.0.1:54321/SageWebServices/MasBasicService.svc
    sandbox: WebServicesSandbox

    @property
    def calls(self) -> list[Call]:
        return self.sandbox.calls

    def set_fault(self, mode: FaultMode) -> None:
        self.sandbox.set_fault(mode)


@contextmanager
def running_webservices(sandbox: WebServicesSandbox | None = None) -> Iterator[RunningWebServices]:
    """Serve the sandbox on 127.0.0.1 (a free port) in a background thread until the block ends."""
    sb = sandbox if sandbox is not None else demo_sandbox()
    config = uvicorn.Config(
        create_app(sb),
        host="127.0.0.1",
        port=0,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ws="none",
        http="h11",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="webservices-sandbox", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the Web Services sandbox did not start")
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield RunningWebServices(f"http://127.0.0.1:{port}{SERVICE_PATH}", sb)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
