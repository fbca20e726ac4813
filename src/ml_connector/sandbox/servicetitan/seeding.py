"""Filling a new state file: the built-in demo seed, `--data DIR`, or nothing.

Seeding happens once, when the state is new; later starts keep what is there (changes made
through the API and the admin API included). `--data DIR` loads `DIR/<resource>.json`, each a
JSON array in the API's own shape (`ap-bills.json`, `invoices.json`, `vendors.json`,
`gl-accounts.json`, `jobs.json`, `job-types.json`, `business-units.json`, `budget-codes.json`,
`purchase-orders.json`, `categories.json`); absent files mean no records of that kind.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ml_connector.errors import ConfigError
from ml_connector.sandbox.servicetitan.seed_invoices import demo_seed
from ml_connector.sandbox.servicetitan.store import RESOURCES, RecordStore

SEEDS = ("demo", "none")


def _data_records(data_dir: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    if not data_dir.is_dir():
        raise ConfigError(
            f"--data {data_dir} is not a directory",
            hint="give a folder holding <resource>.json files",
        )
    for resource in RESOURCES:
        path = data_dir / f"{resource}.json"
        if not path.exists():
            continue
        try:
            records = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ConfigError(
                f"{path} is not valid JSON: {exc}", hint="each file holds a JSON array of records"
            ) from exc
        if not isinstance(records, list):
            raise ConfigError(f"{path} must hold a JSON array", hint="wrap the records in [...]")
        for n, record in enumerate(records):
            if not isinstance(record, dict) or not isinstance(record.get("id"), int):
                raise ConfigError(
                    f"{path} record #{n} has no integer id", hint='every record needs an "id"'
                )
            if resource == "vendors":
                record.setdefault("externalData", [])
            yield resource, record


def prepare_state(
    store: RecordStore, *, seed: str = "demo", size: int = 200, data_dir: Path | None = None
) -> dict[str, Any]:
    """Seed the store if it is new; returns what the state holds (`meta` of the seeding)."""
    existing = store.meta("seeded")
    if existing is not None:
        return dict(json.loads(existing))
    if seed not in SEEDS:
        raise ConfigError(f"unknown seed {seed!r}", hint=f"use one of {', '.join(SEEDS)}")
    if size < 0 or size > 1_000_000:
        raise ConfigError(f"--size {size} is out of range", hint="use 0 to 1,000,000")
    if data_dir is not None:
        count = store.load(_data_records(data_dir))
        info: dict[str, Any] = {"source": f"data:{data_dir}", "records": count}
    elif seed == "demo":
        count = store.load(demo_seed(seed, size))
        info = {"source": "demo", "size": size, "records": count}
    else:
        info = {"source": "none", "records": 0}
    store.ensure_indexes()
    store.set_meta("seeded", json.dumps(info))
    return info
