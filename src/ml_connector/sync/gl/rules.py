"""The GL rules file a controller edits: what it may say, and reading it.

Owns `GlRules` (load from TOML or CSV, or the built-in default) and the rule types. Reading
checks the file's own shape (names, dimensions, sources, kinds of values) and reports the
file, the line and the rule; checks that need Sage (segment lengths, active accounts) happen
when a `GlMapper` is built. The schema is documented in docs/matching.md with an example in
docs/examples/gl-rules.toml. In short:

    fallback = "9999-00-000"     # optional: unmapped lines go here, flagged, not to review
    st_account_rule = true       # append "ServiceTitan GL account number = Sage account"

    [[rule]]
    name = "Freight"             # unique; the audit log names the rule that mapped a line
    when = { line_kind = "freight" }        # every condition must hold; "*" and "?" glob
    account = "5900-00-000"                 # whole account...

    [[rule]]
    name = "Materials by cost code and business unit"
    when = { budget_code = ["MAT*", "EQP"] }
    segments.1 = { from = "budget_code", map = { "MAT" = "5000", "EQP" = "5100" } }
    segments.2 = { from = "business_unit", map = { "HVAC Service" = "01" }, default = "00" }
    segments.3 = "100"                      # ...or segment by segment

    [job_cost]                   # optional: Job Cost on AP lines (see sync/gl/jobcost.py)
"""

from __future__ import annotations

import csv
import fnmatch
import io
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ml_connector.errors import ConfigError

if TYPE_CHECKING:
    from ml_connector.sync.gl.jobcost import JobCostRules

DIMENSIONS: Final = (
    "st_gl_account",
    "budget_code",
    "business_unit",
    "job_type",
    "category",
    "line_kind",
)
ST_ACCOUNT_RULE_NAME: Final = "ServiceTitan GL account number = Sage account"
_RULE_HEADER = re.compile(r"^\s*\[\[\s*rule\s*\]\]")


def norm_key(value: str) -> str:
    """How dimension values and map keys compare: trimmed, case-insensitive."""
    return " ".join(value.split()).upper()


@dataclass(frozen=True, slots=True)
class Condition:
    """`dimension` matches one of `patterns` (globs, case-insensitive; "" = no value)."""

    dimension: str
    patterns: tuple[str, ...]

    def holds(self, value: str | None) -> bool:
        key = norm_key(value or "")
        for pattern in self.patterns:
            if pattern == "":
                if not key:
                    return True
            elif key and fnmatch.fnmatchcase(key, pattern):
                return True
        return False


@dataclass(frozen=True, slots=True)
class SegmentSource:
    """One segment's value: a literal, or a dimension's value (through a map)."""

    literal: str | None = None
    source: str | None = None
    mapping: Mapping[str, str] | None = None
    default: str | None = None


@dataclass(frozen=True, slots=True)
class GlRule:
    name: str
    when: tuple[Condition, ...] = ()
    account: str | None = None  # a whole account, formatted or raw
    account_from: str | None = None  # ...or a dimension whose value is (or maps to) one
    account_map: Mapping[str, str] | None = None
    segments: tuple[tuple[int, SegmentSource], ...] = ()
    origin: str = ""  # "gl-rules.toml line 12", for messages

    def applies(self, values: Mapping[str, str | None]) -> bool:
        return all(c.holds(values.get(c.dimension)) for c in self.when)


ST_ACCOUNT_RULE: Final = GlRule(
    name=ST_ACCOUNT_RULE_NAME, account_from="st_gl_account", origin="built-in rule"
)


