"""The Web Services client against the SOAP sandbox on loopback: calls, logon, errors."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pydantic import SecretStr
from zeep.exceptions import Fault

from ml_connector.errors import Action, ConfigError
from ml_connector.sage100.errors import SageLoginError, SageUnavailableError
from ml_connector.sage100.webservices import (
    SageWebServicesClient,
    WebServicesFaultError,
    WebServicesServerError,
    WebServicesSettings,
    WebServicesUnreachableError,
)
from ml_connector.sage100.webservices.errors import translate
from ml_connector.sandbox.webservices import RunningWebServices

# The sandbox's logon (set in conftest.py).
USER = "mlconnect"
PASSWORD = "Tr0ub4dor&3-not-real"
COMPANY = "ABC"


def test_ping_returns_the_contract_version_and_proves_the_logon(
    ws: RunningWebServices, client: SageWebServicesClient
) -> None:
    assert client.ping() == 3
    ops = [(c.operation, c.user, c.company) for c in ws.calls]
    # GetContractInformation carries no credentials; the logon probe carries them.
    assert ops == [("GetContractInformation", None, None), ("GetCustomer", USER, COMPANY)]


def test_ping_without_logon_check_makes_one_call(
    ws: RunningWebServices, client: SageWebServicesClient
) -> None:
    assert client.ping(check_logon=False) == 3
    assert [c.operation for c in ws.calls] == ["GetContractInformation"]


def test_contract_information_fields(client: SageWebServicesClient) -> None:
    info = client.contract_information()
    assert info.assembly_version == "7.20.0.0"
    assert info.null_date_time == datetime(1753, 1, 1, tzinfo=UTC)


def test_every_operation_but_contract_information_carries_logon_and_company(
    ws: RunningWebServices, client: SageWebServicesClient
) -> None:
    client.get_customer("01", "ABF")
    client.get_next_customer_no("01")
    client.get_sales_order("0000101")
    client.get_next_sales_order_no()
    assert [(c.user, c.company) for c in ws.calls] == [(USER, COMPANY)] * 4


def test_customer_and_sales_order_records(client: SageWebServicesClient) -> None:
    customer = client.get_customer("01", "ABF")
    assert (customer.division_no, customer.customer_no) == ("01", "ABF")
    assert customer.name == "American Business Futures"
    assert customer.city == "Irvine"
    order = client.get_sales_order("0000101")
    assert order.order_date == date(2026, 3, 2)
    assert order.customer_po_no == "PO-7781"
    (line,) = order.lines
    assert line.extension == Decimal("258.00")
    assert isinstance(line.unit_price, Decimal)
    assert client.get_next_sales_order_no() == "0000102"
    assert client.get_next_customer_no("01") == "0001000"


@pytest.mark.parametrize(
    ("user", "password", "company"),
    [(USER, "wrong-password", COMPANY), ("nobody", PASSWORD, COMPANY), (USER, PASSWORD, "XYZ")],
)
def test_refused_logon_is_a_login_error_without_the_password(
    make_client: Callable[..., SageWebServicesClient], user: str, password: str, company: str
) -> None:
    with make_client(user=user, password=SecretStr(password), company=company) as bad:
        with pytest.raises(SageLoginError) as caught:
            bad.ping()
        err = caught.value
        assert err.action is Action.STOP
        assert err.operation == "GetCustomer"
        assert "Enable Web Services" in (err.hint or "")
        for text in (str(err), err.describe(), repr(bad), bad.history.dump()):
            assert password not in text
            assert PASSWORD not in text


def test_generic_fault_points_at_the_event_log(
    ws: RunningWebServices, client: SageWebServicesClient
) -> None:
    ws.set_fault("generic")
    with pytest.raises(WebServicesServerError) as caught:
        client.ping()
    assert "An exception occurred." in str(caught.value)
    assert "Event Viewer" in (caught.value.hint or "")
    assert "eBusiness Web Services" in (caught.value.hint or "")
    assert caught.value.action is Action.STOP


def test_a_missing_record_is_a_fault_about_the_request(client: SageWebServicesClient) -> None:
    with pytest.raises(WebServicesFaultError) as caught:
        client.get_customer("01", "NOPE")
    err = caught.value
    assert err.action is Action.SKIP
    assert err.sage_message == "Customer 01-NOPE was not found."
    assert err.record == "customer 01-NOPE"
    assert err.fault_code.endswith("Client")


def test_iis_503_is_retried(ws: RunningWebServices, client: SageWebServicesClient) -> None:
    ws.set_fault("http503")
    with pytest.raises(WebServicesUnreachableError) as caught:
        client.ping()
    assert caught.value.action is Action.RETRY
    assert "503" in str(caught.value)


def test_nobody_listening_is_retried(make_client: Callable[..., SageWebServicesClient]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/SageWebServices/MasBasicService.svc"
    with make_client(url=url) as c, pytest.raises(WebServicesUnreachableError) as caught:
        c.ping()
    assert caught.value.action is Action.RETRY
    assert f"127.0.0.1:{port}" in str(caught.value)


def test_a_url_that_is_not_the_service_is_reported(
    ws: RunningWebServices, make_client: Callable[..., SageWebServicesClient]
) -> None:
    wrong = ws.url.replace("/SageWebServices/MasBasicService.svc", "/iisstart.htm")
    with make_client(url=wrong) as c, pytest.raises(SageUnavailableError) as caught:
        c.ping()
    assert "other than SOAP" in str(caught.value)


def test_an_answer_with_an_external_entity_is_refused(
    ws: RunningWebServices, client: SageWebServicesClient
) -> None:
    ws.set_fault("doctype")
    with pytest.raises(SageUnavailableError):
        client.contract_information()


def test_history_redacts_the_password_but_the_wire_carries_it(
    ws: RunningWebServices, client: SageWebServicesClient
) -> None:
    client.get_customer("01", "ABF")  # accepted by the server: the real password was sent
    dump = client.history.dump()
    assert "--- sent GetCustomer" in dump
    assert "--- received GetCustomer" in dump
    assert "<ns0:Password>***</ns0:Password>" in dump
    assert PASSWORD not in dump
    assert f"<ns0:Username>{USER}</ns0:Username>" in dump


def test_history_keeps_only_the_last_envelopes(
    make_client: Callable[..., SageWebServicesClient],
) -> None:
    with make_client() as c:
        for _ in range(5):
            c.get_next_sales_order_no()
        assert len(c.history.exchanges) == 6
        c.history.clear()
        assert c.history.dump() == ""


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://sage01.example.com/SageWebServices/MasBasicService.svc", "plain http"),
        ("https://u:p@sage01.example.com/SageWebServices/MasBasicService.svc", "credentials"),
        ("ftp://sage01.example.com/x", "not an http"),
    ],
)
def test_unsafe_service_urls_are_refused(url: str, why: str) -> None:
    settings = WebServicesSettings(url=url, company="ABC", user="u", password=SecretStr("pw"))
    with pytest.raises(ConfigError) as caught:
        SageWebServicesClient(settings)
    assert why in str(caught.value)
    assert ":p@" not in str(caught.value)


def test_plain_http_can_be_allowed_explicitly() -> None:
    settings = WebServicesSettings(
        url="http://sage01.example.com/SageWebServices/MasBasicService.svc",
        company="ABC",
        user="u",
        password=SecretStr("pw"),
        allow_plain_http=True,
    )
    with SageWebServicesClient(settings) as c:  # building it contacts nothing
        assert c.url == "http://sage01.example.com/SageWebServices/MasBasicService.svc"


@pytest.mark.parametrize(
    ("fault_text", "expected"),
    [
        ("Invalid user name or password.", SageLoginError),
        ("User logon failed.", SageLoginError),
        ("The company XYZ is not valid.", SageLoginError),
        ("Web Services are not enabled for this company.", SageLoginError),
        ("Access is denied.", SageLoginError),
        ("The user's role does not permit Customer Maintenance View.", SageLoginError),
        ("Customer 01-ABC was not found.", WebServicesFaultError),
        ("Sales order 0000123 was not found.", WebServicesFaultError),
        ("Item code XYZ-100 is not on file.", WebServicesFaultError),
        ("An exception occurred.", WebServicesServerError),
        ("An exception occurred", WebServicesServerError),
    ],
)
def test_fault_texts_are_classified(fault_text: str, expected: type[Exception]) -> None:
    err = translate(
        Fault(fault_text, code="s:Client"),
        operation="GetCustomer",
        url="https://sage01.example.com/SageWebServices/MasBasicService.svc?x=1",
        record=None,
        secrets=("pw",),
    )
    assert type(err) is expected
    assert "?x=1" not in str(err)


def test_server_text_echoing_the_password_is_scrubbed() -> None:
    err = translate(
        Fault(f"Bad value {PASSWORD} in request", code="s:Client"),
        operation="GetCustomer",
        url="https://sage01.example.com/x.svc",
        record=None,
        secrets=(PASSWORD,),
    )
    assert PASSWORD not in str(err)
    assert PASSWORD not in getattr(err, "sage_message", "")
