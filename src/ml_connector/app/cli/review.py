"""`ml-connector review list|show|resolve|retry|ignore`: the review queue, for a person.

Each operation goes through `sync.review.ReviewQueue` (the dashboard uses the same), is
audited with who did it (`--by`, default the login name) and takes effect on the next
cycle. `review list` gives, for each item, the command that acts on it with the item's
own id (the best Sage candidate of a vendor item; for a missing GL account the account a
person gave an earlier revision of the bill, else a placeholder), ready to copy. The modules behind
the commands are imported when a command runs, so `review --help` stays quick.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ml_connector.app.cli.options import ConfigOpt, JsonOpt, PairOpt, pairs_of

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ml_connector.app.runtime import Runtime
    from ml_connector.sage100.port import GlAccount
    from ml_connector.store.port import GlOverride, ReviewItem
    from ml_connector.sync.review import ReviewQueue

review_app = typer.Typer(
    help="The review queue: what needs a person.", no_args_is_help=True, rich_markup_mode=None
)


def _queue(rt: Runtime, pair: str | None) -> ReviewQueue:
    from ml_connector.errors import ConfigError
    from ml_connector.store.port import PairId
    from ml_connector.sync.review import ReviewQueue

    names = pairs_of(rt, pair)
    if len(names) > 1:
        raise ConfigError(
            "the config has several pairs: say which with --pair", hint="e.g. --pair main"
        )
    name = names[0]
    return ReviewQueue(
        PairId(name), rt.store, rt.clock, division=rt.config.pair(name).sage100.ap_division
    )


ACCOUNT_PLACEHOLDER = "ACCOUNT"  # shell-safe (no <...>); refused by name if pasted as is


def next_command(
    item: ReviewItem,
    config: Path | None = None,
    *,
    several: bool = False,
    account: str | None = None,
) -> str:
    """The command that acts on `item`, with its id, ready to copy ("" when the fix is made
    elsewhere, e.g. a bill corrected in ServiceTitan). `config` and `several` (pairs) add
    the `-c` and `--pair` it needs; `account` is the Sage account to suggest for a missing
    GL account (`earlier_account`), else a placeholder."""
    from ml_connector.store.port import ReviewKind
    from ml_connector.sync.review import VENDOR_KINDS, suggested_vendor

    if item.kind in VENDOR_KINDS:
        # the best-scoring candidate: a person checks it (Sage refuses an inactive one)
        action = f"resolve {item.id} --vendor {suggested_vendor(item) or 'DD-VENDORNO'}"
    elif item.kind in (ReviewKind.SUSPECTED_DUPLICATE, ReviewKind.CHANGED_AFTER_EXPORT):
        action = f"resolve {item.id}"  # "not a duplicate: write it" / "Sage adjusted by hand"
    elif item.kind is ReviewKind.UNMAPPED_GL:
        # an account for this bill only (a rule or the fallback is the other way out)
        action = f"resolve {item.id} --account {account or ACCOUNT_PLACEHOLDER}"
    elif item.kind in (ReviewKind.SAGE_REJECTED, ReviewKind.EXPORT_MARK_FAILED):
        action = f"retry {item.id}"  # once the Sage setup or the mark is fixed
    else:
        return ""  # e.g. a bill to correct in ServiceTitan: picked up when it changes
    tail = f" --pair {item.pair}" if several else ""
    if config is not None:
        tail += f" -c {config}"
    return f"ml-connector review {action}{tail}"


def earlier_account(item: ReviewItem, overrides: Sequence[GlOverride]) -> str | None:
    """For a missing GL account item: the one-off account a person gave an earlier revision
    of the same bill (the bill changed since, so it went back to the rules), to suggest
    again. None otherwise, and when the override is for this very revision (then it is the
    account itself that is no longer active)."""
    from ml_connector.store.port import ReviewKind

    if item.kind is not ReviewKind.UNMAPPED_GL:
        return None
    fingerprint = str(item.details.get("fingerprint") or "")
    for o in overrides:
        if (o.kind, o.doc_id) == (item.doc_kind, item.doc_id) and o.fingerprint != fingerprint:
            return o.account
    return None


def _item_dict(item: ReviewItem, command: str = "") -> dict[str, Any]:
    return {
        "id": item.id,
        "pair": item.pair,
        "kind": str(item.kind),
        "document": f"{item.doc_kind} {item.doc_id}" if item.doc_id is not None else None,
        "status": str(item.status),
        "reason": item.reason,
        "suggestion": item.suggestion,
        "command": command or None,
        "details": dict(item.details),
        "created_at": item.created_at.isoformat() if item.created_at else None,
        "resolved_by": item.resolved_by or None,
        "note": item.note or None,
    }


@review_app.command("list")
def review_list(
    config: ConfigOpt = None,
    pair: PairOpt = None,
    all_items: Annotated[bool, typer.Option("--all", help="Closed items too.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List open review items, each with the command that acts on it."""
    from ml_connector.app.runtime import open_cli_runtime
    from ml_connector.store.port import PairId, ReviewStatus

    with open_cli_runtime(config) as rt:
        items: list[ReviewItem] = []
        overrides: list[GlOverride] = []
        for name in pairs_of(rt, pair):
            with rt.store.transaction() as tx:
                items += tx.list_reviews(PairId(name), None if all_items else ReviewStatus.OPEN)
                overrides += tx.gl_overrides(PairId(name))
        several = len(rt.config.pairs) > 1
    commands = {
        i.id: (
            next_command(
                i,
                config,
                several=several,
                account=earlier_account(i, [o for o in overrides if o.pair == i.pair]),
            )
            if i.status == "open"
            else ""
        )
        for i in items
    }
    if as_json:
        typer.echo(json.dumps([_item_dict(i, commands[i.id]) for i in items], default=str))
        return
    _print_items(items, commands, several=several)


