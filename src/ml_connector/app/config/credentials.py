"""From a loaded config to the values and settings the adapters need: secrets resolved for a
pair, every reference checked at once, and the Web Services client settings.

    store = SecretStore(on_resolve=redactor.add_secret)
    creds = resolve_pair(config, "main", store)          # PairCredentials (SecretStr values)
    problems = [c for c in check_secrets(config, store) if c.problem]
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr

from ml_connector.app.config.models import AppConfig
from ml_connector.app.config.secrets import SecretRef, SecretStore
from ml_connector.errors import ConfigError
from ml_connector.sage100.webservices import WebServicesSettings


@dataclass(frozen=True, slots=True)
class PairCredentials:
    st_client_secret: SecretStr
    st_app_key: SecretStr
    sage_password: SecretStr
    webservices_password: SecretStr | None  # None when the pair has no [webservices]


@dataclass(frozen=True, slots=True)
class SecretCheck:
    key: str  # e.g. "pairs.main.sage100.password"
    ref: SecretRef
    problem: str | None  # None when the secret resolved; never holds a value


def resolve_pair(config: AppConfig, name: str, store: SecretStore) -> PairCredentials:
    """Resolve every secret of one pair (ConfigError naming the first one missing)."""
    pair = config.pair(name)
    base = f"pairs.{name}"
    st, sage = pair.servicetitan, pair.sage100
    ws_password: SecretStr | None = None
    if sage.webservices is not None:
        ref = sage.webservices.password or sage.password
        key = "webservices.password" if sage.webservices.password else "password"
        ws_password = store.resolve(ref, key=f"{base}.sage100.{key}")
    return PairCredentials(
        st_client_secret=store.resolve(st.client_secret, key=f"{base}.servicetitan.client_secret"),
        st_app_key=store.resolve(st.app_key, key=f"{base}.servicetitan.app_key"),
        sage_password=store.resolve(sage.password, key=f"{base}.sage100.password"),
        webservices_password=ws_password,
    )


def check_secrets(config: AppConfig, store: SecretStore) -> list[SecretCheck]:
    """Try every secret reference of the config; report each one's problem, if any."""
    checks = []
    for key, ref in config.secret_references():
        try:
            store.resolve(ref, key=key)
        except ConfigError as exc:
            checks.append(SecretCheck(key, ref, exc.describe()))
        else:
            checks.append(SecretCheck(key, ref, None))
    return checks


def webservices_settings(
    config: AppConfig, name: str, store: SecretStore
) -> WebServicesSettings | None:
    """The eBusiness Web Services client settings of a pair, or None if it has none."""
    sage = config.pair(name).sage100
    ws = sage.webservices
    if ws is None:
        return None
    ref = ws.password or sage.password
    key = f"pairs.{name}.sage100." + ("webservices.password" if ws.password else "password")
    return WebServicesSettings(
        url=ws.url,
        company=sage.company,
        user=ws.user or sage.user,
        password=store.resolve(ref, key=key),
        timeout=ws.timeout_seconds,
        ca_bundle=ws.ca_bundle,
        wsdl=ws.wsdl,
        allow_plain_http=ws.allow_plain_http,
    )
