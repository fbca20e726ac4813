"""A whole sync cycle on both sandboxes with SQLite state, measured where the time goes.

For each size N: the first cycle over N seeded bills (a backfill: reads, vendor matching
and creation, GL mapping, duplicate checks, writes), then a second cycle with nothing new
(the cost of re-reading and the ledger check). Reported per size:

- bills/s (wall), and connector CPU ms per bill: the engine thread plus the BOI thread,
  less the CPU spent inside the Sage sandbox's own calls (the ServiceTitan sandbox runs on
  its own thread and is not counted);
- BOI calls per bill and per written bill, with the most frequent methods;
- state store commits per bill and per written bill, and the commits that wrote pages
  (each of those is one fsync of the WAL with synchronous=FULL; read-only commits write
  nothing); and the statements SQLite ran (its own trace, by kind), and how many of them
  went through SQLAlchemy's statement path (where most of the store's CPU goes: the
  driver-level BEGIN IMMEDIATE and block savepoints do not);
- ServiceTitan requests per 1,000 bills and tokens issued (the sandbox's own counts);
- peak memory (max RSS of this process). The ServiceTitan sandbox serves from its own
  process, as ServiceTitan is another machine for the product (`BENCH_ST_IN_PROCESS=1`:
  in this process, as before); the Sage sandbox stays in this process (it is the BOI
  object model the adapter drives) unless `BENCH_SAGE_PROCESS=1`, which serves it from
  its own process as real BOI runs in pvxcom.exe (`sage_process.py`: one round trip per
  BOI call), so that the peak is the connector's alone. Also reported: RSS before the
  first cycle and after each;
- `BENCH_INVOICE_KEY_WHOLE=1` turns on `BoiSettings.invoice_key_whole` (off by default
  until a server's probe confirms it): 3 BOI calls fewer per written bill;
- a projection for a real Sage server where every BOI call costs 5 ms or 20 ms:
  connector time + calls x latency per written bill.

Usage: python benchmarks/bench_sync_cycle.py [--sizes 20000,100000]
(run each size in its own process when comparing peak memory: max RSS never goes down;
 `--sizes` with several values re-runs this script once per size).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import structlog
from pydantic import SecretStr
from sqlalchemy import event

from ml_connector.clock import SystemClock
from ml_connector.sage100.boi import BoiSage100
from ml_connector.sage100.settings import BoiSettings
from ml_connector.sandbox.sage100 import ProvideXScript, init_root
from ml_connector.sandbox.servicetitan.server import RunningSandbox, running_sandbox
from ml_connector.servicetitan.client import ServiceTitanClient
from ml_connector.servicetitan.environment import StCredentials, StEnvironment
from ml_connector.store.port import PairId
from ml_connector.store.sql import SqlStateStore
from ml_connector.sync.engine import SyncEngine
from ml_connector.sync.settings import SyncSettings
from ml_connector.sync.summary import CycleSummary

PAGE_SIZE = int(os.environ.get("BENCH_PAGE_SIZE", "1000"))  # the client's default
ST_IN_PROCESS = os.environ.get("BENCH_ST_IN_PROCESS", "") == "1"
SAGE_PROCESS = os.environ.get("BENCH_SAGE_PROCESS", "") == "1"
# BoiSettings.invoice_key_whole (off by default until the probe confirms it on a server)
KEY_WHOLE = os.environ.get("BENCH_INVOICE_KEY_WHOLE", "") == "1"


def _serve_st(state_dir: Path, size: int, conn: Any) -> None:
    """The child process: seed and serve the ServiceTitan sandbox until told to stop."""
    with running_sandbox(state_dir, seed="demo", size=size) as sb:
        conn.send(asdict(sb))
        conn.recv()


@contextlib.contextmanager
def st_sandbox(state_dir: Path, size: int, *, in_process: bool) -> Iterator[RunningSandbox]:
    if in_process:
        with running_sandbox(state_dir, seed="demo", size=size) as sb:
            yield sb
        return
    spawn = multiprocessing.get_context("spawn")
    parent, child = spawn.Pipe()
    proc = spawn.Process(target=_serve_st, args=(state_dir, size, child), daemon=True)
    proc.start()
    try:
        deadline = time.monotonic() + 600
        while not parent.poll(0.5):
            if not proc.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the ServiceTitan sandbox process did not start")
        yield RunningSandbox(**parent.recv())
    finally:
        with contextlib.suppress(OSError):
            parent.send("stop")
        proc.join(timeout=30)
        if proc.is_alive():
            proc.kill()


@dataclass
class BoiCounts:
    """BOI calls by method, the CPU spent inside them, and the thread they ran on."""

    calls: Counter[str] = field(default_factory=Counter)
    inside_cpu: float = 0.0
    thread_id: int | None = None

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def reset(self) -> None:
        self.calls.clear()
        self.inside_cpu = 0.0


class CountingCom:
    """Wraps a ProvideX.Script-like object and everything it hands out, counting calls."""

    def __init__(self, inner: Any, counts: BoiCounts) -> None:
        self._inner = inner
        self._counts = counts
        counts.thread_id = threading.get_native_id()  # made where the calls run (BOI thread)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        counts = self._counts
        if not callable(value):
            return CountingCom(value, counts) if name.startswith("o") else value
        calls, thread_time = counts.calls, time.thread_time

        # kept lean: it runs around every BOI call and its own cost lands in the figures
        def call(*args: Any) -> Any:
            calls[name] += 1
            if any(type(a) is CountingCom for a in args):
                args = tuple(a._inner if type(a) is CountingCom else a for a in args)
            started = thread_time()
            try:
                result = value(*args)
            finally:
                counts.inside_cpu += thread_time() - started
            if result is None or type(result) in _PLAIN:
                return result
            return CountingCom(result, counts) if hasattr(result, "sLastErrorMsg") else result

        return call


_PLAIN = frozenset({str, int, float, bool, tuple})  # what COM answers that is not an object


@dataclass
class StoreCounts:
    """Commits of the state store, and those that changed something (one fsync each)."""

    commits: int = 0
    writing_commits: int = 0
    statements: Counter[str] = field(default_factory=Counter)  # SQLite ran, by first word
    through_sqlalchemy: int = 0  # of those, the ones SQLAlchemy's statement path ran
    _changes: dict[int, int] = field(default_factory=dict)

    def reset(self) -> None:
        self.commits = 0
        self.writing_commits = 0
        self.statements.clear()
        self.through_sqlalchemy = 0

    def attach(self, store: SqlStateStore) -> None:
        @event.listens_for(store.engine, "commit")
        def _on_commit(conn: Any) -> None:
            raw = conn.connection.dbapi_connection
            before = self._changes.get(id(raw), raw.total_changes)
            self.commits += 1
            # total_changes is read before the COMMIT runs: rows changed in this
            # transaction are already counted
            if raw.total_changes != before:
                self.writing_commits += 1
            self._changes[id(raw)] = raw.total_changes

        @event.listens_for(store.engine, "begin")
        def _on_begin(conn: Any) -> None:
            raw = conn.connection.dbapi_connection
            self._changes[id(raw)] = raw.total_changes

        def _statement(sql: str) -> None:
            first = sql.split(None, 1)[0].upper()
            self.statements[first] += 1
            # SQLAlchemy's statement path runs the rest (counted here, not by a listener on
            # it: an execute event's dispatch costs as much as a small statement)
            if first not in _PAST_SQLALCHEMY:
                self.through_sqlalchemy += 1

        @event.listens_for(store.engine, "checkout")
        def _on_checkout(dbapi_connection: Any, *_args: Any) -> None:
            # SQLite's own trace: every statement it runs, the ones the store says to the
            # driver itself (BEGIN IMMEDIATE, the blocks' savepoints, COMMIT) included
            dbapi_connection.set_trace_callback(_statement)


# what the store says to the driver itself (the batch's BEGIN IMMEDIATE and blocks'
# savepoints) and what the driver says on commit: not through SQLAlchemy's statement path
_PAST_SQLALCHEMY = frozenset({"BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT"})


def _rss_mb() -> float:
    """The process's resident memory now (Linux: /proc), 0 when unknown."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _thread_cpu(native_id: int | None) -> float:
    """CPU seconds of a thread of this process (Linux: /proc), 0 when unknown."""
    if native_id is None:
        return 0.0
    try:
        fields = Path(f"/proc/self/task/{native_id}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


@dataclass
class CycleFigures:
    summary: CycleSummary
    wall: float
    connector_cpu: float
    boi: Counter[str]
    commits: int
    writing_commits: int
    statements: Counter[str]
    through_sqlalchemy: int
    st_requests: int
    tokens: int
    st_paths: dict[str, int]


@dataclass
class Measured:
    size: int
    first: CycleFigures
    second: CycleFigures
    peak_mb: float
    rss_before_mb: float  # both sandboxes seeded, before the first cycle
    rss_after_mb: tuple[float, float] = (0.0, 0.0)  # after the first and second cycle
    st_in_process: bool = False
    sage_rss_mb: float | None = None  # the Sage sandbox's own process at the end, if any


@contextlib.contextmanager
def sage_factory(root: Path, *, own_process: bool) -> Iterator[tuple[Any, Any]]:
    """What BoiSage100 makes its ProvideX.Script with, and the child process if any."""
    if not own_process:
        yield (lambda: ProvideXScript(root, apartment="free")), None
        return
    from sage_process import sage_process  # beside this script

    with sage_process(root) as child:
        yield child.factory, child


def run_size(
    size: int,
    *,
    quiet: bool = True,
    st_in_process: bool = ST_IN_PROCESS,
    sage_own_process: bool = SAGE_PROCESS,
) -> Measured:
    if quiet:
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    clock = SystemClock()
    counts = BoiCounts()
    store_counts = StoreCounts()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "sage"
        root.mkdir()
        init_root(root, seed="demo")
        store = SqlStateStore.open(f"sqlite:///{Path(tmp) / 'state.sqlite'}", clock=clock)
        store_counts.attach(store)
        with (
            st_sandbox(Path(tmp) / "st", size, in_process=st_in_process) as sb,
            sage_factory(root, own_process=sage_own_process) as (make_script, sage_child),
        ):
            source = ServiceTitanClient(
                StEnvironment.custom(sb.base_url, sb.base_url + "/connect/token"),
                StCredentials(
                    tenant_id=sb.tenant_id,
                    client_id=sb.client_id,
                    client_secret=SecretStr(sb.client_secret),
                    app_key=SecretStr(sb.app_key),
                ),
                clock=clock,
                page_size=PAGE_SIZE,
            )
            sage = BoiSage100(
                BoiSettings(
                    home=str(root),
                    company="ABC",
                    user="sandbox",
                    password=SecretStr("sandbox"),
                    invoice_key_whole=KEY_WHOLE,
                ),
                lambda: CountingCom(make_script(), counts),
                clock=clock,
            )
            settings = SyncSettings(
                fallback_gl_account="6900-00-100",
                tax_account="2100-00-100",
                freight_account="5400-00-100",
            )
            engine = SyncEngine(PairId("bench"), source, sage, store, settings, clock)

            def cycle() -> CycleFigures:
                sb.reset_stats()
                counts.reset()
                store_counts.reset()
                boi_cpu0 = _thread_cpu(counts.thread_id)
                main0 = time.thread_time()
                t = time.perf_counter()
                summary = engine.run_cycle()
                wall = time.perf_counter() - t
                main_cpu = time.thread_time() - main0
                boi_cpu = _thread_cpu(counts.thread_id) - boi_cpu0
                st = sb.stats()
                return CycleFigures(
                    summary=summary,
                    wall=wall,
                    connector_cpu=main_cpu + max(0.0, boi_cpu - counts.inside_cpu),
                    boi=Counter(counts.calls),
                    commits=store_counts.commits,
                    writing_commits=store_counts.writing_commits,
                    statements=Counter(store_counts.statements),
                    through_sqlalchemy=store_counts.through_sqlalchemy,
                    st_requests=int(st["requests"]),
                    tokens=int(st["tokens_issued"]),
                    st_paths=dict(st.get("requests_per_path", {})),
                )

            rss_before = _rss_mb()
            first = cycle()
            rss_first = _rss_mb()
            second = cycle()
            rss_second = _rss_mb()
            sage_rss = sage_child.rss_mb() if sage_child is not None else None
            sage.close()
            source.close()
        store.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return Measured(
        size, first, second, peak_mb, rss_before, (rss_first, rss_second), st_in_process, sage_rss
    )


def handled_count(s: CycleSummary) -> int:
    return s.written + s.already_in_sage + s.sent_to_review + s.failed + s.skipped + s.unchanged


def per(n: float, d: int) -> float:
    return n / d if d else 0.0


def report(m: Measured) -> None:
    f, s = m.first, m.second
    handled = handled_count(f.summary)
    written = f.summary.written
    boi = sum(f.boi.values())
    print(f"== {m.size:,} bills (first cycle: a backfill)")
    print(
        f"  {handled:,} bills in {f.wall:.1f} s: {per(handled, 1) / f.wall:,.0f} bills/s; "
        f"written {written:,}, review {f.summary.sent_to_review:,}, already in Sage "
        f"{f.summary.already_in_sage:,}, vendors created {f.summary.vendors_created}"
    )
    print(
        f"  connector CPU {1000 * per(f.connector_cpu, 1) / max(handled, 1):.2f} ms per bill "
        f"({f.connector_cpu:.1f} s; the Sage sandbox's own work excluded)"
    )
    print(
        f"  BOI calls: {boi:,} = {per(boi, handled):.1f} per bill, "
        f"{per(boi, written):.1f} per written bill; most: "
        + ", ".join(f"{k} {v / max(written, 1):.1f}" for k, v in f.boi.most_common(8))
    )
    print(
        f"  store: {f.commits:,} commits = {per(f.commits, handled):.2f} per bill, "
        f"{per(f.commits, written):.2f} per written bill; commits that wrote (fsyncs): "
        f"{f.writing_commits:,} = {per(f.writing_commits, written):.2f} per written bill"
    )
    statements = sum(f.statements.values())
    print(
        f"  store statements: {statements:,} = {per(statements, handled):.1f} per bill, "
        f"{per(statements, written):.1f} per written bill; by kind per written bill: "
        + ", ".join(f"{k} {v / max(written, 1):.1f}" for k, v in f.statements.most_common())
        + f"; through SQLAlchemy's statement path (its cost is per statement): "
        f"{per(f.through_sqlalchemy, written):.1f} per written bill"
    )
    print(
        f"  ServiceTitan: {f.st_requests} requests ({1000 * per(f.st_requests, handled):.1f} "
        f"per 1,000 bills), {f.tokens} token(s)"
    )
    where = "in this process" if m.st_in_process else "in its own process"
    sage_where = (
        "in this process"
        if m.sage_rss_mb is None
        else f"in its own process, {m.sage_rss_mb:.0f} MB RSS at the end"
    )
    print(
        f"  memory: peak (max RSS) {m.peak_mb:.0f} MB; RSS {m.rss_before_mb:.0f} MB before "
        f"the first cycle, {m.rss_after_mb[0]:.0f} MB after it, {m.rss_after_mb[1]:.0f} MB "
        f"after the second (the Sage sandbox {sage_where}; the ServiceTitan sandbox "
        f"{where})"
    )
    own = per(f.wall, written)
    for latency_ms in (5, 20):
        per_bill = own + per(boi, written) * latency_ms / 1000
        print(
            f"  projection at {latency_ms} ms per BOI call: {1000 * per_bill:.0f} ms per "
            f"written bill, {1 / per_bill if per_bill else 0:,.0f} bills/s, "
            f"{per_bill * written / 60:.0f} min for these {written:,} writes"
        )
    print(
        f"  second cycle (nothing new): {s.wall:.2f} s, {s.st_requests} ServiceTitan "
        f"requests, {sum(s.boi.values())} BOI calls, {s.commits} commits "
        f"({s.writing_commits} wrote), written {s.summary.written}; requests: "
        + ", ".join(f"{p.rsplit('/', 1)[-1]} {n}" for p, n in sorted(s.st_paths.items()))
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="?", default="", help="(old form) one size")
    parser.add_argument("--sizes", dest="size_list", default="", help="e.g. 20000,100000")
    args = parser.parse_args(argv)
    text = args.size_list or args.sizes or "1000"
    sizes = [int(x) for x in text.split(",") if x.strip()]
    print(f"machine: {_machine()}")
    if len(sizes) == 1:
        report(run_size(sizes[0]))
        print(f"  reference workload after the run: {_reference_ms():.0f} ms")
        return
    for size in sizes:  # one process each: max RSS is per process
        subprocess.run([sys.executable, __file__, "--sizes", str(size)], check=True)  # noqa: S603  # this script, our arguments


def _reference_ms() -> float:
    """The CPU time of a fixed pure-Python workload (dicts, strings, Decimal), best of
    three, in ms: this shared machine's speed swings by half from one hour to the next (the
    same code measured 187-416 bills/s), so figures of two runs compare only beside this
    (lower is faster)."""
    from decimal import Decimal

    best = float("inf")
    for _ in range(3):
        started = time.thread_time()
        table: dict[str, Decimal] = {}
        for i in range(60_000):
            key = f"INV-{i % 997:05d}"
            table[key] = table.get(key, Decimal(0)) + Decimal(i) / 100
        best = min(best, time.thread_time() - started)
    return 1000 * best


def _machine() -> str:
    import platform

    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.1f}, Python {platform.python_version()}, "
        f"reference workload {_reference_ms():.0f} ms"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
