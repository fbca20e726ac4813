"""The pages a person reads: review queue, bills (search and one bill's history), runs
(with the chart) and the audit log (filters, CSV export in UTC).

Every list is paged; every count comes from the same query as the page (or, for the
review queue, from the same open items `review list` shows).
"""

from __future__ import annotations

import io
import math
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.responses import Response

from ml_connector.app.web import chart
from ml_connector.app.web.context import Visit, Web
from ml_connector.app.web.queue import KIND_TITLES, VENDOR_STATUS, doc_keys, group
from ml_connector.errors import ConnectorError
from ml_connector.store.audit_export import export_audit_csv
from ml_connector.store.browse import AuditFilter, BillFilter
from ml_connector.store.port import DocKind, LedgerStatus, PairId, ReviewKind, ReviewStatus
from ml_connector.sync.review_actions import active_accounts, search_vendors

PROBLEMS_PER_PAGE = 20
BILLS_PER_PAGE = 50
RUNS_PER_PAGE = 25
AUDIT_PER_PAGE = 100
CHART_RUNS = 60


def _pages(total: int, per_page: int) -> int:
    return max(1, math.ceil(total / per_page))


def _pair(web: Web, visit: Visit) -> PairId | None:
    wanted = visit.arg("pair")
    names = [p.name for p in web.backend.pairs()]
    return PairId(wanted) if wanted in names else None


