"""What a person does from the review queue, each through the same review operations as
the CLI (`ReviewQueue`, `ml_connector.sync.review_actions`), audited with their name.

An action names one review item (the row's primary item); it applies to the whole problem
the item belongs to, recomputed from the store at the time of the action:
- link a Sage vendor / create the vendor (`link_vendor_for` / `create_vendor_for`):
  `ReviewQueue.resolve(vendor=...)` resolves every open item of that ServiceTitan vendor
  and re-queues its bills; the Sage number goes to the ServiceTitan vendor's externalData
  when the pair says so, through the engine's own operation;
- map a GL account (`map_gl_account`): for these bills only (a one-off account for each
  bill's revision in review; clerks and admins), or saved as a rule in the pair's GL rules
  file (admins); every item of the problem is resolved (its bills re-queued);
- accept (a suspected duplicate for this revision, a change after export, a mark made by
  hand), retry, ignore (with a reason): every item of the problem.
The effect shows after the next cycle; "Sync now" asks the scheduler for one at once.
"""

from __future__ import annotations

from starlette.responses import Response

from ml_connector.app.config.gl_rules_file import add_st_account_rule
from ml_connector.app.web.context import Visit, Web
from ml_connector.app.web.queue import Problem, doc_keys, group
from ml_connector.errors import ConnectorError
from ml_connector.sage100.port import GlAccount
from ml_connector.store.port import PairId, ReviewKind, ReviewStatus
from ml_connector.sync.review import ReviewError, ReviewQueue
from ml_connector.sync.review_actions import (
    create_vendor_for,
    link_vendor_for,
    map_gl_account,
)

ACCEPTABLE = frozenset(
    {
        ReviewKind.SUSPECTED_DUPLICATE,
        ReviewKind.CHANGED_AFTER_EXPORT,
        ReviewKind.EXPORT_MARK_FAILED,
    }
)
NEXT_CYCLE = "the next cycle picks it up (or press Sync now)"


def _problem(web: Web, review_id: int) -> Problem:
    with web.backend.store.transaction() as tx:
        item = tx.get_review(review_id)
        if item is None:
            raise ReviewError(f"there is no review item {review_id}")
        if item.status is not ReviewStatus.OPEN:
            raise ReviewError(f"review item {review_id} is already {item.status}")
        items = tx.list_reviews(item.pair, ReviewStatus.OPEN)
    with web.backend.store.browse() as browse:
        ledger = browse.ledger_for(doc_keys(items))
    for problem in group(items, ledger):
        if review_id in problem.ids:
            return problem
    raise ReviewError(f"review item {review_id} is not open")  # pragma: no cover - raced


def _queue(web: Web, pair: PairId) -> ReviewQueue:
    facts = web.backend.pair(pair)
    return ReviewQueue(pair, web.backend.store, web.backend.clock, division=facts.division)


def review_action(web: Web, visit: Visit) -> Response:
    action = str(visit.request.path_params["action"])
    review_id = int(visit.request.path_params["review_id"])
    note = visit.form.get("note", "").strip()[:500]
    try:
        problem = _problem(web, review_id)
        message = _act(web, visit, action, problem, note)
    except ConnectorError as exc:
        return web.back(visit, f"Not done: {exc.describe()}")
    return web.back(visit, message)


