"""The controller's vendor alias table: names that mean another vendor name.

Owns loading and applying the table. A careful person knows that "CED" is Consolidated
Electrical Distributors and "PG&E" is Pacific Gas and Electric; the matcher cannot guess
that safely ("Carrier" and "CARRIER ENTERPRISE" are different payees), so the controller
writes it down once, in a CSV file next to the GL rules:

    alias,name
    CED,Consolidated Electrical Distributors
    PG&E,Pacific Gas and Electric

Names on both sides are compared normalised (`names.parse_vendor_name`: "C.E.D." = "ced"),
as a whole name, never as a word inside a name; a branch number is kept ("CED #12" is
"Consolidated Electrical Distributors #12"). An alias applies to ServiceTitan names and
to Sage names alike, so either side may carry the short form. The matcher then decides
as usual: the alias makes the names equal; it does not skip branch, division or
duplicate checks, and a code that points elsewhere is still a conflict.

Errors name the file, the line and the cause (`ConfigError`): no `alias` and `name`
columns, an empty cell, one alias given two different names, or a name that is itself an
alias (chains are not followed: write the final name).
"""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

from ml_connector.errors import ConfigError
from ml_connector.sync.vendors.names import ParsedName, parse_vendor_name

AliasPairs = tuple[tuple[str, str], ...]  # (alias, name) as written in the file


def _error(path: Path, line: int | None, cause: str) -> ConfigError:
    return ConfigError(
        f"{path.name}{'' if line is None else f' line {line}'}: {cause}",
        operation="loading vendor aliases",
        hint="fix the vendor alias file (columns alias,name; docs/matching.md)",
    )


def check_aliases(
    pairs: AliasPairs, source: Path | None = None, lines: tuple[int, ...] = ()
) -> dict[str, ParsedName]:
    """The table: compact normalised alias -> the parsed name it stands for. `lines` are
    the file's line numbers of `pairs`, for messages."""
    where = source or Path("vendor aliases")
    table: dict[str, ParsedName] = {}
    written: dict[str, str] = {}
    for i, (alias, name) in enumerate(pairs):
        n = lines[i] if i < len(lines) else None
        key = parse_vendor_name(alias).compact
        target = parse_vendor_name(name)
        if not key or not target.compact:
            raise _error(where, n, f"{alias!r} = {name!r} has nothing to match on")
        if key == target.compact:
            continue  # says nothing: the names are already equal
        if key in table and table[key].compact != target.compact:
            raise _error(where, n, f"{alias!r} is given two names ({written[key]!r}, {name!r})")
        table[key] = target
        written[key] = name
    for key, target in table.items():
        if target.compact in table:
            raise _error(
                where, None, f"{written[key]!r} is itself an alias; write the name it stands for"
            )
    return table


def load_vendor_aliases(path: Path) -> AliasPairs:
    """Read and check the CSV file (UTF-8, header `alias,name`; lines starting with # are
    comments)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(
            f"cannot read the vendor alias file {path}: {exc.strerror or exc}",
            operation="loading vendor aliases",
            hint="check the path of vendor_aliases in the config file",
        ) from exc
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1)]
    kept = [(n, line) for n, line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not kept:
        return ()
    reader = csv.reader([line for _, line in kept])
    header = [h.strip().casefold() for h in next(reader)]
    if "alias" not in header or "name" not in header:
        raise _error(path, kept[0][0], f"the header must name the columns alias,name: {header}")
    a, b = header.index("alias"), header.index("name")
    pairs: list[tuple[str, str]] = []
    numbers = tuple(n for n, _ in kept[1:])
    for n, row in zip(numbers, reader, strict=True):
        if len(row) <= max(a, b) or not row[a].strip() or not row[b].strip():
            raise _error(path, n, "each row needs an alias and a name")
        pairs.append((row[a].strip(), row[b].strip()))
    result = tuple(pairs)
    check_aliases(result, path, numbers)
    return result


def apply_alias(table: dict[str, ParsedName], parsed: ParsedName) -> ParsedName:
    """The name the alias stands for (branch kept, raw name kept for messages), or the
    name itself."""
    target = table.get(parsed.compact)
    if target is None:
        return parsed
    return replace(parsed, tokens=target.tokens, branch=parsed.branch or target.branch)
