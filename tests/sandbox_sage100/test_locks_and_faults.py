"""Record locks (another user, expiry) and injected faults (in-use, COM errors, latency)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ml_connector.clock import ManualClock
from ml_connector.sandbox.sage100 import (
    IN_USE_MESSAGE,
    SandboxComError,
    held_record,
    lock_record,
    write_faults,
)
from ml_connector.sandbox.sage100.faults import RPC_E_DISCONNECTED
from ml_connector.sandbox.sage100.testing import logged_on, new_invoice


def test_in_use_message_is_stable() -> None:
    assert IN_USE_MESSAGE == "The record is in use by another user."


def test_a_record_held_by_the_lock_command_is_in_use(root: Path) -> None:
    pvx, ss = logged_on(root, program="AP_Vendor_ui")
    bus = pvx.NewObject("AP_Vendor_bus", ss)
    with held_record(root, "ABC", "AP_Vendor", "00FERGUS", seconds=30):
        assert bus.nSetKey("00FERGUS") == 0
        assert bus.sLastErrorMsg == IN_USE_MESSAGE
        assert bus.nFind("00FERGUS") == 1  # reading is not blocked
        assert bus.nSetKey("00GRAYBAR") == 1  # other records are free
    assert bus.nSetKey("00FERGUS") == 1


def test_a_record_held_by_another_session_until_it_writes(root: Path) -> None:
    pvx1, ss1 = logged_on(root)
    pvx2, ss2 = logged_on(root)
    first, second = pvx1.NewObject("AP_Invoice_bus", ss1), pvx2.NewObject("AP_Invoice_bus", ss2)
    assert first.nSetKey("00FERGUS LOCK-1") == 2  # a new key is held too
    assert second.nSetKey("00FERGUS LOCK-1") == 0
    assert second.sLastErrorMsg == IN_USE_MESSAGE
    assert first.nClear() == 1
    assert second.nSetKey("00FERGUS LOCK-1") == 2
    second.DropObject()  # dropping releases
    assert first.nSetKey("00FERGUS LOCK-1") == 2
    ss1.nCleanup()  # so does the session's cleanup
    third = pvx2.NewObject("AP_Invoice_bus", ss2)
    assert third.nSetKey("00FERGUS LOCK-1") == 2


def test_locks_expire_and_a_stolen_lock_fails_the_write(root: Path) -> None:
    clock = ManualClock(datetime(2026, 11, 20, 15, 0, tzinfo=UTC))
    lock_record(root, "ABC", "AP_Vendor", "00FERGUS", seconds=30, clock=clock)
    pvx, ss = logged_on(root, program="AP_Vendor_ui", clock=clock)
    bus = pvx.NewObject("AP_Vendor_bus", ss)
    assert bus.nSetKey("00FERGUS") == 0
    clock.advance(31)
    assert bus.nSetKey("00FERGUS") == 1  # the holder's lock expired
    clock.advance(3600)  # ours expires as well, and someone else takes it
    lock_record(root, "ABC", "AP_Vendor", "00FERGUS", seconds=30, clock=clock)
    bus.nSetValue("TelephoneNo$", "1")
    assert bus.nWrite() == 0
    assert bus.sLastErrorMsg == IN_USE_MESSAGE


def test_register_refuses_while_an_invoice_is_held(root: Path) -> None:
    pvx, ss = logged_on(root)
    _, result = new_invoice(pvx, ss, "HELD-1", [("5000-01-100", 10.0)])
    assert result == 1
    with held_record(root, "ABC", "AP_InvoiceHeader", "00FERGUS HELD-1", seconds=30):
        upd = pvx.NewObject("AP_InvoiceRegister_upd", ss)
        upd.nProcessReport("PRINT")
        assert upd.nUpdate() == 0
        assert upd.sLastErrorMsg == IN_USE_MESSAGE


def test_lock_rate_fails_set_key_and_write_with_the_in_use_message(root: Path) -> None:
    write_faults(root, lock_rate=1.0, seed=7)
    pvx, ss = logged_on(root, program="AP_Vendor_ui")
    bus = pvx.NewObject("AP_Vendor_bus", ss)
    assert bus.nSetKey("00FERGUS") == 0
    assert bus.sLastErrorMsg == IN_USE_MESSAGE


def test_lock_rate_is_a_share_and_reproducible(root: Path) -> None:
    write_faults(root, lock_rate=0.3, seed=11)

    def run() -> list[int]:
        pvx, ss = logged_on(root, program="AP_Vendor_ui")
        bus = pvx.NewObject("AP_Vendor_bus", ss)
        out = [bus.nSetKey("00FERGUS") for _ in range(200)]
        ss.DropObject()
        return out

    first = run()
    assert 30 < first.count(0) < 90
    second = run()  # the session counter moved on: a new session draws anew
    assert second != first


def test_com_error_poisons_the_session(root: Path) -> None:
    pvx, ss = logged_on(root, program="AP_Vendor_ui")
    bus = pvx.NewObject("AP_Vendor_bus", ss)
    write_faults(root, com_error_rate=1.0)
    # the file is read when a session starts: this one is unaffected
    assert bus.nFind("00FERGUS") == 1
    pvx2 = type(pvx)(root)
    pvx2.Init(str(root))
    ss2 = pvx2.NewObject("SY_Session")
    with pytest.raises(SandboxComError) as caught:
        ss2.nSetUser("sandbox", "sandbox")
    hresult, text, excepinfo, argerr = caught.value.args
    assert hresult == caught.value.hresult == -2147352567
    assert text == "Exception occurred."
    assert excepinfo[1] == "ProvideX.Script"
    assert argerr is None
    write_faults(root)  # faults off again: the poisoned session stays broken
    with pytest.raises(SandboxComError) as again:
        ss2.nSetCompany("ABC")
    assert again.value.hresult == RPC_E_DISCONNECTED
    with pytest.raises(SandboxComError):
        _ = ss2.sLastErrorMsg


def test_objects_of_a_poisoned_session_raise_too(root: Path) -> None:
    write_faults(root, com_error_rate=0.05, seed=3)
    pvx, ss = None, None
    for _ in range(20):  # find a session that survives logon
        try:
            pvx, ss = logged_on(root, program="AP_Vendor_ui")
            bus = pvx.NewObject("AP_Vendor_bus", ss)
            break
        except SandboxComError:
            continue
    assert ss is not None
    calls = 0
    try:
        while calls < 1000:
            bus.nFind("00FERGUS")
            calls += 1
    except SandboxComError:
        pass
    assert 0 < calls < 1000  # a 5% rate fails well within 1000 calls
    with pytest.raises(SandboxComError) as caught:
        bus.nFind("00FERGUS")
    assert caught.value.hresult == RPC_E_DISCONNECTED
    with pytest.raises(SandboxComError):
        pvx.NewObject("AP_Vendor_svc", ss)


def test_latency_goes_through_the_clock(root: Path) -> None:
    write_faults(root, call_latency_ms=5)
    clock = ManualClock()
    logged_on(root, clock=clock)
    assert all(s == pytest.approx(0.005) for s in clock.slept)
    assert len(clock.slept) >= 5


def test_objects_are_bound_to_the_thread_that_made_the_script(root: Path) -> None:
    import threading

    from ml_connector.sandbox.sage100.faults import RPC_E_WRONG_THREAD

    pvx, ss = logged_on(root, program="AP_Vendor_ui")
    svc = pvx.NewObject("AP_Vendor_svc", ss)
    caught: list[BaseException] = []

    def other_thread() -> None:
        try:
            svc.nFind("00FERGUS")
        except SandboxComError as exc:
            caught.append(exc)

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join()
    assert [getattr(e, "hresult", None) for e in caught] == [RPC_E_WRONG_THREAD]
    assert svc.nFind("00FERGUS") == 1  # the session itself is fine
    free = type(pvx)(root, apartment="free")
    free.Init(str(root))
    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(free.NewObject("SY_Session")))
    worker.start()
    worker.join()
    assert result


def test_a_poisoned_session_frees_its_records(root: Path) -> None:
    pvx, ss = logged_on(root, program="AP_Vendor_ui")
    holder = pvx.NewObject("AP_Vendor_bus", ss)
    assert holder.nSetKey("00FERGUS") == 1
    ss.faults = type(ss.faults)(com_error_rate=1.0)  # the next call kills the session
    with pytest.raises(SandboxComError):
        holder.nSetValue("FaxNo$", "1")
    pvx2, ss2 = logged_on(root, program="AP_Vendor_ui")
    assert pvx2.NewObject("AP_Vendor_bus", ss2).nSetKey("00FERGUS") == 1