@dataclass(frozen=True, slots=True)
class GlRules:
    """An ordered list of rules (first that applies wins) and an optional fallback."""

    rules: tuple[GlRule, ...] = (ST_ACCOUNT_RULE,)
    fallback: str | None = None
    source: str = "built-in default rules"
    job_cost: JobCostRules | None = None  # the [job_cost] section (TOML only)

    @classmethod
    def default(cls) -> GlRules:
        """One rule: the line's ServiceTitan GL account number is an active Sage account."""
        return cls()

    @classmethod
    def load(cls, path: Path | str) -> GlRules:
        """Read a .toml or .csv rules file; `ConfigError` names the file, line and cause."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise ConfigError(
                f"cannot read GL rules file {path}: {exc.strerror or exc}",
                operation="load GL rules",
                hint="check the path in the configuration",
            ) from exc
        if path.suffix.lower() == ".csv":
            return cls.parse_csv(text, source=str(path))
        return cls.parse_toml(text, source=str(path))

    @classmethod
    def parse_toml(cls, text: str, *, source: str = "<gl rules>") -> GlRules:
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise _bad(source, None, f"not valid TOML: {exc}") from exc
        known = {"version", "fallback", "st_account_rule", "rule", "job_cost"}
        for key in doc:
            if key not in known:
                raise _bad(source, None, f"unknown top-level key {key!r} (known: {sorted(known)})")
        if doc.get("version", 1) != 1:
            raise _bad(source, None, f"version {doc['version']!r} is not supported (use 1)")
        raw_rules = doc.get("rule", [])
        if not isinstance(raw_rules, list):
            raise _bad(source, None, "'rule' must be an array of tables: write [[rule]]")
        lines = [n for n, line in enumerate(text.splitlines(), 1) if _RULE_HEADER.match(line)]
        rules = []
        for index, raw in enumerate(raw_rules):
            line = lines[index] if index < len(lines) and len(lines) == len(raw_rules) else None
            where = f"{source} line {line}" if line else f"{source} rule {index + 1}"
            rules.append(_rule(raw, where))
        fallback = doc.get("fallback")
        if fallback is not None and (not isinstance(fallback, str) or not fallback.strip()):
            raise _bad(source, None, "'fallback' must be an account number as a string")
        include_st = doc.get("st_account_rule", True)
        if not isinstance(include_st, bool):
            raise _bad(source, None, "'st_account_rule' must be true or false")
        built = cls._build(rules, fallback, include_st, source)
        if "job_cost" not in doc:
            return built
        # imported here: jobcost builds on this module's conditions
        from ml_connector.sync.gl.jobcost import parse_job_cost

        return replace(built, job_cost=parse_job_cost(doc["job_cost"], source))

    @classmethod
    def parse_csv(cls, text: str, *, source: str = "<gl rules>") -> GlRules:
        """Columns: name, the dimensions (conditions; "|" between alternatives), account.
        A row named "fallback" sets the fallback account. The ServiceTitan-account rule is
        appended."""
        reader = csv.DictReader(io.StringIO(text))
        columns = {"name", "account", *DIMENSIONS}
        header = [c.strip() for c in reader.fieldnames or []]
        unknown = [c for c in header if c not in columns]
        if "name" not in header or "account" not in header or unknown:
            raise _bad(
                source,
                1,
                f"the header must have 'name' and 'account' and may have {list(DIMENSIONS)}; "
                f"unknown: {unknown}",
            )
        rules, fallback = [], None
        for row in reader:
            where = f"{source} line {reader.line_num}"
            cells = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
            if cells.get("name", "").lower() == "fallback":
                fallback = cells.get("account") or None
                continue
            raw: dict[str, Any] = {"name": cells.get("name", ""), "account": cells["account"]}
            when = {d: cells[d].split("|") for d in DIMENSIONS if cells.get(d)}
            if when:
                raw["when"] = when
            rules.append(_rule(raw, where))
        return cls._build(rules, fallback, True, source)

    @classmethod
    def _build(
        cls, rules: list[GlRule], fallback: str | None, include_st: bool, source: str
    ) -> GlRules:
        seen: dict[str, str] = {}
        for rule in rules:
            if rule.name in seen:
                raise ConfigError(
                    f"{rule.origin}: rule name {rule.name!r} is used twice "
                    f"(also {seen[rule.name]})",
                    operation="load GL rules",
                    hint="give every rule its own name; the audit log cites it",
                )
            seen[rule.name] = rule.origin
        if include_st:
            rules.append(ST_ACCOUNT_RULE)
        return cls(tuple(rules), fallback.strip() if fallback else None, source)


def _bad(source: str, line: int | None, cause: str) -> ConfigError:
    where = f"{source} line {line}" if line else source
    return ConfigError(
        f"{where}: {cause}",
        operation="load GL rules",
        hint="fix the GL rules file (see docs/examples/gl-rules.toml)",
    )


def _fail(where: str, name: str, cause: str) -> ConfigError:
    label = f" rule {name!r}" if name else ""
    return ConfigError(
        f"{where}{label}: {cause}",
        operation="load GL rules",
        hint="fix the GL rules file (see docs/examples/gl-rules.toml)",
    )


def _dimension(value: Any, where: str, name: str, what: str) -> str:
    if value not in DIMENSIONS:
        raise _fail(where, name, f"{what} {value!r} is not a dimension (use one of {DIMENSIONS})")
    return str(value)


def _text(value: Any, where: str, name: str, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _fail(where, name, f"{what} must be text, not {value!r}")
    return str(value).strip()


def _map(value: Any, where: str, name: str, what: str) -> dict[str, str]:
    if not isinstance(value, dict) or not value:
        raise _fail(where, name, f"{what} must be a non-empty table of value = result")
    return {
        norm_key(str(k)): _text(v, where, name, f"{what}[{k!r}]").upper() for k, v in value.items()
    }


def _rule(raw: Any, where: str) -> GlRule:
    if not isinstance(raw, dict):
        raise _fail(where, "", "a rule must be a table")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _fail(where, "", "every rule needs a name (text)")
    name = name.strip()
    known = {"name", "when", "account", "account_from", "map", "segments"}
    for key in raw:
        if key not in known:
            raise _fail(where, name, f"unknown key {key!r} (known: {sorted(known)})")
    when = raw.get("when", {})
    if not isinstance(when, dict):
        raise _fail(where, name, "'when' must be a table of dimension = value(s)")
    conditions = []
    for dim, value in when.items():
        _dimension(dim, where, name, "'when' key")
        values = value if isinstance(value, list) else [value]
        if not values:
            raise _fail(where, name, f"'when.{dim}' is an empty list")
        patterns = tuple(norm_key(_text(v, where, name, f"'when.{dim}'")) for v in values)
        conditions.append(Condition(dim, patterns))
    kinds = [k for k in ("account", "account_from", "segments") if k in raw]
    if len(kinds) != 1:
        raise _fail(where, name, "give exactly one of 'account', 'account_from', 'segments'")
    if "map" in raw and "account_from" not in raw:
        raise _fail(where, name, "'map' goes with 'account_from' (segments have their own)")
    base = GlRule(name=name, when=tuple(conditions), origin=where)
    if "account" in raw:
        account = _text(raw["account"], where, name, "'account'").upper()
        if not account:
            raise _fail(where, name, "'account' is empty")
        return replace(base, account=account)
    if "account_from" in raw:
        source = _dimension(raw["account_from"], where, name, "'account_from'")
        mapping = _map(raw["map"], where, name, "'map'") if "map" in raw else None
        return replace(base, account_from=source, account_map=mapping)
    return replace(base, segments=_segments(raw["segments"], where, name))


def _segments(raw: Any, where: str, name: str) -> tuple[tuple[int, SegmentSource], ...]:
    if not isinstance(raw, dict) or not raw:
        raise _fail(where, name, "'segments' must be a table: segment number = source")
    out = []
    for key, spec in raw.items():
        if not str(key).isdigit() or int(key) < 1:
            raise _fail(where, name, f"segment {key!r} must be a number from 1")
        what = f"segment {key}"
        if isinstance(spec, dict):
            allowed = {"from", "map", "default"}
            extra = [k for k in spec if k not in allowed]
            if extra or "from" not in spec:
                raise _fail(where, name, f"{what} needs 'from' and may have 'map', 'default'")
            source = _dimension(spec["from"], where, name, f"{what} 'from'")
            mapping = _map(spec["map"], where, name, f"{what} map") if "map" in spec else None
            default = spec.get("default")
            if default is not None:
                default = _text(default, where, name, f"{what} default").upper()
            out.append((int(key), SegmentSource(None, source, mapping, default)))
        else:
            literal = _text(spec, where, name, what).upper()
            out.append((int(key), SegmentSource(literal=literal)))
    return tuple(sorted(out))
