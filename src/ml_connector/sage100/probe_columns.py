"""The probe's facts about columns: each object's data sources, columns and key columns
(`sGetDataSources`, `sGetColumns` with and without the table name, `sGetKeyColumns`), the
separator those lists use, and which candidate column names exist (the pair's configured
name first, then the built-in candidates of `probe.COLUMN_ROLES`).
"""

from __future__ import annotations

from typing import Any

from ml_connector.sage100.boi_calls import ComCallError
from ml_connector.sage100.probe import (
    COLUMN_ROLES,
    LINES_ROLE,
    LINES_TABLE,
    OBJECT_ROLES,
    Probe,
    configured_first,
)
from ml_connector.sage100.raw_boi import split_list


def main_table(role: str) -> str:
    return LINES_TABLE if role == LINES_ROLE else OBJECT_ROLES[role][3]


def columns(probe: Probe) -> None:
    observed: dict[str, dict[str, Any]] = {}
    needs_table: list[bool] = []
    seps: set[str] = set()
    for role, obj in probe.objects.items():
        info: dict[str, Any] = {"object": probe.names[role]}
        table = main_table(role)
        try:
            sources, sep = split_list(obj.sGetDataSources())
            info["data_sources"] = sources
            seps.add(sep)
            table = sources[0] if sources else table
        except ComCallError as exc:
            info["data_sources"] = f"not available: {exc.message[:160]}"
        with_table: list[str] = []
        try:
            with_table, sep = split_list(obj.sGetColumns(table))
            seps.add(sep)
            info["sGetColumns(table)"] = {"table": table, "count": len(with_table)}
        except ComCallError as exc:
            info["sGetColumns(table)"] = {"table": table, "error": exc.message[:160]}
        try:
            bare, _ = split_list(obj.sGetColumns())
            info["sGetColumns()"] = {"count": len(bare)}
            if with_table or bare:
                needs_table.append(not bare)
        except ComCallError as exc:
            bare = []
            info["sGetColumns()"] = {"error": exc.message[:160]}
            needs_table.append(True)
        probe.reported[role] = [n.strip() for n in (with_table or bare) if n.strip()]
        names = [n.removesuffix("$") for n in probe.reported[role]]
        probe.columns[role] = names
        info["columns"] = names
        try:
            keys, _ = split_list(obj.sGetKeyColumns())
            info["key_columns"] = [k.strip().removesuffix("$") for k in keys if k.strip()]
        except ComCallError as exc:
            info["key_columns"] = f"not available: {exc.message[:160]}"
        observed[role] = info
    probe.add(
        "data_sources",
        "Data sources, columns and key columns of each object",
        observed,
        f"columns read for {len(probe.columns)} object(s)",
        use={r: probe.columns[r] for r in probe.columns},
    )
    need = any(needs_table) if needs_table else None
    probe.add(
        "sgetcolumns_argument",
        "Does sGetColumns need the data source name as its argument?",
        {"answers_without_argument": [not n for n in needs_table]},
        "unknown: no object answered"
        if need is None
        else "yes: pass the data source (table) name"
        if need
        else "no: it also answers without an argument (passing the table name is safe)",
        use=need,
        settled=need is not None,
    )
    seps.discard("")
    if seps:
        probe.add(
            "list_separator",
            "Which character separates items of sGetColumns / sGetDataSources?",
            sorted(seps),
            f"{'/'.join(sorted(seps))} (the adapter must accept it)",
            use=sorted(seps)[0] if len(seps) == 1 else "both",
        )


def column_roles(probe: Probe) -> None:
    observed: dict[str, dict[str, Any]] = {}
    chosen: dict[str, str | None] = {}
    for col, (role, built_in) in COLUMN_ROLES.items():
        candidates = configured_first(probe.raw.settings, col, built_in)
        names = probe.columns.get(role)
        if not names:
            observed[col] = {"object": probe.names.get(role), "present": None}
            continue
        present = [c for c in candidates if c in names]
        entry: dict[str, Any] = {"object": probe.names[role], "present": present}
        if col == "batch_flag":
            entry["related"] = [n for n in names if "batch" in n.lower()]
        observed[col] = entry
        chosen[col] = present[0] if present else None
    lacking = [c for c, v in chosen.items() if v is None]
    conclusion = f"{sum(1 for v in chosen.values() if v)} of {len(COLUMN_ROLES)} names found"
    if lacking:
        conclusion += "; none of the candidates exists for " + ", ".join(lacking)
    probe.add("columns", "Which candidate column names exist?", observed, conclusion, use=chosen)
