"""The probe's `whole_key` fact: does `nSetKey(key)` with the whole key, the vendor number
padded to 7, open the same invoice as three `nSetKeyValue` and `nSetKey()`?

`BoiSettings.invoice_key_whole` (3 BOI calls fewer per written invoice) rests on it. The
probe gives `AP_Invoice_bus` the whole key of a new invoice (`ZZPROBE`) of the vendor with
the shortest number, reads the three key columns back with `nGetValue`, and lets the record
go with `nClear`: the header's `nWrite` is never called, nothing is stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ml_connector.sage100.boi_calls import last_error, return_code
from ml_connector.sage100.port import VENDOR_NO_LEN
from ml_connector.sage100.probe_keys import KEY_COLS, PROBE_INVOICE_NO, read_records

if TYPE_CHECKING:
    from ml_connector.sage100.probe import Probe

QUESTION = (
    "Does nSetKey with the whole key (division + vendor padded to 7 + invoice number) open "
    "the invoice the three key parts name (a new key, then nClear, nothing written)?"
)


def whole_key(probe: Probe) -> None:
    vendors = [
        (r[0], r[1]) for r in read_records(probe.need("vendors"), KEY_COLS[:2]) if len(r) == 2
    ]
    if not vendors:
        probe.add("whole_key", QUESTION, {"vendors": 0}, "no vendors: unknown", settled=False)
        return
    div, vendor = min(vendors, key=lambda v: (len(v[1]), v))  # the most padding
    key = f"{div}{vendor.ljust(VENDOR_NO_LEN)}{PROBE_INVOICE_NO}"
    bus = probe.need("invoice_entry")
    observed: dict[str, Any] = {"key": key}
    try:
        answer = return_code(bus.nSetKey(key))
        observed["nSetKey"] = answer
        observed["message"] = last_error(bus)
        for col in KEY_COLS:
            got = bus.nGetValue(col, "")
            observed[col] = str(got[1]).strip() if isinstance(got, tuple) else repr(got)
    finally:
        observed["nClear"] = return_code(bus.nClear())
    if answer not in (1, 2):
        probe.add(
            "whole_key",
            QUESTION,
            observed,
            f"nSetKey answered {answer} ({observed['message'] or 'no message'}): unknown",
            settled=False,
        )
        return
    same = [observed[c] for c in KEY_COLS] == [div, vendor, PROBE_INVOICE_NO]
    probe.add(
        "whole_key",
        QUESTION,
        observed,
        f"yes: {div}-{vendor}-{PROBE_INVOICE_NO}; invoice_key_whole may be turned on"
        if same
        else "no: the key parts read back differ; keep invoice_key_whole off",
        use=same,
    )
