"""From a pair's settings (and its resolved secrets) to the two adapters the app drives.

    creds = resolve_pair(config, name, store)
    st = build_servicetitan(pair, creds.st_client_secret, creds.st_app_key, clock)
    sage = build_sage(pair, creds.sage_password, clock)

`mode = "sandbox"` drives the Sage sandbox's `ProvideXScript` over the sandbox root;
`mode = "boi"` the ProvideX.Script COM object (`ProvideXComFactory`, Windows only). The
ServiceTitan environment is production, integration, or custom URLs (the sandbox). Extra
keyword arguments of `build_servicetitan` go to `ServiceTitanClient` (retry policy, token
cache, limiters, page size...), e.g. for the connectivity check.
"""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from ml_connector.app.config.pair import PairSettings, Sage100Settings, ServiceTitanSettings
from ml_connector.clock import Clock
from ml_connector.sage100.boi import BoiSage100
from ml_connector.sage100.boi_session import ScriptFactory
from ml_connector.sage100.settings import BoiColumns, BoiNames, BoiSettings
from ml_connector.servicetitan.client import ServiceTitanClient
from ml_connector.servicetitan.environment import StCredentials, StEnvironment


def st_environment(st: ServiceTitanSettings) -> StEnvironment:
    """The ServiceTitan environment the settings name (custom: their own URLs)."""
    if st.environment == "custom":
        return StEnvironment.custom(st.api_base_url, st.token_url)
    return StEnvironment.named(st.environment)


def build_servicetitan(
    pair: PairSettings,
    client_secret: SecretStr,
    app_key: SecretStr,
    clock: Clock,
    **client_options: Any,
) -> ServiceTitanClient:
    """A `ServiceTitanClient` for the pair's tenant (close it when done)."""
    st = pair.servicetitan
    credentials = StCredentials(
        tenant_id=st.tenant_id,
        client_id=st.client_id,
        client_secret=client_secret,
        app_key=app_key,
    )
    options: dict[str, Any] = {"max_rps": st.max_rps, "timeout": st.timeout_seconds}
    options.update(client_options)
    return ServiceTitanClient(st_environment(st), credentials, clock=clock, **options)


def boi_settings(sage: Sage100Settings, password: SecretStr) -> BoiSettings:
    """The BOI adapter's settings for the pair's Sage company."""
    home = str(sage.root) if sage.mode == "sandbox" else str(sage.home or "")
    return BoiSettings(
        home=home,
        company=sage.company,
        user=sage.user,
        password=password,
        division=sage.ap_division,
        module_date=sage.module_date_value if sage.module_date == "fixed" else None,
        uses_batches=sage.use_batches,
        names=sage.names or BoiNames(),
        columns=sage.columns or BoiColumns(),
        sales_tax_in_ap=sage.sales_tax_in_ap,
        job_cost=sage.job_cost,
        invoice_key_whole=sage.invoice_key_whole,
    )


def script_factory(sage: Sage100Settings, clock: Clock) -> ScriptFactory:
    """What creates the ProvideX.Script object: the sandbox's, or the COM server's."""
    if sage.mode == "sandbox":
        # Imported here: a production install never loads the sandbox.
        from ml_connector.sandbox.sage100 import ProvideXScript

        root = sage.root
        if root is None:  # the config model refuses this; kept for the type checker
            raise ValueError("mode = 'sandbox' needs root")
        return lambda: ProvideXScript(root, clock=clock)
    from ml_connector.sage100.com import ProvideXComFactory

    return ProvideXComFactory()


def build_sage(pair: PairSettings, password: SecretStr, clock: Clock) -> BoiSage100:
    """A `BoiSage100` for the pair's company (close it when done)."""
    sage = pair.sage100
    return BoiSage100(boi_settings(sage, password), script_factory(sage, clock), clock=clock)
