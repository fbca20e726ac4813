"""Where a ServiceTitan tenant lives and the credentials that open it.

`StEnvironment` is a pair of URLs: the API host and the OAuth token endpoint. Production and
integration are ServiceTitan's two environments; `custom` covers the local sandbox (or a
proxy). `StCredentials` is one tenant's client id and secret (per tenant *and* per
environment) plus the application's key (global to the app). Secrets are `SecretStr`: their
`repr` and `str` never show the value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from pydantic import SecretStr

from ml_connector.errors import ConfigError

PRODUCTION_API = "https://api.servicetitan.io"
PRODUCTION_AUTH = "https://auth.servicetitan.io/connect/token"
INTEGRATION_API = "https://api-integration.servicetitan.io"
INTEGRATION_AUTH = "https://auth-integration.servicetitan.io/connect/token"


def _check_url(url: str, what: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{what} {url!r} is not an http(s) URL",
            operation="configure ServiceTitan environment",
            hint="give a full URL such as https://api.servicetitan.io",
        )
    if parts.username or parts.password:
        raise ConfigError(
            f"{what} must not carry a user name or password",
            operation="configure ServiceTitan environment",
            hint="put credentials in the client id and secret, never in the URL",
        )
    return url.rstrip("/")


@dataclass(frozen=True, slots=True)
class StEnvironment:
    """An API host and its token endpoint. `name` is for people and logs only."""

    name: str
    api_base: str
    auth_url: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "api_base", _check_url(self.api_base, "API base URL"))
        object.__setattr__(self, "auth_url", _check_url(self.auth_url, "token URL"))

    @classmethod
    def production(cls) -> StEnvironment:
        return cls("production", PRODUCTION_API, PRODUCTION_AUTH)

    @classmethod
    def integration(cls) -> StEnvironment:
        return cls("integration", INTEGRATION_API, INTEGRATION_AUTH)

    @classmethod
    def custom(cls, api_base: str, auth_url: str, *, name: str = "custom") -> StEnvironment:
        """Any pair of URLs, e.g. the sandbox:
        `custom(sb.base_url, sb.base_url + "/connect/token")`."""
        return cls(name, api_base, auth_url)

    @classmethod
    def named(cls, name: str) -> StEnvironment:
        """`production` or `integration` by name (what a settings file says)."""
        if name == "production":
            return cls.production()
        if name == "integration":
            return cls.integration()
        raise ConfigError(
            f"unknown ServiceTitan environment {name!r}",
            operation="configure ServiceTitan environment",
            hint="use 'production' or 'integration', or give api_base and auth_url",
        )


@dataclass(frozen=True, slots=True)
class StCredentials:
    """One tenant's OAuth client (per environment) plus the application key."""

    tenant_id: int
    client_id: str
    client_secret: SecretStr
    app_key: SecretStr

    def __post_init__(self) -> None:
        if isinstance(self.tenant_id, bool) or not isinstance(self.tenant_id, int):
            try:
                tenant = int(str(self.tenant_id).strip())
            except ValueError as exc:
                raise ConfigError(
                    "the ServiceTitan tenant id must be a number",
                    operation="configure ServiceTitan credentials",
                    hint="copy the numeric tenant id from ServiceTitan (Settings > Integrations)",
                ) from exc
            object.__setattr__(self, "tenant_id", tenant)
        if self.tenant_id <= 0:
            raise ConfigError(
                "the ServiceTitan tenant id must be a positive number",
                operation="configure ServiceTitan credentials",
            )
        for field, value in (
            ("client id", self.client_id),
            ("client secret", self.client_secret.get_secret_value()),
            ("app key", self.app_key.get_secret_value()),
        ):
            if not value.strip():
                raise ConfigError(
                    f"the ServiceTitan {field} is empty",
                    operation="configure ServiceTitan credentials",
                    hint=f"enter the {field} from ServiceTitan's API Application Access page",
                )


class LocalServiceTitan(Protocol):
    """Anything serving the ServiceTitan API locally with its credentials (the object
    `running_sandbox(...)` yields is one)."""

    base_url: str
    tenant_id: int
    client_id: str
    client_secret: str
    app_key: str


def local_connection(server: LocalServiceTitan) -> tuple[StEnvironment, StCredentials]:
    """The environment (token URL `{base_url}/connect/token`) and credentials of a local
    stand-in."""
    environment = StEnvironment.custom(
        server.base_url, server.base_url + "/connect/token", name="sandbox"
    )
    credentials = StCredentials(
        tenant_id=int(server.tenant_id),
        client_id=server.client_id,
        client_secret=SecretStr(server.client_secret),
        app_key=SecretStr(server.app_key),
    )
    return environment, credentials
