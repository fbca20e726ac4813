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
- `refuse_objects` (()): object names `NewObject` refuses (answers 0), to test fallbacks.
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

    def __post_init__(self) -> None:
        if self.separator not in (COM_SEP, "\x8a"):
            raise ValueError("separator must be U+0160 (through COM) or U+008A (the raw byte)")

    def refuses(self, name: str) -> bool:
        return name.upper() in {n.upper() for n in self.refuse_objects}
