"""`check` against a probe file: what `sage probe` found on the server, held against the
names and conventions this pair's BOI adapter will use.

    names = adapter_names(pair)                 # the one place that knows the adapter's names
    rows = probe_rows(Rows("main", "sage100"), load_probe(path), names, pair, path)

Every mismatch is a FAILED row whose fix says what to set (or that this version of
ml-connector cannot work with that server); a probe of another company, or an old one, is a
warning. The probe file itself is written by `ml-connector sage probe` (app/cli/sage.py).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ml_connector.app.check.types import CheckResult, Rows
from ml_connector.app.config.pair import PairSettings
from ml_connector.errors import ConfigError
from ml_connector.sage100 import boi_reads
from ml_connector.sage100.probe import COLUMN_ROLES
from ml_connector.sage100.settings import BoiColumns

PROBE_MAX_AGE = timedelta(days=180)


def probe_path_for(config_path: Path, pair: str) -> Path:
    """Where `sage probe` writes by default, and where `check` looks: beside the config."""
    return config_path.parent / f"sage-probe-{pair}.json"


@dataclass(frozen=True, slots=True)
class AdapterNames:
    """What the adapter of one pair will use: per object role and per column, the names it
    tries in order (one where it tries one), and its conventions. Built by `adapter_names`."""

    objects: dict[str, tuple[str, ...]]
    columns: dict[str, tuple[str, ...]]  # BoiColumns field or A/P Options flag -> names
    separators: frozenset[str]  # record separators the result-set parser accepts
    history_ranges: frozenset[str]  # history key ranges the adapter reads by
    byref_numeric: str  # the by-ref VARIANT type used for numeric nGetValue
    account_format_object: str | None  # None: derived from GL_Account
    sgetcolumns_argument: bool  # sGetColumns is given the table name
    zero_fills_vendor_numbers: bool
    setting: str = "[pairs.<pair>.sage100]"  # where a person configures names
    # object role or column -> what the adapter does without it (a warning, not a failure)
    optional: dict[str, str] = dataclasses.field(default_factory=dict)


# What the adapter does when the server has no such object or column: it goes on without it
# (documented in docs/sage-adapter.md), so `check` warns and says what is lost.
OPTIONAL: dict[str, str] = {
    "job_cost_jobs": "Job Cost is read as not installed: a [job_cost] rules section stops "
    "the cycle, and no line carries a job",
    "job_cost_details": "Job Cost jobs cannot be checked: lines with a job go to review",
    "batch_registry": "a restarted connector opens a new batch instead of finding its open "
    "one again",
    "sales_tax_amount": "tax stays on a distribution line (tax_freight = auto)",
    "freight_amount": "freight stays on a distribution line (tax_freight = auto)",
    "taxable_amount": "the read-back does not compare the taxable amount",
    "non_taxable_amount": "the read-back does not compare the non-taxable amount",
    "options_sales_tax": "'A/P calculates sales tax' reads as off: tax and freight stay on "
    "lines (set sales_tax_in_ap to say otherwise)",
    "tax_schedule": "vendors' tax schedules are not seen: a vendor whose schedule computes "
    "tax is refused by Sage at nWrite (out of balance) instead of going to review first",
    "vendor_receipt_of_invoice": "vendors that use P/O Receipt of Invoice Entry are not "
    "recognised: their bills are written in A/P Invoice Data Entry (POs may stay on "
    "backorder)",
    "line_cost_code": "Job Cost lines cannot carry a cost code",
    "line_cost_type": "Job Cost lines cannot carry a cost type",
}


def adapter_names(pair: PairSettings) -> AdapterNames:
    """The names this version's adapter tries for `pair`, and its conventions.

    Two adapter generations meet here while issue 9 lands: the one that resolves its names
    per company (`BoiSettings.names`, [pairs.<pair>.sage100.names] and [...columns]) and
    the one with fixed names. Once the first is on main everywhere, `_fixed_names` goes.
    """
    settings = importlib.import_module("ml_connector.sage100.settings")
    boi_names: Any = getattr(settings, "BoiNames", None)
    if boi_names is None:
        return _fixed_names()
    sage: Any = pair.sage100
    names = getattr(sage, "names", None) or boi_names()
    cols = getattr(sage, "columns", None) or BoiColumns()
    # With discovery on (the default) the adapter takes the first alternative the object
    # reports when the configured column is missing (ml_connector.sage100.columns).
    alternatives: dict[str, tuple[str, tuple[str, ...]]] = getattr(
        importlib.import_module("ml_connector.sage100.columns"), "_CANDIDATES", {}
    )
    columns: dict[str, tuple[str, ...]] = {
        field: tuple(
            dict.fromkeys((str(getattr(cols, field)), *alternatives.get(field, ("", ()))[1]))
        )
        for field in BoiColumns.model_fields
    }
    columns["divisions_flag"] = tuple(names.divisions_flag)
    columns["batch_flag"] = tuple(names.batch_flag)
    return AdapterNames(
        objects={
            "invoice_entry": ("AP_Invoice_bus",),
            "open_invoices": tuple(names.open_invoices),
            "invoice_history": tuple(names.invoice_history),
            "ap_options": tuple(names.ap_options),
            "ap_divisions": ("AP_Division_svc",),
            "vendors": ("AP_Vendor_svc",),
            "vendor_entry": ("AP_Vendor_bus",),
            "gl_accounts": ("GL_Account_svc",),
            **{
                role: tuple(getattr(names, role))
                for role in ("job_cost_jobs", "job_cost_details", "batch_registry")
                if hasattr(names, role)
            },
        },
        columns=columns,
        separators=frozenset({"U+0160", "U+008A", "both"}),
        history_ranges=frozenset({"invoice_no", "division_vendor"}),  # follows sGetKeyColumns
        byref_numeric="VT_BYREF|VT_VARIANT",
        account_format_object=None,  # derived from GL_Account; the structure is optional
        sgetcolumns_argument=True,
        zero_fills_vendor_numbers=True,
        setting="[pairs.<pair>.sage100.names] / [pairs.<pair>.sage100.columns]",
        optional=OPTIONAL,
    )


def _fixed_names() -> AdapterNames:
    """The adapter with fixed object and column names (before names resolved per company)."""
    cols = BoiColumns()
    invoice_objects: dict[str, str] = getattr(boi_reads, "INVOICE_OBJECTS", {})
    return AdapterNames(
        objects={
            "invoice_entry": ("AP_Invoice_bus",),
            "open_invoices": (invoice_objects.get("open", "AP_OpenInvoice_svc"),),
            "invoice_history": (invoice_objects.get("history", "AP_InvoiceHistoryHeader_svc"),),
            "ap_options": ("AP_Options_svc",),
            "ap_divisions": ("AP_Division_svc",),
            "vendors": ("AP_Vendor_svc",),
            "vendor_entry": ("AP_Vendor_bus",),
            "gl_accounts": ("GL_Account_svc",),
        },
        columns={
            **{name: (str(getattr(cols, name)),) for name in BoiColumns.model_fields},
            "divisions_flag": ("APDivisionsInUse",),
            "batch_flag": ("BatchProcessing",),
        },
        separators=frozenset({"U+008A"}),
        history_ranges=frozenset({"division_vendor"}),
        byref_numeric="VT_BYREF|VT_R8",
        account_format_object="GL_AccountStructure_svc",
        sgetcolumns_argument=False,
        zero_fills_vendor_numbers=False,
    )


def load_probe(path: Path) -> dict[str, Any]:
    """A probe file, checked for its shape (ConfigError naming the file otherwise)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"the probe file {path} cannot be read: {exc}",
            hint="Run `ml-connector sage probe --config FILE` on the Sage server again.",
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("conclusions"), dict):
        raise ConfigError(
            f"{path} is not a probe file (no conclusions)",
            hint="Give the file written by `ml-connector sage probe`.",
        )
    return data


