"""Which object and column names this company's Sage answers to, resolved once per company.

No public source confirms the names of the open-invoice and invoice-history objects, of the
A/P Options object and of its batch flag, nor the header and line amount columns. Each is a
list of candidates in the settings (`BoiNames`, `BoiColumns`); `resolve` tries them in
order on the live system: `NewObject(name)`, then `sGetColumns(<data source>)` (the data
source from `sGetDataSources()`, as Sage's own scripts call it), and keeps the first object
Sage makes whose columns include what the adapter reads. Because ProvideX reads an unknown
variable as "" (or 0), a wrong name would otherwise show up as empty data, not as an error.

`SageNames` is the result: the object and column names in use, and what was tried
(`notes`, for `ping`, `check` and `sage probe`). A role nobody answered for is None;
`SageNames.need(role)` then raises a setup error (`SageLoginError`, STOP) that names every
candidate tried, never a silent empty read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import structlog

from ml_connector.sage100.boi_calls import ComCallError
from ml_connector.sage100.boi_session import BoiSession
from ml_connector.sage100.columns import choose_columns
from ml_connector.sage100.errors import SageLoginError
from ml_connector.sage100.resultsets import split_list
from ml_connector.sage100.settings import BoiColumns

log = structlog.get_logger(__name__)

# role -> (what it is for people, columns (bare) the adapter needs from it)
_OBJECT_ROLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "open_invoices": ("open A/P invoices", ("APDivisionNo", "VendorNo", "InvoiceNo")),
    "invoice_history": ("A/P invoice history", ("InvoiceNo", "VendorNo", "HeaderSeqNo")),
    "ap_options": ("A/P Options", ("ModuleCode",)),
    "account_structure": ("the G/L account structure (optional)", ()),
    "job_cost_jobs": ("Job Cost jobs (optional)", ("JobNo",)),
    "job_cost_details": ("Job Cost cost codes (optional)", ("JobNo", "CostCode", "CostType")),
    "batch_registry": ("the company's open batches (optional)", ("ModuleCode", "BatchNo")),
}
_OPTION_FLAGS = ("batch_flag", "divisions_flag")


@dataclass(frozen=True, slots=True)
class SageNames:
    """The names the adapter uses on one company's Sage, and how they were found.

    `open_invoices`, `invoice_history`, `ap_options`, `account_structure`,
    `job_cost_jobs`, `job_cost_details`, `batch_registry`: object names; `batch_flag`,
    `divisions_flag`: A/P Options columns (bare, no `$`); None where no candidate answered.
    `option_columns`: what A/P Options reports (empty: not reported). `columns`: the column
    names in use. `tried` keeps, per role, the candidates tried in order; `notes` is (what,
    what was found) for reports.
    """

    open_invoices: str | None
    invoice_history: str | None
    ap_options: str | None
    account_structure: str | None
    job_cost_jobs: str | None
    job_cost_details: str | None
    batch_registry: str | None
    batch_flag: str | None
    divisions_flag: str | None
    columns: BoiColumns
    columns_confirmed: bool
    tried: dict[str, tuple[str, ...]] = field(default_factory=dict)
    notes: tuple[tuple[str, str], ...] = ()
    # role -> the object's key columns as `sGetKeyColumns` reports them (bare); () unknown
    key_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    option_columns: frozenset[str] = frozenset()

    def need(self, role: str) -> str:
        """The name for `role`, or the setup error naming the candidates tried."""
        value = getattr(self, role)
        if value:
            return str(value)
        what = _OBJECT_ROLES.get(role, (f"the A/P Options column for {role}", ()))[0]
        tried = ", ".join(self.tried.get(role, ())) or "none"
        setting = f"names.{role}"
        hint = (
            f"Put the name this Sage version uses first in the Sage settings ({setting}); run "
            "`ml-connector sage probe` on the Sage server to list what Sage offers."
        )
        if role in ("ap_options", "batch_flag"):
            hint += " Or set uses_batches (true/false) to say whether A/P uses batch entry."
        raise SageLoginError(
            f"Sage offers none of the names tried for {what} (tried: {tried})",
            operation="resolve_names",
            hint=hint,
        )

    def as_dict(self) -> dict[str, str | None]:
        """The resolved names, for reports (`check`, `sage probe`)."""
        return {
            "open_invoices": self.open_invoices,
            "invoice_history": self.invoice_history,
            "ap_options": self.ap_options,
            "account_structure": self.account_structure,
            "job_cost_jobs": self.job_cost_jobs,
            "job_cost_details": self.job_cost_details,
            "batch_registry": self.batch_registry,
            "batch_flag": self.batch_flag,
            "divisions_flag": self.divisions_flag,
            **{f"column.{k}": str(v) for k, v in self.columns.model_dump().items()},
        }


def reported_columns(s: BoiSession, obj: Any) -> set[str]:
    """What `obj` reports as its main table's columns (bare names); empty when nothing.

    `sGetColumns` is given the first data source `sGetDataSources()` names, as Sage's own
    scripts call it ("" when it names none). A COM exception from either (a method this
    Sage version lacks) means "not reported" while the session still answers: a probe must
    not poison every later call.
    """
    try:
        sources = split_list(obj.sGetDataSources())
    except ComCallError as exc:
        s.still_answers()
        log.info("sage_data_sources_unavailable", error=exc.message)
        sources = []
    try:
        raw = obj.sGetColumns(sources[0] if sources else "")
    except ComCallError as exc:
        s.still_answers()
        log.info("sage_columns_unavailable", error=exc.message)
        return set()
    return {name.removesuffix("$") for name in split_list(raw)}


def reported_key(s: BoiSession, obj: Any) -> tuple[str, ...]:
    """The object's key columns (`sGetKeyColumns`), bare; () when Sage does not say.

    A COM exception counts as "does not say" while the session still answers.
    """
    try:
        raw = obj.sGetKeyColumns()
    except ComCallError as exc:
        s.still_answers()
        log.info("sage_key_columns_unavailable", error=exc.message)
        return ()
    return tuple(name.removesuffix("$") for name in split_list(raw))


def _try_object(
    s: BoiSession, role: str, candidates: tuple[str, ...], notes: list[tuple[str, str]]
) -> tuple[str | None, set[str]]:
    """The first candidate Sage makes and whose columns fit `role`, with its columns."""
    what, needed = _OBJECT_ROLES[role]
    refused: list[str] = []
    for name in candidates:
        made = s.try_obj(name)
        if isinstance(made, str):
            refused.append(f"{name}: {made}")
            continue
        columns = reported_columns(s, made)
        missing = [c for c in needed if columns and c not in columns]
        if missing:
            refused.append(f"{name}: no column {', '.join(missing)}")
            continue
        how = "" if columns else " (its columns were not reported)"
        notes.append((f"object {role}", f"{name}{how}"))
        if refused:
            log.info("sage_object_fallback", role=role, used=name, refused=refused)
        return name, columns
    notes.append((f"object {role}", f"none of {', '.join(candidates)} ({'; '.join(refused)})"))
    log.warning("sage_object_missing", role=role, what=what, refused=refused)
    return None, set()


def _pick_flag(
    candidates: tuple[str, ...], columns: set[str], role: str, notes: list[tuple[str, str]]
) -> str | None:
    found = next((c for c in candidates if c in columns), None)
    notes.append((f"A/P Options {role}", found or f"none of {', '.join(candidates)} reported"))
    return found


def resolve(s: BoiSession) -> SageNames:
    """Try every candidate on the live system (a handful of calls, once per company)."""
    configured = s.settings.names
    notes: list[tuple[str, str]] = []
    found: dict[str, str | None] = {}
    columns_of: dict[str, set[str]] = {}
    for role in _OBJECT_ROLES:
        name, cols = _try_object(s, role, getattr(configured, role), notes)
        found[role] = name
        columns_of[role] = cols
    flags: dict[str, str | None] = {}
    option_cols = columns_of["ap_options"]
    for role in _OPTION_FLAGS:
        candidates: tuple[str, ...] = getattr(configured, role)
        flags[role] = _pick_flag(candidates, option_cols, role, notes) if option_cols else None
    available = {
        "entry": reported_columns(s, s.obj("AP_Invoice_bus")),
        "lines": reported_columns(s, s.obj("AP_Invoice_bus").oLines),
        "open": columns_of["open_invoices"],
        "history": columns_of["invoice_history"],
        "vendors": reported_columns(s, s.obj("AP_Vendor_svc")),
    }
    if s.settings.discover_columns:
        columns, column_notes = choose_columns(s.settings.columns, available)
        notes.extend(column_notes or [("columns", "all confirmed by sGetColumns")])
    else:
        columns = s.settings.columns
    tried = {role: tuple(getattr(configured, role)) for role in (*_OBJECT_ROLES, *_OPTION_FLAGS)}
    keys: dict[str, tuple[str, ...]] = {}
    for role in ("open_invoices", "invoice_history"):
        name = found[role]
        if name:
            keys[role] = reported_key(s, s.obj(name))
            notes.append((f"key {role}", "+".join(keys[role]) or "not reported"))
    return SageNames(
        open_invoices=found["open_invoices"],
        invoice_history=found["invoice_history"],
        ap_options=found["ap_options"],
        account_structure=found["account_structure"],
        job_cost_jobs=found["job_cost_jobs"],
        job_cost_details=found["job_cost_details"],
        batch_registry=found["batch_registry"],
        batch_flag=flags["batch_flag"],
        divisions_flag=flags["divisions_flag"],
        columns=columns,
        columns_confirmed=s.settings.discover_columns,
        tried=tried,
        notes=tuple(notes),
        key_columns=keys,
        option_columns=frozenset(option_cols),
    )
