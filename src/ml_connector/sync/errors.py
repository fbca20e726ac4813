"""Errors the engine raises about one document or one decision (the `SyncError` subtree).

SyncError
├── UnmappedLineError          SKIP   a line has no valid Sage GL account: review
├── UnmappedJobCostError       SKIP   a line's Sage job / cost code / cost type is not valid
└── VendorNumberExhaustedError SKIP   no free Sage vendor number could be derived: review

The engine adds its own here; keep each one small, with its context in attributes.
"""

from __future__ import annotations

from ml_connector.errors import Action, SyncError


class UnmappedLineError(SyncError):
    """No rule gives this line an active Sage GL account (and no fallback is configured).

    `account` is the account a rule produced (None when no rule matched), `rule` the rule's
    name (None when none matched); the message says which and why.
    """

    action = Action.SKIP

    def __init__(
        self,
        message: str,
        *,
        account: str | None = None,
        rule: str | None = None,
        record: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, operation="map GL account", record=record, hint=hint)
        self.account = account
        self.rule = rule


class VendorNumberExhaustedError(SyncError):
    """Every vendor number derived from a name is taken (practically never happens)."""

    action = Action.SKIP


class UnmappedJobCostError(SyncError):
    """A line's Sage job, cost code or cost type is not one Sage would take (no such job,
    not active, or the cost code + cost type is not set up on the job): review."""

    action = Action.SKIP
