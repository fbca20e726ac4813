"""OAuth2 client credentials for ServiceTitan: one cached token per (environment, tenant,
client id), refreshed before it expires, one refresh at a time.

A token is reused until `expires_in - 60 s` (or half its life when it is shorter than two
minutes, as in tests). When many threads need a token at once, the first takes the slot's
lock and asks; the others wait on the lock and then find the fresh token: exactly one
request reaches the token endpoint. `invalidate(token)` (after a 401) drops the token only
if it is still the cached one, so a burst of 401s causes one refresh, not one each.

Failures say which: `InvalidCredentialsError` (client id or secret rejected),
`WrongEnvironmentError` (404, no such host, or an answer that is not a token),
`StUnreachableError` (refused, timed out) and `TokenThrottledError` (429).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from decimal import Decimal

import httpx
import structlog
from pydantic import SecretStr

from ml_connector.clock import Clock, timeline
from ml_connector.servicetitan.environment import StCredentials, StEnvironment
from ml_connector.servicetitan.errors import (
    InvalidCredentialsError,
    StServerError,
    StUnreachableError,
    TokenThrottledError,
    WrongEnvironmentError,
    is_name_resolution_failure,
    redact_url,
)
from ml_connector.servicetitan.retry import RetryPolicy, parse_retry_after

log = structlog.get_logger(__name__)

REFRESH_MARGIN = 60.0
_CREDENTIAL_ERRORS = frozenset({"invalid_client", "unauthorized_client", "invalid_grant"})


@dataclass(frozen=True, slots=True)
class AccessToken:
    value: SecretStr
    refresh_at: float  # monotonic seconds: ask for a new one from here on
    expires_at: float


@dataclass(frozen=True, slots=True)
class TokenKey:
    api_base: str
    auth_url: str
    tenant_id: int
    client_id: str


@dataclass(slots=True)
class _Slot:
    lock: threading.Lock = field(default_factory=threading.Lock)
    token: AccessToken | None = None
    issued: int = 0


class TokenCache:
    """Tokens by (environment, tenant, client id) and the clock's time line (a token's
    refresh time is in that clock's monotonic seconds). Shared by every client given it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[tuple[TokenKey, object], _Slot] = {}

    def slot(self, key: TokenKey, clock: Clock) -> _Slot:
        """The slot of `key` for clients on `clock`'s time line (see `clock.timeline`)."""
        where = (key, timeline(clock))
        with self._lock:
            slot = self._slots.get(where)
            if slot is None:
                slot = self._slots[where] = _Slot()
            return slot

    def clear(self) -> None:
        with self._lock:
            self._slots.clear()


# Like the rate limiter, tokens are shared process-wide: ServiceTitan throttles new-token
# requests per client, not per object. Pass `tokens=TokenCache()` to a client to isolate it.
PROCESS_TOKENS = TokenCache()


