"""The config file: layout, defaults, clear errors, the writer, the sandbox rule."""

from __future__ import annotations

import stat
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import SecretStr

from ml_connector.app.config.files import (
    ConfigFileError,
    init_config,
    load_config,
    sandbox_config,
    write_config,
)
from ml_connector.app.config.secrets import SecretRef
from ml_connector.errors import Action, ConfigError

WriteToml = Callable[..., Path]

MINIMAL = (Path(__file__).parent / "conftest.py").read_text(encoding="utf-8")
MINIMAL = MINIMAL.split('MINIMAL = """', 1)[1].split('"""', 1)[0].replace("\\\\", "\\")


def test_the_example_loads_and_resolves_paths_next_to_it(example_path: Path) -> None:
    config = load_config(example_path)
    pair = config.pair("main")
    assert config.pair_ids() == ["main"]
    assert pair.servicetitan.api_base_url == "https://api.servicetitan.io"
    assert pair.servicetitan.token_url == "https://auth.servicetitan.io/connect/token"
    assert pair.sage100.home == "\\\\SAGE01\\Sage\\Sage 100 Advanced\\MAS90\\Home"
    assert pair.sage100.webservices is not None
    assert pair.sync.gl_rules == example_path.parent / "gl-rules.toml"
    assert pair.sync.invoice_routes[0].vendor == "fixed:00-PLUMBCO"
    assert config.state.url == f"sqlite:///{(example_path.parent / 'ml-connector.sqlite')}"
    assert config.logging.file == example_path.parent / "logs" / "ml-connector.log"
    assert config.webhooks is not None
    assert config.webhooks.port == 8790
    keys = [key for key, _ in config.secret_references()]
    assert "pairs.main.sage100.webservices.password" in keys
    assert "webhooks.hmac_key" in keys


def test_minimal_config_gets_the_documented_defaults(write_toml: WriteToml) -> None:
    path = write_toml(MINIMAL)
    config = load_config(path)
    pair = config.pair("main")
    assert pair.servicetitan.environment == "production"
    assert pair.servicetitan.max_rps == 50
    assert pair.sage100.company == "ABC"  # upper-cased
    assert pair.sage100.ap_division == "00"
    assert pair.sage100.use_batches is None  # follow A/P Options
    assert pair.sage100.module_date == "today"
    assert pair.sync.ap_bills is True
    assert pair.sync.invoices is False
    assert pair.sync.create_missing_vendors is True
    assert pair.sync.create_vendors_in_servicetitan is False
    assert pair.sync.mark_exported is False
    assert pair.sync.invoice_routes == []
    assert pair.sync.look_back_minutes == 10
    assert config.schedule.interval_minutes == 15
    assert config.schedule.cron is None
    assert config.state.url == f"sqlite:///{path.parent.resolve() / 'ml-connector.sqlite'}"
    assert config.logging.level == "INFO"
    assert config.logging.format == "auto"
    assert config.webhooks is None
    assert config.dashboard.port == 8780


def _error(write_toml: WriteToml, text: str) -> ConfigFileError:
    path = write_toml(text)
    with pytest.raises(ConfigFileError) as caught:
        load_config(path)
    err = caught.value
    assert err.path == path
    assert str(path) in str(err)
    assert err.action is Action.STOP
    return err


@pytest.mark.parametrize(
    ("change", "key", "cause"),
    [
        (
            ("max_rps = 50", "max_rps = 100"),
            "pairs.main.servicetitan.max_rps",
            "less than or equal",
        ),
        (('ap_division = "00"', 'pasword = "x"'), "pairs.main.sage100.pasword", "unknown key"),
        (("tenant_id = 1234567\n", ""), "pairs.main.servicetitan.tenant_id", "required"),
        (('company = "abc"', 'company = "ABCD"'), "pairs.main.sage100.company", "pattern"),
    ],
)
def test_errors_name_the_file_the_key_and_the_cause(
    write_toml: WriteToml, change: tuple[str, str], key: str, cause: str
) -> None:
    text = MINIMAL.replace("tenant_id = 1234567\n", "tenant_id = 1234567\nmax_rps = 50\n", 1)
    text = text.replace('user = "mlconnect"', 'user = "mlconnect"\nap_division = "00"')
    err = _error(write_toml, text.replace(*change, 1))
    assert [k for k, _ in err.problems] == [key]
    assert cause in err.problems[0][1]


