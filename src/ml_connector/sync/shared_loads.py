"""Reads the whole cycle shares, told apart from a document's own Sage work.

Reference data (the account format, GL accounts, divisions, the company's options, the
vendor list, ServiceTitan's budget codes), the cycle's AP batch, and the session itself
with its invoice index (rebuilt with every new session) are read once for all the
documents of a cycle. They used to be read lazily by whichever document needed them first,
so a failure while reading them was charged to that document as one of its attempts; and
since every cycle starts with the oldest pending documents, the same bill bore it cycle
after cycle until `max_attempts` sent it to review (found by `scripts/soak_kill.py`: one
bill of 3,540 under 1 % COM errors per BOI call).

Now a document's attempts count only failures of its own work: the look-ups of its key
and reference, its vendor and job, its write and the read-back. A shared read goes through
`shared_load`: a transient failure (a dropped session, a held record) is tried again, on a
new session, up to `SHARED_LOAD_TRIES` times in all; then `SharedLoadError` (STOP) ends the
cycle for the pair, reported as the cycle's failure, and the next cycle tries again. A
document that makes ProvideX fail every time still fails in its own calls, and still goes
to review after `max_attempts`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ml_connector.errors import Action, ConnectorError
from ml_connector.sync.errors import SharedLoadError

T = TypeVar("T")

SHARED_LOAD_TRIES = 3  # each after a transient failure, on a new session


def retried(load: Callable[[], T], *, tries: int = SHARED_LOAD_TRIES) -> T:
    """`load()`, tried again after a transient failure (`Action.RETRY`: the adapter has
    dropped the session, so each try is on a new one), `tries` times in all; then the last
    failure is raised unchanged. Errors that are not transient pass through at once."""
    for _ in range(tries - 1):
        try:
            return load()
        except ConnectorError as exc:
            if exc.action is not Action.RETRY:
                raise
    return load()


def shared_load(what: str, load: Callable[[], T], *, verb: str = "read") -> T:
    """`load()`, tried again after a transient failure; `SharedLoadError` when it keeps
    failing. Errors that are not transient (STOP, SKIP) pass through unchanged."""
    try:
        return retried(load)
    except ConnectorError as exc:
        if exc.action is not Action.RETRY:
            raise
        last = exc
    raise SharedLoadError(
        f"{what} could not be {verb} ({SHARED_LOAD_TRIES} tries; last: {last.message}); the "
        "cycle ended before the remaining documents, none of them was charged an attempt, "
        "and the next cycle tries again",
        operation=f"{verb} {what}",
        hint=last.hint or "check that Sage and ServiceTitan are reachable",
    ) from last
