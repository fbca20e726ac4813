"""The settings models behind the config file (pydantic, frozen, unknown keys refused).

Layout (TOML), one `[pairs.<name>]` per ServiceTitan tenant <-> Sage 100 company:

    version = 1
    [pairs.<name>.servicetitan]   environment, tenant_id, client_id, client_secret, app_key, ...
    [pairs.<name>.sage100]        mode, home | root, company, user, password, ap_division, ...
    [pairs.<name>.sage100.webservices]   optional: url, user, password, ca_bundle, wsdl
    [pairs.<name>.sync]           what syncs, vendor creation, accounts, rules, look-back, GUID
    [[pairs.<name>.sync.invoice_routes]] optional invoice routing rules
    [schedule] [state] [logging] [webhooks] [dashboard]

Every key is documented in docs/soap-config.md. Relative paths are relative to the config
file's folder (resolved at load: a Windows service starts in System32). Secrets are
`SecretRef`s, never values; a literal `sandbox:` secret is accepted only where the endpoint
it unlocks is a loopback sandbox.
"""

from __future__ import annotations

from pathlib import Path, PureWindowsPath
from typing import Any, Literal
from urllib.parse import urlsplit

from croniter import croniter
from pydantic import (
    Field,
    SecretStr,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_serializer,
    model_validator,
)
from sqlalchemy.engine import make_url

from ml_connector.app.config.pair import (
    InvoiceRoute,
    PairSettings,
    Sage100Settings,
    ServiceTitanSettings,
    SyncSettings,
    WebServicesConfig,
)
from ml_connector.app.config.secrets import SecretRef
from ml_connector.app.config.types import (
    DEFAULT_LOG_FILE,
    DEFAULT_STATE_FILE,
    PAIR_NAME,
    FilePath,
    Secret,
    StrictModel,
    base_dir_of,
    is_loopback_host,
    path_out,
    refuse_literal,
    resolve_path,
)
from ml_connector.store.port import PairId

__all__ = [
    "AppConfig",
    "DashboardSettings",
    "InvoiceRoute",
    "LoggingSettings",
    "PairSettings",
    "Sage100Settings",
    "ScheduleSettings",
    "ServiceTitanSettings",
    "StateSettings",
    "SyncSettings",
    "WebServicesConfig",
    "WebhookSettings",
]


class ScheduleSettings(StrictModel):
    interval_minutes: int = Field(default=15, ge=1, le=1440)
    cron: str | None = None
    jitter_seconds: int = Field(default=0, ge=0, le=3600)

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None and not croniter.is_valid(value):
            raise ValueError("not a valid cron expression (five fields, e.g. '*/20 6-20 * * 1-5')")
        return value

    @model_serializer(mode="wrap")
    def _out(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if self.cron is not None:
            data.pop("interval_minutes", None)  # written back, it would conflict with cron
        return data

    @model_validator(mode="after")
    def _one(self) -> ScheduleSettings:
        if self.cron is not None and "interval_minutes" in self.model_fields_set:
            raise ValueError("give either interval_minutes or cron, not both")
        return self


class StateSettings(StrictModel):
    url: str = Field(default="", validate_default=True)  # default: sqlite next to the config
    password: Secret | None = None  # PostgreSQL password, kept out of the URL

    @field_serializer("url")
    def _url_out(self, value: str, info: SerializationInfo) -> str:
        if value.startswith("sqlite:///"):
            return "sqlite:///" + path_out(Path(value.removeprefix("sqlite:///")), info)
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str, info: ValidationInfo) -> str:
        base = base_dir_of(info)
        if not value:
            path = (base / DEFAULT_STATE_FILE) if base is not None else Path(DEFAULT_STATE_FILE)
            return f"sqlite:///{path.as_posix()}"
        if value.startswith("sqlite:///"):
            rest = value.removeprefix("sqlite:///")
            if rest and rest != ":memory:" and base is not None:
                path = Path(rest)
                if not (path.is_absolute() or PureWindowsPath(rest).is_absolute()):
                    return f"sqlite:///{(base / path).resolve().as_posix()}"
            return value
        parts = urlsplit(value)
        if not parts.scheme.startswith("postgres"):
            raise ValueError("must be sqlite:///<path> or postgresql+psycopg://user@host/db")
        if parts.password:
            raise ValueError("must not hold the password: put a secret reference in `password`")
        return value

    def url_with_password(self, password: SecretStr | None) -> str:
        """The URL to open, with the resolved `password` put in (never log the result)."""
        if password is None or self.url.startswith("sqlite:"):
            return self.url
        url = make_url(self.url).set(password=password.get_secret_value())
        return url.render_as_string(hide_password=False)


