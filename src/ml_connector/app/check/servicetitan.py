"""The ServiceTitan half of the connectivity check: token, app key, tenant id, and one cheap
call to each API module the sync reads.

The token is requested on its own first (wrong client id or secret, wrong environment,
unreachable, throttled). Then one probe call tells the app key from the tenant id by what
ServiceTitan answers (a refused `ST-App-Key`, or a token that is not valid for the tenant
in the path). Then each module gets a one-record read; a 403 names the module to license
or the OAuth scope to grant (`tn.acc.apbills:r`, ...). Without a token the other checks are
skipped; without an accepted app key or tenant the module checks are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

import httpx
from pydantic import SecretStr

from ml_connector.app.adapters import build_servicetitan
from ml_connector.app.check.types import CheckResult, Rows
from ml_connector.app.config.pair import PairSettings
from ml_connector.clock import Clock
from ml_connector.errors import ConnectorError
from ml_connector.servicetitan.auth import TokenCache
from ml_connector.servicetitan.client import ServiceTitanClient
from ml_connector.servicetitan.errors import (
    InvalidCredentialsError,
    ModuleNotLicensedError,
    StForbiddenError,
    StNotFoundError,
    StRateLimitedError,
    StServerError,
    StUnauthorizedError,
    StUnreachableError,
    TokenThrottledError,
    WrongEnvironmentError,
)
from ml_connector.servicetitan.ratelimit import LimiterRegistry
from ml_connector.servicetitan.retry import RetryPolicy

TOKEN = "token"  # noqa: S105  # a row name, not a secret
APP_KEY = "app key"
TENANT = "tenant id"

# A short budget: a person is waiting, and a check that cannot connect says so quickly.
CHECK_RETRY = RetryPolicy(
    max_attempts=2, base_delay=0.2, max_delay=1.0, total_cap=3.0, max_retry_after=3.0
)

_APP_KEY_WORDS = re.compile(r"app[- _]?key|application key|subscription key", re.I)
_TENANT_WORDS = re.compile(r"tenant", re.I)

Probe = Callable[[ServiceTitanClient], Iterable[object]]


@dataclass(frozen=True, slots=True)
class ModuleProbe:
    module: str  # the path segment, e.g. "accounting"
    what: str  # e.g. "AP bills"
    scope: str  # the OAuth scope the app needs, e.g. "tn.acc.apbills:r"
    read: Probe

    @property
    def name(self) -> str:
        return f"{self.module}: {self.what}"


MODULE_PROBES: tuple[ModuleProbe, ...] = (
    ModuleProbe(
        "accounting", "AP bills", "tn.acc.apbills:r", lambda c: c.ap_bills(bill_type="ApBill")
    ),
    ModuleProbe("accounting", "GL accounts", "tn.acc.glaccounts:r", lambda c: c.gl_accounts()),
    ModuleProbe("inventory", "vendors", "tn.inv.vendors:r", lambda c: c.vendors()),
    ModuleProbe("jpm", "jobs", "tn.jpm.jobs:r", lambda c: c.jobs(ids=[1])),
    ModuleProbe("jpm", "budget codes", "tn.jpm.budgetcodes:r", lambda c: c.budget_codes()),
    ModuleProbe(
        "settings", "business units", "tn.settings.businessunits:r", lambda c: c.business_units()
    ),
    ModuleProbe("pricebook", "categories", "tn.pb.categories:r", lambda c: c.categories()),
)
INVOICES_PROBE = ModuleProbe("accounting", "invoices", "tn.acc.invoices:r", lambda c: c.invoices())


def _other_environment(name: str) -> str:
    return "integration" if name == "production" else "production"


def probes_for(pair: PairSettings) -> list[ModuleProbe]:
    """The module reads the pair's sync needs."""
    return [*MODULE_PROBES, *([INVOICES_PROBE] if pair.sync.invoices else [])]


def row_names(pair: PairSettings) -> list[str]:
    """Every ServiceTitan row of the pair, in order."""
    return [TOKEN, APP_KEY, TENANT, *(p.name for p in probes_for(pair))]


def servicetitan_checks(
    pair_name: str,
    pair: PairSettings,
    client_secret: SecretStr,
    app_key: SecretStr,
    clock: Clock,
    *,
    retry: RetryPolicy = CHECK_RETRY,
    transport: httpx.BaseTransport | None = None,
) -> list[CheckResult]:
    """Every ServiceTitan row of one pair (`transport`: an httpx transport, for edge tests)."""
    rows = Rows(pair_name, "servicetitan")
    st = pair.servicetitan
    probes = probes_for(pair)
    names = row_names(pair)
    try:
        client = build_servicetitan(
            pair,
            client_secret,
            app_key,
            clock,
            retry=retry,
            tokens=TokenCache(),  # never a token cached by an earlier, differently set up run
            limiters=LimiterRegistry(),
            page_size=1,
            timeout=min(st.timeout_seconds, 15.0),
            transport=transport,
        )
    except ConnectorError as exc:
        first = rows.error(TOKEN, exc)
        return [
            first,
            *(rows.skipped(n, "the ServiceTitan settings are invalid") for n in names[1:]),
        ]
    with client:
        token = rows.guard(TOKEN, lambda: _token(rows, client, pair))
        if token.verdict != "ok":
            return [token, *(rows.skipped(n, "no token") for n in names[1:])]
        access = _access(rows, client, pair)
        results = [token, *access]
        blocked = next((r for r in access if r.verdict == "FAILED"), None)
        for probe in probes:
            if blocked is not None:
                why = "the app key was refused" if blocked.name == APP_KEY else "wrong tenant id"
                results.append(rows.skipped(probe.name, why))
            else:
                results.append(rows.guard(probe.name, partial(_module, rows, client, pair, probe)))
        return results


