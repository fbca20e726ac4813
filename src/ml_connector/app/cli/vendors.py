"""`ml-connector vendors match|link|unlink` and `ml-connector gl check`.

- `vendors match --preview`: what the vendor step would link, create (on which side) or send
  to review, with scores and reasons, over every vendor (cursors ignored); writes nothing.
  Without `--preview` it runs the vendor step once, for real.
- `vendors link` / `vendors unlink`: a person's link, audited with their name; `link`
  resolves the open review items waiting on that vendor (its bills are re-queued) and,
  with `write_vendor_number_to_st`, keeps the Sage number in the ServiceTitan vendor's
  externalData as review resolve and the sync do (`review_actions.number_to_st`).
- `gl check`: the ServiceTitan GL accounts, budget codes and business units that have no
  valid Sage account under the GL rules, before any bill needs them.

The commands reach the systems through the app's runtime (`open_cli_runtime(config_path)`:
`.config.pairs` (each with `.sage100.company`), `.pair(name)` with `.source`, `.sage`,
`.engine.settings`; `.store`, `.clock`); `register(app, opener=...)` takes another opener of
that shape.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from ml_connector.app.cli.options import one_pair
from ml_connector.app.runtime import open_cli_runtime
from ml_connector.clock import Clock
from ml_connector.errors import ConfigError
from ml_connector.sage100.port import Sage100
from ml_connector.servicetitan.port import ServiceTitanSource
from ml_connector.servicetitan.records import Vendor
from ml_connector.store.port import (
    AuditEvent,
    PairId,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
    StateStore,
    StateTx,
    VendorLink,
)
from ml_connector.sync.gl.mapping import GlMapper, GlRules, gl_check
from ml_connector.sync.review import ReviewQueue
from ml_connector.sync.review_actions import StSide, check_vendor_on_file, number_to_st
from ml_connector.sync.settings import SyncSettings, split_vendor
from ml_connector.sync.vendors.fields import snapshot_stream
from ml_connector.sync.vendors.run import run_vendor_sync

Opener = Callable[[Path | None], AbstractContextManager[Any]]

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="Config file.")]
PairOpt = Annotated[str | None, typer.Option("--pair", help="The pair (default: the only one).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
ByOpt = Annotated[
    str | None, typer.Option("--by", help="Who does this (default: the logged-on user).")
]


def _app_opener(config: Path | None) -> AbstractContextManager[Any]:
    return open_cli_runtime(config)  # logs to stderr and the log file, secrets redacted


@dataclass(frozen=True, slots=True)
class PairParts:
    pair: PairId
    source: ServiceTitanSource
    sage: Sage100
    store: StateStore
    settings: SyncSettings
    clock: Clock


def _parts(rt: Any, only: str | None) -> PairParts:
    only = one_pair(list(rt.config.pairs), only)
    p = rt.pair(only)
    return PairParts(
        pair=PairId(only),
        source=p.source,
        sage=p.sage,
        store=getattr(p, "store", None) or rt.store,
        settings=p.engine.settings,
        clock=getattr(p, "clock", None) or rt.clock,
    )


def _about_vendor(item: ReviewItem, st_vendor: int, sage_vendor: str) -> bool:
    """An open item waiting on this vendor: the vendor's own item, or a bill's."""
    if item.subject in (f"st_vendor:{st_vendor}", f"sage_vendor:{sage_vendor}"):
        return True
    return (
        item.kind in (ReviewKind.AMBIGUOUS_VENDOR, ReviewKind.UNKNOWN_VENDOR)
        and item.doc_id is not None
        and str(item.details.get("st_vendor_id")) == str(st_vendor)
    )


def _audit_by_hand(
    tx: StateTx,
    p: PairParts,
    at: datetime,
    who: str,
    action: str,
    message: str,
    details: dict[str, Any],
) -> None:
    """A person's change to the vendor links, in the audit log under their name."""
    tx.append_audit(
        AuditEvent(at=at, pair=p.pair, action=action, actor=who, message=message, details=details)
    )


