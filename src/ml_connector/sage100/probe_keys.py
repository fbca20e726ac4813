"""The probe's facts about data (the second half of `probe.py`): result-set separator and
the "no rows" answer, the GL account format both ways, A/P options, the history key and
which key range finds a history row, `nSetKey` + `Adjustment$` for a key posted only to
open invoices and one only in history (then `nClear`; nothing is ever written), the
by-reference read of a numeric column, the zero-fill of numeric vendor numbers, and how
data entry answers for a Receipt of Invoice vendor and under a vendor's tax schedule (a new
key, values and one line given to the header object, then `nClear`: the header's `nWrite`,
the only call that stores an invoice, is never made).

Reads here use a record terminator of our own: every record's value expression ends with
`$1E$`, so records split on chr(30) followed by whichever separator Sage appended, and a
literal "Š" inside a value cannot cut a record in two.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ml_connector.sage100.boi_calls import ComCallError, Guarded, last_error, return_code
from ml_connector.sage100.com import try_byref_kinds
from ml_connector.sage100.port import INVOICE_NO_LEN, VENDOR_NO_LEN
from ml_connector.sage100.raw_boi import SEP_COM, SEP_RAW

if TYPE_CHECKING:
    from ml_connector.sage100.probe import Probe

KEY_END = "\xfe"
_RECORD_END = re.compile(f"\x1e[{SEP_COM}{SEP_RAW}]?")
_BROWSE_LIMIT = 200  # records looked at when searching a key found in one place only
KEY_COLS = ("APDivisionNo$", "VendorNo$", "InvoiceNo$")


def read_records(
    obj: Guarded, cols: tuple[str, ...], *, filter_expr: str = "", begin: str = "", end: str = ""
) -> list[list[str]]:
    """Rows of `cols` (text, right-trimmed) through one nGetResultSets."""
    expr = "+$1F$+".join(c if c.endswith("$") else f"STR({c})" for c in cols) + "+$1E$"
    answer = obj.nGetResultSets(expr, cols[0], "", "", filter_expr, begin, end)
    if not isinstance(answer, tuple) or len(answer) < 2:
        raise TypeError(f"nGetResultSets gave {type(answer).__name__}, not (ret, values, keys)")
    if return_code(answer[0]) == 0 and answer[1]:
        raise ValueError(f"nGetResultSets failed: {last_error(obj)}")
    parts = _RECORD_END.split(str(answer[1] or ""))
    if parts and parts[-1] == "":
        parts.pop()
    return [[f.rstrip() for f in p.split("\x1f")] for p in parts]


def quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def exact(div: str, vendor: str, invoice: str) -> str:
    return (
        f"APDivisionNo$={quote(div)} AND VendorNo$={quote(vendor)} AND InvoiceNo$={quote(invoice)}"
    )


def gather_keys(probe: Probe) -> None:
    probe.step("result_separator", "Which separator ends records?", lambda: _separator(probe))
    probe.step(
        "empty_result", "What does nGetResultSets answer for no rows?", lambda: _empty(probe)
    )
    probe.step("account_format", "The GL account format, both ways", lambda: _accounts(probe))
    probe.step("ap_options", "A/P options as Sage holds them", lambda: _options(probe))
    probe.step("history_key", "How is invoice history keyed?", lambda: _history_key(probe))
    probe.step("posted_keys", "nSetKey for keys posted to open / history", lambda: _posted(probe))
    probe.step("vendor_zero_fill", "Are numeric vendor numbers zero-filled?", lambda: _zero(probe))
    probe.step(
        "receipt_of_invoice_entry",
        "Does A/P Invoice Data Entry take a P/O Receipt of Invoice vendor?",
        lambda: _receipt_of_invoice(probe),
    )
    probe.step(
        "tax_entry",
        "Under a vendor's tax schedule: can SalesTaxAmt be entered, and is tax computed as "
        "each line is written?",
        lambda: _tax_entry(probe),
    )


def _separator(probe: Probe) -> None:
    gl = probe.need("gl_accounts")
    answer = gl.nGetResultSets("AccountKey$", "AccountKey$", "", "", "", "", "")
    values = str(answer[1] or "") if isinstance(answer, tuple) and len(answer) > 1 else ""
    com, plain = values.count(SEP_COM), values.count(SEP_RAW)
    seen = "both" if com and plain else "U+0160" if com else "U+008A" if plain else None
    probe.add(
        "result_separator",
        "Which character ends each record of nGetResultSets (GL_Account_svc, AccountKey$)?",
        {"U+0160": com, "U+008A": plain, "sample": repr(values[:60])},
        f"records end with {seen}" if seen else "no records came back: unknown",
        use=seen,
        settled=seen is not None,
    )


def _empty(probe: Probe) -> None:
    gl = probe.need("gl_accounts")
    answer = gl.nGetResultSets("AccountKey$", "AccountKey$", "", "", 'AccountKey$="~~~~"', "", "")
    ret = answer[0] if isinstance(answer, tuple) else answer
    values = answer[1] if isinstance(answer, tuple) and len(answer) > 1 else None
    msg = last_error(gl)
    probe.add(
        "empty_result",
        "What does nGetResultSets answer when no row matches?",
        {"ret": repr(ret), "values": repr(values), "sLastErrorMsg": msg},
        f"return {return_code(ret)} with {'a message' if msg else 'no message'}: "
        + ("treat 0 with empty values as no rows" if not values else "values came back"),
        use={"ret": return_code(ret), "message": bool(msg)},
    )


def derive_format(pairs: list[tuple[str, str]]) -> tuple[list[int], list[str]] | None:
    """(segment lengths, separators) that every (Account, RawAccount) pair agrees on."""
    found: set[tuple[tuple[int, ...], tuple[str, ...]]] = set()
    for account, rawacct in pairs:
        parts = re.split(r"([^0-9A-Za-z])", account)
        segs, seps = parts[0::2], parts[1::2]
        if "".join(segs) != rawacct.replace(" ", ""):
            return None
        found.add((tuple(len(s) for s in segs), tuple(seps)))
    if len(found) != 1:
        return None
    lengths, separators = found.pop()
    return list(lengths), list(separators)


def _accounts(probe: Probe) -> None:
    gl = probe.need("gl_accounts")
    rows = read_records(gl, ("Account$", "RawAccount$", "AccountKey$"))
    pairs = [(r[0], r[1]) for r in rows if len(r) == 3]
    derived = derive_format(pairs) if pairs else None
    observed: dict[str, Any] = {
        "accounts": len(rows),
        "sample": [{"Account": r[0], "RawAccount": r[1], "AccountKey": r[2]} for r in rows[:3]],
        "key_lengths": sorted({len(r[2]) for r in rows if len(r) == 3}),
    }
    structure = probe.role_of("account_structure")
    if structure is not None:
        cols = tuple(probe.reported.get("account_structure", []))
        try:
            observed["GL_AccountStructure"] = {
                "columns": list(cols),
                "rows": read_records(structure, cols) if cols else [],
            }
        except (ValueError, TypeError, ComCallError) as exc:
            observed["GL_AccountStructure"] = {"error": str(exc)[:200]}
    if derived is None:
        probe.add(
            "account_format",
            "What is the GL account format (from GL_Account Account vs RawAccount)?",
            observed,
            "no single format fits every account: check the account structure in G/L Options",
            settled=False,
        )
        return
    lengths, seps = derived
    shown = "".join("9" * n + (seps[i] if i < len(seps) else "") for i, n in enumerate(lengths))
    probe.add(
        "account_format",
        "What is the GL account format (from GL_Account Account vs RawAccount)?",
        observed,
        f"{len(lengths)} segment(s) {shown}, read from GL_Account (Account vs RawAccount)",
        use={"segments": lengths, "separators": seps, "source": "GL_Account"},
    )


def _options(probe: Probe) -> None:
    opts = probe.need("ap_options")
    cols = tuple(probe.reported.get("ap_options", []))
    if not cols:
        raise ValueError("AP_Options reported no columns")
    names = [c.removesuffix("$") for c in cols]
    try:
        rows = read_records(opts, cols)
    except (ValueError, ComCallError):
        rows = []
    values = dict(zip(names, rows[0], strict=False)) if rows else {}
    picked = probe.facts.get("columns", {}).get("use") or {}
    div_col, batch_col = picked.get("divisions_flag"), picked.get("batch_flag")
    tax_col = picked.get("options_sales_tax")
    use = {
        "divisions_column": div_col,
        "batches_column": batch_col,
        "sales_tax_column": tax_col,
        "divisions": values.get(div_col) == "Y" if div_col and values else None,
        "batches": values.get(batch_col) == "Y" if batch_col and values else None,
        "sales_tax_in_ap": values.get(tax_col) == "Y" if tax_col and values else None,
    }
    probe.add(
        "ap_options",
        "A/P options: which columns hold divisions, batch entry and 'A/P calculates sales "
        "tax', and their values",
        {"values": values},
        f"divisions in {div_col or '(no known column)'}, batch entry in "
        f"{batch_col or '(no known column: set use_batches in the config)'}, sales tax in "
        f"{tax_col or '(no known column: set sales_tax_in_ap in the config)'}",
        use=use,
        settled=bool(values),
    )


def _history_key(probe: Probe) -> None:
    hist = probe.need("invoice_history")
    keys, _ = _split_keys(hist)
    observed: dict[str, Any] = {"key_columns": keys}
    ranges: dict[str, int] = {}
    if return_code(hist.nMoveFirst()) and not return_code(hist.nEOF()):
        div, vendor, inv = (str(hist.nGetValue(c, "")[1]).strip() for c in KEY_COLS)
        observed["sample_key"] = f"{div}-{vendor}-{inv}"
        for label, begin in (("invoice_no", inv), ("division_vendor", f"{div}{vendor}")):
            found = read_records(
                hist,
                KEY_COLS,
                filter_expr=exact(div, vendor, inv),
                begin=begin,
                end=begin + KEY_END,
            )
            ranges[label] = len(found)
        observed["rows_found_by_range"] = ranges
    leading = keys[0] if keys else ""
    use = "invoice_no" if leading == "InvoiceNo" else "division_vendor" if keys else None
    if ranges:
        use = "invoice_no" if ranges.get("invoice_no") else "division_vendor"
    probe.add(
        "history_key",
        "How is AP invoice history keyed, and which begin/end range finds a history row?",
        observed,
        f"key {'+'.join(keys) or '(not reported)'}; bound history reads by "
        + ("the invoice number" if use == "invoice_no" else "division + vendor")
        if use
        else "no history rows and no key columns: unknown",
        use=use,
        settled=use is not None,
    )


def _split_keys(obj: Guarded) -> tuple[list[str], str]:
    from ml_connector.sage100.raw_boi import split_list

    items, sep = split_list(obj.sGetKeyColumns())
    return [i.strip().removesuffix("$") for i in items if i.strip()], sep


def _browse_key(obj: Guarded, elsewhere: list[Guarded]) -> tuple[tuple[str, str, str], int] | None:
    """The first key of `obj` (browsing) found in none of `elsewhere`, and how many looked at;
    None when `obj` has no record at all."""
    first: tuple[str, str, str] | None = None
    moved, seen = return_code(obj.nMoveFirst()), 0
    while moved and not return_code(obj.nEOF()) and seen < _BROWSE_LIMIT:
        seen += 1
        key = tuple(str(obj.nGetValue(c, "")[1]).strip() for c in KEY_COLS)
        div, vendor, inv = key
        if len(inv) > INVOICE_NO_LEN or len(vendor) > VENDOR_NO_LEN:
            moved = return_code(obj.nMoveNext())  # cannot be keyed in data entry at all
            continue
        first = first or (div, vendor, inv)
        if not any(
            read_records(o, KEY_COLS, filter_expr=exact(div, vendor, inv)) for o in elsewhere
        ):
            return (div, vendor, inv), seen
        moved = return_code(obj.nMoveNext())
    return (first, -seen) if first else None


def _posted(probe: Probe) -> None:
    bus = probe.need("invoice_entry")
    places = {r: probe.role_of(r) for r in ("open_invoices", "invoice_history")}
    observed: dict[str, Any] = {}
    use: dict[str, Any] = {}
    for where, other in (
        ("open_invoices", "invoice_history"),
        ("invoice_history", "open_invoices"),
    ):
        obj = places[where]
        if obj is None:
            observed[where] = "no object"
            continue
        others = [o for o in (places[other], bus) if o is not None]
        found = _browse_key(obj, others)
        if found is None:
            observed[where] = "no records"
            continue
        key, seen = found
        only = seen > 0
        info: dict[str, Any] = {"key": "-".join(key), f"only_in_{where}": only}
        if where == "open_invoices":
            info["byref_numeric"] = _byref(probe, obj)
        info.update(_try_key(bus, key, probe))
        observed[where] = info
        use[where] = {
            "nSetKey": info.get("nSetKey"),
            "adjustment": info.get("Adjustment$"),
            "only_here": only,
        }
    probe.add(
        "posted_keys",
        "What do nSetKey and Adjustment$ answer on AP_Invoice_bus for a key posted only to "
        "open invoices, and one only in history (each followed by nClear, nothing written)?",
        observed,
        "; ".join(_posted_text(w, u) for w, u in use.items()) or "no posted invoices: unknown",
        use=use or None,
        settled=bool(use),
    )
    byref = observed.get("open_invoices", {})
    if isinstance(byref, dict) and "byref_numeric" in byref:
        kinds = byref["byref_numeric"]
        ok = [k for k, v in kinds.items() if v.get("ret") in ("1", "1.0") and "error" not in v]
        probe.add(
            "byref_numeric",
            "Which by-reference placeholder reads a numeric column with nGetValue?",
            kinds,
            f"accepted: {', '.join(ok) or 'none'}",
            use=ok[0] if ok else None,
            settled=bool(ok),
        )


def _posted_text(where: str, u: dict[str, Any]) -> str:
    what = "open invoice" if where == "open_invoices" else "history invoice"
    flag = u.get("adjustment")
    risk = (
        " (Sage would make it an adjustment: the pre-checks must catch it)" if flag == "Y" else ""
    )
    return f"{what}: nSetKey={u.get('nSetKey')}, Adjustment$={flag!r}{risk}"


def _try_key(bus: Guarded, key: tuple[str, str, str], probe: Probe) -> dict[str, Any]:
    out: dict[str, Any] = {}
    try:
        for col, value in zip(KEY_COLS, key, strict=True):
            if return_code(bus.nSetKeyValue(col, value)) != 1:
                out[f"nSetKeyValue({col})"] = last_error(bus)
        answer = bus.nSetKey()
        out["nSetKey"] = return_code(answer)
        out["message"] = last_error(bus)
        adj = bus.nGetValue("Adjustment$", "")
        out["Adjustment$"] = str(adj[1]).strip() if isinstance(adj, tuple) else repr(adj)
        amount_col = (probe.facts.get("columns", {}).get("use") or {}).get("invoice_amount")
        if amount_col:
            got = bus.nGetValue(amount_col, 0.0)
            out[amount_col] = str(got[1]) if isinstance(got, tuple) else repr(got)
    finally:
        out["nClear"] = return_code(bus.nClear())
    return out


def _byref(probe: Probe, obj: Guarded) -> dict[str, dict[str, str]]:
    column = (probe.facts.get("columns", {}).get("use") or {}).get("open_invoice_amount")
    column = column or "InvoiceAmt"
    tried = try_byref_kinds(obj.raw, column)
    if tried is not None:
        return tried
    answer = obj.nGetValue(column, 0.0)  # the sandbox: by-ref outputs come back as a tuple
    ret = answer[0] if isinstance(answer, tuple) else answer
    value = answer[1] if isinstance(answer, tuple) and len(answer) > 1 else None
    return {"tuple (sandbox convention)": {"ret": repr(return_code(ret)), "value": repr(value)}}


def _zero(probe: Probe) -> None:
    vendors = probe.need("vendors")
    rows = read_records(vendors, ("VendorNo$",))
    digits = [r[0] for r in rows if r and r[0].isdigit()]
    padded = [d for d in digits if len(d) == 7]
    use = None if not digits else len(padded) == len(digits)
    probe.add(
        "vendor_zero_fill",
        "Are all-digit vendor numbers stored zero-filled to 7 (MASTERNUM)?",
        {"vendors": len(rows), "all_digit": len(digits), "seven_long": len(padded)},
        "no all-digit vendor numbers on file: unknown"
        if use is None
        else "yes: zero-fill all-digit vendor numbers to 7"
        if use
        else "no: all-digit vendor numbers are kept as typed",
        use=use,
        settled=use is not None,
    )


PROBE_INVOICE_NO = "ZZPROBE"  # a new key in data entry, never written (nClear)


def _vendor_rows(probe: Probe, column: str) -> list[tuple[str, str, str]]:
    """(division, vendor, value of `column`) for every vendor with a value in it."""
    vendors = probe.need("vendors")
    rows = read_records(vendors, ("APDivisionNo$", "VendorNo$", f"{column}$"))
    return [(r[0], r[1], r[2]) for r in rows if len(r) == 3 and r[2].strip()]


def _chosen(probe: Probe, field: str) -> str | None:
    found = (probe.facts.get("columns", {}).get("use") or {}).get(field)
    return str(found) if found else None


def _new_entry(bus: Guarded, div: str, vendor: str) -> dict[str, Any]:
    """`nSetKey` on a new key of `vendor` (the caller always ends with nClear)."""
    out: dict[str, Any] = {"key": f"{div}-{vendor}-{PROBE_INVOICE_NO}"}
    for col, value in zip(KEY_COLS, (div, vendor, PROBE_INVOICE_NO), strict=True):
        bus.nSetKeyValue(col, value)
    out["nSetKey"] = return_code(bus.nSetKey())
    out["message"] = last_error(bus)
    return out


def _receipt_of_invoice(probe: Probe) -> None:
    column = _chosen(probe, "vendor_receipt_of_invoice")
    if column is None:
        raise ValueError("no Receipt of Invoice column was found on the vendors")
    flagged = [(d, v) for d, v, flag in _vendor_rows(probe, column) if flag.upper() == "Y"]
    if not flagged:
        probe.add(
            "receipt_of_invoice_entry",
            "Does A/P Invoice Data Entry take a P/O Receipt of Invoice vendor?",
            {"column": column, "vendors_flagged": 0},
            "no vendor uses Receipt of Invoice Entry: unknown (and not needed)",
            settled=False,
        )
        return
    bus = probe.need("invoice_entry")
    try:
        info = _new_entry(bus, *flagged[0])
    finally:
        cleared = return_code(bus.nClear())
    answer = info["nSetKey"]
    use = "accept" if answer == 2 else "refuse" if answer == 0 else None
    probe.add(
        "receipt_of_invoice_entry",
        "Does A/P Invoice Data Entry take a P/O Receipt of Invoice vendor?",
        {"column": column, "vendors_flagged": len(flagged), **info, "nClear": cleared},
        f"nSetKey answered {answer} ({info['message'] or 'no message'}); "
        + (
            "data entry takes them: the connector's review of these vendors is what keeps "
            "their bills out"
            if use == "accept"
            else "refused (a batch may be needed first, see the message)"
        ),
        use=use,
        settled=use is not None and not _needs_batch(info["message"]),
    )


def _needs_batch(message: str) -> bool:
    return "batch" in message.lower()


def _tax_entry(probe: Probe) -> None:
    schedule_col = _chosen(probe, "tax_schedule")
    tax_col = _chosen(probe, "sales_tax_amount")
    line_amount = _chosen(probe, "line_amount")
    if not (schedule_col and tax_col and line_amount):
        raise ValueError("the vendor tax schedule, SalesTaxAmt or line amount column is unknown")
    taxed = _vendor_rows(probe, schedule_col)
    if not taxed:
        probe.add(
            "tax_entry",
            "Under a vendor's tax schedule: can SalesTaxAmt be entered, and is tax computed "
            "as each line is written?",
            {"vendors_with_a_schedule": 0},
            "no vendor has a tax schedule: unknown (and not needed)",
            settled=False,
        )
        return
    bus = probe.need("invoice_entry")
    gl = probe.need("gl_accounts")
    accounts = [r[0] for r in read_records(gl, ("AccountKey$",)) if r and r[0]]
    per_schedule: dict[str, dict[str, Any]] = {}
    for div, vendor, schedule in taxed:  # one vendor per schedule, a few schedules
        if schedule in per_schedule or len(per_schedule) >= _TAX_SCHEDULES:
            continue
        per_schedule[schedule] = _tax_try(bus, div, vendor, tax_col, line_amount, accounts)
    use = {k: v["use"] for k, v in per_schedule.items() if v.get("use") is not None}
    observed = {k: {n: x for n, x in v.items() if n != "use"} for k, v in per_schedule.items()}
    first = next(iter(per_schedule.values()))
    probe.add(
        "tax_entry",
        "Under a vendor's tax schedule: can SalesTaxAmt be entered, and is tax computed as "
        "each line is written?",
        observed,
        "; ".join(
            f"{k}: SalesTaxAmt {'can' if u['tax_enterable'] else 'cannot'} be entered, tax "
            f"{'is' if u['computed_per_line'] else 'is not'} computed as each line is written"
            for k, u in use.items()
        )
        or "unknown: " + (first.get("message") or "data entry did not take the probe's entry"),
        use=use or None,
        settled=bool(use),
    )


_TAX_SCHEDULES = 5


def _tax_try(
    bus: Guarded, div: str, vendor: str, tax_col: str, line_amount: str, accounts: list[str]
) -> dict[str, Any]:
    """A new entry for `vendor`: SalesTaxAmt 0.01, one line of 100.00, the tax read back;
    then nClear (nothing stored)."""
    info: dict[str, Any] = {"vendor": f"{div}-{vendor}"}
    try:
        info.update(_new_entry(bus, div, vendor))
        if info["nSetKey"] == 2:
            info["set_tax"] = return_code(bus.nSetValue(tax_col, 0.01))
            info["set_tax_message"] = last_error(bus)
            lines = bus.oLines
            lines.nAddLine()
            if accounts:
                lines.nSetValue("AccountKey$", accounts[0])
            lines.nSetValue(line_amount, 100.0)
            info["line_nWrite"] = return_code(lines.nWrite())
            got = bus.nGetValue(tax_col, 0.0)
            info["tax_after_line"] = str(got[1] if isinstance(got, tuple) else got).strip()
    finally:
        info["nClear"] = return_code(bus.nClear())
    info["use"] = None
    if info.get("nSetKey") == 2 and info.get("line_nWrite") == 1:
        try:
            after: float | None = round(float(info["tax_after_line"] or 0), 2)
        except ValueError:
            after = None
        entered = 0.01 if info.get("set_tax") == 1 else 0.0
        info["use"] = {
            "tax_enterable": info.get("set_tax") == 1,
            # Sage replaced what was entered with its own figure as the line was written
            "computed_per_line": None if after is None else after != entered,
        }
    return info
