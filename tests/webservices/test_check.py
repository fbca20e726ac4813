"""The Web Services line of `ml-connector check`."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from ml_connector.app.check.webservices import check_webservices
from ml_connector.sage100.webservices import WebServicesSettings
from ml_connector.sandbox.webservices import RunningWebServices

USER, PASSWORD, COMPANY = "mlconnect", "Tr0ub4dor&3-not-real", "ABC"  # as in conftest.py


def _settings(ws: RunningWebServices, password: str = PASSWORD) -> WebServicesSettings:
    return WebServicesSettings(url=ws.url, company=COMPANY, user=USER, password=SecretStr(password))


def test_a_healthy_service(ws: RunningWebServices) -> None:
    result = check_webservices(_settings(ws), verbose=True)
    assert result.ok
    assert result.contract_version == 3
    assert result.line().startswith("ok   Sage 100 eBusiness Web Services http://127.0.0.1:")
    assert "logon accepted for company ABC" in result.line()
    assert "<ns0:Password>***</ns0:Password>" in result.envelopes
    assert PASSWORD not in result.envelopes


def test_a_wrong_password(ws: RunningWebServices) -> None:
    result = check_webservices(_settings(ws, "nope-wrong"), verbose=True)
    assert not result.ok
    assert not result.retryable
    assert "refused the logon" in result.message
    assert "Enable Web Services" in (result.hint or "")
    assert "nope-wrong" not in result.envelopes + result.message


@pytest.mark.parametrize("fault", ["http503", "generic"])
def test_server_trouble(ws: RunningWebServices, fault: str) -> None:
    ws.set_fault(fault)  # type: ignore[arg-type]
    result = check_webservices(_settings(ws))
    assert not result.ok
    assert result.retryable is (fault == "http503")
    assert result.envelopes == ""


def test_a_refused_url_is_reported_not_raised() -> None:
    settings = WebServicesSettings(
        url="http://u:pw@sage01.example.com/x.svc", company="ABC", user="u", password=SecretStr("p")
    )
    result = check_webservices(settings)
    assert not result.ok
    assert result.url == "http://sage01.example.com/x.svc"
    assert ":pw@" not in result.line()
