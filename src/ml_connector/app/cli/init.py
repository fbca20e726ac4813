"""`ml-connector init`: guided setup that writes the config file and stores the secrets.

Interactive by default (typer prompts; secrets are asked with a hidden prompt), or driven
entirely by flags for scripted installs: `--non-interactive` fails naming every missing
flag. Secret values can come from flags or, better (shell history), from the environment
variables named in `--help` (MLC_INIT_ST_CLIENT_SECRET, MLC_INIT_ST_APP_KEY,
MLC_INIT_SAGE_PASSWORD).

Secrets never go into the config file and are never printed: with `--secrets keyring` (the
default) they go to the OS credential store of the account running `init` (through
`SecretStore`), and the config holds the `conventional_refs` keyring references
(`keyring:ml-connector/<pair>.st-client-secret`, `keyring:ml-connector/st-app-key` shared by
every pair, `keyring:ml-connector/<pair>.sage-password`); with
`--secrets env` the config holds `env:MLC_<PAIR>_<NAME>` references and `init` says which
variables to set. A Windows service running as LocalSystem cannot read an administrator's
Credential Manager: `--for-service` on Windows stores into the keyring only when `init`
itself runs as SYSTEM, and otherwise falls back to env references for machine-level
variables, saying how to set them (and how to run `init` as SYSTEM instead).
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from pydantic import SecretStr

from ml_connector.app.config.files import (
    config_from_mapping,
    conventional_refs,
    default_config_path,
    write_config,
)
from ml_connector.app.config.secrets import SecretRef, SecretStore, current_identity
from ml_connector.errors import ConfigError, ConnectorError

SECRET_KEYS = ("st_client_secret", "st_app_key", "sage_password")

SERVICE_FALLBACK = """\
The service runs as {account}, which cannot read the Credential Manager of {who}.
The config therefore refers to machine-level environment variables:
{variables}
Set each one from an elevated prompt (then restart the service):
    setx /M <VARIABLE> "<value>"
