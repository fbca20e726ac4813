"""Counters the tests and benchmarks read back (`GET /_sandbox/stats`)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Stats:
    """Tokens issued, requests per path and status, 429s and 5xx sent (thread safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._counters: Counter[str] = Counter()
            self._paths: Counter[str] = Counter()
            self._statuses: Counter[str] = Counter()

    def bump(self, name: str, by: int = 1) -> None:
        with self._lock:
            self._counters[name] += by

    def request(self, path: str, status: int) -> None:
        with self._lock:
            self._counters["requests"] += 1
            self._paths[path] += 1
            self._statuses[str(status)] += 1
            if status == 429:
                self._counters["sent_429"] += 1
            elif status >= 500:
                self._counters["sent_5xx"] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "tokens_issued": self._counters["tokens_issued"],
                "token_requests": self._counters["token_requests"],
                "token_refused": self._counters["token_refused"],
                "requests": self._counters["requests"],
                "sent_429": self._counters["sent_429"],
                "sent_5xx": self._counters["sent_5xx"],
                "unauthorized": self._counters["unauthorized"],
                "requests_per_path": dict(self._paths),
                "responses_per_status": dict(self._statuses),
            }
