"""`selftest --servicetitan`: the ServiceTitan side proven in the integration environment.

Refuses the production environment unless forced (it creates a vendor, which ServiceTitan
cannot delete). Then: the connectivity check's token / app key / tenant / module rows (each
a step), a test vendor created inactive with every address part, its `externalData` patched
with Merge and read back through the application GUID, the vendor renamed back to a
"(removed)" name and left inactive (the cleanup ServiceTitan allows), and, when a test bill
is named, that bill marked as exported with per-item success checked.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from pydantic import SecretStr

from ml_connector.app.adapters import build_servicetitan
from ml_connector.app.check.servicetitan import servicetitan_checks
from ml_connector.app.config.pair import PairSettings
from ml_connector.clock import SystemClock
from ml_connector.errors import ConnectorError
from ml_connector.sage100.selftest import Step, Verdict
from ml_connector.servicetitan.client import ServiceTitanClient
from ml_connector.servicetitan.records import Address, NewStVendor

TEST_GUID = "6d6c2d63-0000-4000-8000-73656c667465"  # used when the pair configures none
TEST_KEY = "mlConnectorSelftest"


def run_st_selftest(
    pair: PairSettings,
    secret: Callable[[str], SecretStr],
    *,
    bill: int | None = None,
    force: bool = False,
) -> list[Step]:
    """Every step in order (see the module docstring); nothing raises out but a bug."""
    st = pair.servicetitan
    if st.environment == "production" and not force:
        return [
            Step(
                "environment",
                "FAILED",
                "the pair points at ServiceTitan production; the self-test creates a vendor "
                "there. Run it against the integration environment (environment = "
                '"integration" with integration credentials), or pass --force',
            )
        ]
    steps = [Step("environment", "ok", f"{st.environment} ({st.api_base_url})")]
    try:
        client_secret = secret("servicetitan.client_secret")
        app_key = secret("servicetitan.app_key")
    except ConnectorError as exc:
        return [*steps, Step("credentials", "FAILED", exc.message)]
    clock = SystemClock()
    for row in servicetitan_checks("", pair, client_secret, app_key, clock):
        verdict: Verdict = "ok"  # a warning is no failure of the self-test
        if row.verdict == "FAILED" or row.verdict == "skipped":
            verdict = row.verdict
        detail = row.detail + (f" ({row.fix})" if row.fix and verdict == "FAILED" else "")
        steps.append(Step(row.name, verdict, detail))
    if any(s.verdict == "FAILED" for s in steps):
        return [*steps, Step("writes", "skipped", "the read checks failed")]
    client = build_servicetitan(pair, client_secret, app_key, clock)
    try:
        steps += _writes(client, pair.sync.application_guid or TEST_GUID, bill)
    finally:
        client.close()
    return steps


def _writes(client: ServiceTitanClient, guid: str, bill: int | None) -> list[Step]:
    out: list[Step] = []
    tag = secrets.token_hex(3).upper()
    name = f"ML-CONNECTOR SELFTEST {tag}"
    vendor_id: int | None = None

    def step(label: str, fn: Callable[[], str]) -> bool:
        try:
            out.append(Step(label, "ok", fn()))
        except ConnectorError as exc:
            out.append(Step(label, "FAILED", exc.message + (f" ({exc.hint})" if exc.hint else "")))
            return False
        except _Mismatch as exc:
            out.append(Step(label, "FAILED", str(exc)))
            return False
        return True

    def create() -> str:
        nonlocal vendor_id
        vendor = NewStVendor(name=name, active=False, address=Address())
        vendor_id = client.create_vendor(vendor)
        return f"vendor {vendor_id} ({name}) created inactive, with empty address parts"

    def patch() -> str:
        assert vendor_id is not None  # create succeeded
        body = {
            "externalData": {
                "applicationGuid": guid,
                "patchMode": "Merge",
                "externalData": [{"key": TEST_KEY, "value": tag}],
            }
        }
        client.patch_vendor(vendor_id, body)
        back = client.vendor(vendor_id, external_data_application_guid=guid)
        if back.external_value(TEST_KEY) != tag:
            raise _Mismatch(f"externalData {TEST_KEY} reads back {back.external_value(TEST_KEY)!r}")
        return f"externalData {TEST_KEY}={tag} patched (Merge) and read back"

    def retire() -> str:
        assert vendor_id is not None
        client.patch_vendor(vendor_id, {"name": f"{name} (removed)", "active": False})
        return "renamed '(removed)' and left inactive (ServiceTitan cannot delete vendors)"

    if step("create vendor", create):
        step("patch vendor externalData", patch)
        step("retire test vendor", retire)
    else:
        out.append(Step("patch vendor externalData", "skipped", "no test vendor"))
    if bill is None:
        out.append(Step("mark bill exported", "skipped", "give --bill ID of a test AP bill"))
    else:
        step("mark bill exported", lambda: _mark(client, bill))
    return out


class _Mismatch(Exception):
    """A write answered but reads back differently."""


def _mark(client: ServiceTitanClient, bill: int) -> str:
    results = client.mark_ap_bills_exported([bill])
    mine = [r for r in results if r.id == bill]
    if not mine or not mine[0].success:
        why = mine[0].error_message if mine else "no result for this bill"
        raise _Mismatch(f"bill {bill} was not marked exported: {why}")
    return f"bill {bill} marked exported (success)"
