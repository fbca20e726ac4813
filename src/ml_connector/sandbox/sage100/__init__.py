"""The Sage 100 sandbox: the BOI object model (ProvideX.Script surface) over SQLite.

    from ml_connector.sandbox.sage100 import ProvideXScript, init_root

    init_root(root)                      # company ABC, user sandbox / sandbox, demo seed
    pvx = ProvideXScript(root)           # what win32com.client.Dispatch("ProvideX.Script") is
    pvx.Init(str(root))
    ss = pvx.NewObject("SY_Session")
    ...

By-reference convention (shared with the BOI adapter; it mirrors what pywin32 does when it
knows a parameter is by-ref): methods with by-reference outputs (`nGetValue`,
`nGetResultSets`, `nSelectNewBatch`, `nGetRecord`) take placeholder arguments in those
positions and return a tuple `(return value, out1, out2, ...)`:

    bus.nGetValue("VendorName$", "")            -> (1, "Ferguson Enterprises #1187")
    svc.nGetResultSets("VendorName$", "VendorNo$", "", "", 'VendorStatus$="A"', "", "")
                                                -> (1, "Ferguson...Š...", "FERGUSŠ...")
    inv.nSelectNewBatch("", "N", "ServiceTitan") -> (1, "00001")

Result-set and record strings end every element with ProvideX's separator byte 0x8A, which
COM delivers as "Š" (U+0160, `COM_SEP`; `SandboxBehaviour(separator="\x8a")` gives the raw
byte, `SEP`). Return codes: 1 ok,
0 failed (`sLastErrorMsg`), `nSetKey` 2 new / 1 existing, `oLines.nAddLine` 2. See
docs/sage-sandbox.md for tables, messages, the expression subset and the fault file.
"""

from ml_connector.sandbox.sage100.behaviour import COM_SEP, SandboxBehaviour
from ml_connector.sandbox.sage100.com import IN_USE_MESSAGE, SEP
from ml_connector.sandbox.sage100.faults import SandboxComError, write_faults
from ml_connector.sandbox.sage100.locks import held_record, lock_record, unlock_record
from ml_connector.sandbox.sage100.register import post_register
from ml_connector.sandbox.sage100.root import (
    SandboxSetupError,
    add_user,
    init_root,
    set_company_access,
)
from ml_connector.sandbox.sage100.session import ProvideXScript, SySession

__all__ = [
    "COM_SEP",
    "IN_USE_MESSAGE",
    "SEP",
    "ProvideXScript",
    "SandboxBehaviour",
    "SandboxComError",
    "SandboxSetupError",
    "SySession",
    "add_user",
    "held_record",
    "init_root",
    "lock_record",
    "post_register",
    "set_company_access",
    "unlock_record",
    "write_faults",
]