_UPDATE = (
    "This version of ml-connector cannot follow it: install a release that does, and send "
    "the probe file to support."
)


def probe_rows(
    rows: Rows,
    probe: dict[str, Any],
    names: AdapterNames,
    pair: PairSettings,
    path: Path,
    now: datetime,
) -> list[CheckResult]:
    """One row for the file, then one per fact held against the adapter's names."""
    company = str(probe.get("company", ""))
    taken = str(probe.get("created_at", ""))
    head = f"{path} (company {company}, taken {taken[:19]})"
    if company.upper() != pair.sage100.company.upper():
        return [
            rows.warning(
                "probe file",
                f"{head}: the probe is of company {company}, the pair uses "
                f"{pair.sage100.company}; not compared",
                f"Run `ml-connector sage probe` for company {pair.sage100.company}.",
            )
        ]
    out = [_age_row(rows, head, taken, now)]
    c: dict[str, Any] = probe["conclusions"]
    out += _object_rows(rows, probe, names)
    out += _column_rows(rows, probe, names)
    out += _convention_rows(rows, c, names, pair)
    return out


def _age_row(rows: Rows, head: str, taken: str, now: datetime) -> CheckResult:
    try:
        when = datetime.fromisoformat(taken)
    except ValueError:
        return rows.warning("probe file", f"{head}: no valid date in it", "Run the probe again.")
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if now - when > PROBE_MAX_AGE:
        return rows.warning(
            "probe file",
            f"{head}: older than {PROBE_MAX_AGE.days} days",
            "Run `ml-connector sage probe` again (after a Sage upgrade especially).",
        )
    return rows.ok("probe file", head)


