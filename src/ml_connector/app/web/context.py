"""The plumbing every page shares: the app's parts (`Web`), one request (`Visit`), the
access and CSRF checks around each handler, and rendering a template.

Handlers are plain functions `handler(web, visit) -> Response`, run on a worker thread
(they talk to the state store and to Sage, which block). `Web.endpoint` wraps one: it
finds or starts the session, applies the access rule (a GET without the login it needs
goes to the login page, a POST is refused with 403), reads a POST's form and refuses it
without the session's CSRF token, and sets the session cookie.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import structlog
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from ml_connector import __version__
from ml_connector.app.web.auth import (
    COOKIE,
    Access,
    LoginThrottle,
    Session,
    SessionStore,
    csrf_ok,
)
from ml_connector.app.web.backend import WebBackend
from ml_connector.app.web.health import RuntimeStatus
from ml_connector.store.port import AuditEvent, DocKind, PairId

log = structlog.get_logger(__name__)

REFUSED_CSRF = (
    "Refused: this form's security token is missing or out of date. Reload the page and try again."
)
REFUSED_LOGIN = "Refused: log in first."
REFUSED_HOST = "Refused: without a login this app answers only to 127.0.0.1 / localhost."
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
# No framing (clickjacking), nothing loaded from elsewhere, no caching of pages with data.
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC timestamp in the server's local time, for people (exports stay UTC)."""
    return "" if value is None else value.astimezone().strftime(fmt)


def money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def day(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def doc_kind_label(kind: DocKind | str | None) -> str:
    return {"ap_bill": "AP bill", "invoice": "Invoice"}.get(str(kind or ""), str(kind or ""))


def query_prefix(query: Mapping[str, str]) -> str:
    """The filters of a list page as a query-string prefix for its pager links."""
    kept = {k: v for k, v in query.items() if v}
    return urlencode(kept) + "&" if kept else ""


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("ml_connector.app.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local"] = local_time
    env.filters["money"] = money
    env.filters["day"] = day
    env.filters["qs"] = query_prefix
    env.filters["doc_kind"] = doc_kind_label
    env.globals["version"] = __version__
    return env


@dataclass
class Visit:
    """One request, after the checks: who, their session, the form of a POST."""

    request: Request
    session: Session
    actor: str  # for the audit log
    form: Mapping[str, str] = field(default_factory=dict)

    def arg(self, name: str, default: str = "") -> str:
        return self.request.query_params.get(name, default).strip()

    def page_no(self) -> int:
        raw = self.arg("page", "1")
        return max(int(raw), 1) if raw.isdigit() else 1


@dataclass
class Web:
    backend: WebBackend
    status: RuntimeStatus
    access: Access
    sessions: SessionStore
    tls: bool
    exposed_without_tls: bool  # bound beyond loopback with plain HTTP
    throttle: LoginThrottle
    env: Environment = field(default_factory=_environment)

    # --- responses ------------------------------------------------------------------------
    def render(self, visit: Visit, template: str, **values: Any) -> HTMLResponse:
        flashes = self.sessions.take_flash(visit.session.token)
        body = self.env.get_template(template).render(
            session=visit.session,
            csrf=visit.session.csrf,
            actor=visit.actor,
            logged_in=bool(visit.session.username),
            login_required=self.access.login_required,
            is_admin=self.access.is_admin(visit.session),
            exposed_without_tls=self.exposed_without_tls,
            flashes=flashes,
            path=visit.request.url.path,
            can_wake=self.backend.can_wake(),
            **values,
        )
        return HTMLResponse(body)

    def back(self, visit: Visit, message: str, to: str = "/review") -> RedirectResponse:
        self.sessions.flash(visit.session.token, message)
        return RedirectResponse(to, status_code=303)

    def audit(self, actor: str, action: str, message: str, pair: str = "", **details: Any) -> None:
        with self.backend.store.transaction() as tx:
            tx.append_audit(
                AuditEvent(
                    at=self.backend.clock.now(),
                    pair=PairId(pair),
                    action=action,
                    actor=actor[:128],
                    message=message,
                    details=details,
                )
            )

    # --- the wrapper ----------------------------------------------------------------------
    def _headers(self, response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    def _cookie(self, response: Response, session: Session) -> Response:
        response.set_cookie(
            COOKIE,
            session.token,
            httponly=True,
            samesite="strict",
            secure=self.tls,
            path="/",
        )
        return response

    def endpoint(self, handler: Callable[[Web, Visit], Response]) -> Callable[..., Any]:
        async def run(request: Request) -> Response:
            return self._headers(await guarded(request))

        async def guarded(request: Request) -> Response:
            if not self.access.login_required and request.url.hostname not in LOOPBACK_NAMES:
                # a page of another site renamed to 127.0.0.1 (DNS rebinding) gets nothing
                return PlainTextResponse(REFUSED_HOST, status_code=403)
            # a disabled account's session is gone (`SessionStore.get`): logged out
            session = await run_in_threadpool(self.sessions.get, request.cookies.get(COOKIE))
            if session is None:
                session = await run_in_threadpool(self.sessions.new)
            actor = self.access.actor(session)
            path = request.url.path
            if actor is None and not self.access.is_open(path):
                if request.method == "GET":
                    target = "/login?" + urlencode({"next": path})
                    return self._cookie(RedirectResponse(target, status_code=303), session)
                log.warning("web request refused: not logged in", path=path)
                return self._cookie(PlainTextResponse(REFUSED_LOGIN, status_code=403), session)
            form: dict[str, str] = {}
            if request.method == "POST":
                raw = await request.form()
                form = {k: v for k, v in raw.items() if isinstance(v, str)}
                if not csrf_ok(session, form.get("csrf")):
                    log.warning("web request refused: no valid CSRF token", path=path)
                    return self._cookie(PlainTextResponse(REFUSED_CSRF, status_code=403), session)
            visit = Visit(request, session, actor or "", form)
            response: Response = await run_in_threadpool(handler, self, visit)
            if request.cookies.get(COOKIE) != visit.session.token:
                self._cookie(response, visit.session)
            return response

        return run
