"""The building blocks of the config models: secret, path and URL field types, the strict
base model, and the folder-relative path rules (relative paths are taken from the config
file's folder, passed as the validation/serialisation context `base_dir`)."""

from __future__ import annotations

import re
from pathlib import Path, PureWindowsPath
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    PlainValidator,
    SerializationInfo,
    ValidationInfo,
)

from ml_connector.app.config.secrets import SecretRef

PAIR_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
ST_ENVIRONMENTS = {
    "production": ("https://api.servicetitan.io", "https://auth.servicetitan.io/connect/token"),
    "integration": (
        "https://api-integration.servicetitan.io",
        "https://auth-integration.servicetitan.io/connect/token",
    ),
}
DEFAULT_STATE_FILE = "ml-connector.sqlite"
DEFAULT_LOG_FILE = "logs/ml-connector.log"


def is_loopback_host(host: str | None) -> bool:
    host = (host or "").lower().strip("[]")
    return host in LOOPBACK or host.startswith("127.")


def base_dir_of(info: ValidationInfo) -> Path | None:
    ctx = info.context if isinstance(info.context, dict) else None
    base = ctx.get("base_dir") if ctx else None
    return Path(base) if base is not None else None


def resolve_path(path: Path, info: ValidationInfo) -> Path:
    if path.is_absolute() or PureWindowsPath(str(path)).is_absolute():
        return path
    base = base_dir_of(info)
    return (base / path).resolve() if base is not None else path


def path_out(value: Path, info: SerializationInfo) -> str:
    ctx = info.context if isinstance(info.context, dict) else None
    base = ctx.get("base_dir") if ctx else None
    if base is not None and value.is_absolute():
        try:
            return value.relative_to(Path(base).resolve()).as_posix()
        except ValueError:
            pass
    return str(value)


def secret_in(value: Any) -> SecretRef:
    return value if isinstance(value, SecretRef) else SecretRef.parse(value)


Secret = Annotated[
    SecretRef,
    PlainValidator(secret_in),
    PlainSerializer(lambda ref: ref.to_config(), return_type=str),
]
FilePath = Annotated[Path, PlainSerializer(path_out, return_type=str)]


def http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s) URL")
    if parts.username or parts.password:
        raise ValueError("must not carry user:password@ (credentials are secret references)")
    return value.rstrip("/")


Url = Annotated[str, BeforeValidator(lambda v: v.strip() if isinstance(v, str) else v)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def refuse_literal(ref: SecretRef | None, name: str, endpoint_ok: bool, why: str) -> None:
    if ref is not None and ref.is_literal and not endpoint_ok:
        raise ValueError(
            f"{name}: a literal sandbox: secret is only accepted for a loopback sandbox "
            f"({why}); use keyring:<service>/<name> or env:<VAR>"
        )
