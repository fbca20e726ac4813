"""Secret references, resolution through keyring or the environment, and the CLI."""

from __future__ import annotations

from pathlib import Path

import keyring.backends.fail
import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr
from typer.testing import CliRunner

from ml_connector.app.cli import secrets as secrets_cli
from ml_connector.app.config.credentials import check_secrets, resolve_pair, webservices_settings
from ml_connector.app.config.files import load_config, sandbox_config, write_config
from ml_connector.app.config.secrets import MemoryKeyring, SecretRef, SecretStore, current_identity
from ml_connector.errors import ConfigError

VALUE = "Zq8-very-secret-value"


@pytest.mark.parametrize(
    "text",
    ["hunter2", "keyring:", "keyring:svcXq", "keyring:/nameXq", "env:", "env:1BADXq", "vault:x/Xq"],
)
def test_bad_references_are_refused_without_echo(text: str) -> None:
    with pytest.raises(ValueError, match=r"keyring|env|sandbox|reference") as caught:
        SecretRef.parse(text)
    assert "hunter2" not in str(caught.value)
    assert "Xq" not in str(caught.value)


@given(
    service=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True),
    name=st.text(
        alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=30
    ),
    var=st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True),
)
def test_references_round_trip(service: str, name: str, var: str) -> None:
    for ref in (SecretRef("keyring", service=service, name=name), SecretRef("env", name=var)):
        assert SecretRef.parse(ref.to_config()) == ref
        assert str(ref) == ref.to_config()


def test_a_sandbox_literal_is_hidden_when_shown() -> None:
    ref = SecretRef.parse(f"sandbox:{VALUE}")
    assert VALUE not in str(ref)
    assert VALUE not in repr(ref)
    assert ref.to_config() == f"sandbox:{VALUE}"
    assert ref == SecretRef.sandbox(VALUE)
    assert ref != SecretRef.sandbox("other")


def test_environment_references() -> None:
    seen: list[str] = []
    store = SecretStore(environ={"ST_SECRET": VALUE}, on_resolve=seen.append)
    assert store.resolve(SecretRef.parse("env:ST_SECRET")).get_secret_value() == VALUE
    assert seen == [VALUE]
    with pytest.raises(ConfigError) as caught:
        store.resolve(SecretRef.parse("env:MISSING_ONE"), key="pairs.main.sage100.password")
    assert "pairs.main.sage100.password = env:MISSING_ONE" in str(caught.value)
    assert "not set" in str(caught.value)


def test_keyring_references_with_an_in_memory_backend() -> None:
    backend = MemoryKeyring()
    store = SecretStore(keyring_backend=backend, environ={})
    ref = SecretRef.parse("keyring:ml-connector/main.sage-password")
    store.store(ref, SecretStr(VALUE))
    assert backend.entries == {("ml-connector", "main.sage-password"): VALUE}
    assert store.resolve(ref) == SecretStr(VALUE)
    store.delete(ref)
    with pytest.raises(ConfigError) as caught:
        store.resolve(ref, key="pairs.main.sage100.password")
    err = caught.value
    assert "keyring:ml-connector/main.sage-password" in str(err)
    assert current_identity() in str(err)
    assert "invisible" in (err.hint or "")
    assert VALUE not in err.describe()


def test_no_usable_keyring_is_a_clear_config_error() -> None:
    store = SecretStore(keyring_backend=keyring.backends.fail.Keyring(), environ={})
    with pytest.raises(ConfigError) as caught:
        store.resolve(SecretRef.parse("keyring:ml-connector/x"))
    assert "no usable credential store" in str(caught.value)
    assert "env:" in (caught.value.hint or "")


def test_only_keyring_references_can_be_stored() -> None:
    store = SecretStore(keyring_backend=MemoryKeyring(), environ={})
    with pytest.raises(ConfigError, match="only keyring"):
        store.store(SecretRef.parse("env:X"), SecretStr("v"))
    with pytest.raises(ConfigError, match="empty"):
        store.store(SecretRef.parse("keyring:s/n"), SecretStr(""))


def test_memory_keyring_is_never_picked_automatically() -> None:
    assert MemoryKeyring.viable is False
    assert MemoryKeyring not in keyring.backend.get_all_keyring()


def test_resolving_a_pair_and_checking_every_reference(example_path: Path) -> None:
    config = load_config(example_path)
    backend = MemoryKeyring(
        {
            ("ml-connector", "main.st-client-secret"): "st-secret",
            ("ml-connector", "st-app-key"): "app-key",
            ("ml-connector", "main.sage-password"): "sage-pw",
            ("ml-connector", "main.sage-ws-password"): "ws-pw",
        }
    )
    store = SecretStore(keyring_backend=backend, environ={})
    creds = resolve_pair(config, "main", store)
    assert creds.sage_password.get_secret_value() == "sage-pw"
    assert creds.webservices_password == SecretStr("ws-pw")
    ws = webservices_settings(config, "main", store)
    assert ws is not None
    assert (ws.company, ws.user, ws.password.get_secret_value()) == ("ABC", "mlconnect", "ws-pw")
    checks = check_secrets(config, store)
    missing = [c.key for c in checks if c.problem]
    assert missing == ["webhooks.hmac_key"]
    assert all("st-secret" not in (c.problem or "") for c in checks)


def _cli(store: SecretStore) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    def version() -> None:  # a second command keeps `secrets` a sub-command
        """Unused."""

    secrets_cli.register(app, store_factory=lambda: store)
    return app


def test_cli_set_check_and_delete(tmp_path: Path) -> None:
    backend = MemoryKeyring()
    store = SecretStore(keyring_backend=backend, environ={})
    app = _cli(store)
    runner = CliRunner()
    result = runner.invoke(
        app, ["secrets", "set", "keyring:ml-connector/k1", "--from-stdin"], input=f"{VALUE}\n"
    )
    assert result.exit_code == 0, result.output
    assert backend.entries[("ml-connector", "k1")] == VALUE
    assert VALUE not in result.output

    config = sandbox_config(base_dir=tmp_path, st_base_url="http://127.0.0.1:1", sage_root=tmp_path)
    path = tmp_path / "config.toml"
    write_config(config, path)
    result = runner.invoke(app, ["secrets", "check", "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert "ok      pairs.demo.sage100.password = sandbox:***" in result.output
    assert "sandbox-secret" not in result.output

    result = runner.invoke(app, ["secrets", "delete", "keyring:ml-connector/k1"])
    assert result.exit_code == 0
    assert backend.entries == {}
    result = runner.invoke(app, ["secrets", "set", "--for-service-account"])
    assert "psexec -s" in result.output
    assert secrets_cli.service_account_guide("keyring:a/b").count("keyring:a/b") == 2


def test_cli_check_reports_missing_secrets(example_path: Path) -> None:
    store = SecretStore(keyring_backend=MemoryKeyring(), environ={})
    result = CliRunner().invoke(_cli(store), ["secrets", "check", "--config", str(example_path)])
    assert isinstance(result.exception, ConfigError)
    assert "MISSING pairs.main.sage100.password = keyring:ml-connector/main.sage-password" in (
        result.output
    )
