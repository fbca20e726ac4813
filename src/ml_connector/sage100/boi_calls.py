"""BOI return codes and messages, turned into our errors; COM exceptions, fenced off.

Every BOI method answers 1 (ok), 0 (failed: the reason is in `sLastErrorMsg` of the object
that failed) or -1 (ok with a warning, also in `sLastErrorMsg`). `nSetKey` answers 2 for a
new key. COM can hand back None, floats or strings for these: `return_code` normalises.

`classify_failure` decides what a failure means for the engine, from Sage's own message:
another user holds the record (retry), the logon / company / rights / module date are wrong
(stop, with what to fix), or Sage refused this document (skip, with Sage's message).

`Guarded` wraps an object with the ProvideX.Script surface so that any exception raised by
the object itself becomes `ComCallError`: the session is poisoned and must be dropped.
Exceptions of our own code are not touched by it.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import structlog

from ml_connector.errors import Sage100Error
from ml_connector.sage100.errors import RecordLockedError, SageLoginError, SageRejectedError

log = structlog.get_logger(__name__)

Phase = Literal["session", "object", "record"]

_LOCKED = re.compile(
    r"in use|locked|lock |busy|being (used|updated|edited|accessed)|another (user|workstation)"
    r"|error #0\b|currently (open|accessed)|record is held",
    re.IGNORECASE,
)
_RIGHTS = re.compile(
    r"security|access (is )?denied|not authori[sz]ed|no (access|rights|permission)"
    r"|permission|insufficient rights|role",
    re.IGNORECASE,
)
_MODULE_DATE = re.compile(r"module date|posting date|accounting date|period", re.IGNORECASE)

_SESSION_HINTS = {
    "logon": "Check the Sage user name and password in the connector settings, and that the "
    "user is not locked out in User Maintenance.",
    "company": "Check the company code (3 characters), and in Company Maintenance > Preferences "
    "tick 'Allow External Access'.",
    "module date": "Set a valid module date for the connector (or clear it to use today), and "
    "check that the period is open in A/P and G/L Options.",
    "rights": "Give the Sage user a role with Create/Modify/View rights on A/P Invoice Data "
    "Entry, A/P Vendor Maintenance and G/L Account Maintenance (Role Maintenance > Tasks).",
}


class ComCallError(Sage100Error):
    """Raised by `Guarded` when the COM object itself raised; the session is poisoned."""


def return_code(value: object) -> int:
    """A BOI return value as an int: None (COM's 'nothing') is 0."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float | str):
        return int(float(value))
    raise TypeError(f"unexpected BOI return value {value!r}")


def last_error(obj: Any) -> str:
    """`sLastErrorMsg` of an object, stripped; "" when it has none."""
    msg = obj.sLastErrorMsg
    return "" if msg is None else str(msg).strip()


def classify_failure(
    message: str,
    *,
    operation: str,
    record: str | None = None,
    phase: Phase = "record",
    step: str = "",
) -> Sage100Error:
    """The error for a BOI call that answered 0 with `message` in `sLastErrorMsg`.

    `phase` says where it happened: while opening the session (logon, company, module
    date, task), while creating a business object, or while working on one record.
    """
    shown = message or "(Sage gave no message)"
    if _LOCKED.search(message):
        return RecordLockedError(
            f"{operation}: record in use in Sage: {shown}",
            operation=operation,
            record=record,
            hint="Another user or workstation holds this record or batch; it is retried later.",
        )
    if phase == "session" or phase == "object" or _RIGHTS.search(message):
        if phase == "session":
            key = step or ("module date" if _MODULE_DATE.search(message) else "logon")
        else:
            key = "rights"
        return SageLoginError(
            f"{operation}: Sage refused: {shown}",
            operation=operation,
            record=record,
            hint=_SESSION_HINTS.get(key, _SESSION_HINTS["rights"]),
        )
    return SageRejectedError(
        f"{operation}: Sage rejected it: {shown}",
        sage_message=message,
        operation=operation,
        record=record,
        hint="Correct the document (or the mapping that produced it) and send it again.",
    )


def check(
    ret: object,
    obj: Any,
    operation: str,
    *,
    record: str | None = None,
    phase: Phase = "record",
    step: str = "",
) -> int:
    """Raise the classified error when `ret` is 0; log the warning when it is -1."""
    code = return_code(ret)
    if code == 0:
        raise classify_failure(
            last_error(obj), operation=operation, record=record, phase=phase, step=step
        )
    if code == -1:
        log.warning("sage_warning", operation=operation, record=record, message=last_error(obj))
    return code


class Guarded:
    """A ProvideX.Script-like object whose own exceptions become `ComCallError`.

    Methods and properties are reached as attributes, as with the COM object. Objects that
    come back (`NewObject`, `oLines`) are wrapped too; `Guarded` arguments are unwrapped
    before they are passed on.
    """

    __slots__ = ("_methods", "_name", "_obj")

    def __init__(self, obj: Any, name: str) -> None:
        object.__setattr__(self, "_obj", obj)
        object.__setattr__(self, "_name", name)
        # methods reached before, kept: a write calls the same few dozens of times (a
        # property is read from the object every time)
        object.__setattr__(self, "_methods", {})

    @property
    def raw(self) -> Any:
        return self._obj

    def __getattr__(self, attr: str) -> Any:
        method: _GuardedMethod | None = self._methods.get(attr)
        if method is not None:
            return method
        where = f"{self._name}.{attr}"
        try:
            value = getattr(self._obj, attr)
        except Exception as exc:
            raise ComCallError(f"{where} failed in COM: {exc!r}", operation=where) from exc
        if callable(value):
            method = self._methods[attr] = _GuardedMethod(value, where)
            return method
        if attr.startswith("o") and value is not None:
            return Guarded(value, where)
        return value

    def __setattr__(self, attr: str, value: object) -> None:
        raise AttributeError(f"{self._name}: BOI properties are not set from the connector")


class _GuardedMethod:
    __slots__ = ("_fn", "_where")

    def __init__(self, fn: Any, where: str) -> None:
        self._fn = fn
        self._where = where

    def __call__(self, *args: object) -> Any:
        plain = tuple(a.raw if isinstance(a, Guarded) else a for a in args)
        try:
            result = self._fn(*plain)
        except Exception as exc:
            raise ComCallError(
                f"{self._where} failed in COM: {exc!r}", operation=self._where
            ) from exc
        if self._where.endswith(".NewObject") and result is not None and result != 0:
            return Guarded(result, f"{plain[0]}")
        return result