def _print_items(
    items: list[ReviewItem], commands: dict[int | None, str], *, several: bool
) -> None:
    """One block per item, at the terminal's width: what happened, what to do, and the
    command on a line of its own (never folded, so it copies whole)."""
    from rich.console import Console
    from rich.padding import Padding
    from rich.text import Text

    console = Console(highlight=False)
    open_items = sum(1 for i in items if i.status == "open")
    console.print(Text(f"Review queue: {len(items)} item(s), {open_items} open", style="bold"))
    for i in items:
        head = Text(f"\n#{i.id}  ", style="bold")
        head.append(str(i.kind).replace("_", " "))
        if i.doc_id is not None:
            head.append(f" · {i.doc_kind} {i.doc_id}".replace("ap_bill", "AP bill"))
        if several:
            head.append(f" · pair {i.pair}")
        if i.status != "open":
            head.append(f" · {i.status}", style="dim")
        console.print(head)
        console.print(Padding(Text(i.reason), (0, 0, 0, 4)))
        if i.suggestion:
            console.print(Padding(Text(f"What to do: {i.suggestion}"), (0, 0, 0, 4)))
        if commands.get(i.id):
            console.print(Text(f"      {commands[i.id]}", style="cyan"), soft_wrap=True)


@review_app.command("show")
def review_show(review_id: int, config: ConfigOpt = None, pair: PairOpt = None) -> None:
    """Show one review item with its details (candidates, scores, amounts)."""
    from ml_connector.app.runtime import open_cli_runtime

    with open_cli_runtime(config) as rt:
        queue = _queue(rt, pair)
        item = queue.get(review_id)
        with rt.store.transaction() as tx:
            overrides = tx.gl_overrides(queue.pair)
        several = len(rt.config.pairs) > 1
    account = earlier_account(item, overrides)
    command = (
        next_command(item, config, several=several, account=account)
        if item.status == "open"
        else ""
    )
    typer.echo(json.dumps(_item_dict(item, command), indent=2, default=str))


_BY = Annotated[str, typer.Option("--by", help="Who is acting (for the audit log).")]
_NOTE = Annotated[str, typer.Option("--note", help="Why (kept in the audit log).")]


def _default_by() -> str:
    try:
        return getpass.getuser()
    except OSError:  # no login name (some services)
        return "unknown"


