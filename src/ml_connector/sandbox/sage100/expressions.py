"""The subset of ProvideX expressions the sandbox understands, compiled to SQLite SQL.

Used by `nGetResultSets(valueExpr, keyExpr, values, keys, filter, begin, end)`.

Supported (keywords and column names are case-insensitive, as in ProvideX):
- column names with Sage's suffix: `VendorNo$` (string), `InvoiceAmt` (number);
- string literals `"ABC"` (`""` inside for a quote) and hex strings `$8A$`;
- number literals `100`, `12.50`, unary minus;
- `+` (concatenation of strings, addition of numbers; mixing them is Error #26);
- functions `STR(n)` (ProvideX number-to-string: `12.5`, `100`, `-3.1`), `NUM(s)`,
  `UCS(s)` / `LCS(s)` (upper / lower case), `LEN(s)`, `MID(s, start[, length])`;
- comparisons `=`, `<>`, `<`, `>`, `<=`, `>=` between two strings or two numbers;
- `AND`, `OR`, `NOT`, parentheses.

Anything else (an unknown column or function, a syntax error, mixed types) raises
`ExpressionError` whose message reads like ProvideX's (`Error #20: Syntax error`); the
business object answers 0 with that text in `sLastErrorMsg`. An unknown *variable* (a
column the table does not have) reads as "" (or 0 without `$`), as in real ProvideX, so a
wrong column name shows up as wrong data; `lenient=False` refuses it (`Error #41`) instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from ml_connector.sandbox.sage100.schema import TableSpec

_T = TypeVar("_T")


class ExpressionError(ValueError):
    """The expression is outside the supported subset or is not valid ProvideX."""


@dataclass(frozen=True, slots=True)
class Sql:
    """A compiled expression: SQL text, its parameters, and its type (S, N or B)."""

    text: str
    params: tuple[object, ...]
    kind: str


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>"(?:[^"]|"")*")
      | (?P<hex>\$[0-9A-Fa-f]*\$)
      | (?P<num>\d+(?:\.\d*)?|\.\d+)
      | (?P<name>[A-Za-z_][A-Za-z0-9_.]*\$?)
      | (?P<op><>|<=|>=|[=<>+(),-])
    )""",
    re.VERBOSE,
)

_KEYWORDS = {"AND", "OR", "NOT"}
_STRING_FUNCS = {"STR", "UCS", "LCS", "MID"}
_NUMBER_FUNCS = {"LEN", "NUM"}


