"""`build_servicetitan` and `build_sage`: from pair settings to working adapters."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from check_support import APP_KEY, SAGE_PASSWORD, ST_SECRET, ConfigMaker
from pydantic import SecretStr

from ml_connector.app.adapters import (
    boi_settings,
    build_sage,
    build_servicetitan,
    script_factory,
    st_environment,
)
from ml_connector.app.config.files import config_from_mapping
from ml_connector.app.config.pair import PairSettings
from ml_connector.clock import SystemClock
from ml_connector.sage100.com import ProvideXComFactory
from ml_connector.servicetitan.environment import INTEGRATION_AUTH, PRODUCTION_API


def pair_of(maker: ConfigMaker, **sage: object) -> PairSettings:
    data = maker.data()
    section = data["pairs"]["demo"]["sage100"]
    section.update(sage)
    for key in [k for k, v in section.items() if v is None]:
        del section[key]
    return config_from_mapping(data, base_dir=maker.folder).pair("demo")


def test_servicetitan_client_reads_the_sandbox(make_config: ConfigMaker) -> None:
    pair = pair_of(make_config)
    with build_servicetitan(pair, SecretStr(ST_SECRET), SecretStr(APP_KEY), SystemClock()) as st:
        assert st.environment.api_base == make_config.st_base_url
        assert st.tenant_id == pair.servicetitan.tenant_id
        assert next(iter(st.gl_accounts()), None) is not None


def test_named_environments(make_config: ConfigMaker) -> None:
    data = make_config.data()
    st = data["pairs"]["demo"]["servicetitan"]
    for key in ("api_base", "auth_url"):
        st.pop(key)
    st["environment"] = "production"
    st["client_secret"] = st["app_key"] = "env:X"
    pair = config_from_mapping(data, base_dir=make_config.folder).pair("demo")
    assert st_environment(pair.servicetitan).api_base == PRODUCTION_API
    st["environment"] = "integration"
    pair = config_from_mapping(data, base_dir=make_config.folder).pair("demo")
    assert st_environment(pair.servicetitan).auth_url == INTEGRATION_AUTH


def test_sage_adapter_on_the_sandbox(make_config: ConfigMaker) -> None:
    pair = pair_of(make_config, use_batches=False)
    with build_sage(pair, SecretStr(SAGE_PASSWORD), SystemClock()) as sage:
        report = sage.ping()
        assert report.company.code == "ABC"
        assert report.user == "sync"
        assert sage.settings.uses_batches is False


def test_boi_settings_from_the_config(make_config: ConfigMaker) -> None:
    pair = pair_of(
        make_config,
        mode="boi",
        home=r"\\sage01\Sage\MAS90\Home",
        root=None,
        ap_division="02",
        module_date="fixed",
        module_date_value="2026-03-31",
    )
    settings = boi_settings(pair.sage100, SecretStr(SAGE_PASSWORD))
    assert settings.home == r"\\sage01\Sage\MAS90\Home"
    assert settings.division == "02"
    assert settings.module_date == date(2026, 3, 31)
    assert settings.uses_batches is None  # absent: ask Sage
    assert isinstance(script_factory(pair.sage100, SystemClock()), ProvideXComFactory)


def test_sandbox_mode_uses_the_root_as_home(make_config: ConfigMaker, sage_root: Path) -> None:
    settings = boi_settings(pair_of(make_config).sage100, SecretStr("x"))
    assert settings.home == str(sage_root)
    assert settings.module_date is None