def _token(rows: Rows, client: ServiceTitanClient, pair: PairSettings) -> CheckResult:
    st = pair.servicetitan
    env = client.environment.name
    where = f"{env} token endpoint {client.environment.auth_url}"
    try:
        client.auth.token()
    except InvalidCredentialsError as exc:
        other = _other_environment(env)
        fix = (
            f"Re-enter client_id and client_secret for tenant {st.tenant_id} (ServiceTitan: "
            "Settings > Integrations > API Application Access). They are issued per tenant AND "
            f"per environment: these were sent to {env}; if they were issued for {other}, set "
            f"environment = '{other}'."
        )
        if env == "custom":
            fix = (
                "Re-enter client_id and client_secret; they must be the ones of the server at "
                "auth_url (the sandbox prints its own at start)."
            )
        return rows.error(TOKEN, exc, fix)
    except WrongEnvironmentError as exc:
        return rows.error(
            TOKEN,
            exc,
            "Check `environment` (production or integration); with environment = 'custom', "
            "auth_url must be the token endpoint (…/connect/token) of the same server as api_base.",
        )
    except StUnreachableError as exc:
        return rows.error(
            TOKEN,
            exc,
            f"Check that this machine can reach {client.environment.auth_url} (network, proxy "
            "settings HTTPS_PROXY, firewall); for the sandbox, that it is running.",
        )
    except TokenThrottledError as exc:
        return rows.error(
            TOKEN,
            exc,
            "ServiceTitan is throttling new tokens for this client: wait a minute and run the "
            "check again; make sure no other copy of the connector uses the same client id.",
        )
    return rows.ok(TOKEN, f"access token issued by the {where}")


def _access(rows: Rows, client: ServiceTitanClient, pair: PairSettings) -> list[CheckResult]:
    """The app key and tenant rows, from one probe call."""
    tenant = pair.servicetitan.tenant_id
    try:
        next(iter(client.gl_accounts()), None)
    except ModuleNotLicensedError:
        pass  # got past the key and the tenant; the module row says the rest
    except (StUnauthorizedError, StForbiddenError, StNotFoundError) as exc:
        text = f"{exc.title or ''} {exc.message}"
        if _APP_KEY_WORDS.search(text) or (
            isinstance(exc, StUnauthorizedError) and not _TENANT_WORDS.search(text)
        ):
            return [
                rows.error(
                    APP_KEY,
                    exc,
                    "Set app_key to the App Key of the ml-connector application (ServiceTitan "
                    "developer portal > My Apps). It is one key for every tenant and "
                    "environment; if the app was disconnected from this tenant, reconnect it "
                    "(Settings > Integrations > API Application Access).",
                ),
                rows.skipped(TENANT, "the app key was refused"),
            ]
        if _TENANT_WORDS.search(text) or isinstance(exc, StNotFoundError):
            return [
                rows.ok(APP_KEY, "accepted"),
                rows.error(
                    TENANT,
                    exc,
                    f"tenant_id {tenant} is not the tenant these client credentials belong to: "
                    "copy the Tenant ID shown with the client id in ServiceTitan (Settings > "
                    "Integrations > API Application Access).",
                ),
            ]
        unsure = f"ServiceTitan refused the probe call without saying why: {exc.message}"
        return [
            rows.warning(APP_KEY, unsure, "See the module rows below."),
            rows.warning(TENANT, unsure, "See the module rows below."),
        ]
    except (StRateLimitedError, StServerError) as exc:
        busy = f"could not confirm: {exc.message}"
        return [
            rows.warning(APP_KEY, busy, "ServiceTitan was busy: run the check again."),
            rows.warning(TENANT, busy, "ServiceTitan was busy: run the check again."),
        ]
    except ConnectorError as exc:
        return [rows.error(APP_KEY, exc), rows.skipped(TENANT, "the probe call failed")]
    except Exception as exc:  # noqa: BLE001 - reported as a row, never a traceback
        return [rows.unexpected(APP_KEY, exc), rows.skipped(TENANT, "the probe call failed")]
    return [rows.ok(APP_KEY, "accepted"), rows.ok(TENANT, f"tenant {tenant} answered")]


def _module(
    rows: Rows, client: ServiceTitanClient, pair: PairSettings, probe: ModuleProbe
) -> CheckResult:
    tenant = pair.servicetitan.tenant_id
    try:
        found = next(iter(probe.read(client)), None)
    except ModuleNotLicensedError as exc:
        return rows.error(
            probe.name,
            exc,
            f"The tenant must license the ServiceTitan '{probe.module}' module: ask the tenant "
            f"admin or ServiceTitan to enable it for tenant {tenant}; the application needs "
            f"scope {probe.scope}.",
        )
    except StForbiddenError as exc:
        return rows.error(
            probe.name,
            exc,
            f"The application must be granted scope {probe.scope}: add it to the app in the "
            "ServiceTitan developer portal, then have the tenant admin accept the new version "
            "(Settings > Integrations > API Application Access).",
        )
    except (StRateLimitedError, StServerError) as exc:
        return rows.warning(
            probe.name, f"could not confirm: {exc.message}", "ServiceTitan was busy: run again."
        )
    seen = "one record read" if found is not None else "reachable (no records yet)"
    return rows.ok(probe.name, f"{seen}; scope {probe.scope}")
