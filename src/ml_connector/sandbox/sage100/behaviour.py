"""Switches for behaviour the sandbox imitates: what public evidence says by default.

`SandboxBehaviour` is given to `ProvideXScript(root, behaviour=...)`. Defaults follow the
real system where public evidence settles it; where it does not, the default is the
sandbox's documented choice (docs/sage-sandbox.md, "Choices"), and a test flips it to check
that the adapter copes either way.

- `separator` ("Š", U+0160): ProvideX's 0x8A as COM delivers it on a Windows-1252 host
  (public BOI code splits on "Š"); `"\x8a"` gives the raw byte.
- `unknown_variables` ("empty"): ProvideX reads an undefined variable as "" or 0;
  "refuse" answers `Error #41` instead.
- `batch_browse` ("selected", a choice): a bus object with a batch selected browses only
  that batch; "all" browses every batch.
- `numbers_by_ref` ("number", a choice): `nGetValue` hands a numeric column back as a
  double; "text" hands it back as text.
- `unified_login_user` (None): `nLogon()` answers 0; a user logon makes it log on as that
  user (as unified login maps a Windows account).
- `refuse_objects` (()): object names `NewObject` refuses, to test fallbacks.
- `receipt_of_invoice` ("accept"): A/P Invoice Data Entry takes invoices of a vendor flagged
  "Use P/O Receipt of Invoice Entry" (Sage's help: "If you enter the invoice in Invoice Data
  Entry, purchase orders can be left in a backorder status", so it is allowed); "refuse"
  makes `nSetKey` answer 0 for such a vendor.
- `tax_computed` ("at_write", a choice): a taxing schedule's sales tax is computed at the
  header's `nWrite` (replacing what was entered); "per_line" computes it as each line is
  written (`oLines.nWrite`), and a `SalesTaxAmt` entered after the lines stands.
- `zero_rate_tax` ("accept", a choice): `SalesTaxAmt` may be entered under a tax schedule
  that computes no tax (rate 0); "refuse" answers 0 for it.
- `new_object_refusal` ("raise"): a refused `NewObject` raises a COM exception ("Error #90:
  ..."), as public BOI code sees pvxcom do (UAF's object discovery catches "Error: 90" for
  names it cannot make; SGE wraps NewObject in try/catch); "zero" answers 0 instead (UAF
  also checks for null). Either way the reason is on the session (`oSS.sLastErrorMsg`);
  ProvideX.Script itself has no `sLastErrorMsg` here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

COM_SEP = "\u0160"  # ProvideX's separator byte 0x8A as COM delivers it (Windows-1252 "Š")


@dataclass(frozen=True, slots=True)
class SandboxBehaviour:
    separator: str = COM_SEP
    unknown_variables: Literal["empty", "refuse"] = "empty"
    batch_browse: Literal["selected", "all"] = "selected"
    numbers_by_ref: Literal["number", "text"] = "number"
    unified_login_user: str | None = None
    refuse_objects: tuple[str, ...] = ()
    new_object_refusal: Literal["raise", "zero"] = "raise"
    receipt_of_invoice: Literal["accept", "refuse"] = "accept"
    tax_computed: Literal["at_write", "per_line"] = "at_write"
    zero_rate_tax: Literal["accept", "refuse"] = "accept"

    def __post_init__(self) -> None:
        if self.separator not in (COM_SEP, "\x8a"):
            raise ValueError("separator must be U+0160 (through COM) or U+008A (the raw byte)")

    def refuses(self, name: str) -> bool:
        return name.upper() in {n.upper() for n in self.refuse_objects}
