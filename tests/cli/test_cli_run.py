"""`run`: several short cycles for two pairs at once, `/healthz` and `/metrics` while it
runs, and a stop (in-process `Runner.stop()`, or SIGTERM to the process) that lets the
cycle in flight finish and writes nothing twice."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cli_world import (
    SAGE_PASSWORD,
    SANDBOX_SETTINGS,
    PairSpec,
    World,
    assert_clean,
    sage_invoices,
    subprocess_env,
    write_test_config,
)
from typer.testing import CliRunner

from ml_connector.app.cli import main as cli
from ml_connector.app.runtime import Runtime
from ml_connector.app.service.runner import Runner
from ml_connector.app.service.scheduler import CycleOutcome
from ml_connector.sandbox.sage100 import init_root
from ml_connector.sandbox.servicetitan.server import running_sandbox
from ml_connector.store.port import LedgerStatus, PairId
from ml_connector.store.sql import SqlStateStore


def _wait_for(what: str, check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _written(store_path: Path, pair: str) -> list[LedgerStatus]:
    store = SqlStateStore.open(f"sqlite:///{store_path}")
    try:
        with store.transaction() as tx:
            return [e.status for e in tx.iter_ledger(PairId(pair))]
    finally:
        store.close()


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Callable[[Runner], threading.Thread]]:
    """Start a runner in a thread; it is stopped (and must end) when the test ends."""
    started: list[tuple[Runner, threading.Thread]] = []

    def start(runner: Runner) -> threading.Thread:
        thread = threading.Thread(target=runner.run, name="runner")
        thread.start()
        started.append((runner, thread))
        _wait_for("the scheduler", lambda: runner.scheduler is not None or not thread.is_alive())
        return thread

    yield start
    for runner, thread in started:
        runner.stop()
        thread.join(30)
        assert not thread.is_alive(), "the runner did not stop"


def test_two_pairs_short_interval_health_metrics_stop(
    tmp_path: Path, secret_env: None, running: Callable[[Runner], threading.Thread]
) -> None:
    root = tmp_path / "sage100"
    init_root(root, company="ABC", password=SAGE_PASSWORD)
    init_root(root, company="XYZ", password=SAGE_PASSWORD)
    with running_sandbox(tmp_path / "st", size=30, settings=SANDBOX_SETTINGS) as sb:
        config = write_test_config(
            tmp_path / "config.toml",
            [PairSpec("abc", sb.base_url, root, "ABC"), PairSpec("xyz", sb.base_url, root, "XYZ")],
        )
        before = {c: len(sage_invoices(root, c)) for c in ("ABC", "XYZ")}
        runner = Runner(config, interval=timedelta(seconds=1), dashboard_port=0)
        thread = running(runner)
        sched = runner.scheduler
        assert sched is not None
        _wait_for("3 cycles of each pair", lambda: min(sched.cycles.values()) >= 3)
        url = runner.dashboard_url
        assert url is not None
        health = httpx.get(f"{url}/healthz", timeout=5)
        assert health.status_code == 200
        pairs = health.json()["pairs"]
        assert {p: pairs[p]["last_outcome"] for p in pairs} == {"abc": "ok", "xyz": "ok"}
        metrics = httpx.get(f"{url}/metrics", timeout=5).text
        assert 'mlc_cycles_total{outcome="ok",pair="abc"}' in metrics
        assert 'mlc_cycles_total{outcome="ok",pair="xyz"}' in metrics
        assert "mlc_documents_total" in metrics
        page = httpx.get(f"{url}/", timeout=5, follow_redirects=True)  # / is the queue
        assert "Review queue" in page.text
        for text in (health.text, metrics, page.text):
            assert_clean(text, what="the dashboard")

        runner.stop()
        thread.join(30)
        assert not thread.is_alive()
        assert _refused(f"{url}/healthz")

        # `sync --once` over both pairs afterwards: one object, both runs, nothing to write.
        cli.register_all()
        result = CliRunner().invoke(cli.app, ["sync", "--once", "--config", str(config), "--json"])
        assert result.exit_code == 0, result.stderr
        assert_clean(result.stdout + result.stderr, what="sync of two pairs")
        both = json.loads(result.stdout)
        assert both["run_id"] is None
        assert set(both["run_ids"]) == {"abc", "xyz"}
        assert set(both["pairs"]) == {"abc", "xyz"}
        assert both["written"] == 0

    logs = "".join(p.read_text("utf-8") for p in (tmp_path / "logs").glob("*.log*"))
    assert "cycle done" in logs
    assert_clean(logs, what="the log file of `run`")
    for pair, company in (("abc", "ABC"), ("xyz", "XYZ")):
        invoices = sage_invoices(root, company)
        assert max(Counter(invoices).values()) == 1, f"{company}: an invoice written twice"
        written = _written(tmp_path / "ml-connector.sqlite", pair).count(LedgerStatus.WRITTEN)
        assert written > 0
        assert len(invoices) - before[company] == written


def _refused(url: str) -> bool:
    try:
        httpx.get(url, timeout=1)
    except httpx.TransportError:
        return True
    return False


class StopMidCycle(Runner):
    """A runner whose stop comes (through the real `stop()`) when the cycle in flight asks
    for the 12th time whether to stop: between two documents, as a Ctrl-C would."""

    def _cycle(self, rt: Runtime, pair: str, stop_requested: Any) -> CycleOutcome:
        asked = 0

        def should_stop() -> bool:
            nonlocal asked
            asked += 1
            if asked == 12:
                self.stop()
            return bool(stop_requested())

        return super()._cycle(rt, pair, should_stop)


def test_stop_mid_cycle_finishes_the_document_in_flight(
    world: World, running: Callable[[Runner], threading.Thread]
) -> None:
    store_path = world.tmp / "ml-connector.sqlite"
    before = len(sage_invoices(world.sage_root))
    runner = StopMidCycle(world.config, interval=timedelta(seconds=60), dashboard_port=0)
    thread = running(runner)
    thread.join(30)  # it stops by itself, mid-cycle
    assert not thread.is_alive()
    assert runner.status is not None
    (health,) = runner.status.pairs()
    assert health.last_outcome == "ok"  # a stop asked for is no failure of the pair

    statuses = _written(store_path, "main")
    assert LedgerStatus.INTENT not in statuses  # the document in flight was finished
    in_first = statuses.count(LedgerStatus.WRITTEN)
    with world.store() as store, store.transaction() as tx:
        (run,) = tx.last_runs(PairId("main"))
    assert run.status != "running"
    assert any("stopped on request" in e for e in run.summary["errors"])
    assert len(sage_invoices(world.sage_root)) - before == in_first

    rest = world.cli_json("sync", "--once")
    assert rest["written"] > 0  # the stop left work for the next cycle...
    total = _written(store_path, "main").count(LedgerStatus.WRITTEN)
    assert total == in_first + rest["written"]
    invoices = sage_invoices(world.sage_root)
    assert max(Counter(invoices).values()) == 1  # ...and nothing was written twice
    assert world.cli_json("sync", "--once")["written"] == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_run_subprocess_sigterm_mid_cycle(world: World) -> None:
    # Every Sage call a little slow: the first cycle lasts seconds, and SIGTERM lands in it.
    (world.sage_root / "sandbox.toml").write_text("[faults]\ncall_latency_ms = 4\n")
    port = _free_port()
    store_path = world.tmp / "ml-connector.sqlite"
    before = len(sage_invoices(world.sage_root))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ml_connector",
            "run",
            "--config",
            str(world.config),
            "--interval-seconds",
            "1",
            "--dashboard-port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
        cwd=world.tmp,
    )
    try:
        _wait_for(
            "the first document written",
            lambda: (
                proc.poll() is not None
                or (store_path.exists() and LedgerStatus.WRITTEN in _written(store_path, "main"))
            ),
        )
        assert proc.poll() is None, proc.communicate()[1]
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        assert health.status_code == 200
        assert "mlc_pair_up" in httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert_clean(out + err, what="`run`")
    assert "ml-connector stopped" in err

    statuses = [e.status for e in world.ledger()]
    assert LedgerStatus.INTENT not in statuses  # the document in flight was finished
    in_run = statuses.count(LedgerStatus.WRITTEN)
    invoices = sage_invoices(world.sage_root)
    assert len(invoices) - before == in_run
    with world.store() as store, store.transaction() as tx:
        (run,) = tx.last_runs(PairId("main"))
    assert any("stopped on request" in e for e in run.summary["errors"])

    (world.sage_root / "sandbox.toml").unlink()
    rest = world.cli_json("sync", "--once")
    assert rest["written"] > 0
    invoices = sage_invoices(world.sage_root)
    assert max(Counter(invoices).values()) == 1
    assert len(invoices) - before == in_run + rest["written"]


def test_a_pair_whose_system_is_down_shows_degraded(
    tmp_path: Path, secret_env: None, running: Callable[[Runner], threading.Thread]
) -> None:
    root = tmp_path / "sage100"
    init_root(root, password=SAGE_PASSWORD)
    config = write_test_config(
        tmp_path / "config.toml", [PairSpec("main", f"http://127.0.0.1:{_free_port()}", root)]
    )
    runner = Runner(config, interval=timedelta(seconds=1), dashboard_port=0)
    thread = running(runner)
    status = runner.status
    assert status is not None
    _wait_for("a failed cycle", lambda: status.pairs()[0].last_outcome != "not run yet")
    url = runner.dashboard_url
    health = httpx.get(f"{url}/healthz", timeout=5)
    assert health.status_code == 503
    main = health.json()["pairs"]["main"]
    assert main["last_outcome"] == "down"
    assert "could not reach" in main["last_error"]
    assert_clean(health.text, what="/healthz")
    runner.stop()
    thread.join(30)
    assert not thread.is_alive()


def test_dashboard_port_in_use_is_a_setup_error(world: World) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        proc = world.sub(
            "run", "--config", str(world.config), "--dashboard-port", str(port), timeout=60
        )
    assert proc.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr
