"""`ml-connector users ...`: web app accounts made on the server, passwords never shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_world import PairSpec, write_test_config
from typer.testing import CliRunner

from ml_connector.app.cli import main as cli
from ml_connector.errors import ConnectorError
from ml_connector.store.sql import SqlStateStore

PASSWORD = "Long-enough-pass-9"


def test_add_list_password_disable(tmp_path: Path, secret_env: None) -> None:
    cli.register_all()
    config = write_test_config(
        tmp_path / "config.toml", [PairSpec("main", "http://127.0.0.1:9", tmp_path / "sage")]
    )

    def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
        result = CliRunner().invoke(cli.app, [*args, "-c", str(config)], input=stdin)
        text = result.stdout + result.stderr
        if isinstance(result.exception, ConnectorError):  # `main()` prints it, exit 2
            return 2, text + result.exception.describe()
        assert PASSWORD not in text
        return result.exit_code, text

    assert run("users", "add", "Maria", "--password-stdin", stdin=f"{PASSWORD}\n")[0] == 0
    code, text = run("users", "add", "maria", "--password-stdin", stdin=f"{PASSWORD}\n")
    assert code == 2
    assert "already a user named 'maria'" in text
    code, text = run("users", "add", "bob", "--password-stdin", stdin="short\n")
    assert code == 2
    assert "at least 10 characters" in text
    assert run("users", "password", "maria", "--password-stdin", stdin="Another-pass-10\n")[0] == 0
    assert run("users", "disable", "maria")[0] == 0
    code, text = run("users", "list")
    assert code == 0
    assert "maria\tclerk (disabled)" in text

    store = SqlStateStore.open(f"sqlite:///{tmp_path / 'ml-connector.sqlite'}")
    with store.browse() as browse:
        user = browse.get_user("maria")
    with store.transaction() as tx:
        actions = [e.action for e in tx.iter_audit()]
    store.close()
    assert user is not None
    assert user.password_hash.startswith("scrypt$")
    assert actions == ["user_added", "user_password_set", "user_disabled"]


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
