"""Errors of the eBusiness Web Services client, and the one place that translates zeep,
requests and lxml exceptions into them.

Sage100Error
├── SageLoginError              STOP   user name, password, company, "Enable Web Services"
│                                      switches or role rights refused (from sage100.errors)
├── SageUnavailableError        STOP   wrong URL (404), TLS certificate refused, not a SOAP
│                                      endpoint (from sage100.errors)
├── WebServicesUnreachableError RETRY  connection refused or reset, timeout, DNS, HTTP 502/503/504
├── WebServicesServerError      STOP   Sage's generic "An exception occurred.": the real cause
│                                      is only in the server's Windows Event Log
└── WebServicesFaultError       SKIP   any other SOAP fault (Sage's text in `sage_message`),
                                       e.g. a customer or sales order that does not exist

Messages name the operation and the service URL (credentials and query removed) and never
carry the password: the password is also scrubbed from any text that came from the server.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

import requests
from lxml import etree  # type: ignore[import-untyped]  # lxml ships no stubs
from zeep import exceptions as zeep_exceptions

from ml_connector.errors import Action, ConnectorError, Sage100Error
from ml_connector.sage100.errors import SageLoginError, SageRejectedError, SageUnavailableError

GENERIC_FAULT = "An exception occurred."

EVENT_LOG_HINT = (
    "Sage hides the cause of unexpected errors from clients. On the server that runs eBusiness "
    "Web Services (IIS), open Event Viewer > Applications and Services Logs > "
    "'eBusiness Web Services' and read the error logged at the time of this call."
)

# Fault texts that mean "who you are" was refused rather than "what you asked for". Sage does
# not document its exact logon fault texts, so this matches the words they must contain.
_LOGIN_FAULT = re.compile(
    r"password|\blog ?on\b|\blogin\b|user ?name|invalid user|\buser\b.*\b(not|disabled|locked)\b"
    r"|web services (are|is) not enabled|not enabled for web services|enable web services"
    r"|\bcompany\b.*\b(not|invalid)\b|invalid company|access (is )?denied|permission"
    r"|not authori[sz]ed|\bsecurity\b|\brole\b",
    re.IGNORECASE,
)

LOGIN_HINT = (
    "Check the Web Services user name, password and company code in the config, and that "
    "'Enable Web Services' is ticked in Library Master System Configuration, in Company "
    "Maintenance for this company and in User Maintenance for this user, and that the user's "
    "role grants the task (View for reads)."
)


class WebServicesUnreachableError(Sage100Error):
    """The service did not answer (refused, reset, timed out, DNS, gateway 502/503/504)."""

    action = Action.RETRY


class WebServicesServerError(Sage100Error):
    """Sage answered its generic "An exception occurred." fault: the cause is in its log."""

    action = Action.STOP


class WebServicesFaultError(SageRejectedError):
    """Sage answered a SOAP fault about the request (its text in `sage_message`)."""

    action = Action.SKIP

    def __init__(
        self, message: str, *, sage_message: str = "", fault_code: str = "", **kw: str | None
    ) -> None:
        super().__init__(message, sage_message=sage_message, **kw)
        self.fault_code = fault_code


def safe_url(url: str) -> str:
    """The URL without user info, query or fragment: safe to show and to log."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """`text` with every occurrence of each secret replaced by '***'."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def translate(
    exc: Exception, *, operation: str, url: str, record: str | None, secrets: tuple[str, ...]
) -> ConnectorError:
    """Our error for a foreign exception raised while calling `operation` at `url`."""
    where = safe_url(url)
    kw: dict[str, str | None] = {"operation": operation, "record": record}
    if isinstance(exc, zeep_exceptions.Fault):
        return _from_fault(exc, operation=operation, where=where, kw=kw, secrets=secrets)
    if isinstance(exc, requests.exceptions.SSLError):
        return SageUnavailableError(
            f"{operation}: the TLS connection to {where} was refused ({type(exc).__name__})",
            hint=(
                "The server's certificate is not trusted by this machine. Install the issuing "
                "CA, or set `ca_bundle` under [pairs.<name>.sage100.webservices] to a PEM file "
                "that holds it. Do not turn verification off."
            ),
            **kw,
        )
    if isinstance(exc, requests.exceptions.Timeout):
        return WebServicesUnreachableError(
            f"{operation}: {where} did not answer in time",
            hint="Check that IIS and eBusiness Web Services are running; retried next cycle.",
            **kw,
        )
    if isinstance(exc, requests.exceptions.RequestException):
        return WebServicesUnreachableError(
            f"{operation}: cannot reach {where} ({type(exc).__name__})",
            hint=(
                "Check the Web Services URL, that the server is up, and that this machine can "
                "reach it (firewall, DNS); retried next cycle."
            ),
            **kw,
        )
    if isinstance(exc, zeep_exceptions.TransportError):
        return _from_status(exc.status_code, operation=operation, where=where, kw=kw)
    if isinstance(exc, zeep_exceptions.XMLSyntaxError | etree.XMLSyntaxError):
        return SageUnavailableError(
            f"{operation}: {where} did not answer with a SOAP envelope",
            hint="Check that the URL points at MasBasicService.svc of eBusiness Web Services.",
            **kw,
        )
    if isinstance(exc, zeep_exceptions.Error):
        return SageUnavailableError(
            f"{operation}: the answer from {where} does not match the WSDL "
            f"({type(exc).__name__}: {scrub(str(exc), secrets)[:200]})",
            hint=(
                "The server's contract may differ from the WSDL kept with ml-connector: save "
                "the server's MasBasicService.svc?wsdl to disk and set `wsdl` to that file."
            ),
            **kw,
        )
    raise exc  # not a foreign error we know: let it surface unchanged


def _from_fault(
    exc: zeep_exceptions.Fault,
    *,
    operation: str,
    where: str,
    kw: dict[str, str | None],
    secrets: tuple[str, ...],
) -> ConnectorError:
    text = scrub((exc.message or "").strip(), secrets)
    code = str(exc.code or "")
    if text == GENERIC_FAULT or text.rstrip(".") == GENERIC_FAULT.rstrip("."):
        return WebServicesServerError(
            f"{operation}: Sage eBusiness Web Services at {where} answered "
            f'"{GENERIC_FAULT}" (the cause is hidden from clients)',
            hint=EVENT_LOG_HINT,
            **kw,
        )
    if _LOGIN_FAULT.search(text):
        return SageLoginError(
            f"{operation}: Sage eBusiness Web Services refused the logon: {text}",
            hint=LOGIN_HINT,
            **kw,
        )
    return WebServicesFaultError(
        f"{operation}: Sage eBusiness Web Services refused the request: {text}",
        sage_message=text,
        fault_code=code,
        **kw,
    )


def _from_status(
    status: int, *, operation: str, where: str, kw: dict[str, str | None]
) -> ConnectorError:
    if status in (502, 503, 504) or status == 0:
        return WebServicesUnreachableError(
            f"{operation}: {where} answered HTTP {status}",
            hint="IIS or the Web Services application pool is down or restarting; retried.",
            **kw,
        )
    if status in (401, 403):
        return SageLoginError(
            f"{operation}: {where} answered HTTP {status}",
            hint="IIS refused the request before Sage saw it: check the site's authentication.",
            **kw,
        )
    return SageUnavailableError(
        f"{operation}: {where} answered HTTP {status} with something other than SOAP",
        hint="Check the Web Services URL (it ends in MasBasicService.svc).",
        **kw,
    )
