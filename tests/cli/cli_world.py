"""Helpers of the CLI tests: the CLI driven as a person drives it, on both sandboxes and a
real SQLite state.

`world` gives a running ServiceTitan sandbox and a Sage 100 sandbox root, both with
distinctive (non-default) secrets, and a config file that reaches them through `env:`
references. `World.cli(...)` runs a command in-process (typer's CliRunner, stdout and
stderr apart); `World.sub(...)` runs `python -m ml_connector ...` as a subprocess.
Every output a test sees is checked for the secrets by `World.assert_no_secrets`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from ml_connector.app.cli import main as cli
from ml_connector.app.config.files import config_from_mapping, write_config
from ml_connector.sandbox.servicetitan.server import RunningSandbox
from ml_connector.sandbox.servicetitan.settings import SandboxSettings
from ml_connector.store.port import LedgerEntry, PairId
from ml_connector.store.sql import SqlStateStore

ST_SECRET = "st-Cli-Secret-4f9a1c"
ST_APP_KEY = "st-Cli-AppKey-7d2e9b"
SAGE_PASSWORD = "Sage-Cli-Pw-83kq"
SECRETS = (ST_SECRET, ST_APP_KEY, SAGE_PASSWORD)
SECRET_ENV = {
    "MLC_CLI_ST_SECRET": ST_SECRET,
    "MLC_CLI_ST_APP_KEY": ST_APP_KEY,
    "MLC_CLI_SAGE_PASSWORD": SAGE_PASSWORD,
}
SANDBOX_SETTINGS = SandboxSettings(client_secret=ST_SECRET, app_key=ST_APP_KEY)
BILLS = 30  # AP bills seeded in the ServiceTitan sandbox


@dataclass(frozen=True, slots=True)
class PairSpec:
    name: str
    base_url: str
    sage_root: Path
    company: str = "ABC"
    tenant_id: int = SANDBOX_SETTINGS.tenant_id
    password_env: str = "MLC_CLI_SAGE_PASSWORD"


def write_test_config(
    path: Path,
    pairs: list[PairSpec],
    *,
    dashboard_port: int = 8780,
    interval_minutes: int = 15,
    mark_exported: bool = False,
) -> Path:
    """A config reaching the sandboxes with `env:` secrets (never a literal)."""
    data: dict[str, Any] = {
        "pairs": {
            p.name: {
                "servicetitan": {
                    "environment": "custom",
                    "api_base": p.base_url,
                    "auth_url": f"{p.base_url}/connect/token",
                    "tenant_id": p.tenant_id,
                    "client_id": SANDBOX_SETTINGS.client_id,
                    "client_secret": "env:MLC_CLI_ST_SECRET",
                    "app_key": "env:MLC_CLI_ST_APP_KEY",
                },
                "sage100": {
                    "mode": "sandbox",
                    "root": str(p.sage_root),
                    "company": p.company,
                    "user": "sandbox",
                    "password": f"env:{p.password_env}",
                },
                "sync": {
                    "application_guid": "00000000-0000-4000-8000-0000000c11e0",
                    # the demo company's AP division names no tax or freight account
                    "tax_account": "5250-00-100",
                    "freight_account": "5200-00-100",
                    "mark_exported": mark_exported,
                },
            }
            for p in pairs
        },
        "schedule": {"interval_minutes": interval_minutes},
        "dashboard": {"port": dashboard_port},
        "logging": {"level": "DEBUG"},  # the most talkative: the log file is checked too
    }
    write_config(config_from_mapping(data, base_dir=path.parent), path, overwrite=True)
    return path


def sage_tables(root: Path, company: str = "ABC") -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of a Sage sandbox company, in a stable order."""
    conn = sqlite3.connect(root / f"{company}.sqlite")
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        tables = {}
        for n in names:
            rows = conn.execute(f'SELECT * FROM "{n}"').fetchall()  # noqa: S608  # our names
            tables[n] = sorted(rows, key=repr)
        return tables
    finally:
        conn.close()


def sage_invoices(root: Path, company: str = "ABC") -> list[tuple[str, str]]:
    """(vendor, invoice number) of every invoice in data entry (where the connector writes)."""
    conn = sqlite3.connect(root / f"{company}.sqlite")
    try:
        rows = conn.execute("SELECT VendorNo, InvoiceNo FROM AP_InvoiceHeader").fetchall()
    finally:
        conn.close()
    return [(str(v), str(i)) for v, i in rows]


def st_records(sb: RunningSandbox) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(sb.state_dir / "servicetitan-sandbox.sqlite")
    try:
        return conn.execute("SELECT * FROM records ORDER BY resource, id").fetchall()
    finally:
        conn.close()


def assert_clean(text: str, *, what: str) -> None:
    """No traceback and no secret in a command's output."""
    assert "Traceback" not in text, f"{what} shows a traceback:\n{text}"
    for secret in SECRETS:
        assert secret not in text, f"{what} shows a secret"


@dataclass
class World:
    tmp: Path
    sb: RunningSandbox
    sage_root: Path
    config: Path
    outputs: list[tuple[str, str]] = field(default_factory=list)

    def cli(self, *args: str, config: Path | None = None) -> Result:
        """One command in-process; `--config` is added unless given."""
        argv = list(args)
        if "--config" not in argv:
            argv += ["--config", str(config or self.config)]
        result = CliRunner().invoke(cli.app, argv, catch_exceptions=False)
        self._seen(" ".join(args), result.stdout + result.stderr)
        return result

    def cli_json(self, *args: str) -> Any:
        result = self.cli(*args, "--json")
        assert result.exit_code == 0, result.stdout + result.stderr
        return json.loads(result.stdout)  # stdout is exactly one JSON document

    def sub(
        self, *args: str, timeout: float = 60, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "ml_connector", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env or subprocess_env(),
            cwd=self.tmp,
            check=False,
        )
        self._seen(" ".join(args), proc.stdout + proc.stderr)
        return proc

    def _seen(self, what: str, text: str) -> None:
        self.outputs.append((what, text))
        assert_clean(text, what=what)

    @contextmanager
    def store(self) -> Iterator[SqlStateStore]:
        store = SqlStateStore.open(f"sqlite:///{self.tmp / 'ml-connector.sqlite'}")
        try:
            yield store
        finally:
            store.close()

    def ledger(self, pair: str = "main") -> list[LedgerEntry]:
        with self.store() as store, store.transaction() as tx:
            return list(tx.iter_ledger(PairId(pair)))

    def log_text(self) -> str:
        logs = self.tmp / "logs"
        return "".join(p.read_text("utf-8") for p in logs.glob("*.log*")) if logs.exists() else ""


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLC_CLI_")}
    env.update(SECRET_ENV)
    env["COLUMNS"] = "200"  # rich wraps at the terminal width; keep report lines whole
    env.update(extra)
    return env