@pytest.mark.parametrize(
    ("extra", "key", "cause"),
    [
        ('[schedule]\ncron = "every tuesday"\n', "schedule.cron", "cron"),
        ('[schedule]\ncron = "*/20 * * * *"\ninterval_minutes = 20\n', "schedule", "not both"),
        ("[pairs.main.sync]\ninvoices = true\n", "pairs.main.sync", "invoice_routes"),
        (
            "[pairs.main.sync]\ncreate_vendors_in_servicetitan = true\n",
            "pairs.main.sync",
            "application_guid",
        ),
        ('[pairs.main.sync]\napplication_guid = "nope"\n', "pairs.main.sync.application_guid", ""),
        (
            '[state]\nurl = "postgresql+psycopg://mlc:hunter2@db/mlc"\n',
            "state.url",
            "password",
        ),
        ('[webhooks]\nlisten = "8790"\n', "webhooks.listen", "host:port"),
        (
            '[[pairs.main.sync.invoice_routes]]\nname = "all"\nvendor = "fixed:00-SUBCO"\n',
            "pairs.main.sync.invoice_routes[0]",
            "selects every invoice",
        ),
    ],
)
def test_section_rules(write_toml: WriteToml, extra: str, key: str, cause: str) -> None:
    err = _error(write_toml, MINIMAL + extra)
    assert err.problems[0][0] == key
    assert cause in err.problems[0][1]
    assert "hunter2" not in str(err)


def test_a_literal_secret_is_refused_and_never_echoed(write_toml: WriteToml) -> None:
    text = MINIMAL.replace('"env:ST_CLIENT_SECRET"', '"s3cr3t-value-123"')
    err = _error(write_toml, text)
    assert err.problems[0][0] == "pairs.main.servicetitan.client_secret"
    assert "keyring:" in err.problems[0][1]
    assert "s3cr3t-value-123" not in err.describe()


def test_a_sandbox_literal_is_refused_for_production(write_toml: WriteToml) -> None:
    text = MINIMAL.replace('"env:ST_CLIENT_SECRET"', '"sandbox:sandbox-secret"')
    err = _error(write_toml, text)
    assert "loopback sandbox" in err.problems[0][1]
    assert "sandbox-secret" not in err.describe()


def test_a_sandbox_literal_sage_password_needs_sandbox_mode(write_toml: WriteToml) -> None:
    text = MINIMAL.replace('"keyring:ml-connector/main.sage-password"', '"sandbox:sandbox"')
    err = _error(write_toml, text)
    assert "mode = 'sandbox'" in err.problems[0][1]


def test_custom_environment_needs_its_urls_and_only_custom_has_them(
    write_toml: WriteToml,
) -> None:
    err = _error(write_toml, MINIMAL.replace("tenant_id", 'environment = "custom"\ntenant_id'))
    assert "api_base and auth_url" in err.problems[0][1]
    err = _error(
        write_toml, MINIMAL.replace("tenant_id", 'api_base = "https://x.example"\ntenant_id')
    )
    assert "only for environment = 'custom'" in err.problems[0][1]


def test_two_pairs_on_the_same_tenant_and_company_are_refused(write_toml: WriteToml) -> None:
    err = _error(write_toml, MINIMAL + MINIMAL.replace("pairs.main", "pairs.second"))
    assert err.problems[0][0] == "pairs"
    assert "'main' and 'second'" in err.problems[0][1]


def test_bad_pair_name(write_toml: WriteToml) -> None:
    err = _error(write_toml, MINIMAL.replace("pairs.main", 'pairs."Main Office"'))
    assert "pair name" in err.problems[0][1]


def test_several_problems_are_all_listed(write_toml: WriteToml) -> None:
    text = MINIMAL.replace("tenant_id = 1234567", "tenant_id = -1").replace(
        'company = "abc"', 'company = ""'
    )
    err = _error(write_toml, text)
    assert len(err.problems) == 2
    assert "2 problems" in str(err)


def test_toml_syntax_errors_name_the_line(write_toml: WriteToml) -> None:
    err = _error(write_toml, "[pairs.main.servicetitan]\ntenant_id = 12 34\n")
    assert "line 2" in str(err)
    assert "not valid TOML" in str(err)


def test_a_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError) as caught:
        load_config(tmp_path / "nope.toml")
    assert "not found" in str(caught.value)
    assert "ml-connector init" in (caught.value.hint or "")


