"""`ml-connector vendors ...` and `gl check`, in process (typer's CliRunner), against the
sandboxes. The app's runtime is stood in for by an opener with the same shape, built on the
vendor test world."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner
from vendor_world import PAIR, VendorWorld, bill

from ml_connector.app.cli import vendors as vendors_cli
from ml_connector.store.port import DocKind, LedgerStatus, ReviewStatus


@dataclass
class _Engine:
    settings: Any


@dataclass
class _Pair:
    source: Any
    sage: Any
    engine: _Engine


@dataclass
class _Sage100:
    company: str = "ABC"


@dataclass
class _PairSettings:
    sage100: _Sage100 = field(default_factory=_Sage100)


@dataclass
class _Config:
    pairs: dict[str, Any] = field(default_factory=lambda: {PAIR: _PairSettings()})


@dataclass
class _Runtime:
    world: VendorWorld
    config: _Config = field(default_factory=_Config)

    @property
    def store(self) -> Any:
        return self.world.store

    @property
    def clock(self) -> Any:
        return self.world.clock

    def pair(self, name: str) -> _Pair:
        w = self.world
        return _Pair(w.source, w.sage, _Engine(w.settings))


def _cli(world: VendorWorld) -> typer.Typer:
    @contextmanager
    def opener(config: Path | None) -> Iterator[_Runtime]:
        yield _Runtime(world)

    app = typer.Typer()
    vendors_cli.register(app, opener=opener)
    return app


def run(world: VendorWorld, *args: str) -> Any:
    result = CliRunner().invoke(_cli(world), list(args), catch_exceptions=False)
    return result


def parsed(output: str) -> Any:
    """The JSON document of an output (log lines of the default structlog setup before it)."""
    return json.loads(output[output.index("\n{") + 1 :] if not output.startswith("{") else output)


def test_match_preview_writes_nothing(vworld: VendorWorld) -> None:
    before = vworld.sage_table(), vworld.st_vendors()
    result = run(vworld, "vendors", "match", "--preview", "--json")
    assert result.exit_code == 0, result.output
    data = parsed(result.output)
    assert data["dry_run"] is True
    assert data["linked"] > 0
    assert data["created_in_sage"] > 0
    review = [a for a in data["actions"] if a["action"] == "review" and a["st_vendor_id"] == 601]
    assert review
    assert review[0]["candidates"]
    assert all("score" in c for c in review[0]["candidates"])
    assert (vworld.sage_table(), vworld.st_vendors()) == before
    assert vworld.links() == {}
    assert vworld.audit() == []
    text = run(vworld, "vendors", "match", "--preview")
    assert "would be linked" in text.output
    assert "GRAYBAR" in text.output


def test_link_and_unlink_by_hand(vworld: VendorWorld) -> None:
    vworld.with_settings(start_at=vworld.clock.now())  # only the bills of this test
    vworld.st.upsert("ap-bills", [bill(4_000_002, "FE-1001", "88.10", (601, "Ferguson"))])
    vworld.cycle()  # the vendor step asks about Ferguson, and so does its bill
    [item] = [r for r in vworld.reviews() if r.subject == "st_vendor:601"]
    [waiting] = [r for r in vworld.reviews() if r.doc_id == 4_000_002]
    result = run(
        vworld,
        "vendors",
        "link",
        "--st-vendor",
        "601",
        "--sage-vendor",
        "00-FERGUS",
        "--by",
        "dana",
    )
    assert result.exit_code == 0, result.output
    link = vworld.links()[601]
    assert (link.vendor_no, link.method, link.created_by) == ("FERGUS", "manual", "dana")
    with vworld.store.transaction() as tx:
        resolved = tx.get_review(item.id or 0)
    assert resolved is not None
    assert resolved.status is ReviewStatus.RESOLVED
    assert resolved.resolved_by == "dana"
    [event] = vworld.audit("vendor_linked_by_hand")
    assert event.actor == "dana"
    assert "2 review items resolved" in result.output  # the vendor's and its bill's
    with vworld.store.transaction() as tx:
        entry = tx.get_ledger(PAIR, DocKind.AP_BILL, 4_000_002)
        bill_item = tx.get_review(waiting.id or 0)
    assert entry is not None
    assert entry.status is LedgerStatus.INTENT  # re-queued: the next cycle writes it
    assert bill_item is not None
    assert bill_item.status is ReviewStatus.RESOLVED
    assert vworld.cycle().written == 1
    assert ("FERGUS", "FE-1001") in {
        (str(r[1]).strip(), str(r[2]).strip()) for r in vworld.sage_invoices()
    }
    # a Sage vendor linked already, or one Sage does not have, is refused
    taken = CliRunner().invoke(
        _cli(vworld), ["vendors", "link", "--st-vendor", "602", "--sage-vendor", "00-FERGUS"]
    )
    assert taken.exit_code != 0
    assert "already linked" in str(taken.exception)
    missing = CliRunner().invoke(
        _cli(vworld), ["vendors", "link", "--st-vendor", "602", "--sage-vendor", "00-NOSUCH"]
    )
    assert "Sage vendor 00-NOSUCH is not on file in company ABC" in str(missing.exception)
    result = run(vworld, "vendors", "unlink", "--st-vendor", "601", "--by", "dana")
    assert result.exit_code == 0, result.output
    assert 601 not in vworld.links()
    [event] = vworld.audit("vendor_unlinked")
    assert (event.actor, event.details["sage_vendor"]) == ("dana", "00-FERGUS")


def test_gl_check_lists_what_has_no_mapping(vworld: VendorWorld) -> None:
    result = run(vworld, "gl", "check", "--json")
    data = parsed(result.output)
    assert data["checked"] > 0
    st_accounts = {a.number for a in vworld.source.gl_accounts(active="True") if a.number}
    sage_accounts = {a.account for a in vworld.sage.gl_accounts() if a.is_active}
    sage_accounts |= {a.raw_account for a in vworld.sage.gl_accounts() if a.is_active}
    unmapped = {u["value"] for u in data["unmapped"] if u["dimension"] == "st_gl_account"}
    assert unmapped == st_accounts - sage_accounts
    assert result.exit_code == (1 if unmapped else 0)


def test_match_without_preview_runs_the_vendor_step(vworld: VendorWorld) -> None:
    result = run(vworld, "vendors", "match", "--json")
    assert result.exit_code == 0, result.output
    data = parsed(result.output)
    assert data["dry_run"] is False
    assert len(vworld.links()) == data["linked"] + data["created_in_sage"]
    with vworld.store.transaction() as tx:
        [record] = tx.last_runs(PAIR, limit=1)
    assert record.status == "completed"
    assert record.summary["vendors"]["linked"] == data["linked"]
