"""The config file: where it is, loading it with clear errors, and writing it back.

    config = load_config(path)                 # AppConfig, or ConfigFileError
    write_config(config, path)                 # used by `ml-connector init` and `sandbox up`
    init_config(...)                           # a first config for `ml-connector init`
    sandbox_config(...)                        # the config `sandbox up` writes

A `ConfigFileError` names the file, each key that is wrong (`pairs.main.sage100.company`) and
why, never a value (a mistyped secret must not end up in a terminal or a log). The writer
validates what it writes by loading it back, writes atomically, and on POSIX makes the file
readable by its owner only. The models and every key: `models.py`, docs/soap-config.md.
"""

from __future__ import annotations

import os
import sys
import tempfile
import tomllib
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import ValidationError

from ml_connector.app.config.models import (
    AppConfig,
    DashboardSettings,
    LoggingSettings,
    PairSettings,
    ScheduleSettings,
    StateSettings,
    SyncSettings,
    WebhookSettings,
)
from ml_connector.errors import ConfigError

__all__ = [
    "AppConfig",
    "ConfigFileError",
    "DashboardSettings",
    "LoggingSettings",
    "PairSettings",
    "ScheduleSettings",
    "StateSettings",
    "SyncSettings",
    "WebhookSettings",
    "config_from_mapping",
    "config_to_toml",
    "default_config_path",
    "init_config",
    "load_config",
    "sandbox_config",
    "write_config",
]

CONFIG_ENV = "ML_CONNECTOR_CONFIG"
HEADER = (
    "# ml-connector configuration. Every key is described in docs/soap-config.md.\n"
    "# Secrets are references (keyring:<service>/<name> or env:<VAR>), never values.\n\n"
)

_FRIENDLY = {
    "extra_forbidden": "unknown key (check its spelling and section)",
    "missing": "missing (this key is required)",
}


class ConfigFileError(ConfigError):
    """The config file is missing, unreadable, not TOML, or has wrong keys.

    `path` is the file; `problems` is a list of (key, cause), key "" for the whole file.
    """

    def __init__(self, path: Path, problems: list[tuple[str, str]], *, hint: str) -> None:
        lines = [f"{key}: {cause}" if key else cause for key, cause in problems]
        if len(lines) == 1:
            message = f"config file {path}: {lines[0]}"
        else:
            message = f"config file {path} has {len(lines)} problems:\n  " + "\n  ".join(lines)
        super().__init__(message, operation="load config", hint=hint)
        self.path = path
        self.problems = problems


def default_config_path() -> Path:
    """$ML_CONNECTOR_CONFIG, else %ProgramData%\\ml-connector\\config.toml on Windows (shared
    by the service and the administrator), else $XDG_CONFIG_HOME/ml-connector/config.toml."""
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    if sys.platform == "win32":
        return Path(os.environ.get("PROGRAMDATA", r"C:\ProgramData")) / "ml-connector/config.toml"
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(xdg) / "ml-connector" / "config.toml"


