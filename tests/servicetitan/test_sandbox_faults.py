"""429 storms, 5xx bursts, unlicensed modules and a client hammering from many threads,
against the sandbox over real HTTP."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from st_client_support import RecordingTransport, client_for

from ml_connector.errors import Action
from ml_connector.servicetitan.errors import ModuleNotLicensedError


def _everything(client: Any) -> dict[str, list[int]]:
    return {
        "procurement": sorted(b.id for b in client.ap_bills(bill_type="Procurement")),
        "apbill": sorted(b.id for b in client.ap_bills(bill_type="ApBill")),
        "vendors": sorted(v.id for v in client.vendors()),
        "gl": sorted(a.id for a in client.gl_accounts()),
    }


def test_429_storm_completes_with_every_record_from_many_threads(sandbox: Any) -> None:
    with client_for(sandbox, page_size=25) as client:
        baseline = _everything(client)
    sandbox.set_faults("rate429=0.3,retry_after=1,seed=3")
    before = sandbox.stats()
    wire = RecordingTransport()
    results: list[dict[str, list[int]]] = []
    with client_for(sandbox, page_size=25, transport=wire) as client:
        threads = [
            threading.Thread(target=lambda: results.append(_everything(client))) for _ in range(2)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        received_429 = client.stats.rate_limited
        paused = client.limiter.waited
    after = sandbox.stats()
    assert results == [baseline, baseline]
    assert after["sent_429"] - before["sent_429"] == received_429 > 0
    assert paused >= 1.0  # Retry-After held the whole bucket
    assert wire.busiest_second() <= 55  # 50/s + burst 5: never near the sandbox's 60


def test_5xx_burst_completes_with_every_record(sandbox: Any) -> None:
    with client_for(sandbox, page_size=25) as client:
        baseline = _everything(client)
    sandbox.set_faults("rate5xx=0.4,seed=5")
    before = sandbox.stats()
    with client_for(sandbox, page_size=25) as client:
        bursty = _everything(client)
        retried = client.stats.server_errors
    after = sandbox.stats()
    assert bursty == baseline
    assert after["sent_5xx"] - before["sent_5xx"] == retried > 0


def test_hammering_from_many_threads_stays_under_the_limit(sandbox: Any) -> None:
    before = sandbox.stats()
    errors: list[BaseException] = []
    wire = RecordingTransport()
    with client_for(sandbox, transport=wire) as client:

        def work() -> None:
            try:
                for _ in range(30):
                    client.check_connection()
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        sent = client.stats.requests
    after = sandbox.stats()
    assert errors == []
    assert sent == 240
    path = f"/accounting/v2/tenant/{sandbox.tenant_id}/gl-accounts"
    served = after["requests_per_path"][path] - before["requests_per_path"].get(path, 0)
    assert served == 240
    assert after["sent_429"] == before["sent_429"]  # the sandbox never had to refuse one
    assert 50 <= wire.busiest_second() <= 55


def test_unlicensed_module_stops_that_stream_only(sandbox: Any) -> None:
    sandbox.set_faults("unlicensed=jpm")
    with client_for(sandbox) as client:
        with pytest.raises(ModuleNotLicensedError) as info:
            list(client.budget_codes())
        assert list(client.gl_accounts())  # accounting is licensed and still answers
    err = info.value
    assert err.module == "jpm"
    assert err.action is Action.STOP
    assert err.status == 403
    assert err.trace_id
    assert "'jpm'" in err.describe()
