"""`ml-connector check` against both sandboxes: all green, then each wrong setting on its own
gives its own row, message and fix, with no traceback and no secret in the output."""

from __future__ import annotations

from pathlib import Path

from check_support import APP_KEY, SECRETS, TENANT, ConfigMaker, Invoke, free_port

from ml_connector.sandbox.sage100 import add_user
from ml_connector.sandbox.servicetitan.server import RunningSandbox, running_sandbox
from ml_connector.sandbox.servicetitan.settings import SandboxSettings

ST_MODULE_ROWS = (
    "accounting: AP bills",
    "accounting: GL accounts",
    "inventory: vendors",
    "jpm: jobs",
    "jpm: budget codes",
    "settings: business units",
    "pricebook: categories",
)
SAGE_ROWS = (
    "sandbox root",
    "session",
    "login",
    "company",
    "module date",
    "AP invoice rights (AP_Invoice_bus)",
    "AP vendor rights (AP_Vendor_bus)",
    "GL rights (GL_Account_svc)",
    "AP division",
    "GL account format",
)


def check_json(
    cli: Invoke, path: Path, *extra: str
) -> tuple[int, dict[tuple[str, str], dict[str, str]]]:
    result = cli("check", "--config", str(path), "--json", *extra)
    result.assert_clean()
    return result.exit_code, result.rows()


def assert_sage_ok(rows: dict[tuple[str, str], dict[str, str]]) -> None:
    assert {rows[("sage100", n)]["verdict"] for n in SAGE_ROWS} == {"ok"}


def assert_st_ok(rows: dict[tuple[str, str], dict[str, str]]) -> None:
    names = ("token", "app key", "tenant id", *ST_MODULE_ROWS)
    assert {rows[("servicetitan", n)]["verdict"] for n in names} == {"ok"}


def test_everything_passes_on_the_sandboxes(cli: Invoke, make_config: ConfigMaker) -> None:
    path = make_config.write()
    code, rows = check_json(cli, path)
    assert code == 0
    assert {r["verdict"] for r in rows.values()} == {"ok"}
    assert_st_ok(rows)
    assert_sage_ok(rows)
    assert rows[("config", "secret servicetitan.client_secret")]["detail"] == (
        "keyring:ml-connector/demo.st-client-secret resolved"
    )
    assert "tn.acc.apbills:r" in rows[("servicetitan", "accounting: AP bills")]["detail"]
    assert "9999-99-999" in rows[("sage100", "GL account format")]["detail"]
    company = rows[("sage100", "company")]["detail"]
    assert company.endswith("sales tax in A/P on; Job Cost on"), company  # the demo company
    log = (make_config.folder / "logs" / "check.log").read_text(encoding="utf-8")
    assert "servicetitan.token.issued" in log  # the adapters' own logs go to the file
    for secret in SECRETS:
        assert secret not in log


def test_the_table_names_every_check_and_the_verdict(cli: Invoke, make_config: ConfigMaker) -> None:
    result = cli("check", "--config", str(make_config.write()))
    result.assert_clean()
    assert result.exit_code == 0
    for name in ("token", "tenant id", "AP_Invoice_bus", "GL account format"):
        assert name in result.stdout
    assert "all checks passed" in result.stdout
    assert "FAILED" not in result.stdout


def test_wrong_client_secret(cli: Invoke, make_config: ConfigMaker, keyring_backend) -> None:
    keyring_backend.entries[("ml-connector", "demo.st-client-secret")] = "Wrong-Secret-0x99"
    code, rows = check_json(cli, make_config.write())
    assert code == 1
    token = rows[("servicetitan", "token")]
    assert token["verdict"] == "FAILED"
    assert "rejected the client id or client secret" in token["detail"]
    assert "client_secret" in token["fix"]
    assert "Wrong-Secret-0x99" not in str(rows)
    for name in ("app key", "tenant id", *ST_MODULE_ROWS):
        assert rows[("servicetitan", name)]["detail"] == "skipped: no token"
    assert_sage_ok(rows)  # one failing check does not stop the others


def test_wrong_environment_token_url(cli: Invoke, make_config: ConfigMaker) -> None:
    path = make_config.write(st={"auth_url": f"{make_config.st_base_url}/identity/token"})
    code, rows = check_json(cli, path)
    assert code == 1
    token = rows[("servicetitan", "token")]
    assert token["verdict"] == "FAILED"
    assert "is not a token endpoint" in token["detail"]
    assert "environment" in token["fix"]


