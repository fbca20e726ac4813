"""The vendor settings of a pair in the TOML config reach the engine's `SyncSettings`."""

from __future__ import annotations

from pathlib import Path

import pytest

from ml_connector.app.config.files import load_config
from ml_connector.app.runtime import engine_settings
from ml_connector.errors import ConnectorError

PAIR = """
[pairs.main.servicetitan]
tenant_id = 1234567
client_id = "cid.example"
client_secret = "env:ST_CLIENT_SECRET"
app_key = "keyring:ml-connector/st-app-key"

[pairs.main.sage100]
home = 'C:\\Sage\\MAS90\\Home'
company = "abc"
user = "mlconnect"
password = "keyring:ml-connector/main.sage-password"
"""


def test_defaults_and_owners_reach_the_engine(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(PAIR, encoding="utf-8")
    settings = engine_settings(load_config(path).pair("main"))
    assert settings.vendor_sync is True
    assert settings.create_vendors_in_servicetitan is False
    assert settings.write_vendor_number_to_st is False
    assert dict(settings.vendor_field_owner) == {}
    path.write_text(
        PAIR
        + """
[pairs.main.sync]
application_guid = "6f1c2a4e-8b9d-4e3f-a1b2-c3d4e5f60718"
create_vendors_in_servicetitan = true
write_vendor_number_to_st = true
vendor_field_owner = { name = "sage", address = "servicetitan" }
""",
        encoding="utf-8",
    )
    settings = engine_settings(load_config(path).pair("main"))
    assert settings.create_vendors_in_servicetitan is True
    assert settings.write_vendor_number_to_st is True
    assert dict(settings.vendor_field_owner) == {"name": "sage", "address": "servicetitan"}


@pytest.mark.parametrize(
    "sync",
    [
        'vendor_field_owner = { colour = "sage" }',
        'vendor_field_owner = { name = "quickbooks" }',
        "write_vendor_number_to_st = true",
    ],
)
def test_bad_vendor_settings_are_refused(tmp_path: Path, sync: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(PAIR + "\n[pairs.main.sync]\n" + sync + "\n", encoding="utf-8")
    with pytest.raises(ConnectorError):
        load_config(path)
