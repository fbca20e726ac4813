"""The error tree, and what the engine does with each kind of error.

Every error the connector raises descends from `ConnectorError`. Each side has its own
subtree; what the engine *does* is decided only from `action`, never from the class:

    ConnectorError                 action: what the caller should do
    ├── ConfigError                STOP   the setup is wrong; a person must fix it
    ├── ServiceTitanError          (each concrete error sets its own action)
    ├── Sage100Error               (each concrete error sets its own action)
    ├── StoreError                 STOP   the state database failed
    └── SyncError                  (engine-level decisions)

Actions:
    RETRY  transient: try the same operation again later (lock, 429, 5xx, dropped session)
    SKIP   this record cannot go on (validation, Sage rejected it): record it, send it to
           review, carry on with the rest
    STOP   nothing more can be done in this cycle for this pair (credentials, licence, company)

Context lives in attributes, not only in the message: `operation`, `record` (the key of the
record concerned), `hint` (what a person should do) and `trace_id` (ServiceTitan's). Messages
never carry secrets.
"""

from __future__ import annotations

import enum
from typing import ClassVar


class Action(enum.Enum):
    """What the engine does with an error."""

    RETRY = "retry"
    SKIP = "skip"
    STOP = "stop"


class ConnectorError(Exception):
    """Root of every error ml-connector raises."""

    action: ClassVar[Action] = Action.STOP

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        record: str | None = None,
        hint: str | None = None,
        trace_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.record = record
        self.hint = hint
        self.trace_id = trace_id

    def describe(self) -> str:
        """One paragraph for a person: what failed, why, and what to do next."""
        parts = []
        if self.record:
            parts.append(f"{self.record}: ")
        parts.append(self.message)
        if self.trace_id:
            parts.append(f" (ServiceTitan trace id {self.trace_id})")
        if self.hint:
            parts.append(f"\n  What to do: {self.hint}")
        return "".join(parts)


class ConfigError(ConnectorError):
    """The configuration or the credentials are missing or wrong."""

    action = Action.STOP


class ServiceTitanError(ConnectorError):
    """Root of the ServiceTitan side."""


class Sage100Error(ConnectorError):
    """Root of the Sage 100 side."""


class StoreError(ConnectorError):
    """The state database failed."""

    action = Action.STOP


class SyncError(ConnectorError):
    """Root of errors the engine raises about a document or a cycle."""
