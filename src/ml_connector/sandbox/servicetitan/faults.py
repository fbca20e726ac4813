"""Faults injected on demand: random 429s and 5xx, latency, short tokens, unlicensed modules.

Syntax (the `--faults` option and `PUT /_sandbox/faults` with `{"spec": "..."}`), comma
separated `name=value` pairs, e.g. `rate429=0.2,rate5xx=0.1,latency_ms=50,token_lifetime=60,
unlicensed=inventory+jpm,seed=7`:

- `rate429` probability (0..1) that an API call answers 429 with `Retry-After`;
- `rate5xx` probability that an API call answers 500/502/503 (a transient gateway error);
- `latency_ms` added to every API call;
- `token_lifetime` seconds of new tokens (`expires_in`), overriding the default 900;
- `unlicensed` modules (joined with `+`) that answer 403 "not licensed";
- `retry_after` seconds put in the `Retry-After` of injected 429s (default 1);
- `seed` of the random draws, so that a fault sequence can be replayed.

An empty spec (or `none`) clears every fault.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field, replace
from typing import Any

from ml_connector.sandbox.servicetitan.settings import MODULES


class FaultSpecError(ValueError):
    """A faults spec that cannot be parsed; the message names the bad part."""


@dataclass(frozen=True, slots=True)
class Faults:
    """One set of faults; immutable, swapped whole by `FaultSwitch.set`."""

    rate429: float = 0.0
    rate5xx: float = 0.0
    latency_ms: int = 0
    token_lifetime: int | None = None
    unlicensed: frozenset[str] = field(default_factory=frozenset)
    retry_after: int = 1
    seed: int = 0

    @classmethod
    def parse(cls, spec: str | None) -> Faults:
        """Parse `name=value,...`; raises `FaultSpecError` naming what is wrong."""
        faults = cls()
        if spec is None or spec.strip().lower() in ("", "none"):
            return faults
        for part in spec.split(","):
            part = part.strip()
            if not part:
                continue
            name, sep, value = part.partition("=")
            if not sep:
                raise FaultSpecError(f"fault {part!r} needs a value (name=value)")
            faults = faults.with_value(name.strip(), value.strip())
        return faults

    def with_value(self, name: str, value: Any) -> Faults:
        """A copy with one fault changed; values may be strings (from the CLI) or JSON."""
        try:
            if name in ("rate429", "rate5xx"):
                rate = float(value)
                if not 0.0 <= rate <= 1.0:
                    raise FaultSpecError(f"{name} must be between 0 and 1, got {value!r}")
                if name == "rate429":
                    return replace(self, rate429=rate)
                return replace(self, rate5xx=rate)
            if name in ("latency_ms", "retry_after", "seed"):
                number = int(value)
                if number < 0:
                    raise FaultSpecError(f"{name} must not be negative, got {value!r}")
                if name == "latency_ms":
                    return replace(self, latency_ms=number)
                if name == "retry_after":
                    return replace(self, retry_after=number)
                return replace(self, seed=number)
            if name == "token_lifetime":
                if value is None or value == "":
                    return replace(self, token_lifetime=None)
                lifetime = int(value)
                if lifetime <= 0:
                    raise FaultSpecError(f"token_lifetime must be positive, got {value!r}")
                return replace(self, token_lifetime=lifetime)
            if name == "unlicensed":
                items = value if isinstance(value, list) else str(value).split("+")
                modules = frozenset(str(m).strip() for m in items if str(m).strip())
                unknown = modules - set(MODULES)
                if unknown:
                    raise FaultSpecError(
                        f"unlicensed: unknown module(s) {sorted(unknown)}; known: {list(MODULES)}"
                    )
                return replace(self, unlicensed=modules)
        except (TypeError, ValueError) as exc:
            if isinstance(exc, FaultSpecError):
                raise
            raise FaultSpecError(f"fault {name}: bad value {value!r}") from exc
        raise FaultSpecError(
            f"unknown fault {name!r}; known: rate429, rate5xx, latency_ms, token_lifetime, "
            "unlicensed, retry_after, seed"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "rate429": self.rate429,
            "rate5xx": self.rate5xx,
            "latency_ms": self.latency_ms,
            "token_lifetime": self.token_lifetime,
            "unlicensed": sorted(self.unlicensed),
            "retry_after": self.retry_after,
            "seed": self.seed,
        }


class FaultSwitch:
    """The faults in force and the random source that draws them (thread safe)."""

    def __init__(self, faults: Faults | None = None) -> None:
        self._lock = threading.Lock()
        self._faults = faults or Faults()
        self._random = random.Random(self._faults.seed)  # noqa: S311 - fault draws, not secrets

    @property
    def current(self) -> Faults:
        with self._lock:
            return self._faults

    def set(self, faults: Faults) -> None:
        with self._lock:
            self._faults = faults
            self._random = random.Random(faults.seed)  # noqa: S311 - fault draws, not secrets

    def draw(self) -> str | None:
        """'429', '5xx' or None for the next API call."""
        with self._lock:
            f = self._faults
            if f.rate429 <= 0 and f.rate5xx <= 0:
                return None
            roll = self._random.random()
            if roll < f.rate429:
                return "429"
            if roll < f.rate429 + f.rate5xx:
                return "5xx"
            return None

    def pick(self, options: tuple[int, ...]) -> int:
        with self._lock:
            return self._random.choice(options)
