"""Return codes and Sage's messages become our errors; COM exceptions are fenced off."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from ml_connector.errors import Action
from ml_connector.sage100.boi_calls import (
    ComCallError,
    Guarded,
    check,
    classify_failure,
    return_code,
)
from ml_connector.sage100.errors import RecordLockedError, SageLoginError, SageRejectedError


@pytest.mark.parametrize(
    ("raw", "code"), [(None, 0), ("", 0), (1, 1), (-1, -1), (2.0, 2), ("1", 1), (True, 1)]
)
def test_return_codes_are_normalised(raw: object, code: int) -> None:
    assert return_code(raw) == code


@pytest.mark.parametrize(
    "message",
    [
        "The record is in use by another user.",
        "Error #0: File busy",
        "Batch 00012 is currently being updated by another workstation",
        "Record is locked",
    ],
)
def test_in_use_messages_are_retryable_locks(message: str) -> None:
    exc = classify_failure(message, operation="nSetKey", record="00-ABC invoice 1")
    assert isinstance(exc, RecordLockedError)
    assert exc.action is Action.RETRY
    assert exc.record == "00-ABC invoice 1"


def test_validation_messages_are_rejections_carrying_sages_own_text() -> None:
    exc = classify_failure("AccountKey 999999999 is not on file.", operation="nWrite")
    assert isinstance(exc, SageRejectedError)
    assert exc.action is Action.SKIP
    assert exc.sage_message == "AccountKey 999999999 is not on file."
    assert "not on file" in exc.message


@pytest.mark.parametrize(
    ("message", "step", "hint_word"),
    [
        ("Invalid user logon or password.", "logon", "password"),
        ("Company code XYZ is invalid.", "company", "External Access"),
        ("Invalid date '2026': use YYYYMMDD.", "module date", "module date"),
        ("You do not have security access to Invoice Data Entry.", "rights", "Role Maintenance"),
    ],
)
def test_session_failures_are_fatal_with_what_to_fix(
    message: str, step: str, hint_word: str
) -> None:
    exc = classify_failure(message, operation="open", phase="session", step=step)
    assert isinstance(exc, SageLoginError)
    assert exc.action is Action.STOP
    assert exc.hint is not None
    assert hint_word.lower() in exc.hint.lower()


def test_missing_rights_on_a_record_are_fatal_too() -> None:
    exc = classify_failure(
        "You do not have security rights to create records in AP_Vendor_ui.", operation="nWrite"
    )
    assert isinstance(exc, SageLoginError)


class _Obj:
    sLastErrorMsg = "Duplicate PO number"  # Sage's name

    def nBoom(self) -> int:  # Sage-style name
        raise OSError("RPC server unavailable")


def test_check_logs_a_warning_for_minus_one_and_raises_for_zero() -> None:
    with capture_logs() as logs:
        assert check(-1, _Obj(), "nWrite", record="r") == -1
    assert logs[0]["event"] == "sage_warning"
    assert logs[0]["message"] == "Duplicate PO number"
    with pytest.raises(SageRejectedError, match="Duplicate PO number"):
        check(0, _Obj(), "nWrite")
    assert check(2, _Obj(), "nSetKey") == 2


def test_guarded_turns_any_exception_of_the_object_into_a_com_call_error() -> None:
    guarded = Guarded(_Obj(), "bus")
    assert guarded.sLastErrorMsg == "Duplicate PO number"
    with pytest.raises(ComCallError, match=r"bus\.nBoom failed in COM") as info:
        guarded.nBoom()
    assert isinstance(info.value.__cause__, OSError)
    with pytest.raises(ComCallError):
        _ = guarded.nMissing
