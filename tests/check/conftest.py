"""Fixtures of the check tests: both sandboxes with distinctive credentials, a config file
pointing at them (secrets as keyring references in a `MemoryKeyring`), and a runner of the
`check` / `init` commands on a Typer app of their own."""

from __future__ import annotations

import copy
import json
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import tomli_w
import typer
from typer.testing import CliRunner

from ml_connector.app import check_cli
from ml_connector.app.secrets import MemoryKeyring, SecretStore
from ml_connector.sandbox.sage100 import init_root
from ml_connector.sandbox.servicetitan.server import RunningSandbox, running_sandbox
from ml_connector.sandbox.servicetitan.settings import SandboxSettings

# Distinctive values: a test fails if any of them shows up in any output.
ST_SECRET = "Qz7-client-SECRET-5521x"
APP_KEY = "ak-Zz91-APPKEY-3370q"
SAGE_PASSWORD = "SagePw-7Q2x-8841k"
TENANT = 4455667
SECRETS = (ST_SECRET, APP_KEY, SAGE_PASSWORD)

KEYRING_ENTRIES = {
    ("ml-connector", "demo.st-client-secret"): ST_SECRET,
    ("ml-connector", "demo.st-app-key"): APP_KEY,
    ("ml-connector", "demo.sage-password"): SAGE_PASSWORD,
}


@pytest.fixture(scope="module")
def st_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    settings = SandboxSettings(tenant_id=TENANT, client_secret=ST_SECRET, app_key=APP_KEY)
    with running_sandbox(tmp_path_factory.mktemp("st"), size=20, settings=settings) as sb:
        yield sb


@pytest.fixture
def sage_root(tmp_path: Path) -> Path:
    root = tmp_path / "sage"
    init_root(root, user="sync", password=SAGE_PASSWORD)
    return root


@pytest.fixture
def keyring_backend() -> MemoryKeyring:
    return MemoryKeyring(KEYRING_ENTRIES)


@pytest.fixture
def environ() -> dict[str, str]:
    """The environment the test store reads env: references from (mutable)."""
    return {}


@pytest.fixture
def store(keyring_backend: MemoryKeyring, environ: dict[str, str]) -> SecretStore:
    return SecretStore(environ=environ, keyring_backend=keyring_backend)


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ConfigMaker:
    """Writes a config file for both sandboxes, with overrides per section."""

    folder: Path
    st_base_url: str
    sage_root: Path

    def data(self) -> dict[str, Any]:
        """The config as parsed TOML (a fresh copy each time)."""
        return {
            "pairs": {
                "demo": {
                    "servicetitan": {
                        "environment": "custom",
                        "api_base": self.st_base_url,
                        "auth_url": f"{self.st_base_url}/connect/token",
                        "tenant_id": TENANT,
                        "client_id": "sandbox-client",
                        "client_secret": "keyring:ml-connector/demo.st-client-secret",
                        "app_key": "keyring:ml-connector/demo.st-app-key",
                    },
                    "sage100": {
                        "mode": "sandbox",
                        "root": str(self.sage_root),
                        "company": "ABC",
                        "user": "sync",
                        "password": "keyring:ml-connector/demo.sage-password",
                    },
                }
            },
            "logging": {"file": "logs/check.log"},
        }

    def write(
        self,
        *,
        st: dict[str, Any] | None = None,
        sage: dict[str, Any] | None = None,
        drop: tuple[str, ...] = (),
    ) -> Path:
        data = copy.deepcopy(self.data())
        pair = data["pairs"]["demo"]
        pair["servicetitan"].update(st or {})
        pair["sage100"].update(sage or {})
        for key in drop:
            pair["sage100"].pop(key, None)
        for key, value in list(pair["sage100"].items()):
            if value is None:
                del pair["sage100"][key]
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / "config.toml"
        path.write_text(tomli_w.dumps(data), encoding="utf-8")
        return path


@pytest.fixture
def make_config(tmp_path: Path, st_sandbox: RunningSandbox, sage_root: Path) -> ConfigMaker:
    st_sandbox.set_faults("")
    return ConfigMaker(tmp_path / "conf", st_sandbox.base_url, sage_root)


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        return dict(json.loads(self.stdout))

    def rows(self) -> dict[tuple[str, str], dict[str, str]]:
        """(system, name) -> row, from a --json run."""
        return {(r["system"], r["name"]): r for r in self.json()["checks"]}

    def assert_clean(self) -> None:
        """No traceback and no secret anywhere the user sees."""
        for text in (self.stdout, self.stderr):
            assert "Traceback" not in text
            for secret in SECRETS:
                assert secret not in text


Invoke = Callable[..., CliResult]


@pytest.fixture
def cli(store: SecretStore) -> Invoke:
    """Runs `ml-connector <args>` in-process on an app with the test keyring."""
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def _root() -> None:
        """ml-connector (test)."""

    check_cli.register(app, store_factory=lambda: store)

    def invoke(
        *args: str, input: str | None = None, env: dict[str, str] | None = None
    ) -> CliResult:
        result = CliRunner().invoke(app, list(args), input=input, env=env)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return invoke
