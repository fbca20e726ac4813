"""Fixtures of the engine's tests (the world itself lives in `engine_world`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Any]:
    from engine_world import open_world  # the sandboxes are only needed by e2e tests

    with open_world(tmp_path) as w:
        yield w
