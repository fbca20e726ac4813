"""The COM factory: `ProvideX.Script` through pywin32, on Windows. The one module that
imports pywin32 (lazily, inside functions), so that everything else runs anywhere.

`ProvideXComFactory()` is what `BoiSage100` is given on a Sage server. It is called on the
BOI thread, which it first prepares with `pythoncom.CoInitialize()`; creation errors that
mean "ProvideX is not registered for this Python" become `SageUnavailableError` with the
usual causes as the hint.

`ByRefAdapter` adapts pywin32's late binding to the shared by-reference convention
(placeholders in, `(ret, out1, ...)` out). pywin32 returns by-ref outputs as a tuple only
when the type information says a parameter is by-ref; when a by-ref method answers a bare
scalar instead, the adapter calls it again with `VARIANT(VT_BYREF | VT_VARIANT, "")` (what
public VBScript and PowerShell BOI code passes) in the by-ref positions and reads `.value`
back, and remembers that the method needs it. Methods that must not run twice (`nGetNext...No`,
`nSelectNewBatch`) always get VARIANTs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from ml_connector.sage100.errors import SageUnavailableError

PROG_ID = "ProvideX.Script"

CO_E_CLASSSTRING = -2147221005  # "Invalid class string": the ProgID is not registered
REGDB_E_CLASSNOTREG = -2147221164  # "Class not registered" (for this bitness)

# Method name -> positions of its by-reference arguments.
BYREF_POSITIONS: dict[str, tuple[int, ...]] = {
    "nGetValue": (1,),
    "nGetResultSets": (2, 3),
    "nGetRecord": (0, 1),
    "nSelectNewBatch": (0,),
}
_NOT_REPEATABLE_PREFIX = "nGetNext"  # nGetNextVendorNo(byref no) etc.: position 0, never twice
_NOT_REPEATABLE = {"nSelectNewBatch"}
_PROPERTIES = {
    "sLastErrorMsg",
    "sModuleDate",
    "sModuleCode",
    "sCompanyCode",
    "sUserCode",
    "sUserLogon",
}

_CAUSES = (
    "Usual causes: the Sage 100 workstation components are not installed on this machine "
    "(run the Sage 100 workstation setup); or Python's bitness does not match ProvideX's "
    "(pvxcom.exe is 32-bit on most releases: use 32-bit Python, or 64-bit Python with a "
    "64-bit Sage 100 2024+); or the COM registration is damaged (re-run Workstation Setup "
    "as administrator). See docs/sage-adapter.md."
)

VariantMaker = Callable[[object], Any]


def is_property(name: str) -> bool:
    """BOI properties the adapter reads: `sLastErrorMsg`, `sModuleDate`..., and `oLines`-style
    object handles. Everything else it uses (`nSetKey`, `sGetColumns`, `Init`...) is a method.
    """
    return name in _PROPERTIES or (name[:1] == "o" and name[1:2].isupper())


def byref_positions(method: str) -> tuple[int, ...]:
    if method.startswith(_NOT_REPEATABLE_PREFIX) and method.endswith("No"):
        return (0,)
    return BYREF_POSITIONS.get(method, ())


class ByRefAdapter:
    """Wraps a pywin32 dispatch so by-ref methods answer `(ret, out...)`.

    `make_variant(placeholder)` builds a by-ref VARIANT for a placeholder (injected so the
    adapter is tested without pywin32). Objects returned by `NewObject` and `o...`
    properties are wrapped too; wrapped arguments are unwrapped before the call.
    """

    __slots__ = ("_learned", "_make_variant", "_obj")

    def __init__(self, obj: Any, make_variant: VariantMaker, learned: set[str] | None = None):
        object.__setattr__(self, "_obj", obj)
        object.__setattr__(self, "_make_variant", make_variant)
        object.__setattr__(self, "_learned", learned if learned is not None else set())

    @property
    def raw(self) -> Any:
        return self._obj

    def _wrap(self, value: Any) -> Any:
        if value is None or isinstance(value, str | int | float | bool | tuple):
            return value
        return ByRefAdapter(value, self._make_variant, self._learned)

    def __getattr__(self, name: str) -> Any:
        if is_property(name):
            value = getattr(self._obj, name)
            return self._wrap(value) if name.startswith("o") else value
        flag = getattr(self._obj, "_FlagAsMethod", None)
        if flag is not None:
            # Without type information pywin32 fetches an unknown name as a property, which
            # would run a method such as nSetKey() on attribute access; say it is a method.
            flag(name)
        value = getattr(self._obj, name)
        positions = byref_positions(name)
        if name == "NewObject":
            return lambda *args: self._wrap(value(*_unwrap(args)))
        if not positions:
            return lambda *args: value(*_unwrap(args))
        return lambda *args: self._call_byref(name, value, positions, _unwrap(args))

    def __setattr__(self, name: str, value: object) -> None:
        setattr(self._obj, name, value)

    def _call_byref(
        self, name: str, method: Any, positions: tuple[int, ...], args: tuple[object, ...]
    ) -> tuple[Any, ...]:
        always = name in _NOT_REPEATABLE or name.startswith(_NOT_REPEATABLE_PREFIX)
        if not always and name not in self._learned:
            answer = method(*args)
            if isinstance(answer, tuple):
                return answer
            self._learned.add(name)  # type info did not mark the outputs: use VARIANTs
        variants = {p: self._make_variant(args[p] if p < len(args) else "") for p in positions}
        call_args = [variants.get(i, a) for i, a in enumerate(args)]
        ret = method(*call_args)
        if isinstance(ret, tuple):  # pywin32 may still hand back (ret, outs...)
            ret = ret[0]
        return (ret, *(variants[p].value for p in positions))


def _unwrap(args: tuple[object, ...]) -> tuple[object, ...]:
    return tuple(a.raw if isinstance(a, ByRefAdapter) else a for a in args)


def com_unavailable(exc: BaseException) -> SageUnavailableError:
    """The error for a failed `Dispatch("ProvideX.Script")`."""
    hresult = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
    if hresult == CO_E_CLASSSTRING:
        what = f"{PROG_ID} is not registered (Invalid class string, {hresult})"
    elif hresult == REGDB_E_CLASSNOTREG:
        what = (
            f"{PROG_ID} class is not registered for this process (Class not registered, {hresult})"
        )
    else:
        what = f"{PROG_ID} could not be created ({exc!r})"
    return SageUnavailableError(what, operation="Dispatch", hint=_CAUSES)


class ProvideXComFactory:
    """Creates `ProvideX.Script` on the BOI thread (Windows, pywin32)."""

    def __init__(self, prog_id: str = PROG_ID) -> None:
        self.prog_id = prog_id

    @property
    def share_key(self) -> tuple[str, str]:
        """Adapters with the same ProgID, Home and user share one session per process."""
        return ("com", self.prog_id.casefold())

    def thread_started(self) -> None:
        import pythoncom  # Windows only; imported where it is used

        try:
            pythoncom.CoInitialize()
        except pythoncom.com_error as exc:
            raise SageUnavailableError(
                f"COM could not be initialised on the BOI thread: {exc!r}",
                operation="CoInitialize",
                hint=_CAUSES,
            ) from exc

    def thread_stopping(self) -> None:
        import pythoncom  # Windows only

        pythoncom.CoUninitialize()

    def __call__(self) -> ByRefAdapter:
        if sys.platform != "win32":
            raise SageUnavailableError(
                "the ProvideX COM server exists only on Windows",
                operation="Dispatch",
                hint="Run the connector on the Sage 100 server or a workstation with the Sage "
                "100 workstation components, or use the sandbox for testing.",
            )
        import pythoncom  # Windows only
        import win32com.client  # Windows only

        try:
            script = win32com.client.Dispatch(self.prog_id)
        except pythoncom.com_error as exc:
            raise com_unavailable(exc) from exc
        return ByRefAdapter(script, _pywin32_variant)


def _pywin32_variant(placeholder: object) -> Any:
    """A by-reference VARIANT holding the placeholder, as VBScript and PowerShell pass it
    (`VT_BYREF | VT_VARIANT`); the callee may put any type in it, and the adapter parses
    numbers from whatever comes back (text or a double)."""
    import pythoncom  # Windows only
    import win32com.client  # Windows only

    return win32com.client.VARIANT(pythoncom.VT_BYREF | pythoncom.VT_VARIANT, placeholder)


BYREF_KINDS = ("VT_BYREF|VT_VARIANT", "VT_BYREF|VT_BSTR", "VT_BYREF|VT_R8")


def try_byref_kinds(obj: Any, column: str) -> dict[str, dict[str, str]] | None:
    """For the probe: `nGetValue(column, placeholder)` with each by-ref VARIANT type on the
    pywin32 object under a `ByRefAdapter`, and what came back; None when `obj` is not one."""
    if not isinstance(obj, ByRefAdapter) or sys.platform != "win32":
        return None
    import pythoncom  # Windows only
    import win32com.client  # Windows only

    kinds = {
        "VT_BYREF|VT_VARIANT": (pythoncom.VT_VARIANT, 0.0),
        "VT_BYREF|VT_BSTR": (pythoncom.VT_BSTR, ""),
        "VT_BYREF|VT_R8": (pythoncom.VT_R8, 0.0),
    }
    dispatch = obj.raw
    out: dict[str, dict[str, str]] = {}
    for label in BYREF_KINDS:
        vt, initial = kinds[label]
        try:
            dispatch._FlagAsMethod("nGetValue")
            placeholder = win32com.client.VARIANT(pythoncom.VT_BYREF | vt, initial)
            ret = dispatch.nGetValue(column, placeholder)
            out[label] = {"ret": repr(ret), "value": repr(placeholder.value)}
        except Exception as exc:  # noqa: BLE001 - a refusal is the answer the probe records
            out[label] = {"error": repr(exc)[:300]}
    return out
