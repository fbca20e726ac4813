"""Fixtures: the eBusiness Web Services sandbox on loopback and a client for it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from pydantic import SecretStr

from ml_connector.sage100.webservices import SageWebServicesClient, WebServicesSettings
from ml_connector.sandbox.webservices import (
    RunningWebServices,
    demo_sandbox,
    running_webservices,
)

USER = "mlconnect"
PASSWORD = "Tr0ub4dor&3-not-real"
COMPANY = "ABC"


@pytest.fixture(scope="module")
def ws() -> Iterator[RunningWebServices]:
    sandbox = demo_sandbox()
    sandbox.user, sandbox.password, sandbox.company = USER, PASSWORD, COMPANY
    with running_webservices(sandbox) as running:
        yield running


@pytest.fixture(autouse=True)
def _reset(ws: RunningWebServices) -> Iterator[None]:
    ws.set_fault(None)
    ws.calls.clear()
    yield
    ws.set_fault(None)


MakeClient = Callable[..., SageWebServicesClient]


@pytest.fixture
def make_client(ws: RunningWebServices) -> MakeClient:
    """A client for the sandbox with the right logon; keyword arguments override settings."""

    def make(**overrides: object) -> SageWebServicesClient:
        values: dict[str, object] = {
            "url": ws.url,
            "company": COMPANY,
            "user": USER,
            "password": SecretStr(PASSWORD),
        }
        values.update(overrides)
        return SageWebServicesClient(WebServicesSettings(**values))  # type: ignore[arg-type]

    return make


@pytest.fixture
def client(make_client: MakeClient) -> Iterator[SageWebServicesClient]:
    c = make_client()
    yield c
    c.close()
