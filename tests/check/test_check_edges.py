"""The check's edges: the config file itself, an unknown pair, an unexpected error, BOI off
Windows, the COM registration verdicts, eBusiness Web Services, and the real entry point as
a subprocess (no traceback reaches the user)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import keyring.errors
import tomli_w
from check_support import APP_KEY, SAGE_PASSWORD, SECRETS, ST_SECRET, ConfigMaker, Invoke
from keyring.backend import KeyringBackend
from keyring.compat import properties

from ml_connector.app.check.run import CheckOptions, run_checks
from ml_connector.app.check.sage import ComRegistration, SageCheckOptions, com_registration_row
from ml_connector.app.check.types import Rows
from ml_connector.app.config.secrets import MemoryKeyring, SecretStore
from ml_connector.sandbox.webservices import running_webservices


def test_missing_config_file(cli: Invoke, tmp_path: Path) -> None:
    result = cli("check", "--config", str(tmp_path / "none.toml"), "--json")
    result.assert_clean()
    assert result.exit_code == 1
    (row,) = result.json()["checks"]
    assert (row["system"], row["name"], row["verdict"]) == ("config", "config file", "FAILED")
    assert "not found" in row["detail"]
    assert "ml-connector init" in row["fix"]


def test_config_that_is_not_toml(cli: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[pairs.demo\npassword = "{SAGE_PASSWORD}"\n', encoding="utf-8")
    result = cli("check", "--config", str(path))
    result.assert_clean()
    assert result.exit_code == 1
    assert "not valid TOML" in result.stdout


def test_config_with_a_wrong_key_names_it(cli: Invoke, make_config: ConfigMaker) -> None:
    path = make_config.write(sage={"company": "TOOLONG"})
    result = cli("check", "--config", str(path), "--json")
    result.assert_clean()
    assert result.exit_code == 1
    (row,) = result.json()["checks"]
    assert "pairs.demo.sage100.company" in row["detail"]


def test_unknown_pair(cli: Invoke, make_config: ConfigMaker) -> None:
    result = cli("check", "--config", str(make_config.write()), "--pair", "other", "--json")
    assert result.exit_code == 1
    rows = result.rows()
    assert rows[("config", "pair")]["fix"] == "Use one of: demo."


def test_one_pair_only(cli: Invoke, make_config: ConfigMaker) -> None:
    result = cli("check", "--config", str(make_config.write()), "--pair", "demo", "--json")
    assert result.exit_code == 0
    assert {r["pair"] for r in result.json()["checks"]} == {"", "demo"}


class ExplodingKeyring(KeyringBackend):
    """A keyring backend with a bug of its own (not a KeyringError)."""

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("only used when passed explicitly")

    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError(f"backend bug while reading {username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("read-only")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.PasswordDeleteError("read-only")


def test_unexpected_error_is_a_row_and_goes_to_the_log_file(make_config: ConfigMaker) -> None:
    import typer
    from typer.testing import CliRunner

    from ml_connector.app.cli import check as check_cli

    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """test"""

    store = SecretStore(environ={}, keyring_backend=ExplodingKeyring())
    check_cli.register(app, store_factory=lambda: store)
    path = make_config.write()
    result = CliRunner().invoke(app, ["check", "--config", str(path), "--json"])
    assert result.exit_code == 1
    assert "Traceback" not in result.stdout + result.stderr
    rows = {(r["system"], r["name"]): r for r in json.loads(result.stdout)["checks"]}
    row = rows[("config", "secret servicetitan.client_secret")]
    assert row["detail"] == (
        "unexpected error: RuntimeError: backend bug while reading demo.st-client-secret"
    )
    assert rows[("servicetitan", "token")]["verdict"] == "skipped"
    log = (make_config.folder / "logs" / "check.log").read_text(encoding="utf-8")
    assert "check_unexpected_error" in log
    for secret in SECRETS:
        assert secret not in log
    assert "Traceback" in log  # the details are in the log file, not on the screen


def test_unwritable_log_file_is_a_warning(cli: Invoke, make_config: ConfigMaker) -> None:
    path = make_config.write()
    text = path.read_text(encoding="utf-8").replace("logs/check.log", "config.toml/check.log")
    path.write_text(text, encoding="utf-8")
    result = cli("check", "--config", str(path), "--json")
    result.assert_clean()
    assert result.exit_code == 0  # a warning, and the JSON is still the only output
    row = result.rows()[("config", "log file")]
    assert row["verdict"] == "warning"
    assert "[logging] file" in row["fix"]


def test_boi_needs_windows(cli: Invoke, make_config: ConfigMaker) -> None:
    path = make_config.write(sage={"mode": "boi", "home": r"C:\Sage\MAS90\Home"}, drop=("root",))
    result = cli("check", "--config", str(path), "--json")
    result.assert_clean()
    rows = result.rows()
    if sys.platform == "win32":  # pragma: no cover - the check then tries the real COM server
        return
    assert result.exit_code == 1
    platform = rows[("sage100", "platform")]
    assert platform["verdict"] == "FAILED"
    assert "BOI needs Windows" in platform["detail"]
    assert rows[("sage100", "login")]["detail"] == "skipped: BOI needs Windows"


def boi_report(  # type: ignore[no-untyped-def]
    make_config: ConfigMaker,
    store: SecretStore,
    reg: ComRegistration,
    home: str,
    *,
    pywin32: bool = True,
):
    """The rows of a mode = boi pair, as on Windows (registry and pywin32 as given)."""
    path = make_config.write(sage={"mode": "boi", "home": home}, drop=("root",))
    sage = SageCheckOptions(
        platform="win32", com_registration=lambda: reg, pywin32_installed=lambda: pywin32
    )
    options = CheckOptions(sage=sage)
    report = run_checks(path, store=store, options=options)
    return {(r.system, r.name): r for r in report.results}


def test_boi_with_provide_x_for_the_other_bitness(
    make_config: ConfigMaker, store: SecretStore, tmp_path: Path
) -> None:
    reg = ComRegistration(
        prog_id_found=True, in_64bit_view=False, in_32bit_view=True, python_bits=64
    )
    rows = boi_report(make_config, store, reg, str(tmp_path))
    com = rows[("sage100", "COM registration")]
    assert com.verdict == "FAILED"
    assert "32-bit programs only" in com.detail
    assert "32-bit Python" in com.fix
    assert rows[("sage100", "login")].detail == "skipped: ProvideX.Script is not usable"


def test_boi_home_missing(make_config: ConfigMaker, store: SecretStore, tmp_path: Path) -> None:
    reg = ComRegistration(True, in_64bit_view=True, in_32bit_view=False, python_bits=64)
    rows = boi_report(make_config, store, reg, str(tmp_path / "MAS90" / "Home"))
    assert rows[("sage100", "COM registration")].verdict == "ok"
    home = rows[("sage100", "Home path")]
    assert home.verdict == "FAILED"
    assert "UNC" in home.fix
    assert rows[("sage100", "login")].detail == "skipped: no Home folder"


def test_boi_without_pywin32(make_config: ConfigMaker, store: SecretStore, tmp_path: Path) -> None:
    reg = ComRegistration(True, in_64bit_view=True, in_32bit_view=True, python_bits=64)
    rows = boi_report(make_config, store, reg, str(tmp_path), pywin32=False)
    row = rows[("sage100", "pywin32")]
    assert row.verdict == "FAILED"
    assert "pip install pywin32" in row.fix
    assert rows[("sage100", "Home path")].verdict == "ok"
    assert rows[("sage100", "login")].detail == "skipped: ProvideX.Script is not usable"


def test_com_registration_verdicts() -> None:
    rows = Rows("p", "sage100")
    none = com_registration_row(rows, ComRegistration(False, False, False, 32))
    assert none.verdict == "FAILED"
    assert "not registered" in none.detail
    ok32 = com_registration_row(rows, ComRegistration(True, False, True, 32))
    assert ok32.verdict == "ok"
    only64 = com_registration_row(rows, ComRegistration(True, True, False, 32))
    assert only64.verdict == "FAILED"
    assert "64-bit programs only" in only64.detail


def test_webservices_ok_and_wrong_password(
    cli: Invoke, make_config: ConfigMaker, environ: dict[str, str]
) -> None:
    with running_webservices() as ws:
        path = make_config.write(
            sage={"webservices": {"url": ws.url, "user": "sandbox", "password": "env:WS_PW"}}
        )
        environ["WS_PW"] = "sandbox"
        good = cli("check", "--config", str(path), "--json")
        environ["WS_PW"] = "Wrong-WsPw-0x33"
        bad = cli("check", "--config", str(path), "--json")
    good.assert_clean()
    bad.assert_clean()
    assert good.exit_code == 0
    assert "contract version" in good.rows()[("sage100", "Web Services")]["detail"]
    row = bad.rows()[("sage100", "Web Services")]
    assert bad.exit_code == 1
    assert row["verdict"] == "FAILED"
    assert row["fix"]
    assert "Wrong-WsPw-0x33" not in bad.stdout


def test_real_entry_point_as_a_subprocess(make_config: ConfigMaker, tmp_path: Path) -> None:
    """`python -m ml_connector check`: secrets from the environment, one of them wrong."""
    data_path = make_config.write(
        st={"client_secret": "env:T_ST_SECRET", "app_key": "env:T_APP_KEY"},
        sage={"password": "env:T_SAGE_PW"},
    )
    env = {
        **os.environ,
        "T_ST_SECRET": ST_SECRET,
        "T_APP_KEY": APP_KEY,
        "T_SAGE_PW": "Wrong-SagePw-0x11",
        "COLUMNS": "200",
    }
    for as_json in (False, True):
        args = [sys.executable, "-m", "ml_connector", "check", "--config", str(data_path)]
        done = subprocess.run(
            args + (["--json"] if as_json else []),
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert done.returncode == 1, done.stderr
        for text in (done.stdout, done.stderr):
            assert "Traceback" not in text
            for secret in (*SECRETS, "Wrong-SagePw-0x11"):
                assert secret not in text
        if as_json:
            rows = {(r["system"], r["name"]): r for r in json.loads(done.stdout)["checks"]}
            assert rows[("sage100", "login")]["verdict"] == "FAILED"
            assert rows[("servicetitan", "token")]["verdict"] == "ok"
        else:
            assert "FAILED" in done.stdout
            assert "How to fix" in done.stdout


def test_memory_keyring_left_untouched_by_check(make_config: ConfigMaker) -> None:
    backend = MemoryKeyring({("ml-connector", "demo.st-client-secret"): ST_SECRET})
    before = dict(backend.entries)
    run_checks(make_config.write(), store=SecretStore(environ={}, keyring_backend=backend))
    assert backend.entries == before


def test_production_credentials_refused_names_the_other_environment(
    make_config: ConfigMaker, store: SecretStore
) -> None:
    """Integration credentials sent to production: the fix names the other environment.
    (ServiceTitan's real token endpoint, stood in for by a transport: one edge case.)"""

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "auth.servicetitan.io"
        assert ST_SECRET.encode() in request.content  # sent, but never shown
        return httpx.Response(400, json={"error": "invalid_client"})

    data = make_config.data()
    st = data["pairs"]["demo"]["servicetitan"]
    for key in ("api_base", "auth_url"):
        st.pop(key)
    st["environment"] = "production"
    make_config.folder.mkdir(parents=True, exist_ok=True)
    path = make_config.folder / "prod.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    options = CheckOptions(st_transport=httpx.MockTransport(answer))
    report = run_checks(path, store=store, options=options)
    token = next(r for r in report.results if r.name == "token")
    assert token.verdict == "FAILED"
    assert "production token endpoint" in token.detail
    assert "set environment = 'integration'" in token.fix
    assert ST_SECRET not in json.dumps(report.to_json())
