"""Fixtures of the check tests: both sandboxes, and a config file pointing at them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ml_connector.app.config import sandbox_config, write_config
from ml_connector.app.secrets import MemoryKeyring, SecretStore
from ml_connector.sandbox.sage100 import init_root
from ml_connector.sandbox.servicetitan.server import RunningSandbox, running_sandbox


@pytest.fixture(scope="module")
def st_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path_factory.mktemp("st"), size=20) as sb:
        yield sb


@pytest.fixture
def sage_root(tmp_path: Path) -> Path:
    root = tmp_path / "sage"
    init_root(root)
    return root


@pytest.fixture
def config_path(tmp_path: Path, st_sandbox: RunningSandbox, sage_root: Path) -> Path:
    """A config pointing at both sandboxes, with their default (literal) credentials."""
    path = tmp_path / "conf" / "config.toml"
    config = sandbox_config(
        base_dir=path.parent, st_base_url=st_sandbox.base_url, sage_root=sage_root
    )
    write_config(config, path)
    st_sandbox.set_faults("")
    return path


@pytest.fixture
def keyring_backend() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def store(keyring_backend: MemoryKeyring) -> SecretStore:
    return SecretStore(environ={}, keyring_backend=keyring_backend)