def _link_by_hand(
    p: PairParts, st: Vendor, division: str, number: str, sage_name: str, who: str
) -> tuple[str, list[int]]:
    """Record a person's link (audited) and find the open review items it settles: (what
    was done, the items to resolve). The same link made again changes nothing (so that
    the command can be run again for the number in ServiceTitan); any other link of
    either side is refused."""
    now = p.clock.now()
    label = f"{division}-{number}"
    with p.store.transaction() as tx:
        mine = tx.get_link_by_st(p.pair, st.id)
        if mine is not None and (mine.division_no, mine.vendor_no) == (division, number):
            return (
                f"ServiceTitan vendor {st.name!r} ({st.id}) is already linked to Sage vendor "
                f"{label}: nothing changed",
                [],
            )
        if mine is not None:
            raise ConfigError(
                f"ServiceTitan vendor {st.id} is already linked to "
                f"{mine.division_no}-{mine.vendor_no}",
                hint="unlink it first (ml-connector vendors unlink)",
            )
        other = tx.get_link_by_sage(p.pair, division, number)
        if other is not None:
            raise ConfigError(
                f"Sage vendor {label} is already linked to ServiceTitan vendor "
                f"{other.st_vendor_id}",
                hint="unlink that one first",
            )
        tx.add_link(VendorLink(p.pair, st.id, division, number, "manual", None, now, who))
        waiting = [
            item.id
            for item in tx.list_reviews(p.pair, ReviewStatus.OPEN)
            if item.id is not None and _about_vendor(item, st.id, label)
        ]
        message = (
            f"ServiceTitan vendor {st.name!r} ({st.id}) linked to Sage vendor {label} "
            f"{sage_name!r} by hand"
        )
        details = {"st_vendor_id": st.id, "sage_vendor": label}
        _audit_by_hand(tx, p, now, who, "vendor_linked_by_hand", message, details)
    return message, waiting