def pvx_str(value: float | None) -> str:
    """ProvideX STR(): shortest decimal form, no trailing zeros ("12.5", "100", "-3.1")."""
    if value is None:
        return ""
    text = format(Decimal(repr(float(value))).quantize(Decimal("0.01")).normalize(), "f")
    return "0" if text in ("-0", "") else text


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ExpressionError(f"Error #20: Syntax error near {text[pos : pos + 10]!r}")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, text: str, table: TableSpec, *, lenient: bool = True) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0
        self.table = table
        self.lenient = lenient

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise ExpressionError("Error #20: Syntax error: expression ends too early")
        self.pos += 1
        return tok

    def accept_op(self, op: str) -> bool:
        tok = self.peek()
        if tok is not None and tok[0] == "op" and tok[1] == op:
            self.pos += 1
            return True
        return False

    def accept_keyword(self, word: str) -> bool:
        tok = self.peek()
        if tok is not None and tok[0] == "name" and tok[1].upper() == word:
            self.pos += 1
            return True
        return False

    def done(self) -> None:
        tok = self.peek()
        if tok is not None:
            raise ExpressionError(f"Error #20: Syntax error near {tok[1]!r}")

    # boolean layer
    def parse_or(self) -> Sql:
        left = self.parse_and()
        while self.accept_keyword("OR"):
            right = self.parse_and()
            left = _logic(left, "OR", right)
        return left

    def parse_and(self) -> Sql:
        left = self.parse_not()
        while self.accept_keyword("AND"):
            right = self.parse_not()
            left = _logic(left, "AND", right)
        return left

    def parse_not(self) -> Sql:
        if self.accept_keyword("NOT"):
            inner = self.parse_not()
            _need_bool(inner)
            return Sql(f"(NOT {inner.text})", inner.params, "B")
        return self.parse_cmp()

    def parse_cmp(self) -> Sql:
        left = self.parse_sum()
        tok = self.peek()
        if tok is not None and tok[0] == "op" and tok[1] in ("=", "<>", "<", ">", "<=", ">="):
            self.pos += 1
            right = self.parse_sum()
            if left.kind != right.kind or left.kind == "B":
                raise ExpressionError(
                    "Error #26: Variable type invalid (comparing string and number)"
                )
            return Sql(f"({left.text} {tok[1]} {right.text})", left.params + right.params, "B")
        return left

    # value layer
    def parse_sum(self) -> Sql:
        left = self.parse_unary()
        while self.accept_op("+"):
            right = self.parse_unary()
            if left.kind != right.kind or left.kind == "B":
                raise ExpressionError("Error #26: Variable type invalid (+ on string and number)")
            op = "||" if left.kind == "S" else "+"
            left = Sql(f"({left.text} {op} {right.text})", left.params + right.params, left.kind)
        return left

    def parse_unary(self) -> Sql:
        if self.accept_op("-"):
            inner = self.parse_atom()
            if inner.kind != "N":
                raise ExpressionError("Error #26: Variable type invalid (minus on a string)")
            return Sql(f"(-{inner.text})", inner.params, "N")
        return self.parse_atom()

    def parse_atom(self) -> Sql:
        kind, text = self.take()
        if kind == "str":
            return Sql("?", (text[1:-1].replace('""', '"'),), "S")
        if kind == "hex":
            raw = text[1:-1]
            if len(raw) % 2:
                raise ExpressionError(f"Error #20: Syntax error in hex string {text}")
            return Sql("?", (bytes.fromhex(raw).decode("latin-1"),), "S")
        if kind == "num":
            return Sql("?", (float(text),), "N")
        if kind == "op" and text == "(":
            inner = self.parse_or()
            if not self.accept_op(")"):
                raise ExpressionError("Error #20: Syntax error: missing )")
            return inner
        if kind == "name":
            if self.accept_op("("):
                return self.parse_call(text.upper())
            if text.upper() in _KEYWORDS:
                raise ExpressionError(f"Error #20: Syntax error near {text!r}")
            col = self.table.column(text)
            if col is None and self.lenient:  # ProvideX: an undefined variable is "" or 0
                return Sql("''", (), "S") if text.endswith("$") else Sql("0", (), "N")
            if col is None:
                raise ExpressionError(
                    f"Error #41: {text} is not a column of {self.table.name} "
                    "(the sandbox refuses unknown variables)"
                )
            return Sql(col.name, (), col.kind)
        raise ExpressionError(f"Error #20: Syntax error near {text!r}")

    def parse_call(self, func: str) -> Sql:
        args = [self.parse_or()]
        while self.accept_op(","):
            args.append(self.parse_or())
        if not self.accept_op(")"):
            raise ExpressionError(f"Error #20: Syntax error: missing ) after {func}(")
        kinds = [a.kind for a in args]
        params = tuple(p for a in args for p in a.params)
        if func == "STR" and kinds == ["N"]:
            return Sql(f"PVX_STR({args[0].text})", params, "S")
        if func == "NUM" and kinds == ["S"]:
            return Sql(f"CAST({args[0].text} AS REAL)", params, "N")
        if func in ("UCS", "LCS") and kinds == ["S"]:
            return Sql(f"{'upper' if func == 'UCS' else 'lower'}({args[0].text})", params, "S")
        if func == "LEN" and kinds == ["S"]:
            return Sql(f"length({args[0].text})", params, "N")
        if func == "MID" and kinds in (["S", "N"], ["S", "N", "N"]):
            return Sql(f"substr({', '.join(a.text for a in args)})", params, "S")
        if func in _STRING_FUNCS | _NUMBER_FUNCS:
            raise ExpressionError(f"Error #26: Variable type invalid in {func}()")
        raise ExpressionError(f"Error #20: {func}() is not supported by the sandbox")


