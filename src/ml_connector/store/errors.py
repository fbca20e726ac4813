"""Errors of the state database, each with the action the engine takes.

StoreError (ml_connector.errors)   STOP   the state database failed
├── StoreBusyError                 RETRY  another writer held the database past the busy
│                                         timeout (SQLite), or PostgreSQL chose this
│                                         transaction as a deadlock / serialisation victim
├── SageKeyTakenError              SKIP   another document already holds this Sage key
│                                         (division + vendor + invoice number) in the ledger
├── VendorLinkTakenError           SKIP   the ServiceTitan vendor or the Sage vendor is
│                                         already linked to someone else
├── StoreNotFoundError             STOP   a run, review item or outbox item id that does not
│                                         exist (a bug in the caller, not in the data)
└── PairBusyError                  RETRY  another process holds the pair's lease (one
                                          writer per pair): try again after its cycle

SQLAlchemy and driver errors are translated at the boundary (`ml_connector.store.sql`),
chained with `from`. Messages carry the operation and the record, never the SQL
parameters or the database password.
"""

from __future__ import annotations

from ml_connector.errors import Action, StoreError
from ml_connector.store.port import PairLease, SageKeyRef


class StoreBusyError(StoreError):
    """The database was locked by another writer for longer than the busy timeout."""

    action = Action.RETRY


class SageKeyTakenError(StoreError):
    """Two documents claimed the same Sage key; the second one is not written.

    `key` is the contested key; `holder` names the ledger row holding it when known
    (for example "ap_bill 123"), empty when the clash was detected by the database index.
    """

    action = Action.SKIP

    def __init__(
        self,
        key: SageKeyRef,
        *,
        claimant: str,
        holder: str = "",
        operation: str | None = "put_ledger",
    ) -> None:
        held = f" already held by {holder}" if holder else " already held by another document"
        super().__init__(
            f"Sage key division {key.division_no} vendor {key.vendor_no} "
            f"invoice {key.invoice_no} is{held}; {claimant} is not written",
            operation=operation,
            record=claimant,
            hint="two documents map to one Sage invoice number: review both in ServiceTitan",
        )
        self.key = key
        self.claimant = claimant
        self.holder = holder


class VendorLinkTakenError(StoreError):
    """A link for this ServiceTitan vendor, or to this Sage vendor, already exists."""

    action = Action.SKIP


class StoreNotFoundError(StoreError):
    """An id passed in (run, review item, outbox item) does not exist."""

    action = Action.STOP


class PairBusyError(StoreError):
    """Another process holds the pair's lease: this one does not run a cycle for it.

    `lease` is the holder's lease (host, pid, command, since when, until when)."""

    action = Action.RETRY

    def __init__(self, lease: PairLease) -> None:
        since = lease.acquired_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        until = lease.expires_at.strftime("%H:%M:%S UTC")
        super().__init__(
            f"pair {lease.pair} is being synced by another process: `{lease.command}`, pid "
            f"{lease.pid} on {lease.host}, since {since} (lease renewed until {until})",
            operation="take_lease",
            hint="wait for that cycle to end and try again; a lease whose process died frees"
            " itself (at once on the same machine, at its expiry from another one)",
        )
        self.lease = lease

    def as_dict(self) -> dict[str, object]:
        """The holder, for JSON output."""
        held = self.lease
        return {
            "pair": held.pair,
            "host": held.host,
            "pid": held.pid,
            "command": held.command,
            "since": held.acquired_at.isoformat(),
            "expires_at": held.expires_at.isoformat(),
            "message": self.describe(),
        }


class UserExistsError(StoreError):
    """A web app user of that name exists already."""

    action = Action.STOP
