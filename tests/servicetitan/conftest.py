"""Fixtures for the ServiceTitan client: the sandbox over real HTTP (a small demo one per
test, and one holding 10,000+ AP bills per module)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from st_client_support import big_data


def _running_sandbox() -> Any:
    # Imported when a test needs it, so the unit tests run without the sandbox (branch
    # st-sandbox); once it is merged these tests always run.
    server = pytest.importorskip("ml_connector.sandbox.servicetitan.server")
    return server.running_sandbox


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Any]:
    with _running_sandbox()(tmp_path / "st", size=120) as sb:
        yield sb


@pytest.fixture(scope="module")
def big_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    root = tmp_path_factory.mktemp("big")
    with _running_sandbox()(root / "st", seed="none", data_dir=big_data(root / "data")) as sb:
        yield sb
