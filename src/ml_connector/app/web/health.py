"""What the running connector knows about itself: per-pair cycle results and metrics.

`RuntimeStatus` is updated by the runner after every cycle and read by `/healthz`,
`/metrics` and the dashboard. Metrics live in their own Prometheus registry (never the
global one), so tests and several runners in one process do not collide.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest


@dataclass(frozen=True, slots=True)
class PairHealth:
    pair: str
    last_outcome: str = "not run yet"  # "ok", "down", "failed", "not run yet"
    last_cycle_at: datetime | None = None
    last_error: str = ""
    consecutive_failures: int = 0
    counts: Mapping[str, int] = field(default_factory=dict)


class RuntimeStatus:
    """Thread-safe per-pair health plus Prometheus metrics."""

    def __init__(self, pairs: list[str]) -> None:
        self._lock = threading.Lock()
        self._pairs = {p: PairHealth(p) for p in pairs}
        self.registry = CollectorRegistry()
        self._cycles = Counter(
            "mlc_cycles", "Sync cycles run, by outcome", ["pair", "outcome"], registry=self.registry
        )
        self._documents = Counter(
            "mlc_documents",
            "Documents by final outcome",
            ["pair", "outcome"],
            registry=self.registry,
        )
        self._last = Gauge(
            "mlc_last_cycle_timestamp_seconds",
            "When the last cycle of a pair ended (Unix time)",
            ["pair"],
            registry=self.registry,
        )
        self._up = Gauge(
            "mlc_pair_up", "1 when the last cycle of a pair ran", ["pair"], registry=self.registry
        )

    def record_cycle(
        self,
        pair: str,
        outcome: str,
        at: datetime,
        *,
        counts: Mapping[str, int] | None = None,
        error: str = "",
    ) -> None:
        with self._lock:
            before = self._pairs.get(pair, PairHealth(pair))
            failures = 0 if outcome == "ok" else before.consecutive_failures + 1
            self._pairs[pair] = replace(
                before,
                last_outcome=outcome,
                last_cycle_at=at,
                last_error=error,
                consecutive_failures=failures,
                counts=dict(counts or {}),
            )
        self._cycles.labels(pair, outcome).inc()
        for name, value in (counts or {}).items():
            if value:
                self._documents.labels(pair, name).inc(value)
        self._last.labels(pair).set(at.timestamp())
        self._up.labels(pair).set(1 if outcome == "ok" else 0)

    def pairs(self) -> list[PairHealth]:
        with self._lock:
            return list(self._pairs.values())

    def healthy(self) -> bool:
        """Healthy unless a pair's last cycle did not run (down or failed)."""
        return all(p.last_outcome in ("ok", "not run yet") for p in self.pairs())

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.healthy() else "degraded",
            "pairs": {
                p.pair: {
                    "last_outcome": p.last_outcome,
                    "last_cycle_at": p.last_cycle_at.isoformat() if p.last_cycle_at else None,
                    "last_error": p.last_error,
                    "consecutive_failures": p.consecutive_failures,
                    "counts": dict(p.counts),
                }
                for p in self.pairs()
            },
        }

    def metrics_text(self) -> bytes:
        return generate_latest(self.registry)
