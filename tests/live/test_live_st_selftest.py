"""The ServiceTitan self-test as a pytest suite: on the ServiceTitan sandbox here, and on a
tenant's integration environment behind the `real_st` marker.

    ML_CONNECTOR_REAL_ST_TENANT=...  ML_CONNECTOR_REAL_ST_CLIENT_ID=...
    ML_CONNECTOR_REAL_ST_CLIENT_SECRET=...  ML_CONNECTOR_REAL_ST_APP_KEY=...
    ML_CONNECTOR_REAL_ST_BILL=...   (optional: a test AP bill to mark as exported)
    pytest -m real_st tests/live

It creates one vendor (inactive, renamed "(removed)" at the end: ServiceTitan cannot delete
vendors) and marks the named bill exported. Never run against production.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from ml_connector.app.check.selftest_st import run_st_selftest
from ml_connector.app.config.pair import PairSettings
from ml_connector.sandbox.servicetitan.server import running_sandbox
from ml_connector.sandbox.servicetitan.settings import SandboxSettings

REAL_ENV = (
    "ML_CONNECTOR_REAL_ST_TENANT",
    "ML_CONNECTOR_REAL_ST_CLIENT_ID",
    "ML_CONNECTOR_REAL_ST_CLIENT_SECRET",
    "ML_CONNECTOR_REAL_ST_APP_KEY",
)
SANDBOX = SandboxSettings(client_secret="Live-St-Secret-8", app_key="Live-St-Key-2")
SAGE = {"mode": "boi", "home": "unused", "company": "ABC", "user": "u", "password": "env:UNUSED"}


def _pair(st: dict[str, object]) -> PairSettings:
    return PairSettings.model_validate({"servicetitan": st, "sage100": SAGE})


Target = tuple[PairSettings, Callable[[str], SecretStr], int | None]


@pytest.fixture(params=["sandbox", pytest.param("real", marks=pytest.mark.real_st)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    if request.param == "sandbox":
        with running_sandbox(tmp_path / "st", size=5, settings=SANDBOX) as sb:
            pair = _pair(
                {
                    "environment": "custom",
                    "api_base": sb.base_url,
                    "auth_url": f"{sb.base_url}/connect/token",
                    "tenant_id": SANDBOX.tenant_id,
                    "client_id": SANDBOX.client_id,
                    "client_secret": "env:UNUSED",
                    "app_key": "env:UNUSED",
                }
            )
            values = {
                "servicetitan.client_secret": SANDBOX.client_secret,
                "servicetitan.app_key": SANDBOX.app_key,
            }
            yield pair, lambda key: SecretStr(values[key]), None
        return
    missing = [name for name in REAL_ENV if not os.environ.get(name)]
    if missing:
        pytest.skip(
            "ServiceTitan integration environment not configured: set " + ", ".join(missing)
        )
    pair = _pair(
        {
            "environment": "integration",
            "tenant_id": int(os.environ["ML_CONNECTOR_REAL_ST_TENANT"]),
            "client_id": os.environ["ML_CONNECTOR_REAL_ST_CLIENT_ID"],
            "client_secret": "env:ML_CONNECTOR_REAL_ST_CLIENT_SECRET",
            "app_key": "env:ML_CONNECTOR_REAL_ST_APP_KEY",
        }
    )
    env = {
        "servicetitan.client_secret": "ML_CONNECTOR_REAL_ST_CLIENT_SECRET",
        "servicetitan.app_key": "ML_CONNECTOR_REAL_ST_APP_KEY",
    }
    bill = os.environ.get("ML_CONNECTOR_REAL_ST_BILL")
    yield pair, lambda key: SecretStr(os.environ[env[key]]), int(bill) if bill else None


def test_servicetitan_selftest_passes(target: Target) -> None:
    pair, secret, bill = target
    steps = run_st_selftest(pair, secret, bill=bill)
    failed = [f"{s.name}: {s.detail}" for s in steps if s.verdict == "FAILED"]
    assert not failed, failed
    names = [s.name for s in steps]
    assert "create vendor" in names
    assert "retire test vendor" in names
