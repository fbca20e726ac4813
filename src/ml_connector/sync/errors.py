"""Errors the engine raises about one document or one decision (the `SyncError` subtree).

SyncError
├── UnmappedLineError          SKIP   a line has no valid Sage GL account: review
├── UnmappedJobCostError       SKIP   a line's Sage job / cost code / cost type is not valid
├── VendorNumberExhaustedError SKIP   no free Sage vendor number could be derived: review
└── SharedLoadError            STOP   data every document shares could not be read: the cycle
                                      ends, no document is charged (`shared_loads`)

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


class SharedLoadError(SyncError):
    """Data the whole cycle shares (Sage reference data, the invoice index, the batch)
    could not be read after a few tries: the cycle ends for this pair and the next one
    tries again. No document's attempts are charged for it (`sync.shared_loads`)."""

    action = Action.STOP
