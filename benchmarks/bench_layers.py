"""Where a backfill's wall time goes, layer by layer: `bench_sync_cycle.run_size` with a
timer around each function named on the command line.

py-spy misplaces time in this program: the engine thread and the BOI thread hand the GIL
to each other, and the Sage sandbox's WAL writes look idle, so its samples put half of the
BOI thread's time in the read-back where timers found a quarter (docs/dev-notes/
2026-12-03-fast.md). Timers are exact, and cost a microsecond or two a call.

Usage:
    python benchmarks/bench_layers.py 5000 \\
        ml_connector.sage100.boi_thread:BoiThread.run \\
        ml_connector.sage100.boi_writes:write_invoice \\
        ml_connector.store.batch:SqlStateBatch.commit

Each name is `module:attribute[.attribute]`; a function is timed wherever it is called
from (a function imported by name elsewhere before this runs is not: name it where it is
used). Prints calls, total seconds and microseconds a call, and per written bill.
"""

from __future__ import annotations

import functools
import importlib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_sync_cycle as bench  # beside this script


def timed(spec: str, totals: dict[str, list[float]]) -> None:
    """Wrap the function `spec` names so that its calls add to `totals[spec]`."""
    module_name, _, path = spec.partition(":")
    owner: Any = importlib.import_module(module_name)
    *parents, name = path.split(".")
    for part in parents:
        owner = getattr(owner, part)
    original: Callable[..., Any] = getattr(owner, name)
    spent = totals.setdefault(spec, [0.0, 0.0])

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started
            spent[1] += 1

    setattr(owner, name, wrapper)


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        raise SystemExit(__doc__)
    size = int(argv[0])
    totals: dict[str, list[float]] = {}
    for spec in argv[1:]:
        timed(spec, totals)
    measured = bench.run_size(size)
    written = max(1, measured.first.summary.written)
    print(
        f"{size:,} bills, {measured.first.summary.written:,} written, "
        f"{measured.first.wall:.2f} s wall (first cycle and the second, nothing new, below)"
    )
    for spec, (seconds, calls) in sorted(totals.items(), key=lambda kv: -kv[1][0]):
        each = seconds / calls * 1e6 if calls else 0.0
        print(
            f"  {spec}: {int(calls):,} calls, {seconds:.2f} s, {each:.1f} µs a call, "
            f"{seconds / written * 1e6:.0f} µs per written bill"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