def review(web: Web, visit: Visit) -> Response:
    pair = _pair(web, visit)
    with web.backend.store.transaction() as tx:
        items = tx.list_reviews(pair, ReviewStatus.OPEN)
    with web.backend.store.browse() as browse:
        ledger = browse.ledger_for(doc_keys(items))
    problems = group(items, ledger)
    page = min(visit.page_no(), _pages(len(problems), PROBLEMS_PER_PAGE))
    shown = problems[(page - 1) * PROBLEMS_PER_PAGE : page * PROBLEMS_PER_PAGE]
    # a vendor search asked for one row, and the GL accounts the mapping rows offer
    searched_for = int(visit.arg("for")) if visit.arg("for").isdigit() else None
    found: list[Any] = []
    problem_msg = ""
    accounts: dict[str, list[Any]] = {}
    try:
        target = next((p for p in shown if p.primary.id == searched_for), None)
        if target is not None and visit.arg("find"):
            found = search_vendors(web.backend.sage(target.pair), visit.arg("find"))
        for p in shown:
            if p.kind is ReviewKind.UNMAPPED_GL and p.pair not in accounts:
                accounts[p.pair] = active_accounts(web.backend.sage(p.pair))
    except ConnectorError as exc:
        problem_msg = f"Sage 100 could not be asked: {exc.describe()}"
    return web.render(
        visit,
        "review.html",
        problems=shown,
        problem_count=len(problems),
        item_count=len(items),
        page=page,
        pages=_pages(len(problems), PROBLEMS_PER_PAGE),
        pair=pair or "",
        pairs=[p.name for p in web.backend.pairs()],
        searched_for=searched_for,
        search_text=visit.arg("find"),
        found=found,
        accounts=accounts,
        sage_problem=problem_msg,
        kinds=KIND_TITLES,
        vendor_status=VENDOR_STATUS,
        ReviewKind=ReviewKind,
    )


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _amount(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", "").replace("$", "")).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None


def bills(web: Web, visit: Visit) -> Response:
    pair = _pair(web, visit)
    status_text = visit.arg("status")
    status = LedgerStatus(status_text) if status_text in set(LedgerStatus) else None
    where = BillFilter(
        pair=pair,
        text=visit.arg("q"),
        status=status,
        amount=_amount(visit.arg("amount")) if visit.arg("amount") else None,
        date_from=_date(visit.arg("from")),
        date_to=_date(visit.arg("to")),
    )
    page = visit.page_no()
    with web.backend.store.browse() as browse:
        found = browse.bills(where, offset=(page - 1) * BILLS_PER_PAGE, limit=BILLS_PER_PAGE)
        counts = browse.ledger_counts(pair)
    query = {k: visit.arg(k) for k in ("q", "status", "amount", "from", "to", "pair")}
    return web.render(
        visit,
        "bills.html",
        found=found,
        counts=counts,
        page=page,
        pages=_pages(found.total, BILLS_PER_PAGE),
        query=query,
        statuses=list(LedgerStatus),
        pairs=[p.name for p in web.backend.pairs()],
    )


def bill(web: Web, visit: Visit) -> Response:
    params = visit.request.path_params
    pair = PairId(str(params["pair"]))
    try:
        kind = DocKind(str(params["kind"]))
    except ValueError:
        missing = web.render(visit, "error.html", message="There is no such kind of document.")
        missing.status_code = 404
        return missing
    doc_id = int(params["doc_id"])
    with web.backend.store.transaction() as tx:
        entry = tx.get_ledger(pair, kind, doc_id)
        override = tx.get_gl_override(pair, kind, doc_id)
    with web.backend.store.browse() as browse:
        history = browse.audit(
            AuditFilter(pair=pair, doc_kind=kind, doc_id=doc_id), offset=0, limit=500
        )
        reviews = browse.reviews_of(pair, kind, doc_id)
    return web.render(
        visit,
        "bill.html",
        entry=entry,
        pair=pair,
        kind=kind,
        doc_id=doc_id,
        history=list(reversed(history.items)),
        history_total=history.total,
        reviews=reviews,
        override=override,
    )


def runs(web: Web, visit: Visit) -> Response:
    pair = _pair(web, visit)
    page = visit.page_no()
    with web.backend.store.browse() as browse:
        found = browse.runs(pair, offset=(page - 1) * RUNS_PER_PAGE, limit=RUNS_PER_PAGE)
        recent = browse.runs(pair, offset=0, limit=CHART_RUNS)
    return web.render(
        visit,
        "runs.html",
        found=found,
        page=page,
        pages=_pages(found.total, RUNS_PER_PAGE),
        chart=chart.build(recent.items),
        series=chart.SERIES,
        count=chart.count,
        health=web.status.pairs(),
        pair=pair or "",
        pairs=[p.name for p in web.backend.pairs()],
    )


def _local_day_start(value: date | None) -> datetime | None:
    """A date a person typed means their (the server's) local day."""
    if value is None:
        return None
    return datetime.combine(value, time()).astimezone().astimezone(UTC)


def _audit_filter(web: Web, visit: Visit) -> AuditFilter:
    until = _date(visit.arg("to"))
    doc = visit.arg("doc")
    return AuditFilter(
        pair=_pair(web, visit),
        action=visit.arg("action"),
        actor=visit.arg("actor"),
        text=visit.arg("q"),
        since=_local_day_start(_date(visit.arg("from"))),
        until=_local_day_start(until + timedelta(days=1)) if until else None,
        doc_id=int(doc) if doc.isdigit() else None,
    )


def audit(web: Web, visit: Visit) -> Response:
    where = _audit_filter(web, visit)
    page = visit.page_no()
    with web.backend.store.browse() as browse:
        found = browse.audit(where, offset=(page - 1) * AUDIT_PER_PAGE, limit=AUDIT_PER_PAGE)
        actions = browse.audit_actions()
    query = {k: visit.arg(k) for k in ("pair", "action", "actor", "q", "from", "to", "doc")}
    return web.render(
        visit,
        "audit.html",
        found=found,
        page=page,
        pages=_pages(found.total, AUDIT_PER_PAGE),
        query=query,
        actions=actions,
        pairs=[p.name for p in web.backend.pairs()],
    )


def audit_csv(web: Web, visit: Visit) -> Response:
    where = _audit_filter(web, visit)
    with web.backend.store.browse() as browse:
        events = list(browse.iter_audit_matching(where))
    out = io.StringIO(newline="")
    export_audit_csv(events, out)
    stamp = web.backend.clock.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    web.audit(
        visit.actor,
        "audit_exported",
        f"{len(events)} audit event(s) exported as CSV by {visit.actor}",
        count=len(events),
    )
    return Response(
        out.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'},
    )
