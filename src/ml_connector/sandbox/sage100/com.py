"""What every sandbox COM object shares: the fault gate, `sLastErrorMsg`, `DropObject`.

Every public BOI method is wrapped with `com_call`: it first asks the owning session to let
the call through (added latency, a poisoned session raising, an injected COM error), as a
real `pvxcom.exe` call can fail at any point.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from ml_connector.sandbox.sage100.expressions import pvx_str
from ml_connector.sandbox.sage100.faults import provide_x_error

if TYPE_CHECKING:
    from ml_connector.sandbox.sage100.session import SySession

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T", bound="ComObject")

SEP = chr(138)  # ProvideX's separator byte in result sets and record strings (as stored)

IN_USE_MESSAGE = "The record is in use by another user."


class ComObject:
    """Base of the sandbox's COM objects."""

    def __init__(self, session: SySession | None) -> None:
        self._session_ref = session
        self._last_error = ""
        self._dropped = False

    def _owner(self) -> SySession:
        if self._session_ref is None:  # only SySession passes None, and overrides this
            raise provide_x_error("Object has no session")
        return self._session_ref

    def _gate(self, method: str, *, inject: bool = True) -> None:
        if self._dropped:
            raise provide_x_error(f"Error #65: object was dropped before {method}")
        self._owner()._enter(method, inject=inject)

    def com_text(self, text: str) -> str:
        """`text` as the COM caller receives it: ProvideX's 0x8A as the facade delivers it
        (`behaviour.separator`, "Š" by default)."""
        return text.replace(SEP, self._owner().script.behaviour.separator)

    def by_ref(self, value: str | float) -> str | float:
        """A value as the by-reference VARIANT carries it back (`behaviour.numbers_by_ref`)."""
        if isinstance(value, float) and self._owner().script.behaviour.numbers_by_ref == "text":
            return pvx_str(value)
        return value

    def _fail(self, message: str, code: int = 0) -> int:
        self._last_error = message
        return code

    def _ok(self, code: int = 1) -> int:
        self._last_error = ""
        return code

    @property
    def sLastErrorMsg(self) -> str:  # Sage's COM name
        self._gate("sLastErrorMsg", inject=False)
        return self._last_error

    def _release(self) -> None:
        """Free what the object holds (locks); overridden where needed."""

    def DropObject(self) -> None:  # Sage's COM name
        self._gate("DropObject", inject=False)
        self._release()
        self._dropped = True
        self._owner()._forget(self)


def com_call(fn: Callable[Concatenate[T, P], R]) -> Callable[Concatenate[T, P], R]:
    """Wrap a BOI method with the session's fault gate."""

    @functools.wraps(fn)
    def wrapper(self: T, /, *args: P.args, **kwargs: P.kwargs) -> R:
        self._gate(fn.__name__)
        return fn(self, *args, **kwargs)

    return wrapper
