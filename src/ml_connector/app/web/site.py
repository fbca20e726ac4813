"""The clerk's web app: routes, login and logout, and how it is put together.

    app = create_web_app(backend, status, settings=config.dashboard, bound_to="0.0.0.0")

Pages: /review (the queue, with its actions), /bills and /bills/<pair>/<kind>/<id>,
/runs, /audit (+ /audit.csv), /login, /logout, plus /healthz and /metrics. See
`ml_connector.app.web.context` for the access and CSRF rule every page goes through.
"""

from __future__ import annotations

from datetime import timedelta
from importlib.resources import files
from pathlib import Path

import structlog
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ml_connector.app.config.models import DashboardSettings
from ml_connector.app.config.types import is_loopback_host
from ml_connector.app.web import actions, pages
from ml_connector.app.web.auth import Access, LoginThrottle, SessionStore
from ml_connector.app.web.backend import WebBackend
from ml_connector.app.web.context import Visit, Web
from ml_connector.app.web.health import RuntimeStatus
from ml_connector.app.web.passwords import dummy_hash, verify_password

log = structlog.get_logger(__name__)

PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _safe_next(target: str) -> str:
    """Only a path of this site (no open redirect to another one)."""
    return target if target.startswith("/") and not target.startswith("//") else "/review"


def login(web: Web, visit: Visit) -> Response:
    next_path = _safe_next(visit.form.get("next") or visit.arg("next", "/review"))
    if visit.request.method == "GET":
        return web.render(visit, "login.html", next_path=next_path, error="")
    username = visit.form.get("username", "").strip().lower()[:128]
    password = visit.form.get("password", "")
    # the peer's address (behind a reverse proxy, the proxy's: then every client shares it)
    address = visit.request.client.host if visit.request.client else ""
    wait = web.throttle.blocked_for(username, address)
    if wait is not None:
        minutes = max(1, round(wait.total_seconds() / 60))
        page = web.render(
            visit,
            "login.html",
            next_path=next_path,
            error=f"Too many wrong passwords from this computer: try again in {minutes} minute(s).",
        )
        page.status_code = 429
        return page
    with web.backend.store.browse() as browse:
        user = browse.get_user(username) if username else None
    ok = verify_password(password, user.password_hash if user else dummy_hash())
    if user is None or not ok or not user.active:
        web.throttle.failed(username, address)
        log.warning("web login refused", username=username)
        web.audit(
            username or "(no name)",
            "login_refused",
            f"login refused for {username!r} from {address or 'an unknown address'}",
            address=address,
        )
        page = web.render(
            visit, "login.html", next_path=next_path, error="Wrong user name or password."
        )
        page.status_code = 401
        return page
    web.throttle.succeeded(username, address)
    # a new session on login: a token seen before logging in is worth nothing after
    web.sessions.drop(visit.session.token)
    visit.session = web.sessions.new(username=user.username, role=user.role)
    with web.backend.store.browse() as browse:
        browse.record_login(user.username, web.backend.clock.now())
    web.audit(user.username, "login", f"{user.username} logged in ({user.role})")
    return RedirectResponse(next_path, status_code=303)


def logout(web: Web, visit: Visit) -> Response:
    if visit.session.username:
        web.audit(visit.session.username, "logout", f"{visit.session.username} logged out")
    web.sessions.drop(visit.session.token)
    visit.session = web.sessions.new()
    web.sessions.flash(visit.session.token, "You are logged out.")
    return RedirectResponse("/login" if web.access.login_required else "/review", 303)


def home(web: Web, visit: Visit) -> Response:
    return RedirectResponse("/review", status_code=303)


def create_web_app(
    backend: WebBackend,
    status: RuntimeStatus,
    *,
    settings: DashboardSettings | None = None,
    bound_to: str = "127.0.0.1",
) -> Starlette:
    settings = settings or DashboardSettings()
    exposed = not is_loopback_host(bound_to)
    tls = settings.tls_certificate is not None
    web = Web(
        backend=backend,
        status=status,
        access=Access(login_required=exposed or settings.require_login),
        sessions=SessionStore(
            backend.store, backend.clock, idle=timedelta(hours=settings.session_hours)
        ),
        tls=tls,
        exposed_without_tls=exposed and not tls,
        throttle=LoginThrottle(backend.clock),
    )

    async def healthz(request: Request) -> Response:
        return JSONResponse(status.as_json(), status_code=200 if status.healthy() else 503)

    async def metrics(request: Request) -> Response:
        return Response(status.metrics_text(), media_type=PROMETHEUS_TYPE)

    static = Path(str(files("ml_connector.app.web") / "static"))
    routes = [
        Route("/", web.endpoint(home)),
        Route("/review", web.endpoint(pages.review)),
        Route(
            "/review/{review_id:int}/{action}",
            web.endpoint(actions.review_action),
            methods=["POST"],
        ),
        Route("/sync-now", web.endpoint(actions.sync_now), methods=["POST"]),
        Route("/bills", web.endpoint(pages.bills)),
        Route("/bills/{pair}/{kind}/{doc_id:int}", web.endpoint(pages.bill)),
        Route("/runs", web.endpoint(pages.runs)),
        Route("/audit", web.endpoint(pages.audit)),
        Route("/audit.csv", web.endpoint(pages.audit_csv)),
        Route("/login", web.endpoint(login), methods=["GET", "POST"]),
        Route("/logout", web.endpoint(logout), methods=["POST"]),
        Route("/healthz", healthz),
        Route("/metrics", metrics),
        Mount("/static", StaticFiles(directory=static), name="static"),
    ]
    return Starlette(routes=routes)
