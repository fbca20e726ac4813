"""The eBusiness Web Services part of `ml-connector check`: one call, one verdict.

    result = check_webservices(settings)       # never raises a ConnectorError
    print(result.line()); if not result.ok: print(result.hint)

With `verbose`, `result.envelopes` holds the last envelopes (password redacted).
"""

from __future__ import annotations

from dataclasses import dataclass

from ml_connector.errors import Action, ConnectorError
from ml_connector.sage100.webservices import SageWebServicesClient, WebServicesSettings
from ml_connector.sage100.webservices.errors import safe_url


@dataclass(frozen=True, slots=True)
class WebServicesCheck:
    ok: bool
    url: str  # without credentials or query
    contract_version: int | None
    message: str
    hint: str | None = None
    retryable: bool = False
    envelopes: str = ""

    def line(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        return f"{mark} Sage 100 eBusiness Web Services {self.url}: {self.message}"


def check_webservices(
    settings: WebServicesSettings, *, verbose: bool = False, check_logon: bool = True
) -> WebServicesCheck:
    """Ping the service (contract version, then the logon) and say what happened."""
    try:
        client = SageWebServicesClient(settings)
    except ConnectorError as exc:
        return WebServicesCheck(False, safe_url(settings.url), None, exc.message, exc.hint)
    with client:
        try:
            version = client.ping(check_logon=check_logon)
        except ConnectorError as exc:
            return WebServicesCheck(
                False,
                client.url,
                None,
                exc.message,
                exc.hint,
                retryable=exc.action is Action.RETRY,
                envelopes=client.history.dump() if verbose else "",
            )
        what = "logon accepted" if check_logon else "logon not checked"
        return WebServicesCheck(
            True,
            client.url,
            version,
            f"contract version {version}, {what} for company {settings.company}",
            envelopes=client.history.dump() if verbose else "",
        )