def test_nothing_listening_on_the_token_port(cli: Invoke, make_config: ConfigMaker) -> None:
    path = make_config.write(st={"auth_url": f"http://127.0.0.1:{free_port()}/connect/token"})
    code, rows = check_json(cli, path)
    assert code == 1
    token = rows[("servicetitan", "token")]
    assert token["verdict"] == "FAILED"
    assert "could not reach" in token["detail"]
    assert "network" in token["fix"]


def test_servicetitan_down(cli: Invoke, tmp_path: Path, sage_root: Path) -> None:
    settings = SandboxSettings(tenant_id=TENANT, client_secret=SECRETS[0], app_key=APP_KEY)
    with running_sandbox(tmp_path / "st-down", size=5, settings=settings) as sb:
        base = sb.base_url
    path = ConfigMaker(tmp_path / "conf", base, sage_root).write()
    code, rows = check_json(cli, path)
    assert code == 1
    assert rows[("servicetitan", "token")]["verdict"] == "FAILED"
    assert "could not reach" in rows[("servicetitan", "token")]["detail"]
    assert_sage_ok(rows)


def test_wrong_app_key(cli: Invoke, make_config: ConfigMaker, keyring_backend) -> None:
    keyring_backend.entries[("ml-connector", "st-app-key")] = "Wrong-AppKey-0x77"
    code, rows = check_json(cli, make_config.write())
    assert code == 1
    assert rows[("servicetitan", "token")]["verdict"] == "ok"
    key = rows[("servicetitan", "app key")]
    assert key["verdict"] == "FAILED"
    assert "ST-App-Key" in key["detail"]
    assert "App Key" in key["fix"]
    assert rows[("servicetitan", "tenant id")]["detail"] == "skipped: the app key was refused"
    assert rows[("servicetitan", "jpm: jobs")]["verdict"] == "skipped"
    assert "Wrong-AppKey-0x77" not in str(rows)


def test_wrong_tenant_id(cli: Invoke, make_config: ConfigMaker) -> None:
    code, rows = check_json(cli, make_config.write(st={"tenant_id": 9988776}))
    assert code == 1
    assert rows[("servicetitan", "app key")]["verdict"] == "ok"
    tenant = rows[("servicetitan", "tenant id")]
    assert tenant["verdict"] == "FAILED"
    assert "9988776" in tenant["detail"]
    assert "Tenant ID" in tenant["fix"]
    assert rows[("servicetitan", "accounting: AP bills")]["detail"] == "skipped: wrong tenant id"


def test_unlicensed_module(
    cli: Invoke, make_config: ConfigMaker, st_sandbox: RunningSandbox
) -> None:
    path = make_config.write()
    st_sandbox.set_faults("unlicensed=jpm")
    try:
        code, rows = check_json(cli, path)
    finally:
        st_sandbox.set_faults("")
    assert code == 1
    jobs = rows[("servicetitan", "jpm: jobs")]
    assert jobs["verdict"] == "FAILED"
    assert "licen" in jobs["detail"]
    assert "'jpm' module" in jobs["fix"]
    assert "tn.jpm.jobs:r" in jobs["fix"]
    assert "tn.jpm.budgetcodes:r" in rows[("servicetitan", "jpm: budget codes")]["fix"]
    for name in ("app key", "tenant id", "accounting: AP bills", "inventory: vendors"):
        assert rows[("servicetitan", name)]["verdict"] == "ok"


def test_wrong_sage_password(cli: Invoke, make_config: ConfigMaker, keyring_backend) -> None:
    keyring_backend.entries[("ml-connector", "demo.sage-password")] = "Wrong-SagePw-0x55"
    code, rows = check_json(cli, make_config.write())
    assert code == 1
    login = rows[("sage100", "login")]
    assert login["verdict"] == "FAILED"
    assert "Invalid user logon or password" in login["detail"]
    assert "password" in login["fix"]
    assert rows[("sage100", "session")]["verdict"] == "ok"
    assert rows[("sage100", "company")]["detail"] == "skipped: Sage login failed"
    assert_st_ok(rows)
    assert "Wrong-SagePw-0x55" not in str(rows)


def test_wrong_company_code(cli: Invoke, make_config: ConfigMaker) -> None:
    code, rows = check_json(cli, make_config.write(sage={"company": "XYZ"}))
    assert code == 1
    company = rows[("sage100", "company")]
    assert company["verdict"] == "FAILED"
    assert "Company code XYZ is invalid" in company["detail"]
    assert "company code" in company["fix"]
    assert rows[("sage100", "login")]["verdict"] == "ok"