@review_app.command("resolve")
def review_resolve(
    review_id: int,
    config: ConfigOpt = None,
    pair: PairOpt = None,
    vendor: Annotated[
        str | None,
        typer.Option(
            help="For vendor items (required for them): the Sage vendor to link, as "
            "division-vendor number, e.g. 00-FERGUSO."
        ),
    ] = None,
    create_vendor: Annotated[
        bool,
        typer.Option(
            "--create-vendor",
            help="For vendor items: create the ServiceTitan vendor in Sage (a number derived "
            "from its name, as the sync does) and link it.",
        ),
    ] = False,
    account: Annotated[
        str | None,
        typer.Option(
            help="For missing GL account items: the active Sage GL account (e.g. 6400-00-100) "
            "for this bill's lines the GL rules cannot place, this revision only.",
        ),
    ] = None,
    save_rule: Annotated[
        bool,
        typer.Option(
            "--save-rule",
            help="With --account: save it as a rule in the pair's GL rules file (lines with "
            "the same ServiceTitan GL account) instead of for this bill only.",
        ),
    ] = False,
    by: _BY = "",
    note: _NOTE = "",
) -> None:
    """The cause is fixed: re-queue the document (or link the vendor given).

    A vendor item needs --vendor (which Sage vendor it is) or --create-vendor, unless the
    ServiceTitan vendor was linked meanwhile with `vendors link`. A missing GL account item
    takes --account: for this bill only (a new revision of the bill in ServiceTitan goes
    back to the rules), or with --save-rule as a rule for every bill.
    """
    from ml_connector.app.runtime import open_cli_runtime
    from ml_connector.sync.review import ReviewError

    chosen = [
        o
        for o, v in (
            ("--vendor", vendor),
            ("--create-vendor", create_vendor),
            ("--account", account),
        )
        if v
    ]
    if len(chosen) > 1:
        raise ReviewError(f"give one of {', '.join(chosen)}, not several")
    if save_rule and not account:
        raise ReviewError("--save-rule goes with --account")
    who = by or _default_by()
    with open_cli_runtime(config) as rt:
        queue = _queue(rt, pair)
        open_before = {i.id for i in queue.items() if i.id is not None}
        said = _resolve(rt, queue, review_id, who, note, vendor, create_vendor, account, save_rule)
        also = sorted(open_before - {i.id for i in queue.items() if i.id is not None} - {review_id})
    typer.echo(f"review item {review_id} resolved; the next cycle picks the document up again")
    for line in said:
        typer.echo(line)
    if also:
        typer.echo(f"also resolved, with the same vendor link: {', '.join(str(i) for i in also)}")


def _resolve(
    rt: Runtime,
    queue: ReviewQueue,
    review_id: int,
    by: str,
    note: str,
    vendor: str | None,
    create_vendor: bool,
    account: str | None,
    save_rule: bool,
) -> list[str]:
    """The resolution asked for, through the operations the web app uses too
    (`sync.review_actions`); what to tell the person."""
    from ml_connector.app.config.gl_rules_file import add_st_account_rule
    from ml_connector.sync.review_actions import (
        StSide,
        create_vendor_for,
        link_vendor_for,
        map_gl_account,
    )

    name = str(queue.pair)
    if not (vendor or create_vendor or account):
        queue.resolve(review_id, by=by, note=note)
        return []
    parts = rt.pair(name)
    st = StSide(parts.engine.settings, parts.source)
    if vendor:
        _, _, said = link_vendor_for(
            queue,
            parts.sage,
            review_id,
            vendor,
            by=by,
            note=note,
            company=rt.config.pair(name).sage100.company,
            st=st,
        )
        return [said] if said else []
    if create_vendor:
        created, _, said = create_vendor_for(queue, parts.sage, review_id, by=by, note=note, st=st)
        made = f"created Sage vendor {created.division_no}-{created.vendor_no} {created.name}"
        return [made, said] if said else [made]
    rules = rt.config.pair(name).sync.gl_rules

    def save(found: GlAccount, st_accounts: tuple[str, ...]) -> str:
        add_st_account_rule(
            rules,
            name=f"ServiceTitan {', '.join(st_accounts)} (added by {by}, review item {review_id})",
            st_gl_accounts=st_accounts,
            account=found.account,
        )
        return str(rules)

    done = map_gl_account(
        queue,
        parts.sage,
        [review_id],
        account or "",
        by=by,
        note=note,
        save_rule=save if save_rule else None,
    )
    if done.rule:
        return [
            f"GL rule saved in {done.rule}: lines of its ServiceTitan GL account -> "
            f"{done.account.account}"
        ]
    return [f"account {done.account.account} set for this bill's current revision only"]


@review_app.command("retry")
def review_retry(
    review_id: int, config: ConfigOpt = None, pair: PairOpt = None, by: _BY = "", note: _NOTE = ""
) -> None:
    """Try the document again as it is."""
    from ml_connector.app.runtime import open_cli_runtime

    with open_cli_runtime(config) as rt:
        item = _queue(rt, pair).retry(review_id, by=by or _default_by(), note=note)
    typer.echo(f"review item {item.id} re-queued")


@review_app.command("ignore")
def review_ignore(
    review_id: int, config: ConfigOpt = None, pair: PairOpt = None, by: _BY = "", note: _NOTE = ""
) -> None:
    """Nothing to do: close the item (a document not written is recorded as skipped)."""
    from ml_connector.app.runtime import open_cli_runtime

    with open_cli_runtime(config) as rt:
        item = _queue(rt, pair).ignore(review_id, by=by or _default_by(), note=note)
    typer.echo(f"review item {item.id} ignored")


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review")