def _key(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        elif "[" in item or item.startswith("function-"):
            continue  # pydantic's internal step names (validators, unions)
        else:
            parts.append(item)
    return ".".join(parts)


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for err in exc.errors(include_input=False, include_url=False):
        cause = _FRIENDLY.get(err["type"], err["msg"])
        cause = cause.removeprefix("Value error, ")
        problems.append((_key(err["loc"]), cause))
    return problems


def config_from_mapping(
    data: Mapping[str, Any], *, base_dir: Path, source: Path | None = None
) -> AppConfig:
    """Validate parsed TOML; relative paths are taken from `base_dir`."""
    try:
        return AppConfig.model_validate(dict(data), context={"base_dir": base_dir.resolve()})
    except ValidationError as exc:
        raise ConfigFileError(
            source or base_dir / "config.toml",
            _problems(exc),
            hint="Fix the keys named above; docs/soap-config.md lists every key.",
        ) from None  # pydantic's own text would quote the values, secrets included


def load_config(path: Path | None = None) -> AppConfig:
    """Read and validate the config file (default: `default_config_path()`)."""
    path = (path or default_config_path()).expanduser()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigFileError(
            path,
            [("", "not found")],
            hint=f"Create it with `ml-connector init`, or point {CONFIG_ENV} / --config at it.",
        ) from None
    except OSError as exc:
        raise ConfigFileError(
            path,
            [("", f"cannot be read ({exc.strerror})")],
            hint="Check that the account running ml-connector may read the file.",
        ) from None
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))  # Notepad may add a byte-order mark
    except UnicodeDecodeError:
        raise ConfigFileError(
            path, [("", "is not UTF-8 text")], hint="Save the file as UTF-8."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(
            path,
            [("", f"is not valid TOML: {exc}")],
            hint="Fix the line named above (strings need quotes; Windows paths work best in "
            "'single quotes', which keep backslashes as they are).",
        ) from None
    return config_from_mapping(data, base_dir=path.parent, source=path)


def config_to_toml(config: AppConfig, *, base_dir: Path) -> str:
    """The TOML text for `config`; paths inside `base_dir` are written relative to it."""
    data = config.model_dump(
        mode="json", exclude_none=True, context={"base_dir": base_dir.resolve()}
    )
    return HEADER + tomli_w.dumps(data, multiline_strings=False)


def write_config(config: AppConfig, path: Path, *, overwrite: bool = False) -> None:
    """Write `config` to `path` atomically (owner-only on POSIX); refuses to replace an
    existing file unless `overwrite`."""
    path = path.expanduser()
    if path.exists() and not overwrite:
        raise ConfigError(
            f"config file {path} already exists",
            hint="Edit it, or pass --force to replace it.",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    text = config_to_toml(config, base_dir=path.parent)
    # What is written must load back: never leave a file the connector cannot read.
    config_from_mapping(tomllib.loads(text), base_dir=path.parent, source=path)
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        if sys.platform != "win32":
            os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def conventional_refs(pair: str, *, service: str = "ml-connector") -> dict[str, str]:
    """The keyring references `init` writes for a pair (the app key is shared by all pairs)."""
    return {
        "client_secret": f"keyring:{service}/{pair}.st-client-secret",
        "app_key": f"keyring:{service}/st-app-key",
        "sage_password": f"keyring:{service}/{pair}.sage-password",
    }


def init_config(
    *,
    base_dir: Path,
    tenant_id: int,
    client_id: str,
    sage_home: str,
    company: str,
    user: str,
    pair: str = "main",
    environment: str = "production",
    ap_division: str = "00",
    webservices_url: str | None = None,
) -> AppConfig:
    """A first config for `ml-connector init`: keyring references named by
    `conventional_refs` (store the values with `ml-connector secrets set`), a fresh
    application GUID, every other key at its default."""
    refs = conventional_refs(pair)
    sage: dict[str, Any] = {
        "mode": "boi",
        "home": sage_home,
        "company": company,
        "user": user,
        "password": refs["sage_password"],
        "ap_division": ap_division,
    }
    if webservices_url:
        sage["webservices"] = {"url": webservices_url}
    data: dict[str, Any] = {
        "pairs": {
            pair: {
                "servicetitan": {
                    "environment": environment,
                    "tenant_id": tenant_id,
                    "client_id": client_id,
                    "client_secret": refs["client_secret"],
                    "app_key": refs["app_key"],
                },
                "sage100": sage,
                "sync": {"application_guid": str(uuid.uuid4())},
            }
        }
    }
    return config_from_mapping(data, base_dir=base_dir)


def sandbox_config(
    *,
    base_dir: Path,
    st_base_url: str,
    sage_root: Path,
    pair: str = "demo",
    tenant_id: int = 1234567,
    client_id: str = "sandbox-client",
    client_secret: str = "sandbox-secret",  # noqa: S107  # the sandbox's public default
    app_key: str = "sandbox-app-key",
    company: str = "ABC",
    user: str = "sandbox",
    password: str = "sandbox",  # noqa: S107  # the sandbox's public default
    webservices_url: str | None = None,
    interval_minutes: int = 15,
    tax_account: str | None = None,
    freight_account: str | None = None,
    gl_rules: Path | None = None,
) -> AppConfig:
    """The config `ml-connector sandbox up` writes: both sandboxes on loopback, with their
    public default credentials as literal `sandbox:` secrets (refused anywhere else).
    `tax_account` / `freight_account`: the Sage accounts of tax and freight lines;
    `gl_rules`: a GL rules file (the demo's carries Job Cost rules)."""
    sage: dict[str, Any] = {
        "mode": "sandbox",
        # The caller's path is relative to its working folder, not to the config's: made
        # absolute here, it is written back relative to the config's folder when inside it.
        "root": str(sage_root.resolve()),
        "company": company,
        "user": user,
        "password": f"sandbox:{password}",
    }
    if webservices_url:
        sage["webservices"] = {"url": webservices_url}
    sync: dict[str, Any] = {"application_guid": "00000000-0000-4000-8000-00000000d3e0"}
    if tax_account:
        sync["tax_account"] = tax_account
    if freight_account:
        sync["freight_account"] = freight_account
    if gl_rules is not None:
        sync["gl_rules"] = str(gl_rules.resolve())  # likewise relative to the config when inside
    data: dict[str, Any] = {
        "pairs": {
            pair: {
                "servicetitan": {
                    "environment": "custom",
                    "api_base": st_base_url,
                    "auth_url": f"{st_base_url.rstrip('/')}/connect/token",
                    "tenant_id": tenant_id,
                    "client_id": client_id,
                    "client_secret": f"sandbox:{client_secret}",
                    "app_key": f"sandbox:{app_key}",
                },
                "sage100": sage,
                "sync": sync,
            }
        },
        "schedule": {"interval_minutes": interval_minutes},
    }
    return config_from_mapping(data, base_dir=base_dir)
