"""Fixtures: one seeded sandbox per module (fast), and a fresh one per test when state matters."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from st_sandbox_http import Api

from ml_connector.sandbox.servicetitan.server import RunningSandbox, running_sandbox
from ml_connector.sandbox.servicetitan.settings import SandboxSettings


@pytest.fixture(scope="module")
def shared_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    """A demo sandbox (size 300) shared by the tests of one module.

    Its rate limit is lifted: these tests fire requests as fast as they can, and the 60 rps
    window has tests of its own (on sandboxes of their own).
    """
    settings = dataclasses.replace(SandboxSettings(), rate_limit_per_second=1_000_000)
    with running_sandbox(tmp_path_factory.mktemp("st-shared"), size=300, settings=settings) as sb:
        yield sb


@pytest.fixture
def api(shared_sandbox: RunningSandbox) -> Iterator[Api]:
    client = Api(shared_sandbox)
    yield client
    client.close()


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[RunningSandbox]:
    """A sandbox of its own, for tests that change state or faults (rate limit lifted)."""
    settings = dataclasses.replace(SandboxSettings(), rate_limit_per_second=1_000_000)
    with running_sandbox(tmp_path / "state", size=120, settings=settings) as sb:
        yield sb
