"""Soak: SIGKILL `ml-connector sync --once` at random moments, many times, while Sage
answers with record locks and COM errors and ServiceTitan with 429s, 5xx and short-lived
tokens; then compare the Sage company with a clean run's (same ServiceTitan data, a fresh
Sage, no faults, no kills): 0 lost, 0 doubled, 0 adjustments.

    .venv/bin/python scripts/soak_kill.py --kills 100            # the full proof
    .venv/bin/python scripts/soak_kill.py --kills 5 --bills 6     # a quick look

Each run gets new AP bills first (so that every kill can land in a write), then runs as
a real process; once its cycle has begun (its run record is there) it is killed after a
random delay up to 1.2 times the length of a cycle (measured on every tenth run, which is
left to end on its own). At the end the same process finishes the backlog (faults on,
then off) and the clean run replays everything from scratch. Prints figures and exits 1
when anything was lost, doubled or adjusted.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from proof_world import (  # the script's own folder, put on the path above
    Comparison,
    ap_bill,
    compare,
    machine,
    new_sage_root,
    read_books,
    set_sage_faults,
    sync_once,
    write_proof_config,
)

from ml_connector.sandbox.servicetitan.server import running_sandbox
from ml_connector.store.port import LedgerStatus, PairId, ReviewStatus
from ml_connector.store.sql import SqlStateStore

ST_FAULTS = {"rate429": 0.04, "rate5xx": 0.04, "token_lifetime": 4, "retry_after": 1}
SAGE_LOCK_RATE = 0.04
SAGE_COM_ERROR_RATE = 0.01
FIRST_BILL = 8_800_000
SIGNPOST_SAFETY = 32.0  # seconds: SyncSettings.signpost_safety and a little more


@dataclass
class SoakResult:
    runs: int
    kills: int
    bills: int
    written: int
    lost: int
    doubled: int
    adjusted: int
    extra: int
    left_in_intent: int
    # written and in Sage, but in review because the read-back never ran (should be 0), or
    # because it read back differently; read-backs that failed, and those done by a later cycle
    unread_in_review: int
    differently_in_review: int
    read_backs_failed: int
    verified_later: int
    # runs that ended before their cycle began (no run record): all, and those whose Sage
    # connection check ("ping") failed
    ended_before_cycle: int
    ended_in_ping: int
    exit_codes: dict[str, int]
    seconds: float
    machine: str
    comparison: Comparison

    @property
    def ok(self) -> bool:
        return self.comparison.ok and self.left_in_intent == 0


def _finish(config: Path, *, tries: int = 8) -> dict[str, object]:
    """`sync --once` until a cycle ends cleanly and writes nothing more."""
    last: dict[str, object] = {}
    for _ in range(tries):
        proc = sync_once(config, json_out=True)
        out, err = proc.communicate(timeout=900)
        _check_output(out + err, proc.returncode)
        last = json.loads(out) if out.strip() else {}
        if proc.returncode == 0 and last.get("written") == 0:
            return last
    return last


def _wait_for_cycle(state: Path, proc: subprocess.Popen[str], after_run: int) -> float | None:
    """When `proc`'s cycle began (a run record newer than `after_run`, written after the
    lease and the connection check): a monotonic time, or None when it ended first."""
    while proc.poll() is None:
        if _last_run(state) > after_run:
            return time.monotonic()
        time.sleep(0.01)
    return None


def _last_run(state: Path) -> int:
    if not state.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=1) as conn:
            row = conn.execute("SELECT max(id) FROM runs").fetchone()
    except sqlite3.Error:  # not created yet, or busy: look again
        return 0
    return int(row[0] or 0)


def _check_output(text: str, code: int | None) -> None:
    if "Traceback" in text:
        raise AssertionError(f"sync --once showed a traceback:\n{text[-3000:]}")
    if code not in (0, 1, -signal.SIGKILL):
        raise AssertionError(f"sync --once exited {code}:\n{text[-3000:]}")


def run_soak(
    workdir: Path,
    *,
    kills: int,
    bills_per_run: int = 12,
    seed: int = 20261202,
    demo_size: int = 20,
    say: Callable[[str], None] | None = None,
) -> SoakResult:
    rng = random.Random(seed)  # noqa: S311  # a replayable soak, not cryptography
    started = time.monotonic()
    echo = say or (lambda line: sys.stdout.write(line + "\n"))
    soak_root = new_sage_root(workdir / "soak" / "sage")
    clean_root = new_sage_root(workdir / "clean" / "sage")
    with running_sandbox(workdir / "st", seed="demo", size=demo_size) as sb:
        config = write_proof_config(
            workdir / "soak" / "config.toml", sb.base_url, sb.tenant_id, soak_root
        )
        sb.set_faults({**ST_FAULTS, "seed": seed})
        state = config.parent / "ml-connector.sqlite"
        durations: list[float] = []
        codes: dict[str, int] = {}
        killed = runs = before_cycle = in_ping = 0
        next_id = FIRST_BILL
        last_upsert = time.monotonic()
        while killed < kills:
            runs += 1
            bills = [ap_bill(next_id + n, rng) for n in range(bills_per_run)]
            next_id += bills_per_run
            sb.upsert("ap-bills", bills)
            last_upsert = time.monotonic()
            set_sage_faults(
                soak_root,
                lock_rate=SAGE_LOCK_RATE,
                com_error_rate=SAGE_COM_ERROR_RATE,
                seed=rng.randrange(10**9),
            )
            typical = statistics.median(durations) if durations else None
            log = workdir / "soak" / f"run-{runs:04d}.log"
            proc = sync_once(config, log=log)
            held_at = _wait_for_cycle(state, proc, _last_run(state))
            calibrate = typical is None or runs % 10 == 0  # left to end: the time scale
            if calibrate or held_at is None:
                proc.wait(timeout=900)
            else:
                time.sleep(rng.uniform(0.0, typical * 1.2))  # somewhere inside the cycle
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                    killed += 1
                proc.wait(timeout=900)
            if calibrate and held_at is not None:
                durations.append(time.monotonic() - held_at)
            text = log.read_text(encoding="utf-8", errors="replace")
            _check_output(text, proc.returncode)
            if held_at is None:
                before_cycle += 1
                in_ping += "could not run main: ping:" in text
            codes[str(proc.returncode)] = codes.get(str(proc.returncode), 0) + 1
            if runs % 10 == 0:
                echo(f"  run {runs}: {killed} kills so far")
        echo(f"kills done after {runs} runs; finishing the backlog (faults on, then off)")
        # a cycle leaves what changed in its last 30 s to the next one (the signpost's
        # safety margin against ServiceTitan's clock): wait until the last bills are older
        time.sleep(max(0.0, last_upsert + SIGNPOST_SAFETY - time.monotonic()))
        _finish(config)
        sb.set_faults(None)
        set_sage_faults(soak_root, lock_rate=0, com_error_rate=0, seed=0)
        final = _finish(config)
        store = SqlStateStore.open(f"sqlite:///{config.parent / 'ml-connector.sqlite'}")
        try:
            with store.transaction() as tx:
                ledger = list(tx.iter_ledger(PairId("main")))
                reviews = tx.list_reviews(PairId("main"), ReviewStatus.OPEN)
                events = list(tx.iter_audit(pair=PairId("main")))
        finally:
            store.close()
        intent = [e.doc_id for e in ledger if e.status is LedgerStatus.INTENT]

        echo("clean run: a fresh Sage, no faults, no kills")
        time.sleep(SIGNPOST_SAFETY)  # the soak's last marks (mark as exported) are changes too
        clean_config = write_proof_config(
            workdir / "clean" / "config.toml", sb.base_url, sb.tenant_id, clean_root
        )
        _finish(clean_config)
    tested, clean = read_books(soak_root), read_books(clean_root)
    result = compare(tested, clean)
    echo(f"final cycle of the soak: {json.dumps(final, default=str)[:400]}")
    return SoakResult(
        runs=runs,
        kills=killed,
        bills=next_id - FIRST_BILL,
        written=len(tested.by_bill),
        lost=len(result.lost),
        doubled=len(result.doubled),
        adjusted=len(result.adjusted),
        extra=len(result.extra),
        left_in_intent=len(intent),
        unread_in_review=sum("could not be read back" in r.reason for r in reviews),
        differently_in_review=sum("read back differently" in r.reason for r in reviews),
        read_backs_failed=sum(e.action == "read_back_failed" for e in events),
        verified_later=sum(e.action == "written" and "verified_later" in e.details for e in events),
        ended_before_cycle=before_cycle,
        ended_in_ping=in_ping,
        exit_codes=codes,
        seconds=round(time.monotonic() - started, 1),
        machine=machine(),
        comparison=result,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--bills", type=int, default=12, help="new AP bills before each run")
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--workdir", type=Path, default=None, help="kept when given")
    args = parser.parse_args()
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        result = run_soak(args.workdir, kills=args.kills, bills_per_run=args.bills, seed=args.seed)
    else:
        with tempfile.TemporaryDirectory(prefix="mlc-soak-") as tmp:
            result = run_soak(Path(tmp), kills=args.kills, bills_per_run=args.bills, seed=args.seed)
    figures = {k: v for k, v in asdict(result).items() if k != "comparison"}
    sys.stdout.write(json.dumps(figures, indent=2) + "\n")
    if not result.ok:
        sys.stderr.write(f"FAILED: {result.comparison}\n")
        return 1
    sys.stdout.write("OK: 0 lost, 0 doubled, 0 adjusted\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
