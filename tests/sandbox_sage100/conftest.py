"""Fixtures for the Sage sandbox tests: the demo root is built once and copied per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ml_connector.sandbox.sage100 import ProvideXScript, SySession
from ml_connector.sandbox.sage100.testing import logged_on, make_root


@pytest.fixture(scope="session")
def template_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_root(tmp_path_factory.mktemp("template"))


@pytest.fixture
def root(template_root: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "sage"
    shutil.copytree(template_root, copy)
    return copy


@pytest.fixture
def ap(root: Path) -> tuple[ProvideXScript, SySession]:
    """A session with A/P Invoice Data Entry as the program."""
    return logged_on(root)
