"""`ml-connector init`: from flags or prompts to a loadable config, secrets in the keyring
(or left as environment references), never in the file or the output."""

from __future__ import annotations

from pathlib import Path

import typer
from check_support import APP_KEY, SAGE_PASSWORD, SECRETS, ST_SECRET, TENANT, CliResult, Invoke
from typer.testing import CliRunner

from ml_connector.app.cli import init as init_cli
from ml_connector.app.config.files import load_config
from ml_connector.app.config.secrets import MemoryKeyring, SecretStore
from ml_connector.sandbox.servicetitan.server import RunningSandbox


def flags(st: RunningSandbox, root: Path, *, secrets: bool = True) -> list[str]:
    args = [
        "--pair", "demo",
        "--st-environment", "custom",
        "--st-api-base", st.base_url,
        "--st-auth-url", f"{st.base_url}/connect/token",
        "--st-tenant-id", str(TENANT),
        "--st-client-id", "sandbox-client",
        "--sage-mode", "sandbox",
        "--sage-root", str(root),
        "--sage-company", "abc",
        "--sage-user", "sync",
    ]  # fmt: skip
    if secrets:
        args += ["--st-client-secret", ST_SECRET, "--st-app-key", APP_KEY]
        args += ["--sage-password", SAGE_PASSWORD]
    return args


def test_init_from_flags_stores_secrets_in_the_keyring(
    cli: Invoke,
    st_sandbox: RunningSandbox,
    sage_root: Path,
    tmp_path: Path,
    keyring_backend: MemoryKeyring,
) -> None:
    keyring_backend.entries.clear()
    path = tmp_path / "etc" / "config.toml"
    result = cli(
        "init",
        "--config",
        str(path),
        "--non-interactive",
        "--no-check",
        *flags(st_sandbox, sage_root),
        "--interval-minutes",
        "20",
        "--no-batches",
    )
    result.assert_clean()
    assert result.exit_code == 0, result.stderr
    text = path.read_text(encoding="utf-8")
    for secret in SECRETS:
        assert secret not in text
    config = load_config(path)
    pair = config.pair("demo")
    assert str(pair.servicetitan.client_secret) == "keyring:ml-connector/demo.st-client-secret"
    assert pair.sage100.company == "ABC"
    assert pair.sage100.use_batches is False
    assert config.schedule.interval_minutes == 20
    assert pair.sync.application_guid is not None
    assert keyring_backend.entries == {
        ("ml-connector", "demo.st-client-secret"): ST_SECRET,
        ("ml-connector", "st-app-key"): APP_KEY,
        ("ml-connector", "demo.sage-password"): SAGE_PASSWORD,
    }
    assert "Stored 3 secrets" in result.stdout
    assert "MemoryKeyring" in result.stdout


def test_init_then_check_is_green(
    cli: Invoke, st_sandbox: RunningSandbox, sage_root: Path, tmp_path: Path
) -> None:
    st_sandbox.set_faults("")
    path = tmp_path / "config.toml"
    result = cli(
        "init",
        "--config",
        str(path),
        "--non-interactive",
        "--check",
        *flags(st_sandbox, sage_root, secrets=False),
        env={
            "MLC_INIT_ST_CLIENT_SECRET": ST_SECRET,
            "MLC_INIT_ST_APP_KEY": APP_KEY,
            "MLC_INIT_SAGE_PASSWORD": SAGE_PASSWORD,
        },
    )
    result.assert_clean()
    assert result.exit_code == 0, result.stdout
    assert "all checks passed" in result.stdout


def test_non_interactive_names_every_missing_flag(cli: Invoke, tmp_path: Path) -> None:
    result = cli(
        "init", "--config", str(tmp_path / "c.toml"), "--non-interactive", "--st-client-id", "abc"
    )
    assert result.exit_code == 2
    for flag in ("--st-tenant-id", "--st-client-secret", "--st-app-key", "--sage-home",
                 "--sage-company", "--sage-user", "--sage-password"):  # fmt: skip
        assert flag in result.stderr
    assert "--st-client-id" not in result.stderr.split("missing", 1)[1].split("\n")[0]
    assert not (tmp_path / "c.toml").exists()


def test_secrets_as_environment_references(
    cli: Invoke,
    st_sandbox: RunningSandbox,
    sage_root: Path,
    tmp_path: Path,
    keyring_backend: MemoryKeyring,
) -> None:
    keyring_backend.entries.clear()
    path = tmp_path / "config.toml"
    result = cli(
        "init",
        "--config",
        str(path),
        "--non-interactive",
        "--no-check",
        "--secrets",
        "env",
        *flags(st_sandbox, sage_root, secrets=False),
    )
    assert result.exit_code == 0, result.stderr
    pair = load_config(path).pair("demo")
    assert str(pair.servicetitan.app_key) == "env:MLC_DEMO_ST_APP_KEY"
    assert str(pair.sage100.password) == "env:MLC_DEMO_SAGE_PASSWORD"
    assert "MLC_DEMO_ST_CLIENT_SECRET" in result.stdout
    assert keyring_backend.entries == {}


