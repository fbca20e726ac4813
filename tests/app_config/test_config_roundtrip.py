"""Property: whatever valid config is written, loading it back gives the same config."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ml_connector.app.config.files import config_from_mapping, load_config, write_config

names = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,10}", fullmatch=True)
refs = st.one_of(
    st.from_regex(r"keyring:[a-z][a-z0-9.-]{0,8}/[A-Za-z0-9 ._/-]{1,12}", fullmatch=True),
    st.from_regex(r"env:[A-Z_][A-Z0-9_]{0,10}", fullmatch=True),
)


@st.composite
def pair(draw: st.DrawFn, index: int) -> dict[str, Any]:
    routes = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "business_units": st.lists(
                        st.from_regex(r"[A-Za-z][A-Za-z0-9 ]{0,20}", fullmatch=True),
                        min_size=1,
                        max_size=3,
                    ),
                    "vendor": st.from_regex(r"fixed:00-[A-Z0-9]{1,7}", fullmatch=True),
                }
            ),
            max_size=2,
        )
    )
    for i, route in enumerate(routes):
        route["name"] = f"route {i}"
    return {
        "servicetitan": {
            "environment": draw(st.sampled_from(["production", "integration"])),
            "tenant_id": 1000 + index,
            "client_id": draw(st.text("abcdef0123.", min_size=1, max_size=12)),
            "client_secret": draw(refs),
            "app_key": draw(refs),
            "max_rps": draw(st.integers(1, 60)),
        },
        "sage100": {
            "home": draw(st.sampled_from([r"\\SAGE01\Sage\MAS90\Home", r"C:\Sage\MAS90\Home"])),
            "company": draw(st.from_regex(r"[A-Z0-9]{3}", fullmatch=True)),
            "user": draw(st.text("abcxyz", min_size=1, max_size=8)),
            "password": draw(refs),
            "use_batches": draw(st.booleans()),
        },
        "sync": {
            "invoices": bool(routes),
            "invoice_routes": routes,
            "mark_exported": draw(st.booleans()),
            "look_back_minutes": draw(st.integers(0, 1440)),
        },
    }


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    pair_names = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    data: dict[str, Any] = {"pairs": {n: draw(pair(i)) for i, n in enumerate(pair_names)}}
    if draw(st.booleans()):
        data["schedule"] = {"cron": draw(st.sampled_from(["*/20 * * * *", "0 6-20 * * 1-5"]))}
    else:
        data["schedule"] = {"interval_minutes": draw(st.integers(1, 1440))}
    return data


@settings(max_examples=40, deadline=None)
@given(configs())
def test_written_configs_load_back_unchanged(data: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        config = config_from_mapping(data, base_dir=base)
        write_config(config, base / "config.toml")
        assert load_config(base / "config.toml") == config
