"""What the connectivity check reports: one `CheckResult` per thing tried, and the rules
that turn a check's outcome (or its exception) into a row.

A row says which pair and system, what was checked, the verdict (ok / warning / FAILED /
skipped), what was found, and for a failure what to do. `guard` runs one check: a
`ConnectorError` becomes a FAILED row with the error's own message and hint; any other
exception becomes "unexpected error: <type>: <message>" and is logged (with its traceback)
to the log file only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal

import structlog

from ml_connector.errors import ConnectorError

log = structlog.get_logger(__name__)

Verdict = Literal["ok", "warning", "FAILED", "skipped"]
System = Literal["config", "servicetitan", "sage100"]

VERDICTS: tuple[Verdict, ...] = ("ok", "warning", "FAILED", "skipped")


@dataclass(frozen=True, slots=True)
class CheckResult:
    pair: str  # "" for what belongs to the whole config
    system: System
    name: str
    verdict: Verdict
    detail: str = ""
    fix: str = ""

    def to_json(self) -> dict[str, str]:
        return {
            "pair": self.pair,
            "system": self.system,
            "name": self.name,
            "verdict": self.verdict,
            "detail": self.detail,
            "fix": self.fix,
        }

    def scrubbed(self, secrets: Iterable[str]) -> CheckResult:
        """The same row with every known secret value masked (defence in depth)."""
        detail, fix = self.detail, self.fix
        for value in secrets:
            if value:
                detail = detail.replace(value, "***")
                fix = fix.replace(value, "***")
        return replace(self, detail=detail, fix=fix)


@dataclass(frozen=True, slots=True)
class CheckReport:
    config_path: str
    results: tuple[CheckResult, ...]

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if r.verdict == "FAILED"]

    @property
    def passed(self) -> bool:
        """True when nothing failed (warnings and skipped checks allowed)."""
        return not self.failed

    def counts(self) -> dict[str, int]:
        return {v: sum(1 for r in self.results if r.verdict == v) for v in VERDICTS}

    def to_json(self) -> dict[str, Any]:
        return {
            "config": self.config_path,
            "passed": self.passed,
            "counts": self.counts(),
            "checks": [r.to_json() for r in self.results],
        }


@dataclass(frozen=True, slots=True)
class Rows:
    """Builds rows for one pair and system."""

    pair: str
    system: System

    def ok(self, name: str, detail: str = "") -> CheckResult:
        return CheckResult(self.pair, self.system, name, "ok", detail)

    def warning(self, name: str, detail: str, fix: str = "") -> CheckResult:
        return CheckResult(self.pair, self.system, name, "warning", detail, fix)

    def failed(self, name: str, detail: str, fix: str = "") -> CheckResult:
        return CheckResult(self.pair, self.system, name, "FAILED", detail, fix)

    def skipped(self, name: str, why: str) -> CheckResult:
        return CheckResult(self.pair, self.system, name, "skipped", f"skipped: {why}")

    def error(self, name: str, exc: ConnectorError, fix: str | None = None) -> CheckResult:
        """A FAILED row from one of our errors: its message, and its hint unless `fix`."""
        detail = exc.message
        if exc.trace_id:
            detail += f" (ServiceTitan trace id {exc.trace_id})"
        return self.failed(name, detail, fix if fix is not None else (exc.hint or ""))

    def unexpected(self, name: str, exc: Exception) -> CheckResult:
        log.error(
            "check_unexpected_error",
            pair=self.pair,
            system=self.system,
            check=name,
            exc_info=exc,
        )
        return self.failed(
            name,
            f"unexpected error: {type(exc).__name__}: {exc}",
            "This is a fault in ml-connector, not in your settings: the log file has the "
            "details; please report it.",
        )

    def guard(self, name: str, check: Callable[[], CheckResult]) -> CheckResult:
        """Run one check; no exception gets out of it."""
        try:
            return check()
        except ConnectorError as exc:
            return self.error(name, exc)
        except Exception as exc:  # noqa: BLE001 - one broken check must not stop the others
            return self.unexpected(name, exc)
