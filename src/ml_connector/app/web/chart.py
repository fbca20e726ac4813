"""The runs chart: documents per cycle over time, as an inline SVG drawn on the server.

One stacked bar per cycle (oldest left): written, sent to review, to retry; a red mark
under a cycle that failed. Values are escaped by the template engine; this module only
computes coordinates, so the chart needs no script and no fetched asset.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ml_connector.store.port import RunRecord

SERIES = (
    ("written", "#2e7d32"),
    ("sent_to_review", "#f9a825"),
    ("failed", "#c62828"),
)
WIDTH, HEIGHT, PAD = 720, 180, 24


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    color: str
    title: str


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    marks: tuple[Bar, ...]  # failed cycles
    max_value: int
    first_label: str
    last_label: str


def count(run: RunRecord, key: str) -> int:
    value = run.summary.get(key, 0)
    return int(value) if isinstance(value, int | float) else 0


def build(runs: Sequence[RunRecord], *, label: str = "%m-%d %H:%M") -> Chart:
    """`runs` newest first (as pages list them); drawn oldest first."""
    ordered = list(reversed(runs))
    top = max((sum(count(r, k) for k, _ in SERIES) for r in ordered), default=0) or 1
    inner_h = HEIGHT - 2 * PAD
    step = (WIDTH - 2 * PAD) / max(len(ordered), 1)
    bars: list[Bar] = []
    marks: list[Bar] = []
    for i, run in enumerate(ordered):
        x = PAD + i * step + step * 0.1
        width = max(step * 0.8, 1.0)
        base: float = HEIGHT - PAD
        for key, color in SERIES:
            n = count(run, key)
            if not n:
                continue
            h = inner_h * n / top
            base -= h
            title = f"run {run.id}: {n} {key.replace('_', ' ')}"
            bars.append(Bar(x, base, width, h, color, title))
        if run.status == "failed":
            marks.append(Bar(x, HEIGHT - PAD + 4, width, 6, "#c62828", f"run {run.id} failed"))
    local = [r.started_at.astimezone() for r in ordered]
    return Chart(
        WIDTH,
        HEIGHT,
        tuple(bars),
        tuple(marks),
        top,
        local[0].strftime(label) if local else "",
        local[-1].strftime(label) if local else "",
    )
