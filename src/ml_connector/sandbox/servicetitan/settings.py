"""Settings of one sandbox instance: the tenant, its credentials and the limits it enforces.

The defaults are documented (docs/st-sandbox.md) and printed when the sandbox starts. They are
fake credentials for a local stand-in, never secrets of a real tenant.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_TENANT_ID = 1234567
DEFAULT_CLIENT_ID = "sandbox-client"
DEFAULT_CLIENT_SECRET = "sandbox-secret"  # noqa: S105 - documented fake credential
DEFAULT_APP_KEY = "sandbox-app-key"
DEFAULT_TOKEN_LIFETIME = 900
DEFAULT_RATE_LIMIT_PER_SECOND = 60
DEFAULT_TOKEN_REQUESTS_PER_MINUTE = 20
MAX_PAGE_SIZE = 5000
DEFAULT_PAGE_SIZE = 50
MODULES = ("accounting", "inventory", "jpm", "settings", "pricebook")


@dataclass(frozen=True, slots=True)
class SandboxSettings:
    """Who the sandbox pretends to be and how strict it is."""

    tenant_id: int = DEFAULT_TENANT_ID
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    app_key: str = DEFAULT_APP_KEY
    token_lifetime: int = DEFAULT_TOKEN_LIFETIME
    rate_limit_per_second: int = DEFAULT_RATE_LIMIT_PER_SECOND
    token_requests_per_minute: int = DEFAULT_TOKEN_REQUESTS_PER_MINUTE
    scope: str = (
        "tn.acc.apbills:r tn.acc.apbills:w tn.acc.invoices:r tn.acc.invoices:w "
        "tn.acc.glaccounts:r tn.inv.vendors:r tn.inv.vendors:w tn.inv.purchaseorders:r "
        "tn.jpm.jobs:r tn.jpm.jobtypes:r tn.jpm.budgetcodes:r tn.settings.businessunits:r "
        "tn.pb.categories:r"
    )
