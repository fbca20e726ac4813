"""Small pieces every BOI write and read-back uses on a business object's current record:
set a column, read one, fit a text to its column, set an AP invoice's key in parts, and let
the record go with `nClear`."""

from __future__ import annotations

from typing import Any

import structlog

from ml_connector.sage100.boi_calls import ComCallError, check
from ml_connector.sage100.errors import SageVerifyError
from ml_connector.sage100.port import NewApInvoice

log = structlog.get_logger(__name__)


def set_value(obj: Any, column: str, value: str | float, record: str) -> None:
    check(obj.nSetValue(column, value), obj, f"nSetValue({column})", record=record)


def get_value(obj: Any, column: str) -> str:
    """`nGetValue` with an empty text placeholder; the value as text (numbers included:
    COM may hand a number back as a double or as text, `sage_money` parses either)."""
    answer = obj.nGetValue(column, "")
    if not isinstance(answer, tuple) or len(answer) != 2:
        raise SageVerifyError(
            f"nGetValue({column}) gave {answer!r}, expected (ret, value)",
            operation="nGetValue",
            hint="The COM by-reference adapter is not in place (see docs/sage-adapter.md).",
        )
    check(answer[0], obj, f"nGetValue({column})", record=None)
    return "" if answer[1] is None else str(answer[1])  # COM may hand back None


def fit_text(text: str, length: int, what: str, record: str) -> str:
    """`text` cut to the column's `length`, with a warning naming the record when cut."""
    if len(text) <= length:
        return text
    log.warning("sage_value_truncated", record=record, field=what, length=len(text), kept=length)
    return text[:length]


def set_key_parts(bus: Any, inv: NewApInvoice, rec: str) -> None:
    """The AP invoice key in its three parts (`nSetKeyValue`), for an `nSetKey()` to follow."""
    for col, value in (
        ("APDivisionNo$", inv.key.division_no),
        ("VendorNo$", inv.key.vendor_no),
        ("InvoiceNo$", inv.key.invoice_no),
    ):
        check(bus.nSetKeyValue(col, value), bus, f"nSetKeyValue({col})", record=rec)


def clear_record(bus: Any) -> None:
    """Abandon the current record; a failure here is logged, the first error stands."""
    try:
        bus.nClear()
    except ComCallError as exc:
        log.warning("sage_nclear_failed", error=exc.message)