def test_the_writer_round_trips_and_writes_relative_paths(
    example_path: Path, tmp_path: Path
) -> None:
    # Load the example as if it lived in tmp_path, so its relative paths point there.
    (tmp_path / "config.toml").write_bytes(example_path.read_bytes())
    config = load_config(tmp_path / "config.toml")
    target = tmp_path / "written.toml"  # same folder: paths inside it are written relative
    write_config(config, target)
    again = load_config(target)
    assert again.pair("main").sync.gl_rules == tmp_path / "gl-rules.toml"
    assert again.model_dump(exclude={"state", "logging"}) == config.model_dump(
        exclude={"state", "logging"}
    )
    text = target.read_text(encoding="utf-8")
    assert 'url = "sqlite:///ml-connector.sqlite"' in text  # next to the new file
    assert 'file = "logs/ml-connector.log"' in text
    assert "keyring:ml-connector/main.sage-password" in text
    if sys.platform != "win32":
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with pytest.raises(ConfigError, match="already exists"):
        write_config(config, target)
    write_config(config, target, overwrite=True)
    elsewhere = tmp_path / "elsewhere" / "config.toml"  # a file that stays put keeps its path
    write_config(config, elsewhere)
    assert load_config(elsewhere).state.url == config.state.url


def test_sandbox_config_is_accepted_on_loopback_only(tmp_path: Path) -> None:
    config = sandbox_config(
        base_dir=tmp_path, st_base_url="http://127.0.0.1:54321", sage_root=tmp_path / "sage"
    )
    st = config.pair("demo").servicetitan
    assert st.token_url == "http://127.0.0.1:54321/connect/token"
    assert st.client_secret == SecretRef.sandbox("sandbox-secret")
    write_config(config, tmp_path / "config.toml")
    text = (tmp_path / "config.toml").read_text(encoding="utf-8")
    assert 'client_secret = "sandbox:sandbox-secret"' in text
    assert 'root = "sage"' in text
    assert load_config(tmp_path / "config.toml").pair("demo").sage100.root == tmp_path / "sage"
    with pytest.raises(ConfigFileError) as caught:
        sandbox_config(
            base_dir=tmp_path, st_base_url="https://st.example.com", sage_root=tmp_path / "s"
        )
    assert "loopback sandbox" in str(caught.value)


def test_fixed_module_date_takes_a_toml_date(write_toml: WriteToml, tmp_path: Path) -> None:
    text = MINIMAL.replace(
        'user = "mlconnect"',
        'user = "mlconnect"\nmodule_date = "fixed"\nmodule_date_value = 2026-03-31',
    )
    config = load_config(write_toml(text))
    assert str(config.pair("main").sage100.module_date_value) == "2026-03-31"
    write_config(config, tmp_path / "again.toml")
    assert load_config(tmp_path / "again.toml") == config.model_copy()
    err = _error(write_toml, text.replace('module_date = "fixed"\n', ""))
    assert "module_date_value" in err.problems[0][1]


def test_state_url_gets_its_password_from_a_reference(write_toml: WriteToml) -> None:
    text = MINIMAL + ('[state]\nurl = "postgres://mlc@db01:5432/mlc"\npassword = "env:PGPASS_ML"\n')
    state = load_config(write_toml(text)).state
    assert state.password == SecretRef.parse("env:PGPASS_ML")
    full = state.url_with_password(SecretStr("p@ss/w:rd"))
    assert full == "postgres://mlc:p%40ss%2Fw%3Ard@db01:5432/mlc"
    assert state.url_with_password(None) == "postgres://mlc@db01:5432/mlc"


def test_init_config_uses_conventional_references_and_a_fresh_guid(tmp_path: Path) -> None:
    first = init_config(
        base_dir=tmp_path,
        tenant_id=99,
        client_id="cid.x",
        sage_home=r"\\SAGE01\Sage\MAS90\Home",
        company="abc",
        user="mlc",
    )
    second = init_config(
        base_dir=tmp_path, tenant_id=99, client_id="c", sage_home="h", company="ABC", user="u"
    )
    pair = first.pair("main")
    assert str(pair.servicetitan.client_secret) == "keyring:ml-connector/main.st-client-secret"
    assert str(pair.sage100.password) == "keyring:ml-connector/main.sage-password"
    assert pair.sync.application_guid != second.pair("main").sync.application_guid
    write_config(first, tmp_path / "config.toml")
    assert load_config(tmp_path / "config.toml") == first


def test_a_file_saved_by_notepad_with_a_bom_loads(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.replace("\n", "\r\n").encode("utf-8"))
    assert load_config(path).pair("main").sage100.company == "ABC"