def _act(web: Web, visit: Visit, action: str, problem: Problem, note: str) -> str:
    by = visit.actor
    queue = _queue(web, problem.pair)
    primary = problem.primary.id or 0
    what = f"{problem.title} ({problem.vendor_name or 'review item ' + str(primary)})"
    if action == "link":
        vendor = (visit.form.get("vendor_typed") or visit.form.get("vendor") or "").strip()
        if not vendor:
            raise ReviewError("pick a Sage vendor to link (or search for one)")
        facts = web.backend.pair(problem.pair)
        found, _, said = link_vendor_for(
            queue,
            web.backend.sage(problem.pair),
            primary,
            vendor,
            by=by,
            note=note,
            company=facts.company,
            st=web.backend.st_side(problem.pair),
        )
        return (
            f"Linked to Sage vendor {found.division_no}-{found.vendor_no} {found.name}: "
            f"{len(problem.bills)} bill(s) re-queued; {NEXT_CYCLE}" + (f". {said}" if said else "")
        )
    if action == "create-vendor":
        created, _, said = create_vendor_for(
            queue,
            web.backend.sage(problem.pair),
            primary,
            by=by,
            note=note,
            st=web.backend.st_side(problem.pair),
        )
        return (
            f"Created Sage vendor {created.division_no}-{created.vendor_no} {created.name} and "
            f"linked it: {len(problem.bills)} bill(s) re-queued; {NEXT_CYCLE}"
            + (f". {said}" if said else "")
        )
    if action == "map-gl":
        return _map_gl(web, visit, queue, problem, note)
    if action == "accept":
        if problem.kind not in ACCEPTABLE:
            raise ReviewError(f"a {problem.title.lower()} item cannot be accepted as it is")
        for item_id in problem.ids:
            queue.resolve(item_id, by=by, note=note or "accepted in the web app")
        return f"Accepted: {what}; {NEXT_CYCLE}"
    if action == "retry":
        for item_id in problem.ids:
            queue.retry(item_id, by=by, note=note)
        return f"Re-queued: {what}; {NEXT_CYCLE}"
    if action == "ignore":
        if not note:
            raise ReviewError("say why the item needs nothing (the reason is kept in the audit)")
        for item_id in problem.ids:
            queue.ignore(item_id, by=by, note=note)
        return f"Ignored: {what}"
    raise ReviewError(f"unknown action {action!r}")


def _map_gl(web: Web, visit: Visit, queue: ReviewQueue, problem: Problem, note: str) -> str:
    if problem.kind is not ReviewKind.UNMAPPED_GL:
        raise ReviewError("only a missing GL account can be mapped")
    as_rule = visit.form.get("scope", "once") == "rule"
    if as_rule and not web.access.is_admin(visit.session):
        raise ReviewError(
            "saving a GL rule changes the setup: an admin does it (or use the account for "
            "these bills only)"
        )
    facts = web.backend.pair(problem.pair)
    actor = visit.actor

    def save_rule(account: GlAccount, st_accounts: tuple[str, ...]) -> str:
        add_st_account_rule(
            facts.gl_rules,
            name=f"ServiceTitan {', '.join(st_accounts)} (added by {actor}, "
            f"review item {problem.primary.id})",
            st_gl_accounts=st_accounts,
            account=account.account,
        )
        return str(facts.gl_rules)

    done = map_gl_account(
        queue,
        web.backend.sage(problem.pair),
        problem.ids,
        visit.form.get("account", ""),
        by=actor,
        note=note,
        save_rule=save_rule if as_rule else None,
    )
    if done.rule:
        return (
            f"GL rule saved: {', '.join(problem.st_gl_accounts)} -> {done.account.account}; "
            f"{len(problem.bills)} bill(s) re-queued; {NEXT_CYCLE}"
        )
    return (
        f"Account {done.account.account} set for {len(problem.bills)} bill(s) only (not a "
        f"rule; a new revision of a bill goes back to the rules); {NEXT_CYCLE}"
    )


def sync_now(web: Web, visit: Visit) -> Response:
    if not web.backend.can_wake():
        return web.back(visit, "No scheduler runs in this process: use `ml-connector sync --once`")
    pairs = [p.name for p in web.backend.pairs()]
    for pair in pairs:
        web.backend.wake(pair)
        web.audit(visit.actor, "sync_requested", f"a cycle asked for by {visit.actor}", pair)
    back = visit.form.get("back", "/review")
    return web.back(
        visit,
        "A cycle was asked for: results show on this page once it is done (refresh)",
        back if back.startswith("/") and not back.startswith("//") else "/review",
    )