def _accepted(probe: dict[str, Any], role: str) -> dict[str, bool] | None:
    """Object name -> accepted, for every name the probe tried for `role`."""
    observed = (probe.get("facts", {}).get("objects") or {}).get("observed")
    tried = observed.get(role) if isinstance(observed, dict) else None
    if not isinstance(tried, dict):
        return None
    return {str(n): v == "accepted" for n, v in tried.items()}


def _object_rows(rows: Rows, probe: dict[str, Any], names: AdapterNames) -> list[CheckResult]:
    out = []
    for role, candidates in names.objects.items():
        name = f"probe: object {role}"
        tried = _accepted(probe, role)
        shown = ", ".join(candidates)
        if tried is None:
            out.append(rows.skipped(name, "not in the probe file"))
            continue
        used = next((c for c in candidates if tried.get(c)), None)
        if used is not None:
            out.append(rows.ok(name, f"{used} accepted"))
            continue
        others = [n for n, ok in tried.items() if ok]
        untried = [c for c in candidates if c not in tried]
        if others:
            detail = f"the server accepts {others[0]}, the adapter tries {shown}"
            fix = (
                f"Put {others[0]} first in names.{role} in {names.setting}, or install a "
                "release that knows it; send the probe file to support."
            )
        elif role in names.optional:
            out.append(
                rows.warning(
                    name,
                    f"the server accepts none of {', '.join(tried) or shown}: "
                    + names.optional[role],
                    f"If this Sage has it under another name, put that name first in "
                    f"names.{role} in {names.setting}; send the probe file to support.",
                )
            )
            continue
        elif untried:
            out.append(
                rows.warning(
                    name,
                    f"the probe did not try {', '.join(untried)}",
                    "Run `ml-connector sage probe` again with this version.",
                )
            )
            continue
        else:
            detail = f"the server accepts none of {', '.join(tried)} for {role}"
            fix = (
                "Give the Sage user rights to the task in Role Maintenance, or send the probe "
                "file to support to learn this object's name on your Sage version."
            )
        out.append(rows.failed(name, detail, fix))
    return out


def _column_rows(rows: Rows, probe: dict[str, Any], names: AdapterNames) -> list[CheckResult]:
    """Each column the adapter reads, against the whole column list of its object."""
    c = probe["conclusions"]
    lists: dict[str, Any] = c.get("data_sources") or {}
    chosen: dict[str, Any] = c.get("columns") or {}
    out = []
    for field, candidates in names.columns.items():
        name = f"probe: column {field}"
        role = COLUMN_ROLES[field][0] if field in COLUMN_ROLES else None
        present = lists.get(role) if role else None
        if not present:
            out.append(rows.skipped(name, "the probe could not read this object's columns"))
            continue
        used = next((n for n in candidates if n in present), None)
        if used is not None:
            out.append(rows.ok(name, f"{used} exists"))
            continue
        alt = chosen.get(field)
        shown = ", ".join(candidates)
        if field in names.optional:
            found = f"the server has {alt}, not {shown}" if alt else f"none of {shown}"
            out.append(
                rows.warning(
                    name,
                    f"{found}: {names.optional[field]}",
                    f"Set {field} = {alt!r} in {names.setting} (columns)."
                    if alt
                    else "Send the probe file to support: its data_sources fact lists "
                    "every column.",
                )
            )
        elif alt:
            out.append(
                rows.failed(
                    name,
                    f"the server has {alt}, not {shown}",
                    f"Set {field} = {alt!r} in {names.setting} (columns or names), or install "
                    "a release that knows it.",
                )
            )
        else:
            out.append(
                rows.failed(
                    name,
                    f"the server has none of {shown}",
                    "Send the probe file to support: its data_sources fact lists every column.",
                )
            )
    return out


