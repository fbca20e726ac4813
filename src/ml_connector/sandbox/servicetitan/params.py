"""Query-string parsing with ServiceTitan's rules, collecting 400s in the official shape.

Repeated parameters (`statuses=A&statuses=B`) for array filters; comma-separated `ids` (at
most 50) elsewhere; `page` from 1; `pageSize` 50 by default, at most 5000; enum values
checked. A parameter the sandbox does not implement is refused (400) rather than silently
ignored, so that a misspelt filter cannot return everything unnoticed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.datastructures import QueryParams

from ml_connector.sandbox.servicetitan.problems import validation_problem
from ml_connector.sandbox.servicetitan.settings import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from ml_connector.sandbox.servicetitan.store import Query, parse_instant, to_micros

PAGING = ("page", "pageSize", "includeTotal")
WINDOWS = ("modifiedOnOrAfter", "modifiedBefore", "createdOnOrAfter", "createdBefore")


class Args:
    """The query string of one request; read values, then `finish()` raises the 400s."""

    def __init__(self, query: QueryParams, implemented: Sequence[str]) -> None:
        self._query = query
        self.errors: dict[str, list[str]] = {}
        known = {name.lower() for name in implemented}
        for name in query:
            if name.lower() not in known:
                self._fail(name, f"The sandbox does not implement the parameter '{name}'.")

    def _fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def _one(self, name: str) -> str | None:
        for key in self._query:
            if key.lower() == name.lower():
                values = self._query.getlist(key)
                if len(values) > 1:
                    self._fail(name, f"'{name}' was given {len(values)} times; give it once.")
                return values[0]
        return None

    def _many(self, name: str) -> list[str] | None:
        found: list[str] | None = None
        for key in self._query:
            if key.lower() == name.lower():
                found = (found or []) + list(self._query.getlist(key))
        return found

    def text(self, name: str) -> str | None:
        value = self._one(name)
        return value if value not in (None, "") else None

    def integer(
        self,
        name: str,
        *,
        default: int | None = None,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        raw = self._one(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            self._fail(name, f"The value '{raw}' is not valid.")
            return default
        if minimum is not None and value < minimum:
            self._fail(name, f"The field {name} must be at least {minimum}.")
        elif maximum is not None and value > maximum:
            self._fail(name, f"The field {name} must be at most {maximum}.")
        return value

    def boolean(self, name: str, default: bool = False) -> bool:
        raw = self._one(name)
        if raw is None or raw == "":
            return default
        if raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        self._fail(name, f"The value '{raw}' is not valid.")
        return default

    def instant(self, name: str) -> int | None:
        """A UTC date-time (or date) as microseconds since the epoch."""
        raw = self._one(name)
        if raw is None or raw == "":
            return None
        try:
            return to_micros(parse_instant(raw))
        except ValueError:
            self._fail(name, f"The value '{raw}' is not valid.")
            return None

    def enum(self, name: str, allowed: Sequence[str], default: str | None) -> str | None:
        raw = self._one(name)
        if raw is None or raw == "":
            return default
        for value in allowed:
            if value.lower() == raw.lower():
                return value
        self._fail(name, f"The value '{raw}' is not valid. Values: [{', '.join(allowed)}]")
        return default

    def enum_list(self, name: str, allowed: Sequence[str]) -> list[str] | None:
        raws = self._many(name)
        if not raws:
            return None
        out = []
        for raw in raws:
            match = next((v for v in allowed if v.lower() == raw.lower()), None)
            if match is None:
                self._fail(name, f"The value '{raw}' is not valid. Values: [{', '.join(allowed)}]")
            else:
                out.append(match)
        return out

    def id_csv(self, name: str, maximum: int = 50) -> list[int] | None:
        raw = self._one(name)
        if raw is None or raw.strip() == "":
            return None
        out = []
        for part in raw.split(","):
            try:
                out.append(int(part.strip()))
            except ValueError:
                self._fail(name, f"'{part}' is not a valid id.")
        if len(out) > maximum:
            self._fail(name, f"At most {maximum} ids are allowed, {len(out)} were given.")
        return out

    def id_array(self, name: str, maximum: int = 50) -> list[int] | None:
        raws = self._many(name)
        if not raws:
            return None
        out = []
        for raw in raws:
            try:
                out.append(int(raw))
            except ValueError:
                self._fail(name, f"The value '{raw}' is not valid.")
        if len(out) > maximum:
            self._fail(name, f"At most {maximum} ids are allowed, {len(out)} were given.")
        return out

    def active(self, name: str = "active") -> bool | None:
        """`True` (default) / `False` / `Any` -> True / False / None."""
        value = self.enum(name, ("True", "Any", "False"), "True")
        return None if value == "Any" else value == "True"

    def paging(self) -> tuple[int, int, bool]:
        page = self.integer("page", default=1, minimum=1) or 1
        size = (
            self.integer("pageSize", default=DEFAULT_PAGE_SIZE, minimum=1, maximum=MAX_PAGE_SIZE)
            or DEFAULT_PAGE_SIZE
        )
        return page, max(1, min(size, MAX_PAGE_SIZE)), self.boolean("includeTotal")

    def query(self, **filters: Any) -> Query:
        """A store query with the given filters and the created/modified windows."""
        return Query(
            modified_on_or_after=self.instant("modifiedOnOrAfter"),
            modified_before=self.instant("modifiedBefore"),
            created_on_or_after=self.instant("createdOnOrAfter"),
            created_before=self.instant("createdBefore"),
            **filters,
        )

    def finish(self) -> None:
        if self.errors:
            raise validation_problem(self.errors)
