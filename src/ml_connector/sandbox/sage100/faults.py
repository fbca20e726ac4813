"""COM-level failures, and what `ROOT/sandbox.toml` says: the fault plan and the server's zone.

`SandboxComError` mimics `pywintypes.com_error`: `args == (hresult, strerror, excepinfo,
argerr)`, with the same attribute names, so the adapter's translation of COM errors is
exercised without Windows.

```toml
[faults]
lock_rate = 0.05        # share of nSetKey / nWrite calls answering 0 with the in-use message
com_error_rate = 0.01   # share of calls raising SandboxComError; the session is then poisoned
call_latency_ms = 2     # added to every call (through the injected clock's sleep)
seed = 42               # the RNG seed; each session draws from seed + its session number
```

The file is read when a session starts (`NewObject("SY_Session")`); a missing file or
section means no faults. `[server] timezone = "America/New_York"` sets the Sage server's
zone for Date/TimeUpdated when `ProvideXScript(tz=...)` is not given (default: this
machine's zone).
"""

from __future__ import annotations

import random
import tomllib
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

FAULTS_FILE = "sandbox.toml"

DISP_E_EXCEPTION = -2147352567
RPC_E_DISCONNECTED = -2147417848
E_FAIL = -2147467259


class SandboxComError(Exception):
    """A COM exception, shaped like `pywintypes.com_error`."""

    def __init__(
        self,
        hresult: int,
        strerror: str,
        excepinfo: tuple[int, str | None, str | None, str | None, int, int] | None = None,
        argerr: int | None = None,
    ) -> None:
        super().__init__(hresult, strerror, excepinfo, argerr)
        self.hresult = hresult
        self.strerror = strerror
        self.excepinfo = excepinfo
        self.argerr = argerr


def provide_x_error(description: str) -> SandboxComError:
    """The exception ProvideX raises through COM when a call blows up inside it."""
    return SandboxComError(
        DISP_E_EXCEPTION,
        "Exception occurred.",
        (0, "ProvideX.Script", description, None, 0, E_FAIL),
        None,
    )


RPC_E_WRONG_THREAD = -2147417842


def wrong_thread() -> SandboxComError:
    """What a single-threaded-apartment COM object raises when called from another thread."""
    return SandboxComError(
        RPC_E_WRONG_THREAD,
        "The application called an interface that was marshalled for a different thread.",
        None,
        None,
    )


def disconnected() -> SandboxComError:
    """What every call on a broken session raises."""
    return SandboxComError(
        RPC_E_DISCONNECTED, "The object invoked has disconnected from its clients.", None, None
    )


@dataclass(frozen=True, slots=True)
class FaultPlan:
    lock_rate: float = 0.0
    com_error_rate: float = 0.0
    call_latency_ms: float = 0.0
    seed: int = 0

    @classmethod
    def load(cls, root: Path) -> FaultPlan:
        path = root / FAULTS_FILE
        if not path.exists():
            return cls()
        with path.open("rb") as fh:
            data = tomllib.load(fh).get("faults", {})
        plan = cls(
            lock_rate=float(data.get("lock_rate", 0.0)),
            com_error_rate=float(data.get("com_error_rate", 0.0)),
            call_latency_ms=float(data.get("call_latency_ms", 0.0)),
            seed=int(data.get("seed", 0)),
        )
        for name in ("lock_rate", "com_error_rate"):
            if not 0.0 <= getattr(plan, name) <= 1.0:
                raise ValueError(f"{path}: faults.{name} must be between 0 and 1")
        return plan

    def rng(self, session_no: int) -> random.Random:
        """A reproducible RNG for one session (different sessions draw differently)."""
        return random.Random(f"{self.seed}:{session_no}")  # noqa: S311  # faults, not secrets

    @property
    def active(self) -> bool:
        return bool(self.lock_rate or self.com_error_rate or self.call_latency_ms)


def server_timezone(root: Path) -> tzinfo | None:
    """`[server] timezone` from ROOT/sandbox.toml, or None."""
    path = root / FAULTS_FILE
    if not path.exists():
        return None
    with path.open("rb") as fh:
        name = tomllib.load(fh).get("server", {}).get("timezone")
    if not name:
        return None
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{path}: unknown server timezone {name!r}") from exc


def write_faults(root: Path, **values: float) -> None:
    """Write `ROOT/sandbox.toml` with the given `[faults]` values (test and CLI helper)."""
    lines = ["[faults]"] + [f"{k} = {v!r}" for k, v in values.items()]
    (root / FAULTS_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
