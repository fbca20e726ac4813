"""Faults on demand, state that survives restarts, `--data` loading, the command, webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from st_sandbox_http import Api

from ml_connector.sandbox.servicetitan.faults import Faults, FaultSpecError
from ml_connector.sandbox.servicetitan.server import RunningSandbox, running_sandbox


def test_faults_parse_and_refuse_nonsense() -> None:
    faults = Faults.parse(
        "rate429=0.2, rate5xx=0.1,latency_ms=50,token_lifetime=60,unlicensed=inventory+jpm,seed=3"
    )
    assert faults.rate429 == 0.2
    assert faults.unlicensed == frozenset({"inventory", "jpm"})
    assert faults.token_lifetime == 60
    assert Faults.parse("none") == Faults()
    for bad in ("rate429=2", "bogus=1", "unlicensed=payroll", "latency_ms", "rate5xx=x"):
        with pytest.raises(FaultSpecError):
            Faults.parse(bad)


def test_injected_5xx_and_429_are_counted(fresh: RunningSandbox) -> None:
    api = Api(fresh)
    fresh.set_faults("rate5xx=1")
    statuses = {api.get("accounting", "gl-accounts").status_code for _ in range(5)}
    assert statuses <= {500, 502, 503}
    fresh.set_faults(rate429=1.0, retry_after=7)
    limited = api.get("accounting", "gl-accounts")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "7"
    assert limited.json()["status"] == 429
    fresh.set_faults()  # cleared
    assert api.get("accounting", "gl-accounts").status_code == 200
    stats = fresh.stats()
    assert stats["sent_5xx"] == 5
    assert stats["sent_429"] == 1
    fresh.reset_stats()
    assert fresh.stats()["requests"] == 0
    api.close()


def test_fault_draws_replay_with_the_same_seed(fresh: RunningSandbox) -> None:
    api = Api(fresh)

    def run() -> list[int]:
        fresh.set_faults("rate429=0.3,rate5xx=0.3,seed=11")
        return [api.get("settings", "business-units").status_code for _ in range(20)]

    first = run()
    assert run() == first
    assert len(set(first)) > 1
    api.close()


def test_unlicensed_module_answers_403_naming_it(tmp_path: Path) -> None:
    with running_sandbox(tmp_path, size=20, faults="unlicensed=inventory") as sb:
        api = Api(sb)
        refused = api.get("inventory", "vendors")
        assert refused.status_code == 403
        assert "inventory" in refused.json()["title"]
        assert refused.json()["data"] == {"module": "inventory"}
        assert api.get("accounting", "ap-bills").status_code == 200
        api.close()


def test_latency_and_short_tokens(tmp_path: Path) -> None:
    with running_sandbox(tmp_path, size=20, faults="latency_ms=150,token_lifetime=60") as sb:
        token = httpx.post(
            f"{sb.base_url}/connect/token",
            data={
                "grant_type": "client_credentials",
                "client_id": sb.client_id,
                "client_secret": sb.client_secret,
            },
        ).json()
        assert token["expires_in"] == 60
        api = Api(sb)
        start = time.monotonic()
        assert api.get("settings", "business-units").status_code == 200
        assert time.monotonic() - start >= 0.15
        api.close()


def test_admin_refuses_bad_fault_specs(fresh: RunningSandbox) -> None:
    response = httpx.put(f"{fresh.base_url}/_sandbox/faults", json={"spec": "rate429=9"})
    assert response.status_code == 400
    assert "rate429" in json.dumps(response.json()["errors"])


def test_state_and_tokens_survive_a_restart(tmp_path: Path) -> None:
    with running_sandbox(tmp_path, size=50) as sb:
        api = Api(sb)
        created = api.send(
            "POST",
            "inventory",
            "vendors",
            {
                "name": "Restart Proof LLC",
                "active": True,
                "isTruckReplenishment": False,
                "taxRate": 0,
                "restrictedMobileCreation": False,
                "address": {
                    "street": "",
                    "unit": "",
                    "city": "",
                    "state": "",
                    "zip": "",
                    "country": "",
                },
            },
        ).json()["id"]
        bill = api.ok("accounting", "ap-bills", {"pageSize": 1})["data"][0]
        api.send("POST", "accounting", "ap-bills/markasexported", {"billIds": [bill["id"]]})
        token = api.token
        api.close()
    with running_sandbox(tmp_path, size=9999) as sb:  # size is ignored: the state exists
        assert sb.seeded["size"] == 50
        api = Api(sb)
        api.token = token  # issued before the restart, not expired
        assert api.ok("inventory", f"vendors/{created}")["name"] == "Restart Proof LLC"
        assert api.ok("accounting", f"ap-bills/{bill['id']}")["syncStatus"] != bill["syncStatus"]
        total = api.ok("accounting", "ap-bills", {"includeTotal": "true", "billType": "ApBill"})
        assert total["totalCount"] < 50
        assert sb.stats()["requests"] == 4  # per run: one token, three calls
        api.close()


def _write_data(folder: Path, accounts: int) -> None:
    folder.mkdir()
    stamp = "2026-01-02T03:04:05Z"
    (folder / "gl-accounts.json").write_text(
        json.dumps(
            [
                {
                    "id": n,
                    "name": f"Account {n}",
                    "number": f"{5000 + n % 4000}-{n % 100:02d}-100",
                    "description": None,
                    "type": "Expense",
                    "subtype": "Expense",
                    "active": n % 10 != 0,
                    "isIntacctGroup": False,
                    "isIntacctBankAccount": False,
                    "source": "AccountingSystem",
                    "defaultAccountType": None,
                    "createdOn": stamp,
                    "modifiedOn": stamp,
                }
                for n in range(1, accounts + 1)
            ]
        )
    )
    (folder / "vendors.json").write_text(
        json.dumps(
            [
                {
                    "id": 5,
                    "name": "Only Vendor",
                    "active": True,
                    "isTruckReplenishment": False,
                    "isMobileCreationRestricted": False,
                    "memo": "",
                    "deliveryOption": "Manual",
                    "defaultTaxRate": 0,
                    "contactInfo": {
                        "firstName": "",
                        "lastName": "",
                        "phone": "",
                        "email": "",
                        "fax": "",
                    },
                    "address": {},
                    "createdOn": stamp,
                    "modifiedOn": stamp,
                }
            ]
        )
    )


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """11,000 GL accounts (9,900 active) from `--data`, no rate limit in the way of paging."""
    import dataclasses

    from ml_connector.sandbox.servicetitan.settings import SandboxSettings

    root = tmp_path_factory.mktemp("data")
    _write_data(root / "data", 11_000)
    settings = dataclasses.replace(SandboxSettings(), rate_limit_per_second=1_000_000)
    with running_sandbox(root / "state", data_dir=root / "data", settings=settings) as sb:
        api = Api(sb)
        yield api
        api.close()


def test_data_dir_is_loaded_instead_of_the_seed(loaded: Api) -> None:
    assert loaded.sb.seeded["source"].startswith("data:")
    assert loaded.ok("inventory", "vendors")["data"][0]["name"] == "Only Vendor"
    assert loaded.ok("accounting", "ap-bills")["data"] == []


@pytest.mark.parametrize("page_size", [5000, 7])
def test_ten_thousand_records_page_without_loss_or_repeat(loaded: Api, page_size: int) -> None:
    records = loaded.all_pages(
        "accounting", "gl-accounts", {"pageSize": page_size, "active": "Any"}
    )
    ids = [r["id"] for r in records]
    assert len(ids) == 11_000
    assert sorted(set(ids)) == list(range(1, 11_001))
    if page_size > 7:  # (one pass of 1,572 small pages is enough)
        active = loaded.all_pages("accounting", "gl-accounts", {"pageSize": page_size})
        assert len(active) == 9_900


def test_bad_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "vendors.json").write_text('{"not": "a list"}')
    from ml_connector.errors import ConfigError

    with (
        pytest.raises(ConfigError, match="JSON array"),
        running_sandbox(tmp_path / "state", data_dir=tmp_path / "data"),
    ):
        pass


def test_the_command_serves_and_prints_the_defaults(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "ml_connector",
        "sandbox",
        "servicetitan",
        "--port",
        "0",
        "--state",
        str(tmp_path),
        "--size",
        "10",
        "--faults",
        "latency_ms=1",
    ]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as process:
        try:
            assert process.stdout is not None
            lines = [process.stdout.readline() for _ in range(4)]
            banner = "".join(lines)
            base = lines[0].split(" on ")[1].split(" ")[0]
            assert "1234567" in banner
            assert "sandbox-client" in banner
            assert "sandbox-app-key" in banner
            token = httpx.post(
                f"{base}/connect/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": "sandbox-client",
                    "client_secret": "sandbox-secret",
                },
            )
            assert token.status_code == 200
        finally:
            process.terminate()
            process.wait(timeout=20)


def test_the_command_refuses_a_bad_fault_spec(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ml_connector",
            "sandbox",
            "servicetitan",
            "--state",
            str(tmp_path),
            "--faults",
            "rate429=5",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "rate429" in result.stderr
    assert "Traceback" not in result.stderr


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []  # noqa: RUF012 - test capture

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        del format, args


def test_webhook_delivery_is_a_signed_cloud_event(fresh: RunningSandbox) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    key = "k" * 40
    try:
        for encoding, header in (("hex", None), ("base64", "X-ST-Signature")):
            body: dict[str, Any] = {
                "url": url,
                "type": "tn.acc.invoice-posted",
                "data": {"invoice": {"id": 4000001}, "tenantId": 1234567},
                "hmacKey": key,
                "encoding": encoding,
            }
            if header:
                body["header"] = header
            answer = httpx.post(f"{fresh.base_url}/_sandbox/webhooks/send", json=body)
            assert answer.json()["delivered"] is True
        (hex_headers, hex_raw), (b64_headers, b64_raw) = _Receiver.received[-2:]
        event = json.loads(hex_raw)
        assert event["specversion"] == "1.0"
        assert event["type"] == "tn.acc.invoice-posted"
        assert event["source"] == "https://webhooks.servicetitan.io"
        assert event["userassignedid"]
        assert event["data"]["invoice"]["id"] == 4000001
        digest = hmac.new(key.encode(), hex_raw, hashlib.sha256)
        assert hex_headers["X-ServiceTitan-Signature"] == digest.hexdigest()
        import base64

        expected = base64.b64encode(hmac.new(key.encode(), b64_raw, hashlib.sha256).digest())
        assert b64_headers["X-ST-Signature"] == expected.decode()
    finally:
        server.shutdown()
        server.server_close()
