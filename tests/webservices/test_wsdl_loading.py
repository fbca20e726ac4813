"""The WSDL: documented operation names, loaded from disk only, never from the network."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from pydantic import SecretStr

from ml_connector.errors import ConfigError, ConnectorError
from ml_connector.sage100.errors import SageUnavailableError
from ml_connector.sage100.webservices import (
    SageWebServicesClient,
    WebServicesSettings,
    builtin_wsdl_path,
)
from ml_connector.sage100.webservices.transport import LocalWsdlTransport, OriginBoundSession

WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"


def test_builtin_wsdl_declares_the_operations_sage_documents() -> None:
    doc = etree.parse(str(builtin_wsdl_path()))
    names = {op.get("name") for op in doc.iter(f"{{{WSDL_NS}}}operation")}
    assert {
        "GetContractInformation",
        "GetCustomer",
        "GetNextCustomerNo",
        "GetSalesOrder",
        "GetNextSalesOrderNo",
    } <= names


def _settings(wsdl: Path | None = None) -> WebServicesSettings:
    return WebServicesSettings(
        url="https://127.0.0.1:9/SageWebServices/MasBasicService.svc",
        company="ABC",
        user="u",
        password=SecretStr("pw"),
        wsdl=wsdl,
    )


def _wsdl_importing(location: str) -> str:
    text = builtin_wsdl_path().read_text(encoding="utf-8")
    return text.replace('schemaLocation="SageWebServices.xsd"', f'schemaLocation="{location}"')


def test_an_xsd_import_from_the_network_is_refused(tmp_path: Path) -> None:
    wsdl = tmp_path / "MasBasicService.wsdl"
    wsdl.write_text(_wsdl_importing("http://203.0.113.7/SageWebServices.xsd"), encoding="utf-8")
    with pytest.raises(ConnectorError) as caught:  # zeep's forbid_external stops it first
        SageWebServicesClient(_settings(wsdl))
    assert "203.0.113.7" in str(caught.value)


@pytest.mark.parametrize(
    "url", ["http://203.0.113.7/x.xsd", "https://127.0.0.1/x.wsdl", "ftp://host/x.xsd"]
)
def test_the_transport_never_loads_documents_over_the_network(url: str, tmp_path: Path) -> None:
    transport = LocalWsdlTransport(
        service_url="https://127.0.0.1:9/MasBasicService.svc", wsdl_dir=tmp_path, timeout=1
    )
    with transport.session, pytest.raises(SageUnavailableError) as caught:
        transport.load(url)
    assert "read from disk only" in str(caught.value)


def test_an_xsd_outside_the_wsdl_folder_is_refused(tmp_path: Path) -> None:
    inner = tmp_path / "wsdl"
    inner.mkdir()
    (tmp_path / "SageWebServices.xsd").write_bytes(
        (builtin_wsdl_path().parent / "SageWebServices.xsd").read_bytes()
    )
    wsdl = inner / "MasBasicService.wsdl"
    wsdl.write_text(_wsdl_importing("../SageWebServices.xsd"), encoding="utf-8")
    with pytest.raises(SageUnavailableError) as caught:
        SageWebServicesClient(_settings(wsdl))
    assert "outside the WSDL folder" in str(caught.value)


def test_a_site_wsdl_saved_to_disk_is_used(tmp_path: Path) -> None:
    for name in ("MasBasicService.wsdl", "SageWebServices.xsd"):
        (tmp_path / name).write_bytes((builtin_wsdl_path().parent / name).read_bytes())
    with SageWebServicesClient(_settings(tmp_path / "MasBasicService.wsdl")) as c:
        assert c.url.endswith("/MasBasicService.svc")


def test_a_broken_wsdl_is_a_config_error(tmp_path: Path) -> None:
    wsdl = tmp_path / "broken.wsdl"
    wsdl.write_text("<definitions>", encoding="utf-8")
    with pytest.raises(ConnectorError) as caught:
        SageWebServicesClient(_settings(wsdl))
    assert isinstance(caught.value, ConfigError | SageUnavailableError)


def test_the_session_talks_only_to_the_service_origin() -> None:
    session = OriginBoundSession("https://sage01.example.com/SageWebServices/MasBasicService.svc")
    with session, pytest.raises(SageUnavailableError) as caught:
        session.get("https://evil.example.net/steal?token=abc")
    assert "evil.example.net" in str(caught.value)
    assert "token=abc" not in str(caught.value)