def _need_bool(sql: Sql) -> None:
    if sql.kind == "S":
        raise ExpressionError("Error #26: Variable type invalid (a string is not a condition)")


def _logic(left: Sql, op: str, right: Sql) -> Sql:
    _need_bool(left)
    _need_bool(right)
    return Sql(f"({left.text} {op} {right.text})", left.params + right.params, "B")


# compiled filters by shape: their string literals (each document's key) held out as
# placeholders, the compiled form's parameters given their values again on every use
_FILTERS: dict[tuple[str, str, bool], tuple[TableSpec, Sql | None]] = {}
_STRING_LITERAL = re.compile(r'"(?:[^"]|"")*"')
_HELD = "\x00"  # a placeholder's mark (a filter holding it is compiled as it is)
_CACHE_HELD = 512  # shapes and value expressions kept (a handful in use at a time)


def compile_filter(text: str, table: TableSpec, *, lenient: bool = True) -> Sql | None:
    """A ProvideX condition as a SQL WHERE fragment; None for an empty filter."""
    if _HELD in text:
        return _compile_filter(text, table, lenient=lenient)
    literals: list[str] = []

    def hold(m: re.Match[str]) -> str:
        literals.append(m.group(0)[1:-1].replace('""', '"'))
        return f'"{_HELD}{len(literals) - 1}"'

    shape = _STRING_LITERAL.sub(hold, text)
    try:
        compiled = _cached(
            _FILTERS, shape, table, lenient, lambda: _compile_filter(shape, table, lenient=lenient)
        )
    except ExpressionError:
        return _compile_filter(text, table, lenient=lenient)  # its message, as written
    if compiled is None:
        return None
    params = tuple(
        literals[int(p[1:])] if isinstance(p, str) and p.startswith(_HELD) else p
        for p in compiled.params
    )
    return Sql(compiled.text, params, compiled.kind)


def _compile_filter(text: str, table: TableSpec, *, lenient: bool) -> Sql | None:
    if not text.strip():
        return None
    parser = _Parser(text, table, lenient=lenient)
    sql = parser.parse_or()
    parser.done()
    _need_bool(sql)
    if sql.kind == "N":
        return Sql(f"({sql.text} <> 0)", sql.params, "B")
    return sql


# compiled value expressions: the adapters ask for the same few column lists over and over
_VALUES: dict[tuple[str, str, bool], tuple[TableSpec, Sql]] = {}


def compile_value(text: str, table: TableSpec, *, lenient: bool = True) -> Sql:
    """A ProvideX value expression as a SQL expression yielding a string.

    A numeric expression is rendered with `STR()` semantics.
    """
    return _cached(
        _VALUES, text, table, lenient, lambda: _compile_value(text, table, lenient=lenient)
    )


def _cached(
    held: dict[tuple[str, str, bool], tuple[TableSpec, _T]],
    text: str,
    table: TableSpec,
    lenient: bool,
    make: Callable[[], _T],
) -> _T:
    """What `make` compiles `text` to for `table`, kept for that table object (another
    table of the same name compiles again); `held` is let go whole when it is full. A
    compilation that raises is not kept."""
    key = (text, table.name, lenient)
    hit = held.get(key)
    if hit is not None and hit[0] is table:
        return hit[1]
    made = make()
    if len(held) >= _CACHE_HELD:
        held.clear()
    held[key] = (table, made)
    return made


def _compile_value(text: str, table: TableSpec, *, lenient: bool) -> Sql:
    if not text.strip():
        return Sql("''", (), "S")
    parser = _Parser(text, table, lenient=lenient)
    sql = parser.parse_sum()
    parser.done()
    if sql.kind == "N":
        return Sql(f"PVX_STR({sql.text})", sql.params, "S")
    if sql.kind == "B":
        raise ExpressionError("Error #26: Variable type invalid (a condition is not a value)")
    return sql
