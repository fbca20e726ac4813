"""Fixtures of the check tests: both sandboxes with distinctive credentials, a config file
pointing at them (secrets as keyring references in a `MemoryKeyring`), and a runner of the
`check` / `init` commands on a Typer app of their own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from check_support import (
    APP_KEY,
    KEYRING_ENTRIES,
    SAGE_PASSWORD,
    ST_SECRET,
    TENANT,
    CliResult,
    ConfigMaker,
    Invoke,
)
from typer.testing import CliRunner

from ml_connector.app.cli import check as check_cli
from ml_connector.app.cli import init as init_cli
from ml_connector.app.config.secrets import MemoryKeyring, SecretStore
from ml_connector.sandbox.sage100 import init_root
from ml_connector.sandbox.servicetitan.server import RunningSandbox, running_sandbox
from ml_connector.sandbox.servicetitan.settings import SandboxSettings


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


@pytest.fixture
def make_config(tmp_path: Path, st_sandbox: RunningSandbox, sage_root: Path) -> ConfigMaker:
    st_sandbox.set_faults("")
    return ConfigMaker(tmp_path / "conf", st_sandbox.base_url, sage_root)


@pytest.fixture
def cli(store: SecretStore) -> Invoke:
    """Runs `ml-connector <args>` in-process on an app with the test keyring."""
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def _root() -> None:
        """ml-connector (test)."""

    check_cli.register(app, store_factory=lambda: store)
    init_cli.register(app, store_factory=lambda: store)

    def invoke(
        *args: str, input: str | None = None, env: dict[str, str] | None = None
    ) -> CliResult:
        result = CliRunner().invoke(app, list(args), input=input, env=env)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return invoke