def test_refuses_to_replace_a_config(cli: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("# mine\n", encoding="utf-8")
    result = cli("init", "--config", str(path), "--non-interactive")
    assert result.exit_code == 2
    assert "already exists" in result.stderr
    assert path.read_text(encoding="utf-8") == "# mine\n"


def test_invalid_value_is_named_and_nothing_is_stored(
    cli: Invoke,
    st_sandbox: RunningSandbox,
    sage_root: Path,
    tmp_path: Path,
    keyring_backend: MemoryKeyring,
) -> None:
    keyring_backend.entries.clear()
    args = flags(st_sandbox, sage_root)
    args[args.index("--sage-company") + 1] = "TOOLONG"
    result = cli("init", "--config", str(tmp_path / "c.toml"), "--non-interactive", *args)
    result.assert_clean()
    assert result.exit_code == 2
    assert "pairs.demo.sage100.company" in result.stderr
    assert keyring_backend.entries == {}


def test_interactive_prompts_hide_secrets(
    cli: Invoke,
    st_sandbox: RunningSandbox,
    sage_root: Path,
    tmp_path: Path,
    keyring_backend: MemoryKeyring,
) -> None:
    keyring_backend.entries.clear()
    answers = [
        "prod", "custom", st_sandbox.base_url, f"{st_sandbox.base_url}/connect/token", str(TENANT),
        "sandbox-client", ST_SECRET, APP_KEY, "sandbox", str(sage_root), "ABC", "sync",
        SAGE_PASSWORD, "02", "off", "20", "y", "n", "n",
    ]  # fmt: skip  # then: AP division, batches, minutes, create vendors, mark exported, check
    path = tmp_path / "config.toml"
    result = cli("init", "--config", str(path), "--pair", "demo", input="\n".join(answers) + "\n")
    result.assert_clean()
    assert result.exit_code == 0, result.stdout
    assert "ServiceTitan client secret" in result.stdout
    assert "Answer one of: production, integration, custom" in result.stdout
    assert "Run the connectivity check now?" in result.stdout
    config = load_config(path)
    assert config.pair("demo").sage100.root == sage_root
    assert config.pair("demo").sage100.ap_division == "02"
    assert config.pair("demo").sage100.use_batches is False
    assert config.schedule.interval_minutes == 20
    assert config.pair("demo").sync.mark_exported is False
    assert len(keyring_backend.entries) == 3


def run_for_service(
    tmp_path: Path, st: RunningSandbox, root: Path, who: str, *extra: str
) -> tuple[CliResult, MemoryKeyring]:
    backend = MemoryKeyring()
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """test"""

    store = SecretStore(environ={}, keyring_backend=backend)
    init_cli.register(app, store_factory=lambda: store, platform="win32", identity=lambda: who)
    path = tmp_path / f"{who.replace(chr(92), '_')}.toml"
    done = CliRunner().invoke(
        app,
        [
            "init",
            "--config",
            str(path),
            "--non-interactive",
            "--no-check",
            "--for-service",
            *extra,
            *flags(st, root),
        ],
    )
    return CliResult(done.exit_code, done.stdout, done.stderr), backend


def test_for_service_as_an_administrator_falls_back_to_machine_variables(
    st_sandbox: RunningSandbox, sage_root: Path, tmp_path: Path
) -> None:
    result, backend = run_for_service(tmp_path, st_sandbox, sage_root, "CONTOSO\\admin")
    result.assert_clean()
    assert result.exit_code == 0, result.stderr
    assert backend.entries == {}
    assert "runs as LocalSystem, which cannot read the Credential Manager of CONTOSO\\admin" in (
        result.stdout
    )
    assert "setx /M" in result.stdout
    assert "psexec -s -i" in result.stdout
    assert "MLC_DEMO_ST_APP_KEY" in result.stdout


def test_for_service_from_a_system_prompt_uses_its_keyring(
    st_sandbox: RunningSandbox, sage_root: Path, tmp_path: Path
) -> None:
    result, backend = run_for_service(tmp_path, st_sandbox, sage_root, "NT AUTHORITY\\SYSTEM")
    result.assert_clean()
    assert result.exit_code == 0, result.stderr
    assert len(backend.entries) == 3
    assert "credential store of NT AUTHORITY\\SYSTEM" in result.stdout


def test_for_service_as_its_dedicated_account_uses_its_keyring(
    st_sandbox: RunningSandbox, sage_root: Path, tmp_path: Path
) -> None:
    account = ("--service-account", ".\\mlsvc")
    result, backend = run_for_service(tmp_path, st_sandbox, sage_root, "SAGESRV\\mlsvc", *account)
    assert result.exit_code == 0, result.stderr
    assert len(backend.entries) == 3
    other, backend = run_for_service(tmp_path, st_sandbox, sage_root, "SAGESRV\\admin", *account)
    assert other.exit_code == 0, other.stderr
    assert backend.entries == {}
    assert "runas /user:.\\mlsvc cmd.exe" in other.stdout
