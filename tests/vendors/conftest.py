"""Fixtures of the vendor tests (the world itself lives in `vendor_world`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def vworld(tmp_path: Path) -> Iterator[Any]:
    from vendor_world import open_vendor_world

    with open_vendor_world(tmp_path) as w:
        yield w