class Authenticator:
    """Hands out a valid bearer token for one tenant's OAuth client."""

    def __init__(
        self,
        environment: StEnvironment,
        credentials: StCredentials,
        *,
        http: httpx.Client,
        clock: Clock,
        cache: TokenCache,
        policy: RetryPolicy,
    ) -> None:
        self._env = environment
        self._creds = credentials
        self._http = http
        self._clock = clock
        self._policy = policy
        self._slot = cache.slot(
            TokenKey(
                environment.api_base,
                environment.auth_url,
                credentials.tenant_id,
                credentials.client_id,
            ),
            clock,
        )
        self.requested = 0  # token requests this authenticator sent

    @property
    def tokens_issued(self) -> int:
        """Tokens obtained for this (environment, tenant, client id), by any client."""
        return self._slot.issued

    def token(self) -> str:
        """A bearer token valid for at least a little while; fetches one if needed."""
        current = self._slot.token
        if current is not None and self._clock.monotonic() < current.refresh_at:
            return current.value.get_secret_value()
        with self._slot.lock:
            current = self._slot.token
            if current is not None and self._clock.monotonic() < current.refresh_at:
                return current.value.get_secret_value()
            fresh = self._fetch()
            self._slot.token = fresh
            self._slot.issued += 1
            return fresh.value.get_secret_value()

    def invalidate(self, stale: str) -> None:
        """Forget `stale` (it drew a 401) unless another thread already replaced it."""
        with self._slot.lock:
            current = self._slot.token
            if current is not None and current.value.get_secret_value() == stale:
                self._slot.token = None

    # -- the token request ---------------------------------------------------------------

    def _fetch(self) -> AccessToken:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._creds.client_id,
            "client_secret": self._creds.client_secret.get_secret_value(),
        }
        url = self._env.auth_url
        where = f"the {self._env.name} token endpoint {redact_url(url)}"
        op = "request ServiceTitan access token"
        spent = 0.0
        attempt = 0
        while True:
            attempt += 1
            self.requested += 1
            started = self._clock.monotonic()
            failure: Exception
            retry_after: float | None = None
            try:
                resp = self._http.post(url, data=form, headers={"Accept": "application/json"})
            except httpx.TransportError as exc:
                if is_name_resolution_failure(exc):
                    raise WrongEnvironmentError(
                        f"{where}: the host name does not resolve",
                        operation=op,
                        url=url,
                        hint="check the environment (production or integration) and the "
                        "token URL, and the machine's DNS",
                    ) from exc
                failure = StUnreachableError(
                    f"could not reach {where}: {type(exc).__name__}",
                    operation=op,
                    url=url,
                    hint="check the network, proxy and firewall of this machine",
                )
                failure.__cause__ = exc
                wait = self._policy.backoff(attempt)
            else:
                status = resp.status_code
                if status == 200:
                    return self._read_token(resp, where, op, started)
                if status == 429:
                    retry_after = parse_retry_after(
                        resp.headers.get("Retry-After"), _title(resp.content), now=self._clock.now()
                    )
                    failure = TokenThrottledError(
                        f"{where} is throttling token requests (429)",
                        status=429,
                        operation=op,
                        url=url,
                        hint="too many new tokens were requested; wait a minute and try again",
                    )
                    wait = self._policy.rate_limit_wait(retry_after)
                elif status >= 500:
                    failure = StServerError(
                        f"{where} answered {status}", status=status, operation=op, url=url
                    )
                    wait = self._policy.backoff(attempt)
                else:
                    raise self._refusal(resp, where, op)
            if attempt >= self._policy.max_attempts or spent + wait > self._policy.total_cap:
                raise failure
            log.warning(
                "servicetitan.token.retry",
                url=redact_url(url),
                attempt=attempt,
                wait=round(wait, 3),
                reason=type(failure).__name__,
            )
            self._clock.sleep(wait)
            spent += wait

    def _read_token(self, resp: httpx.Response, where: str, op: str, started: float) -> AccessToken:
        try:
            data = json.loads(resp.content, parse_float=Decimal)
            value = data["access_token"]
            lifetime = float(data.get("expires_in", 900))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise WrongEnvironmentError(
                f"{where} answered 200 but not with an access token",
                status=200,
                operation=op,
                url=self._env.auth_url,
                hint="the token URL is not ServiceTitan's token endpoint: check the environment",
            ) from exc
        if not isinstance(value, str) or not value or lifetime <= 0:
            raise WrongEnvironmentError(
                f"{where} answered 200 with an empty or expired token",
                status=200,
                operation=op,
                url=self._env.auth_url,
            )
        margin = min(REFRESH_MARGIN, lifetime / 2)
        log.info(
            "servicetitan.token.issued",
            environment=self._env.name,
            tenant=self._creds.tenant_id,
            expires_in=lifetime,
        )
        return AccessToken(
            value=SecretStr(value),
            refresh_at=started + lifetime - margin,
            expires_at=started + lifetime,
        )

    def _refusal(self, resp: httpx.Response, where: str, op: str) -> Exception:
        status = resp.status_code
        oauth_error = _oauth_error(resp.content)
        url = self._env.auth_url
        if oauth_error in _CREDENTIAL_ERRORS or (status == 401 and oauth_error is None):
            return InvalidCredentialsError(
                f"{where} rejected the client id or client secret for tenant "
                f"{self._creds.tenant_id} ({status} {oauth_error or 'unauthorized'})",
                status=status,
                operation=op,
                url=url,
                hint="re-enter the client id and secret from ServiceTitan (Settings > "
                "Integrations > API Application Access); they are per tenant AND per "
                f"environment, so check they were issued for {self._env.name}",
            )
        if status in (404, 405) or oauth_error is None:
            return WrongEnvironmentError(
                f"{where} is not a token endpoint (answered {status})",
                status=status,
                operation=op,
                url=url,
                hint="check the environment (production or integration) and the token URL",
            )
        return InvalidCredentialsError(
            f"{where} refused the token request ({status} {oauth_error})",
            status=status,
            operation=op,
            url=url,
            hint="check the client id and secret, and that the app is connected to the tenant",
        )


def _oauth_error(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return str(data["error"])[:60]
    return None


def _title(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(data, dict) and isinstance(data.get("title"), str):
        return str(data["title"])
    return None