Or, to keep the secrets in the Credential Manager of {account} instead, run this same
`ml-connector init --for-service ...` as that account: for LocalSystem from a SYSTEM prompt
(Sysinternals: psexec -s -i cmd.exe); for a dedicated account with
runas /user:{runas} cmd.exe (and --service-account {runas}).
"""

Opt = typer.Option


@dataclass(frozen=True, slots=True)
class Field:
    flag: str
    prompt: str
    secret: bool = False
    default: Any = None


FIELDS: dict[str, Field] = {
    "st_environment": Field("--st-environment", "ServiceTitan environment", default="production"),
    "st_api_base": Field("--st-api-base", "ServiceTitan API base URL (custom)"),
    "st_auth_url": Field("--st-auth-url", "ServiceTitan token URL (custom)"),
    "st_tenant_id": Field("--st-tenant-id", "ServiceTitan tenant id"),
    "st_client_id": Field("--st-client-id", "ServiceTitan client id"),
    "st_client_secret": Field("--st-client-secret", "ServiceTitan client secret", secret=True),
    "st_app_key": Field("--st-app-key", "ServiceTitan app key", secret=True),
    "sage_mode": Field("--sage-mode", "Sage 100 access (boi or sandbox)", default="boi"),
    "sage_home": Field("--sage-home", r"Sage 100 Home folder (...\MAS90\Home)"),
    "sage_root": Field("--sage-root", "Sage sandbox root folder"),
    "sage_company": Field("--sage-company", "Sage 100 company code"),
    "sage_user": Field("--sage-user", "Sage 100 user"),
    "sage_password": Field("--sage-password", "Sage 100 password", secret=True),
}


CHOICES = {
    "st_environment": ("production", "integration", "custom"),
    "sage_mode": ("boi", "sandbox"),
}


def _choose(question: str, choices: tuple[str, ...], default: str) -> str:
    """Ask until the answer is one of `choices`."""
    while True:
        answer = str(typer.prompt(f"{question} ({'/'.join(choices)})", default=default))
        if answer.strip().lower() in choices:
            return answer.strip().lower()
        typer.echo(f"Answer one of: {', '.join(choices)}")


def _needed(values: dict[str, Any], secrets_from_env: bool) -> list[str]:
    """The fields that must have a value, given what is already chosen."""
    needed = ["st_environment", "st_tenant_id", "st_client_id", "sage_mode", "sage_company"]
    needed.append("sage_user")
    if values.get("st_environment") == "custom":
        needed += ["st_api_base", "st_auth_url"]
    needed.append("sage_root" if values.get("sage_mode") == "sandbox" else "sage_home")
    if not secrets_from_env:
        needed += ["st_client_secret", "st_app_key", "sage_password"]
    return needed


def _env_var(pair: str, key: str) -> str:
    return f"MLC_{pair.upper().replace('-', '_')}_{key.upper()}"


def secret_refs(pair: str, kind: Literal["keyring", "env"]) -> dict[str, SecretRef]:
    """The references `init` writes for a pair's three secrets: the conventional keyring
    names (the app key is one for every pair), or MLC_<PAIR>_<NAME> variables."""
    if kind == "keyring":
        refs = conventional_refs(pair)
        return {
            "st_client_secret": SecretRef.parse(refs["client_secret"]),
            "st_app_key": SecretRef.parse(refs["app_key"]),
            "sage_password": SecretRef.parse(refs["sage_password"]),
        }
    return {key: SecretRef("env", name=_env_var(pair, key)) for key in SECRET_KEYS}


def _user_part(identity: str) -> str:
    return identity.rsplit("\\", 1)[-1].upper()


def runs_as(identity: str, service_account: str) -> bool:
    """True when `identity` (this process) is the account the service runs as, so that its
    credential store is the one the service reads."""
    who = _user_part(identity)
    if service_account.upper() in ("LOCALSYSTEM", "SYSTEM", "NT AUTHORITY\\SYSTEM"):
        return who == "SYSTEM" or who.endswith("$")
    return who == _user_part(service_account)


def register(
    app: typer.Typer,
    *,
    store_factory: Callable[[], SecretStore] = SecretStore,
    platform: str = sys.platform,
    identity: Callable[[], str] = current_identity,
) -> None:
    """Add `init` to `app`."""

    @app.command("init")
    def init(  # one option per setting: the flags are the scripted install's interface
        config: Annotated[
            Path | None, Opt("--config", "-c", help="Where to write the config.")
        ] = None,
        pair: Annotated[str, Opt("--pair", help="Name of the pair.")] = "main",
        force: Annotated[bool, Opt("--force", help="Replace an existing config.")] = False,
        non_interactive: Annotated[
            bool, Opt("--non-interactive", help="Never prompt; fail naming missing flags.")
        ] = False,
        secrets: Annotated[
            str, Opt("--secrets", help="keyring (OS credential store) or env (references).")
        ] = "keyring",
        for_service: Annotated[
            bool, Opt("--for-service", help="The secrets are for the Windows service/systemd.")
        ] = False,
        service_account: Annotated[
            str, Opt(help="With --for-service on Windows: the account the service runs as.")
        ] = "LocalSystem",
        st_environment: Annotated[
            str | None, Opt(help="production, integration or custom.")
        ] = None,
        st_api_base: Annotated[str | None, Opt(help="custom: the API base URL.")] = None,
        st_auth_url: Annotated[str | None, Opt(help="custom: the token URL.")] = None,
        st_tenant_id: Annotated[str | None, Opt(help="The numeric tenant id.")] = None,
        st_client_id: Annotated[str | None, Opt(help="The tenant's client id.")] = None,
        st_client_secret: Annotated[
            str | None, Opt(envvar="MLC_INIT_ST_CLIENT_SECRET", show_envvar=True)
        ] = None,
        st_app_key: Annotated[
            str | None, Opt(envvar="MLC_INIT_ST_APP_KEY", show_envvar=True)
        ] = None,
        sage_mode: Annotated[str | None, Opt(help="boi (Windows) or sandbox.")] = None,
        sage_home: Annotated[str | None, Opt(help=r"boi: the MAS90\Home folder.")] = None,
        sage_root: Annotated[str | None, Opt(help="sandbox: the sandbox root.")] = None,
        sage_company: Annotated[str | None, Opt(help="3-character company code.")] = None,
        sage_user: Annotated[str | None, Opt(help="Sage 100 user logon.")] = None,
        sage_password: Annotated[
            str | None, Opt(envvar="MLC_INIT_SAGE_PASSWORD", show_envvar=True)
        ] = None,
        ap_division: Annotated[
            str | None, Opt(help="AP division for new records [default: 00].")
        ] = None,
        batches: Annotated[
            bool | None, Opt("--batches/--no-batches", help="Default: follow A/P Options.")
        ] = None,
        interval_minutes: Annotated[
            int | None, Opt(help="Minutes between sync cycles [default: 15].")
        ] = None,
        cron: Annotated[str | None, Opt(help="A cron schedule instead of the interval.")] = None,
        sync_ap_bills: Annotated[bool, Opt("--sync-ap-bills/--no-sync-ap-bills")] = True,
        create_missing_vendors: Annotated[
            bool | None,
            Opt("--create-missing-vendors/--no-create-missing-vendors", help="[default: on]"),
        ] = None,
        mark_exported: Annotated[
            bool | None, Opt("--mark-exported/--no-mark-exported", help="[default: off]")
        ] = None,
        run_check: Annotated[
            bool | None, Opt("--check/--no-check", help="Run the check at the end.")
        ] = None,
    ) -> None:
        """Write the config file and store the secrets (guided, or from flags)."""
        given = {k: v for k, v in locals().items() if k in FIELDS}
        try:
            code = _init(
                path=(config or default_config_path()).expanduser(),
                pair=pair,
                force=force,
                interactive=not non_interactive,
                secrets_kind=secrets,
                for_service=for_service,
                service_account=service_account,
                given=given,
                extra={
                    "ap_division": ap_division,
                    "use_batches": batches,
                    "interval_minutes": interval_minutes,
                    "cron": cron,
                    "ap_bills": sync_ap_bills,
                    "create_missing_vendors": create_missing_vendors,
                    "mark_exported": mark_exported,
                },
                run_check=run_check,
                store_factory=store_factory,
                platform=platform,
                identity=identity,
            )
        except ConnectorError as exc:
            typer.echo(f"error: {exc.describe()}", err=True)
            raise typer.Exit(2) from None
        if code:
            raise typer.Exit(code)


def _init(
    *,
    path: Path,
    pair: str,
    force: bool,
    interactive: bool,
    secrets_kind: str,
    for_service: bool,
    service_account: str,
    given: dict[str, Any],
    extra: dict[str, Any],
    run_check: bool | None,
    store_factory: Callable[[], SecretStore],
    platform: str,
    identity: Callable[[], str],
) -> int:
    if secrets_kind not in ("keyring", "env"):
        raise ConfigError("--secrets must be keyring or env")
    if path.exists() and not force:
        raise ConfigError(f"config file {path} already exists", hint="Pass --force to replace it.")
    who = identity()
    kind: Literal["keyring", "env"] = "env" if secrets_kind == "env" else "keyring"
    fallback = (
        for_service
        and platform == "win32"
        and kind == "keyring"
        and not runs_as(who, service_account)
    )
    if fallback:
        kind = "env"
    values = _collect(given, interactive, secrets_from_env=(kind == "env" and not fallback))
    extra = _options(extra, interactive)
    refs = secret_refs(pair, kind)
    data = _config_data(pair, values, refs, extra)
    config = config_from_mapping(data, base_dir=path.parent, source=path)  # validates first
    if kind == "keyring":
        store = store_factory()
        for key, ref in refs.items():
            try:
                store.store(ref, SecretStr(str(values[key])))
            except ConfigError as exc:
                raise ConfigError(
                    exc.message,
                    hint="This account has no usable credential store: run init again with "
                    "--secrets env (the config then refers to environment variables).",
                ) from None
        where = f"the credential store of {who} ({store.describe_backend()})"
        typer.echo(f"Stored {len(refs)} secrets in {where}: " + ", ".join(map(str, refs.values())))
        if for_service and platform != "win32":
            typer.echo(
                "The service reads the credential store of the account it runs as: run init "
                "as that account (sudo -u <user> ml-connector init ...), or use --secrets env "
                "with a root-only EnvironmentFile= in the systemd unit."
            )
    elif fallback:
        listing = "\n".join(f"    {ref.name}" for ref in refs.values())
        runas = service_account if "\\" in service_account else "DOMAIN\\svc-mlconnector"
        text = SERVICE_FALLBACK.format(
            account=service_account, who=who, variables=listing, runas=runas
        )
        typer.echo(text)
    else:
        typer.echo("The config refers to these environment variables; set them where the")
        typer.echo("connector runs (systemd: EnvironmentFile=, readable by root only):")
        for ref in refs.values():
            typer.echo(f"    {ref.name}")
    write_config(config, path, overwrite=force)
    typer.echo(f"Wrote {path}")
    if run_check is None:
        run_check = interactive and typer.confirm("Run the connectivity check now?", default=True)
    if not run_check:
        typer.echo(f"Next: ml-connector check --config {path}")
        return 0
    from ml_connector.app.cli.check import run_and_print

    return run_and_print(path, store_factory(), pair=pair)


def _collect(given: dict[str, Any], interactive: bool, *, secrets_from_env: bool) -> dict[str, Any]:
    values = {k: v for k, v in given.items() if v not in (None, "")}
    if not interactive:
        for key in ("st_environment", "sage_mode"):
            values.setdefault(key, FIELDS[key].default)
        missing = [FIELDS[k].flag for k in _needed(values, secrets_from_env) if k not in values]
        if missing:
            raise ConfigError(
                f"--non-interactive: missing {', '.join(missing)}",
                hint="Give every flag named (secrets may come from MLC_INIT_ST_CLIENT_SECRET, "
                "MLC_INIT_ST_APP_KEY and MLC_INIT_SAGE_PASSWORD, or use --secrets env).",
            )
        return values
    # Asked in order, each answer possibly changing what is needed next.
    for key in FIELDS:
        if key in values or key not in _needed(values, secrets_from_env):
            continue
        spec = FIELDS[key]
        if key in CHOICES:
            values[key] = _choose(spec.prompt, CHOICES[key], spec.default)
        else:
            values[key] = typer.prompt(spec.prompt, default=spec.default, hide_input=spec.secret)
    return values


def _options(extra: dict[str, Any], interactive: bool) -> dict[str, Any]:
    """The optional settings: what was given, else asked (interactive), else the default."""
    out = dict(extra)
    ask = interactive

    def pick(key: str, default: Any, question: Callable[[], Any]) -> None:
        if out.get(key) is None:
            out[key] = question() if ask else default

    pick("ap_division", "00", lambda: typer.prompt("AP division for new records", default="00"))
    if out.get("use_batches") is None and ask:
        answer = _choose(
            "Batch entry for invoices, auto = as A/P Options", ("auto", "on", "off"), "auto"
        )
        out["use_batches"] = None if answer == "auto" else answer == "on"
    if not out.get("cron"):
        pick(
            "interval_minutes",
            15,
            lambda: typer.prompt("Minutes between sync cycles", default=15, type=int),
        )
    pick(
        "create_missing_vendors",
        True,
        lambda: typer.confirm("Create Sage vendors that are not found?", default=True),
    )
    pick(
        "mark_exported",
        False,
        lambda: typer.confirm("Mark AP bills exported in ServiceTitan?", default=False),
    )
    return out


def _config_data(
    pair: str, values: dict[str, Any], refs: dict[str, SecretRef], extra: dict[str, Any]
) -> dict[str, Any]:
    st: dict[str, Any] = {
        "environment": values["st_environment"],
        "tenant_id": values["st_tenant_id"],
        "client_id": values["st_client_id"],
        "client_secret": refs["st_client_secret"].to_config(),
        "app_key": refs["st_app_key"].to_config(),
    }
    if values["st_environment"] == "custom":
        st["api_base"] = values["st_api_base"]
        st["auth_url"] = values["st_auth_url"]
    sage: dict[str, Any] = {
        "mode": values["sage_mode"],
        "company": values["sage_company"],
        "user": values["sage_user"],
        "password": refs["sage_password"].to_config(),
        "ap_division": extra["ap_division"],
    }
    if values["sage_mode"] == "sandbox":
        sage["root"] = values["sage_root"]
    else:
        sage["home"] = values["sage_home"]
    if extra["use_batches"] is not None:
        sage["use_batches"] = extra["use_batches"]
    schedule: dict[str, Any] = (
        {"cron": extra["cron"]}
        if extra["cron"]
        else {"interval_minutes": extra["interval_minutes"]}
    )
    sync = {
        "ap_bills": extra["ap_bills"],
        "create_missing_vendors": extra["create_missing_vendors"],
        "mark_exported": extra["mark_exported"],
        "application_guid": str(uuid.uuid4()),  # this install's key in ServiceTitan externalData
    }
    return {
        "pairs": {pair: {"servicetitan": st, "sage100": sage, "sync": sync}},
        "schedule": schedule,
    }
