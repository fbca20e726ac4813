"""Fixtures for the config, secrets and logging tests."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "docs" / "examples" / "config.toml"

MINIMAL = """
[pairs.main.servicetitan]
tenant_id = 1234567
client_id = "cid.example"
client_secret = "env:ST_CLIENT_SECRET"
app_key = "keyring:ml-connector/st-app-key"

[pairs.main.sage100]
home = '\\\\SAGE01\\Sage\\MAS90\\Home'
company = "abc"
user = "mlconnect"
password = "keyring:ml-connector/main.sage-password"
"""


@pytest.fixture
def example_path() -> Path:
    return EXAMPLE


@pytest.fixture
def write_toml(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write TOML text to tmp_path/config.toml and return the path."""

    def write(text: str, name: str = "config.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
