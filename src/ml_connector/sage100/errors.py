"""Errors of the Sage 100 side, each with the action the engine takes.

Sage100Error
├── SageLoginError          STOP   user, password, company, rights, module date
├── SageUnavailableError    STOP   ProvideX.Script missing / Home path wrong / COM not registered
├── SageSessionError        RETRY  a COM-level exception poisoned the session; a new one is opened
├── RecordLockedError       RETRY  a record or batch is in use by another user
├── InvoiceExistsError      SKIP   the division + vendor + invoice number is already in Sage
├── SageRejectedError       SKIP   Sage refused this record (its own message in `sage_message`)
├── VendorExistsError       SKIP   the vendor number asked for is taken
└── SageVerifyError         STOP   a read-back differs from what was written; bad result set
    └── SageReadBackError   STOP   written (nWrite answered 1), but the read-back could not run
"""

from __future__ import annotations

from ml_connector.errors import Action, Sage100Error


class SageLoginError(Sage100Error):
    """Logon, company, module date or task rights were refused."""

    action = Action.STOP


class SageUnavailableError(Sage100Error):
    """Sage cannot be reached at all on this machine (COM class, Home path)."""

    action = Action.STOP


class SageSessionError(Sage100Error):
    """A COM-level failure: the session is dropped and must be opened again."""

    action = Action.RETRY


class RecordLockedError(Sage100Error):
    """Another user holds the record or batch; try again later."""

    action = Action.RETRY


class SageRejectedError(Sage100Error):
    """Sage refused the record; `sage_message` is Sage's own text."""

    action = Action.SKIP

    def __init__(self, message: str, *, sage_message: str = "", **kwargs: str | None) -> None:
        super().__init__(message, **kwargs)
        self.sage_message = sage_message


class InvoiceExistsError(Sage100Error):
    """Division + vendor + invoice number already exist (entry, open or history).

    Writing anyway would turn into an adjustment that adds to the existing invoice,
    so the adapter refuses instead.
    """

    action = Action.SKIP

    def __init__(self, message: str, *, where: str = "", **kwargs: str | None) -> None:
        super().__init__(message, **kwargs)
        self.where = where


class VendorExistsError(Sage100Error):
    """The vendor number asked for already exists."""

    action = Action.SKIP


class SageVerifyError(Sage100Error):
    """Sage answered something the adapter cannot trust: an invoice read back after `nWrite`
    differs from what was written, or a result set has the wrong shape.

    Stops the cycle: the column mapping (`BoiColumns`) or Sage itself needs a person.
    """

    action = Action.STOP


class SageReadBackError(SageVerifyError):
    """The invoice was written (`nWrite` answered 1), but the read-back after it could not
    run: COM faults or record locks kept failing it through every retry. Nothing was found
    wrong; the engine keeps the write started (its key and the "writing" mark) and reads the
    invoice back again in a later cycle. Stops the cycle all the same: a session that cannot
    read is most likely down."""
