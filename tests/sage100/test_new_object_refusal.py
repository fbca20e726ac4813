"""A refused NewObject: the reason is read from the session (`oSS.sLastErrorMsg`), whether
pvxcom raises a COM exception (the sandbox's default, as public code sees it) or answers 0;
a needed object is a setup error (STOP) and the session is kept, a fallback name is tried."""

from __future__ import annotations

from typing import Any

import pytest

from ml_connector.errors import Action
from ml_connector.sage100.errors import SageLoginError, SageSessionError
from ml_connector.sandbox.sage100 import SandboxBehaviour

REFUSALS = ["raise", "zero"]


def _behaviour(refusal: str, *refused: str) -> SandboxBehaviour:
    return SandboxBehaviour(
        refuse_objects=refused, new_object_refusal="raise" if refusal == "raise" else "zero"
    )


@pytest.mark.parametrize("refusal", REFUSALS)
def test_a_needed_object_refused_is_a_setup_error_with_sages_reason(
    company: Any, refusal: str
) -> None:
    company.behaviour = _behaviour(refusal, "AP_Vendor_bus")
    sage = company.adapter()
    with pytest.raises(SageLoginError) as err:
        sage.ping()
    assert err.value.action is Action.STOP
    assert "Object AP_Vendor_bus was not found." in err.value.message
    assert "AP_Vendor_ui" in (err.value.hint or "")
    # the session was not dropped: the refusal is an answer, not a dead server
    assert sage.session_serial == 1
    assert sage.gl_accounts()
    assert sage.session_serial == 1


@pytest.mark.parametrize("refusal", REFUSALS)
def test_a_refused_candidate_falls_back_without_losing_the_session(
    company: Any, refusal: str
) -> None:
    company.behaviour = _behaviour(refusal, "AP_InvoiceHistoryHeader_svc")
    sage = company.adapter()
    names = sage.resolved_names()
    assert names.invoice_history == "AP_InvoiceHistoryInquiry_bus"
    assert names.tried["invoice_history"][0] == "AP_InvoiceHistoryHeader_svc"
    assert sage.session_serial == 1


def test_a_newobject_on_a_dead_session_drops_it(company: Any) -> None:
    """When the session does not answer either, the COM failure is a session error."""
    real = company.script

    class Dying:
        """ProvideX.Script whose NewObject raises and whose session then fails too."""

        def __init__(self) -> None:
            self.inner = real()

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

        def NewObject(self, name: str, session: Any = None) -> Any:
            if session is not None and name == "AP_Vendor_bus":
                session.poisoned = True
                raise RuntimeError("RPC server unavailable")
            return self.inner.NewObject(name, session)

    dying = company.adapter(factory=Dying)
    with pytest.raises(SageSessionError):
        dying.ping()
    assert dying.session_serial == 2  # a new session for the next call