def _convention_rows(
    rows: Rows, c: dict[str, Any], names: AdapterNames, pair: PairSettings
) -> list[CheckResult]:
    out: list[CheckResult] = []

    def compare(name: str, key: str, ok: bool, detail: str, fix: str) -> None:
        if key not in c or c[key] is None:
            out.append(rows.skipped(name, "not settled by the probe"))
        elif ok:
            out.append(rows.ok(name, detail))
        else:
            out.append(rows.failed(name, detail, fix))

    sep = c.get("result_separator")
    compare(
        "probe: result separator",
        "result_separator",
        sep in names.separators or (sep == "both" and len(names.separators) > 1),
        f"the server ends records with {sep}; the adapter accepts "
        + ", ".join(sorted(names.separators)),
        _UPDATE,
    )
    hist = c.get("history_key")
    compare(
        "probe: history key range",
        "history_key",
        hist in names.history_ranges,
        f"history rows are found by the {hist} range; the adapter bounds by "
        + " or ".join(sorted(names.history_ranges)),
        "Without this a paid invoice sent again is not found in history. " + _UPDATE,
    )
    byref = c.get("byref_numeric")
    compare(
        "probe: by-ref numeric",
        "byref_numeric",
        byref == names.byref_numeric or str(byref).startswith("tuple"),
        f"nGetValue on a number accepts {byref}; the adapter uses {names.byref_numeric}",
        "Read-backs after each write would fail. " + _UPDATE,
    )
    need = c.get("sgetcolumns_argument")
    compare(
        "probe: sGetColumns argument",
        "sgetcolumns_argument",
        not need or names.sgetcolumns_argument,
        "sGetColumns " + ("needs" if need else "does not need") + " the table name",
        "Column discovery would confirm nothing. " + _UPDATE,
    )
    zero = c.get("vendor_zero_fill")
    compare(
        "probe: vendor zero-fill",
        "vendor_zero_fill",
        bool(zero) == names.zero_fills_vendor_numbers,
        f"all-digit vendor numbers {'are' if zero else 'are not'} zero-filled on the server; "
        f"the adapter {'does' if names.zero_fills_vendor_numbers else 'does not'} zero-fill",
        "Numeric vendor numbers would not be found. " + _UPDATE,
    )
    if getattr(pair.sage100, "invoice_key_whole", False):
        whole = c.get("whole_key")
        compare(
            "probe: whole invoice key",
            "whole_key",
            whole is True,
            "nSetKey with the whole key "
            + ("opens" if whole else "does not open")
            + " the invoice its parts name; invoice_key_whole is on",
            "Set invoice_key_whole = false in [pairs.<name>.sage100]: invoices would be "
            "keyed wrongly (the read-back would then stop each one).",
        )
    objects = c.get("objects") or {}
    if names.account_format_object is not None and "objects" in c:
        if objects.get("account_structure") == names.account_format_object:
            out.append(rows.ok("probe: account format source", names.account_format_object))
        else:
            out.append(
                rows.failed(
                    "probe: account format source",
                    f"the adapter reads {names.account_format_object}, which the server "
                    "refuses; the probe read the format from GL_Account",
                    _UPDATE,
                )
            )
    opts = c.get("ap_options") or {}
    if (
        "ap_options" in c
        and opts.get("batches_column") is None
        and pair.sage100.use_batches is None
    ):
        out.append(
            rows.failed(
                "probe: batch entry",
                "no known A/P Options column says whether batch entry is on",
                "Set use_batches = true or false in [pairs.<name>.sage100] to match A/P "
                "Options > Batch entry.",
            )
        )
    return out
