"""The sandbox ASGI app: the token endpoint, the guard every API call passes, the routes.

Every API call (`/{module}/v2/tenant/{tenant}/...`) goes through `guarded`, in this order:
injected latency; `Authorization: Bearer <token>` (401 when missing, invalid or expired);
`ST-App-Key` (401 when missing, 403 when wrong); the tenant in the path (403 when the token's
tenant differs, 404 when it is not a number); the 60 requests per second window per app and
tenant (429 with `Retry-After`); the module licence (403 naming it); the write scope of
the few writes that check one (`WRITE_SCOPES`, 403 naming it); injected 429/5xx; then the
handler. Errors use the official `ApiErrorResponse` shape.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ml_connector.clock import Clock, SystemClock
from ml_connector.sandbox.servicetitan.auth import SlidingWindow, TokenIssuer
from ml_connector.sandbox.servicetitan.faults import Faults, FaultSwitch
from ml_connector.sandbox.servicetitan.problems import ApiProblem
from ml_connector.sandbox.servicetitan.settings import SandboxSettings
from ml_connector.sandbox.servicetitan.stats import Stats
from ml_connector.sandbox.servicetitan.store import RecordStore

Handler = Callable[[Request, "SandboxState"], Awaitable[Response]]


@dataclass
class SandboxState:
    """Everything a request handler may touch."""

    settings: SandboxSettings
    store: RecordStore
    clock: Clock = field(default_factory=SystemClock)
    faults: FaultSwitch = field(default_factory=FaultSwitch)
    stats: Stats = field(default_factory=Stats)
    issuer: TokenIssuer = field(init=False)
    rate: SlidingWindow = field(init=False)
    token_rate: SlidingWindow = field(init=False)

    def __post_init__(self) -> None:
        key = self.store.meta("token_key")
        if key is None:
            key = TokenIssuer.new_key()
            self.store.set_meta("token_key", key)
        self.issuer = TokenIssuer(bytes.fromhex(key), self.clock)
        self.rate = SlidingWindow(self.settings.rate_limit_per_second, 1.0, self.clock)
        self.token_rate = SlidingWindow(self.settings.token_requests_per_minute, 60.0, self.clock)


def json_response(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status_code=status, media_type="application/json")


def raw_page(
    bodies: list[str], page: int, size: int, has_more: bool, total: int | None
) -> Response:
    """A `PaginatedResponse_Of_*` envelope around raw JSON bodies (no re-encoding)."""
    head = json.dumps({"page": page, "pageSize": size, "hasMore": has_more, "totalCount": total})[
        :-1
    ]
    return Response(f'{head},"data":[{",".join(bodies)}]}}', media_type="application/json")


async def _token(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    state.stats.bump("token_requests")
    form: dict[str, str] = {}
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        # Parsed here rather than with request.form(), which needs python-multipart.
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    client_id = form.get("client_id", "")
    retry = state.token_rate.admit(client_id or "-")
    if retry is not None:
        state.stats.bump("token_refused")
        state.stats.request("/connect/token", 429)
        return JSONResponse(
            {
                "error": "slow_down",
                "error_description": "Too many token requests; cache the token until it expires.",
            },
            status_code=429,
            headers={"Retry-After": str(retry)},
        )
    error = None
    if not form:
        error = ("invalid_request", "Send a form-encoded body (application/x-www-form-urlencoded).")
    elif form.get("grant_type") != "client_credentials":
        error = ("unsupported_grant_type", "Only client_credentials is supported.")
    elif not client_id or not form.get("client_secret"):
        error = ("invalid_request", "client_id and client_secret are required.")
    elif not (
        hmac.compare_digest(client_id.encode(), state.settings.client_id.encode())
        & hmac.compare_digest(
            form.get("client_secret", "").encode(), state.settings.client_secret.encode()
        )
    ):
        error = ("invalid_client", "Client authentication failed.")
    if error is not None:
        state.stats.bump("token_refused")
        state.stats.request("/connect/token", 400)
        return JSONResponse({"error": error[0], "error_description": error[1]}, status_code=400)
    lifetime = state.faults.current.token_lifetime or state.settings.token_lifetime
    token = state.issuer.issue(client_id, state.settings.tenant_id, lifetime, state.settings.scope)
    state.stats.bump("tokens_issued")
    state.stats.request("/connect/token", 200)
    return JSONResponse(
        {
            "access_token": token,
            "expires_in": lifetime,
            "token_type": "Bearer",
            "scope": state.settings.scope,
        },
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


# Writes that need a write scope of the token (`SandboxSettings.scope`): the scope names
# follow ServiceTitan's `tn.<module>.<resource>:w` (reference/servicetitan.md). Only these
# are checked; reads and other writes pass whatever the scope says.
WRITE_SCOPES = {("inventory", "vendors"): "tn.inv.vendors:w"}


def _write_scope(request: Request) -> str | None:
    """The scope a write needs, or None (a read, or a write not checked)."""
    if request.method in ("GET", "HEAD"):
        return None
    parts = request.url.path.strip("/").split("/")  # module, v2, tenant, id, resource, ...
    if len(parts) < 5:
        return None
    return WRITE_SCOPES.get((parts[0], parts[4]))


def _check(request: Request, state: SandboxState, module: str) -> None:
    header = request.headers.get("authorization", "").strip()
    token = header[7:].strip() if header.lower().startswith("bearer ") else header
    if not token:
        state.stats.bump("unauthorized")
        raise ApiProblem(
            401,
            "Unauthorized: the Authorization header with a bearer token is missing.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    reason, claims = state.issuer.check(token)
    if reason is not None:
        state.stats.bump("unauthorized")
        raise ApiProblem(
            401,
            f"Unauthorized: {reason}.",
            headers={
                "WWW-Authenticate": f'Bearer error="invalid_token", error_description="{reason}"'
            },
        )
    app_key = request.headers.get("st-app-key")
    if not app_key:
        state.stats.bump("unauthorized")
        raise ApiProblem(401, "Unauthorized: the ST-App-Key header is missing.")
    if app_key != state.settings.app_key:
        state.stats.bump("unauthorized")
        raise ApiProblem(403, "Forbidden: the ST-App-Key is not valid for this application.")
    tenant = request.path_params.get("tenant", "")
    if not str(tenant).isdigit():
        raise ApiProblem(404, f"Tenant '{tenant}' was not found.")
    if int(tenant) != int(str(claims.get("tenant", "0"))):
        raise ApiProblem(
            403,
            f"Forbidden: the token is not valid for tenant {tenant}.",
            data={"tenant": int(tenant)},
        )
    retry = state.rate.admit(f"{app_key}:{tenant}")
    if retry is not None:
        raise ApiProblem(
            429,
            f"Rate limit is exceeded. Try again in {retry} seconds.",
            headers={"Retry-After": str(retry)},
        )
    faults = state.faults.current
    if module in faults.unlicensed:
        raise ApiProblem(
            403, f"The tenant is not licensed for the '{module}' module.", data={"module": module}
        )
    needed = _write_scope(request)
    if needed is not None and needed not in str(claims.get("scope", "")).split():
        raise ApiProblem(
            403,
            f"Forbidden: the application has no '{needed}' scope.",
            data={"scope": needed},
        )
    drawn = state.faults.draw()
    if drawn == "429":
        raise ApiProblem(
            429,
            f"Rate limit is exceeded. Try again in {faults.retry_after} seconds.",
            headers={"Retry-After": str(faults.retry_after)},
        )
    if drawn == "5xx":
        status = state.faults.pick((500, 502, 503))
        raise ApiProblem(status, "The service is temporarily unavailable (injected fault).")


def guarded(module: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        state: SandboxState = request.app.state.sandbox
        latency = state.faults.current.latency_ms
        if latency:
            await asyncio.sleep(latency / 1000)
        try:
            _check(request, state, module)
            response = await handler(request, state)
        except ApiProblem as problem:
            response = problem.response()
        state.stats.request(request.url.path, response.status_code)
        return response

    return endpoint


def api_route(module: str, path: str, handler: Handler, methods: list[str]) -> Route:
    return Route(f"/{module}/v2/tenant/{{tenant}}{path}", guarded(module, handler), methods=methods)


async def _not_found(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    return ApiProblem(status, f"No route for {request.method} {request.url.path}.").response()


def build_app(
    state_dir: Path,
    settings: SandboxSettings | None = None,
    *,
    clock: Clock | None = None,
    faults: Faults | None = None,
) -> Starlette:
    """The app over the state in `state_dir` (seeded beforehand, see `seeding`)."""
    from ml_connector.sandbox.servicetitan.admin import admin_routes
    from ml_connector.sandbox.servicetitan.routes_accounting import accounting_routes
    from ml_connector.sandbox.servicetitan.routes_inventory import inventory_routes
    from ml_connector.sandbox.servicetitan.routes_reference import reference_routes

    state = SandboxState(
        settings=settings or SandboxSettings(),
        store=RecordStore.open(state_dir),
        clock=clock or SystemClock(),
        faults=FaultSwitch(faults),
    )
    routes = [
        Route("/connect/token", _token, methods=["POST"]),
        *accounting_routes(),
        *inventory_routes(),
        *reference_routes(),
        *admin_routes(),
    ]
    app = Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_found})
    app.state.sandbox = state
    return app
