"""A small OpenAPI 3.0 response validator, for checking the sandbox against the official specs.

Read at test time from `../shared/reference/servicetitan-openapi/` beside the repository, or
from `$ML_CONNECTOR_SHARED/reference/servicetitan-openapi/`, or `/work/shared/...`; never
copied into the repository. Handles `$ref`, `nullable`, single-branch `oneOf`/`allOf`/`anyOf`
wrappers, types and integer/date-time formats, `enum`, `required`, and (stricter than JSON
Schema) refuses properties a schema does not declare, so made-up field names are caught.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SPEC_DIR = Path("reference") / "servicetitan-openapi"


def spec_dir() -> Path | None:
    candidates = []
    if os.environ.get("ML_CONNECTOR_SHARED"):
        candidates.append(Path(os.environ["ML_CONNECTOR_SHARED"]))
    candidates += [REPO.parent / "shared", Path("/work/shared")]
    for base in candidates:
        if (base / SPEC_DIR / "accounting-v2.json").is_file():
            return base / SPEC_DIR
    return None


@cache
def load(module: str) -> dict[str, Any]:
    folder = spec_dir()
    assert folder is not None
    return dict(json.loads((folder / f"{module}-v2.json").read_text(encoding="utf-8")))


def operation(module: str, path: str, method: str) -> dict[str, Any]:
    op = load(module)["paths"][path][method.lower()]
    return dict(op)


def response_schema(module: str, path: str, method: str, status: int) -> dict[str, Any]:
    responses = operation(module, path, method)["responses"]
    entry = responses[str(status)]
    return dict(entry["content"]["application/json"]["schema"])


def param_names(module: str, path: str, method: str) -> set[str]:
    return {p["name"] for p in operation(module, path, method).get("parameters", [])}


class Validator:
    """Validates a decoded JSON value against a schema of one module's document."""

    def __init__(self, module: str) -> None:
        self.doc = load(module)
        self.problems: list[str] = []

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            name = schema["$ref"].split("/")[-1]
            schema = self.doc["components"]["schemas"][name]
        return schema

    def check(self, value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
        self.problems = []
        self._check(value, schema, where)
        return self.problems

    def _fail(self, where: str, message: str) -> None:
        if len(self.problems) < 50:
            self.problems.append(f"{where}: {message}")

    def _check(self, value: Any, schema: dict[str, Any], where: str) -> None:
        nullable = bool(schema.get("nullable"))
        schema = self.resolve(schema)
        nullable = nullable or bool(schema.get("nullable"))
        for combiner in ("oneOf", "allOf", "anyOf"):
            branches = schema.get(combiner)
            if branches:
                if value is None and nullable:
                    return
                if len(branches) != 1:
                    self._fail(where, f"{combiner} with {len(branches)} branches is not handled")
                    return
                inner = dict(self.resolve(branches[0]))
                if nullable:
                    inner["nullable"] = True
                self._check(value, inner, where)
                return
        if value is None:
            if not nullable:
                self._fail(where, "is null but the schema does not allow null")
            return
        kind = schema.get("type")
        if "enum" in schema and value not in schema["enum"]:
            self._fail(where, f"{value!r} is not one of {schema['enum']}")
        if kind == "object" or "properties" in schema:
            self._object(value, schema, where)
        elif kind == "array":
            if not isinstance(value, list):
                self._fail(where, f"expected an array, got {type(value).__name__}")
                return
            for n, item in enumerate(value):
                self._check(item, schema.get("items", {}), f"{where}[{n}]")
        elif kind == "integer":
            if not isinstance(value, int) or isinstance(value, bool):
                self._fail(where, f"expected an integer, got {value!r}")
            elif schema.get("format") == "int32" and not -(2**31) <= value < 2**31:
                self._fail(where, f"{value} does not fit int32")
        elif kind == "number":
            if not isinstance(value, int | float) or isinstance(value, bool):
                self._fail(where, f"expected a number, got {value!r}")
        elif kind == "boolean":
            if not isinstance(value, bool):
                self._fail(where, f"expected a boolean, got {value!r}")
        elif kind == "string":
            if not isinstance(value, str):
                self._fail(where, f"expected a string, got {value!r}")
            elif schema.get("format") == "date-time":
                self._date_time(value, where)

    def _date_time(self, value: str, where: str) -> None:
        if not re.fullmatch(
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})", value
        ):
            self._fail(where, f"{value!r} is not an RFC 3339 date-time")
            return
        datetime.fromisoformat(value.replace("Z", "+00:00"))

    def _object(self, value: Any, schema: dict[str, Any], where: str) -> None:
        if not isinstance(value, dict):
            self._fail(where, f"expected an object, got {type(value).__name__}")
            return
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                self._fail(where, f"required property {name!r} is missing")
        extra = schema.get("additionalProperties")
        for name, item in value.items():
            if name in properties:
                self._check(item, properties[name], f"{where}.{name}")
            elif isinstance(extra, dict):
                self._check(item, extra, f"{where}.{name}")
            elif not extra:
                self._fail(where, f"property {name!r} is not in the schema")
