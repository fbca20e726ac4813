"""`sync --once` while another process syncs the same pair: it names the holder (host,
pid, since when) and exits 4, writing nothing; once the holder is gone (ended, or
SIGKILLed) the next `sync --once` runs."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from cli_world import World, sage_invoices, subprocess_env

from ml_connector.clock import SystemClock
from ml_connector.store.lease import take_lease
from ml_connector.store.port import PairId


def test_sync_once_says_who_holds_the_pair_and_exits_4(world: World) -> None:
    before = sage_invoices(world.sage_root)
    with world.store() as store:
        # the service on this machine (this test process stands in for it: its pid runs)
        held = take_lease(
            store, PairId("main"), command="run", clock=SystemClock(), ttl=timedelta(minutes=2)
        )
        try:
            result = world.cli("sync", "--once")
            assert result.exit_code == 4, result.stdout + result.stderr
            text = " ".join((result.stdout + result.stderr).split())
            assert f"pid {os.getpid()} on {socket.gethostname()}" in text
            assert "`run`" in text
            assert "since" in text
            as_json = world.cli("sync", "--once", "--json")
            assert as_json.exit_code == 4
            out = json.loads(as_json.stdout)
            assert out["completed"] is False
            assert out["written"] == 0
            assert out["busy"][0]["pid"] == os.getpid()
            assert out["busy"][0]["command"] == "run"
            assert sage_invoices(world.sage_root) == before  # nothing written meanwhile
            with store.transaction() as tx:
                assert tx.last_runs(PairId("main")) == []  # not even a run record
            # a dry run writes nothing and needs no lease
            assert world.cli("sync", "--once", "--dry-run").exit_code == 0
        finally:
            held.release()
    assert world.cli("sync", "--once").exit_code == 0
    assert len(sage_invoices(world.sage_root)) > len(before)
    with world.store() as store:
        assert store.get_lease(PairId("main")) is None  # given back at the end of the cycle


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_two_real_sync_processes_one_runs_the_other_exits_4_then_a_kill_frees_it(
    world: World,
) -> None:
    # a long cycle (each ServiceTitan answer takes 4 s), so that the second process meets
    # the first even when its own start-up is slow on a loaded machine; the first is killed
    world.sb.set_faults(latency_ms=4000)
    args = [sys.executable, "-m", "ml_connector", "sync", "--once", "--config", str(world.config)]
    first = subprocess.Popen(
        args, env=subprocess_env(), cwd=world.tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        holder = None
        deadline = time.monotonic() + 60
        while holder is None:
            with world.store() as store:
                holder = store.get_lease(PairId("main"))
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the first sync never took the lease"
            time.sleep(0.1)
        assert holder.pid == first.pid
        second = world.sub("sync", "--once", "--config", str(world.config))
        assert second.returncode == 4, second.stdout + second.stderr
        assert f"pid {first.pid}" in " ".join((second.stdout + second.stderr).split())
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
        first.communicate()  # reaps it and closes its pipes, whatever happened above
    world.sb.set_faults(None)
    third = world.sub(
        "sync", "--once", "--config", str(world.config), timeout=120
    )  # the dead holder blocks nothing
    assert third.returncode == 0, third.stdout + third.stderr


def test_run_skips_a_cycle_while_another_process_holds_the_pair(world: World) -> None:
    from ml_connector.app.service.runner import Runner

    with world.store() as store:
        held = take_lease(
            store,
            PairId("main"),
            command="sync --once",
            clock=SystemClock(),
            ttl=timedelta(minutes=2),
        )
        runner = Runner(world.config, interval=timedelta(seconds=1), dashboard_port=0)
        thread = threading.Thread(target=runner.run, name="runner")
        thread.start()
        try:
            time.sleep(4)  # a catch-up cycle and a few scheduled ones, all skipped
            with store.transaction() as tx:
                assert tx.last_runs(PairId("main")) == []
            assert store.get_lease(PairId("main")) == held.lease  # left alone
            held.release()
            deadline = time.monotonic() + 60
            while True:
                with store.transaction() as tx:
                    runs = tx.last_runs(PairId("main"))
                if runs and runs[0].status != "running":
                    break
                assert time.monotonic() < deadline, "no cycle ran after the lease was freed"
                time.sleep(0.2)
        finally:
            runner.stop()
            thread.join(60)
    assert not thread.is_alive()