class LoggingSettings(StrictModel):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    file: FilePath = Field(default=Path(DEFAULT_LOG_FILE), validate_default=True)
    to_file: bool = True
    format: Literal["auto", "json", "console"] = "auto"
    max_bytes: int = Field(default=10_000_000, ge=100_000)
    backup_count: int = Field(default=5, ge=0, le=100)

    @field_validator("level", mode="before")
    @classmethod
    def _level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("file")
    @classmethod
    def _file(cls, value: Path, info: ValidationInfo) -> Path:
        return resolve_path(value, info)


class WebhookSettings(StrictModel):
    enabled: bool = True
    listen: str = "127.0.0.1:8790"
    path: str = Field(default="/webhooks/servicetitan", pattern=r"^/[A-Za-z0-9/_.-]*$")
    hmac_key: Secret | None = None
    # ServiceTitan's header name and encoding are unconfirmed: accept any of these by default.
    signature_headers: list[str] = Field(
        default_factory=lambda: [
            "X-ServiceTitan-Signature",
            "ServiceTitan-Signature",
            "X-ST-Signature",
        ],
        min_length=1,
    )
    encoding: Literal["hex", "base64", "any"] = "any"

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("must be host:port, e.g. 0.0.0.0:8790")
        return value

    @property
    def host(self) -> str:
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])

    @model_validator(mode="after")
    def _literal(self) -> WebhookSettings:
        ok = is_loopback_host(self.host)
        refuse_literal(self.hmac_key, "hmac_key", ok, "listen on 127.0.0.1")
        return self


class DashboardSettings(StrictModel):
    enabled: bool = True
    port: int = Field(default=8780, gt=0, lt=65536)  # always 127.0.0.1: it has no login


class AppConfig(StrictModel):
    version: Literal[1] = 1
    pairs: dict[str, PairSettings] = Field(min_length=1)
    schedule: ScheduleSettings = ScheduleSettings()
    state: StateSettings = Field(default_factory=lambda: StateSettings.model_validate({}))
    logging: LoggingSettings = Field(default_factory=lambda: LoggingSettings.model_validate({}))
    webhooks: WebhookSettings | None = None
    dashboard: DashboardSettings = DashboardSettings()

    @model_validator(mode="before")
    @classmethod
    def _defaults_with_context(cls, data: Any, info: ValidationInfo) -> Any:
        # Sections left out still get their folder-relative defaults (state file, log file).
        if isinstance(data, dict):
            data = dict(data)
            data.setdefault("state", {})
            data.setdefault("logging", {})
        return data

    @field_validator("pairs")
    @classmethod
    def _names(cls, pairs: dict[str, PairSettings]) -> dict[str, PairSettings]:
        for name in pairs:
            if not PAIR_NAME.match(name):
                raise ValueError(
                    f"pair name {name!r} must be 1-32 lower-case letters, digits, - or _"
                )
        seen: dict[tuple[object, ...], str] = {}
        for name, pair in pairs.items():
            st, sage = pair.servicetitan, pair.sage100
            key = (st.api_base_url, st.tenant_id, sage.mode, sage.home, sage.root, sage.company)
            if key in seen:
                raise ValueError(
                    f"pairs {seen[key]!r} and {name!r} link the same tenant to the same company"
                )
            seen[key] = name
        return pairs

    def pair_ids(self) -> list[PairId]:
        return [PairId(name) for name in self.pairs]

    def pair(self, name: str) -> PairSettings:
        return self.pairs[name]

    def secret_references(self) -> list[tuple[str, SecretRef]]:
        """Every secret reference with its key, e.g. ('pairs.main.sage100.password', ref)."""
        refs: list[tuple[str, SecretRef]] = []
        for name, pair in self.pairs.items():
            st, sage = pair.servicetitan, pair.sage100
            refs.append((f"pairs.{name}.servicetitan.client_secret", st.client_secret))
            refs.append((f"pairs.{name}.servicetitan.app_key", st.app_key))
            refs.append((f"pairs.{name}.sage100.password", sage.password))
            if sage.webservices is not None and sage.webservices.password is not None:
                key = f"pairs.{name}.sage100.webservices.password"
                refs.append((key, sage.webservices.password))
        if self.state.password is not None:
            refs.append(("state.password", self.state.password))
        if self.webhooks is not None and self.webhooks.hmac_key is not None:
            refs.append(("webhooks.hmac_key", self.webhooks.hmac_key))
        return refs
