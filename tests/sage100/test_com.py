"""The COM factory's thin parts, tested with a pywin32-like fake (no pywin32 here)."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from ml_connector.sage100.com import (
    CO_E_CLASSSTRING,
    REGDB_E_CLASSNOTREG,
    ByRefAdapter,
    ProvideXComFactory,
    com_unavailable,
)
from ml_connector.sage100.errors import SageUnavailableError


class FakeVariant:
    """Like win32com.client.VARIANT: COM writes the by-ref output into `.value`."""

    def __init__(self, placeholder: object) -> None:
        self.value = placeholder


class FakeLines:
    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []

    def nGetValue(self, column: str, out: object) -> int:  # Sage's name
        self.calls.append((column, out))
        if isinstance(out, FakeVariant):
            out.value = "600001100"
        return 1


class FakeDispatch:
    """A late-bound dispatch without type info: by-ref outputs are lost unless VARIANTs."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[object, ...]]] = []
        self.batches = 0
        self._lines = FakeLines()

    @property
    def oLines(self) -> FakeLines:
        return self._lines

    def NewObject(self, name: str, session: object = None) -> Any:
        self.calls.append(("NewObject", (name, session)))
        return FakeDispatch()

    def nSetKey(self) -> int:
        return 2

    def nGetValue(self, column: str, out: object) -> int:
        self.calls.append(("nGetValue", (column, out)))
        if isinstance(out, FakeVariant):
            out.value = 12.5 if isinstance(out.value, float) else "FERGUSON"
        return 1

    def nGetResultSets(
        self, v: str, k: str, vals: object, keys: object, f: str, b: str, e: str
    ) -> Any:
        self.calls.append(("nGetResultSets", (v, k, vals, keys, f, b, e)))
        return (1, "A\x8a", "K\x8a")  # type info known: pywin32 gives the tuple itself

    def nSelectNewBatch(self, out: object, private: str, desc: str) -> int:
        self.batches += 1
        if isinstance(out, FakeVariant):
            out.value = f"{self.batches:05d}"
        return 1


class NoTypeInfoDispatch:
    """Like pywin32 without type info: an unflagged zero-argument method is *run* when its
    name is fetched, and the fetch answers its result."""

    def __init__(self) -> None:
        self.flagged: set[str] = set()
        self.runs = 0

    def _FlagAsMethod(self, *names: str) -> None:  # pywin32's name
        self.flagged.update(names)

    def __getattr__(self, name: str) -> Any:
        if name == "nWrite":
            if name in self.flagged:
                return self._write
            return self._write()  # fetched as a property: runs now, answers 1
        raise AttributeError(name)

    def _write(self) -> int:
        self.runs += 1
        return 1

    @property
    def oLines(self) -> Any:
        return FakeCallableDispatch()


class FakeCallableDispatch:
    """pywin32's CDispatch is callable (the default member); it is still an object."""

    _oleobj_ = object()

    def __call__(self) -> None:
        raise AssertionError("the default member must not be called")

    def nAddLine(self) -> int:
        return 2


def test_methods_are_flagged_so_pywin32_never_runs_them_on_attribute_access() -> None:
    raw = NoTypeInfoDispatch()
    com = ByRefAdapter(raw, FakeVariant)
    assert com.nWrite() == 1
    assert raw.runs == 1
    assert "nWrite" in raw.flagged
    lines = com.oLines
    assert isinstance(lines, ByRefAdapter)
    assert lines.nAddLine() == 2


def test_a_scalar_answer_is_retried_with_variants_and_the_method_remembered() -> None:
    raw = FakeDispatch()
    com = ByRefAdapter(raw, FakeVariant)
    assert com.nGetValue("VendorName$", "") == (1, "FERGUSON")
    assert com.nGetValue("InvoiceAmt", 0.0) == (1, 12.5)
    methods = [(name, type(args[1]).__name__) for name, args in raw.calls]
    # First call plain (lost output), then VARIANT; afterwards VARIANT straight away.
    assert methods == [
        ("nGetValue", "str"),
        ("nGetValue", "FakeVariant"),
        ("nGetValue", "FakeVariant"),
    ]


def test_a_tuple_answer_passes_through_untouched() -> None:
    raw = FakeDispatch()
    assert ByRefAdapter(raw, FakeVariant).nGetResultSets("A$", "K$", "", "", "", "", "") == (
        1,
        "A\x8a",
        "K\x8a",
    )
    assert len(raw.calls) == 1


def test_methods_that_must_not_run_twice_always_get_variants() -> None:
    raw = FakeDispatch()
    com = ByRefAdapter(raw, FakeVariant)
    assert com.nSelectNewBatch("", "N", "connector") == (1, "00001")
    assert raw.batches == 1  # no second batch created by a probe call


def test_objects_coming_back_are_adapted_and_adapted_arguments_unwrapped() -> None:
    raw = FakeDispatch()
    com = ByRefAdapter(raw, FakeVariant)
    session = com.NewObject("SY_Session")
    bus = com.NewObject("AP_Invoice_bus", session)
    assert isinstance(bus, ByRefAdapter)
    assert raw.calls[-1][1][1] is session.raw  # COM receives the real dispatch
    assert bus.nSetKey() == 2
    assert bus.oLines.nGetValue("AccountKey$", "") == (1, "600001100")


@pytest.mark.parametrize(
    ("hresult", "words"),
    [(CO_E_CLASSSTRING, "Invalid class string"), (REGDB_E_CLASSNOTREG, "Class not registered")],
)
def test_registration_errors_explain_the_usual_causes(hresult: int, words: str) -> None:
    err = com_unavailable(Exception(hresult, "x", None, None))
    assert isinstance(err, SageUnavailableError)
    assert words in err.message
    assert err.hint is not None
    assert "workstation" in err.hint
    assert "bitness" in err.hint


@pytest.mark.skipif(sys.platform == "win32", reason="checks the non-Windows refusal")
def test_the_factory_refuses_off_windows_with_a_hint() -> None:
    with pytest.raises(SageUnavailableError, match="only on Windows"):
        ProvideXComFactory()()
