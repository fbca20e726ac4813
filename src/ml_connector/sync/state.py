"""The state of one document in the ledger: which states exist and which transitions.

This is the one place that says how a document moves; the engine records every ledger
change through `put`, which refuses a transition the table does not hold.

    (none) ──> INTENT ──(writing)──> create_invoice ──> WRITTEN      (terminal)
       │         │  └──> ALREADY_IN_SAGE / REVIEW / SKIPPED
       └──> REVIEW / SKIPPED / ALREADY_IN_SAGE (decided without writing)

- INTENT: about to be written (the Sage key is reserved for the document), or a retry.
  With `last_error == WRITING` it is *writing*: `create_invoice` was called for its key,
  so the invoice may be in Sage whatever the ledger says (recovery looks for it first).
- WRITTEN: in Sage, written by us. Terminal: a new revision is reported as "changed after
  export" (the entry keeps WRITTEN), never written again, never ignored or re-queued.
- ALREADY_IN_SAGE, REVIEW, SKIPPED, REJECTED: decided without a write. A new revision, a
  re-queue or a person's decision moves the document on.
- WRITTEN is reached only from INTENT (the write) or from an INTENT/REVIEW that kept the key
  of a started write (recovery: found in Sage and ours).
"""

from __future__ import annotations

from collections.abc import Mapping

from ml_connector.errors import Action, ConnectorError
from ml_connector.store.port import LedgerEntry, LedgerStatus, StateTx

WRITING = "writing"  # INTENT.last_error while create_invoice may have reached Sage

_S = LedgerStatus
_DECIDED = frozenset({_S.INTENT, _S.ALREADY_IN_SAGE, _S.REVIEW, _S.SKIPPED, _S.REJECTED})

TRANSITIONS: Mapping[LedgerStatus | None, frozenset[LedgerStatus]] = {
    None: _DECIDED,
    _S.INTENT: _DECIDED | {_S.WRITTEN},
    _S.REVIEW: _DECIDED | {_S.WRITTEN},  # recovery of a started write that went to review
    _S.SKIPPED: _DECIDED,
    _S.REJECTED: _DECIDED,
    _S.ALREADY_IN_SAGE: _DECIDED,
    _S.WRITTEN: frozenset({_S.WRITTEN}),
}

# states that may hold the key of a write whose outcome was not recorded: an INTENT, or a
# REVIEW the document went to after `create_invoice` was called (the key is kept)
RECOVERABLE = frozenset({_S.INTENT, _S.REVIEW})


class IllegalTransitionError(ConnectorError):
    """A ledger change the state table does not allow (a bug: the cycle stops)."""

    action = Action.STOP


def allowed(before: LedgerStatus | None, after: LedgerStatus) -> bool:
    return after in TRANSITIONS[before]


def check(before: LedgerEntry | None, after: LedgerEntry) -> None:
    status = before.status if before is not None else None
    if not allowed(status, after.status):
        raise IllegalTransitionError(
            f"{after.kind} {after.doc_id}: the ledger may not go from "
            f"{status or 'nothing'} to {after.status}",
            operation="put_ledger",
            record=f"{after.kind} {after.doc_id}",
        )


# the statuses a document may hold before it moves to each status (None: not in the ledger)
SOURCES: Mapping[LedgerStatus, frozenset[LedgerStatus | None]] = {
    after: frozenset(before for before, afters in TRANSITIONS.items() if after in afters)
    for after in LedgerStatus
}


def put(tx: StateTx, entry: LedgerEntry) -> None:
    """Record `entry` if the table allows the move from what the ledger holds now. The
    check is the write's own condition (one statement, no read before it); only a refused
    write reads the entry, to say what it holds."""
    for _ in range(2):
        if tx.put_ledger(entry, from_statuses=SOURCES[entry.status]):
            return
        check(tx.get_ledger(entry.pair, entry.kind, entry.doc_id), entry)
        # allowed after all: another writer moved the entry between the two statements
    raise IllegalTransitionError(
        f"{entry.kind} {entry.doc_id}: the ledger entry changed under every attempt to "
        f"move it to {entry.status}",
        operation="put_ledger",
        record=f"{entry.kind} {entry.doc_id}",
    )


def write_started(entry: LedgerEntry | None) -> bool:
    """An INTENT marked "writing": `create_invoice` was called for its Sage key, so the
    invoice may be in Sage. The key stays with the document when it goes to review, so that
    a re-queued document is recognised (recovery), never written twice."""
    return (
        entry is not None
        and entry.status is LedgerStatus.INTENT
        and entry.last_error == WRITING
        and entry.sage_key is not None
    )