def register(app: typer.Typer, *, opener: Opener | None = None) -> None:
    """Add `vendors ...` and `gl check` to the CLI."""
    open_rt = opener or _app_opener
    vendors = typer.Typer(help="Vendors both ways: matching, links.", no_args_is_help=True)
    gl = typer.Typer(help="GL mapping.", no_args_is_help=True)
    app.add_typer(vendors, name="vendors")
    app.add_typer(gl, name="gl")

    @vendors.command("match")
    def match(
        preview: Annotated[
            bool, typer.Option("--preview", help="Show what would happen; write nothing.")
        ] = False,
        config: ConfigOpt = None,
        pair: PairOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Match vendors both ways (link, create, or ask a person).

        Names the matcher cannot guess safely (acronyms such as CED) go in the alias table:
        vendor_aliases in the pair's [sync] section, a CSV file alias,name
        (docs/matching.md)."""
        with open_rt(config) as rt:
            p = _parts(rt, pair)
            summary = run_vendor_sync(
                p.pair,
                p.source,
                p.sage,
                p.store,
                p.settings,
                p.clock,
                dry_run=preview,
                full=preview,
            )
        if as_json:
            typer.echo(json.dumps(summary.as_dict(), indent=2))
            return
        verb = "would be" if preview else "were"
        typer.echo(
            f"{summary.st_read} ServiceTitan and {summary.sage_read} Sage vendors looked at; "
            f"{summary.linked} {verb} linked, {summary.count('create_in_sage')} created in "
            f"Sage, {summary.count('create_in_st')} created in ServiceTitan, "
            f"{summary.reviews} sent to review"
        )
        for a in summary.actions:
            score = "" if a.score is None else f" score {a.score:.0f}"
            st = f"ST {a.st_vendor_id}" if a.st_vendor_id is not None else "ST -"
            typer.echo(
                f"  {a.action:<16} {st:<10} {a.sage_vendor or '-':<11} {a.name[:34]:<34}"
                f"{score}  {a.reason}"
            )
        for error in summary.errors:
            typer.echo(f"  error: {error}", err=True)

    @vendors.command("link")
    def link(
        st_vendor: Annotated[int, typer.Option("--st-vendor", help="ServiceTitan vendor id.")],
        sage_vendor: Annotated[
            str, typer.Option("--sage-vendor", help="Sage vendor, e.g. 00-FERGUSO.")
        ],
        config: ConfigOpt = None,
        pair: PairOpt = None,
        by: ByOpt = None,
    ) -> None:
        """Link a ServiceTitan vendor to a Sage vendor by hand (on file and active in Sage,
        as review's link asks; otherwise exit 2 and nothing recorded).

        With write_vendor_number_to_st on, the Sage number then goes to the ServiceTitan
        vendor's externalData, as the sync does; if ServiceTitan refuses, the link stays
        and the same command run again tries the number once more."""
        who = by or getpass.getuser()
        with open_rt(config) as rt:
            p = _parts(rt, pair)
            company = rt.config.pairs[p.pair].sage100.company
            # on file and active, as review's link asks: before anything is recorded
            found = check_vendor_on_file(
                p.sage, sage_vendor, division=p.settings.division, company=company
            )
            division, number = split_vendor(sage_vendor, p.settings.division)
            guid = p.settings.application_guid  # with our externalData: is the number there?
            st = p.source.vendor(st_vendor, external_data_application_guid=guid)
            queue = ReviewQueue(p.pair, p.store, p.clock, division=p.settings.division)
            message, waiting = _link_by_hand(p, st, division, number, found.name, who)
            for review_id in waiting:
                queue.resolve(review_id, by=who, note=f"vendor linked by hand to {sage_vendor}")
            in_st = number_to_st(queue, None, StSide(p.settings, p.source), st, found, by=who)
        typer.echo(message)
        if waiting:
            typer.echo(f"{len(waiting)} review items resolved; their bills are re-queued")
        if in_st.saved:
            if in_st.message:
                typer.echo(in_st.message)
        else:
            typer.echo(
                f"warning: {in_st.message}. The link is made; run the same command again "
                "to try the number once more.",
                err=True,
            )

    @vendors.command("unlink")
    def unlink(
        st_vendor: Annotated[int, typer.Option("--st-vendor", help="ServiceTitan vendor id.")],
        config: ConfigOpt = None,
        pair: PairOpt = None,
        by: ByOpt = None,
    ) -> None:
        """Remove a link (the next bill of that vendor is matched again)."""
        who = by or getpass.getuser()
        with open_rt(config) as rt:
            p = _parts(rt, pair)
            now = p.clock.now()
            with p.store.transaction() as tx:
                mine = tx.get_link_by_st(p.pair, st_vendor)
                if mine is None:
                    raise ConfigError(f"ServiceTitan vendor {st_vendor} is not linked")
                tx.remove_link(p.pair, st_vendor)
                tx.set_cursor(p.pair, snapshot_stream(st_vendor), "", now)
                message = (
                    f"ServiceTitan vendor {st_vendor} unlinked from Sage vendor "
                    f"{mine.division_no}-{mine.vendor_no} (was linked by {mine.method})"
                )
                details = {
                    "st_vendor_id": st_vendor,
                    "sage_vendor": f"{mine.division_no}-{mine.vendor_no}",
                    "method": mine.method,
                }
                _audit_by_hand(tx, p, now, who, "vendor_unlinked", message, details)
        typer.echo(message)

    @gl.command("check")
    def check(config: ConfigOpt = None, pair: PairOpt = None, as_json: JsonOpt = False) -> None:
        """List ServiceTitan GL accounts, budget codes and business units with no valid
        Sage account under the GL rules (the fallback account is not used here)."""
        with open_rt(config) as rt:
            p = _parts(rt, pair)
            gaps = _gl_gaps(p)
        if as_json:
            typer.echo(json.dumps(gaps, indent=2))
        elif not gaps["unmapped"]:
            typer.echo(f"every one of {gaps['checked']} combinations maps to a valid Sage account")
        else:
            typer.echo(f"{len(gaps['unmapped'])} values have no valid mapping:")
            for item in gaps["unmapped"]:
                typer.echo(f"  {item['dimension']:<14} {item['value']:<24} {item['problem']}")
        if gaps["unmapped"]:
            raise typer.Exit(1)


def _gl_gaps(p: PairParts) -> dict[str, Any]:
    s = p.settings
    if s.gl_rules is not None:
        rules = s.gl_rules
    elif s.gl_rules_path is not None:
        rules = GlRules.load(s.gl_rules_path)
    else:
        rules = GlRules.default()
    mapper = GlMapper(rules, p.sage.account_format(), p.sage.gl_accounts())
    accounts = [a.number for a in p.source.gl_accounts(active="True") if a.number]
    codes = [c.code for c in p.source.budget_codes() if c.code]
    units = [u.name for u in p.source.business_units(active="True") if u.name]
    try:
        report = gl_check(mapper, gl_accounts=accounts, budget_codes=codes, business_units=units)
    except ValueError as exc:
        raise ConfigError(f"gl check: {exc}") from exc
    problems: dict[tuple[str, str], str] = {}
    for gap in report.gaps:
        for dim, value in gap.dimensions.values().items():
            if value is not None and (dim, value) not in problems:
                problems[(dim, value)] = gap.problem
    return {
        "checked": report.checked,
        "gaps": len(report.gaps),
        "unmapped": [
            {"dimension": dim, "value": value, "problem": problems.get((dim, value), "")}
            for dim, value in sorted(report.unmapped)
        ],
    }