def test_missing_sage_root(cli: Invoke, make_config: ConfigMaker, tmp_path: Path) -> None:
    code, rows = check_json(cli, make_config.write(sage={"root": str(tmp_path / "nowhere")}))
    assert code == 1
    root = rows[("sage100", "sandbox root")]
    assert root["verdict"] == "FAILED"
    assert "sandbox sage100 init" in root["fix"]
    assert rows[("sage100", "login")]["detail"] == "skipped: no sandbox root"


def test_user_without_ap_invoice_rights(
    cli: Invoke, make_config: ConfigMaker, sage_root: Path, environ: dict[str, str]
) -> None:
    add_user(sage_root, "clerk", "Clerk-Pw-31", rights={"GL_Account_ui": "V", "AP_Vendor_ui": "V"})
    path = make_config.write(sage={"user": "clerk", "password": "env:CLERK_PW"})
    environ["CLERK_PW"] = "Clerk-Pw-31"
    code, rows = check_json(cli, path)
    assert code == 1
    rights = rows[("sage100", "AP invoice rights (AP_Invoice_bus)")]
    assert rights["verdict"] == "FAILED"
    assert "security access" in rights["detail"]
    assert "Role Maintenance" in rights["fix"]
    assert rows[("sage100", "login")]["verdict"] == "ok"
    assert rows[("sage100", "GL rights (GL_Account_svc)")]["verdict"] == "skipped"


def test_user_without_vendor_rights(
    cli: Invoke, make_config: ConfigMaker, sage_root: Path, environ: dict[str, str]
) -> None:
    add_user(
        sage_root, "clerk", "Clerk-Pw-31", rights={"AP_Invoice_ui": "CMRV", "GL_Account_ui": "V"}
    )
    path = make_config.write(sage={"user": "clerk", "password": "env:CLERK_PW"})
    environ["CLERK_PW"] = "Clerk-Pw-31"
    code, rows = check_json(cli, path)
    assert code == 1
    assert rows[("sage100", "AP invoice rights (AP_Invoice_bus)")]["verdict"] == "ok"
    assert rows[("sage100", "AP vendor rights (AP_Vendor_bus)")]["verdict"] == "FAILED"


def test_missing_secret_reference(cli: Invoke, make_config: ConfigMaker) -> None:
    code, rows = check_json(cli, make_config.write(st={"app_key": "env:MLC_NOT_SET_APP_KEY"}))
    assert code == 1
    secret = rows[("config", "secret servicetitan.app_key")]
    assert secret["verdict"] == "FAILED"
    assert "MLC_NOT_SET_APP_KEY" in secret["detail"]
    assert "Set MLC_NOT_SET_APP_KEY" in secret["fix"]
    assert rows[("servicetitan", "token")]["verdict"] == "skipped"
    assert rows[("servicetitan", "pricebook: categories")]["verdict"] == "skipped"
    assert_sage_ok(rows)


def test_missing_sage_password(cli: Invoke, make_config: ConfigMaker, keyring_backend) -> None:
    del keyring_backend.entries[("ml-connector", "demo.sage-password")]
    code, rows = check_json(cli, make_config.write())
    assert code == 1
    secret = rows[("config", "secret sage100.password")]
    assert secret["verdict"] == "FAILED"
    assert "not in the credential store" in secret["detail"]
    assert "ml-connector secrets set keyring:ml-connector/demo.sage-password" in secret["fix"]
    assert {rows[("sage100", n)]["verdict"] for n in SAGE_ROWS} == {"skipped"}
    assert_st_ok(rows)


def test_wrong_ap_division(cli: Invoke, make_config: ConfigMaker) -> None:
    code, rows = check_json(cli, make_config.write(sage={"ap_division": "07"}))
    assert code == 1
    division = rows[("sage100", "AP division")]
    assert division["verdict"] == "FAILED"
    assert "07" in division["detail"]
    assert rows[("sage100", "GL account format")]["verdict"] == "ok"


def test_token_requests_throttled(cli: Invoke, tmp_path: Path, sage_root: Path) -> None:
    settings = SandboxSettings(
        tenant_id=TENANT, client_secret=SECRETS[0], app_key=APP_KEY, token_requests_per_minute=1
    )
    with running_sandbox(tmp_path / "st-slow", size=5, settings=settings) as sb:
        path = ConfigMaker(tmp_path / "conf", sb.base_url, sage_root).write()
        first, _ = check_json(cli, path)
        code, rows = check_json(cli, path)
    assert first == 0
    assert code == 1
    token = rows[("servicetitan", "token")]
    assert token["verdict"] == "FAILED"
    assert "throttling" in token["detail"]
    assert "wait a minute" in token["fix"]
