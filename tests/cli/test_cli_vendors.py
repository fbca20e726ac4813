"""`vendors match|link|unlink` and `gl check` through the real CLI and the app's runtime
(config file, secrets by reference, both sandboxes)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from cli_world import (
    BILLS,
    SAGE_PASSWORD,
    SANDBOX_SETTINGS,
    ST_APP_KEY,
    PairSpec,
    World,
    sage_tables,
    st_records,
    write_test_config,
)

from ml_connector.app.cli import main as cli
from ml_connector.sandbox.sage100 import init_root
from ml_connector.sandbox.servicetitan.server import running_sandbox
from ml_connector.servicetitan.records import Vendor
from ml_connector.store.port import PairId

APPLICATION_GUID = "00000000-0000-4000-8000-0000000c11e0"  # cli_world's config


def test_vendors_match_preview_writes_nothing(world: World) -> None:
    sage_before, st_before = sage_tables(world.sage_root), st_records(world.sb)
    data = world.cli_json("vendors", "match", "--preview")
    assert data["dry_run"] is True
    assert data["linked"] > 0
    assert {a["action"] for a in data["actions"]} >= {"link", "review"}
    assert sage_tables(world.sage_root) == sage_before
    assert st_records(world.sb) == st_before
    with world.store() as store, store.transaction() as tx:
        assert list(tx.iter_links(PairId("main"))) == []
        assert list(tx.iter_audit()) == []


def test_vendors_match_then_link_and_unlink(world: World) -> None:
    data = world.cli_json("vendors", "match")
    assert data["dry_run"] is False
    review = next(a for a in data["actions"] if a["action"] == "review" and a["st_vendor_id"])
    st_id = review["st_vendor_id"]
    sage_vendor = review["candidates"][0]["sage_vendor"]
    result = world.cli(
        "vendors", "link", "--st-vendor", str(st_id), "--sage-vendor", sage_vendor, "--by", "Dana"
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    assert f"linked to Sage vendor {sage_vendor}" in result.stdout
    result = world.cli("vendors", "unlink", "--st-vendor", str(st_id), "--by", "Dana")
    assert result.exit_code == 0, result.stdout + result.stderr
    with world.store() as store, store.transaction() as tx:
        actors = {e.action: e.actor for e in tx.iter_audit(pair=PairId("main"))}
    assert actors["vendor_linked_by_hand"] == "Dana"
    assert actors["vendor_unlinked"] == "Dana"


def test_vendors_link_refuses_an_inactive_or_unknown_sage_vendor(world: World) -> None:
    # 'Old Dominion Supply (closed)' (ServiceTitan 637): its Sage vendor 00-OLDDOMI is
    # inactive. Review's link refuses it (every bill would come back rejected); so does
    # `vendors link`, with the same message, before anything is recorded.
    sage_before, st_before = sage_tables(world.sage_root), st_records(world.sb)
    for sage_vendor, said in (
        ("00-OLDDOMI", "Sage vendor 00-OLDDOMI (Old Dominion Supply) is inactive: Sage "
         "refuses invoices for it"),
        ("OLDDOMI", "Sage vendor 00-OLDDOMI (Old Dominion Supply) is inactive"),
        ("00-NOSUCH", "Sage vendor 00-NOSUCH is not on file in company ABC"),
    ):  # fmt: skip
        proc = world.sub(
            "vendors", "link", "--st-vendor", "637", "--sage-vendor", sage_vendor,
            "--config", str(world.config),
        )  # fmt: skip
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert said in proc.stderr
        assert "linked to Sage vendor" not in proc.stdout
    assert sage_tables(world.sage_root) == sage_before
    assert st_records(world.sb) == st_before
    with world.store() as store, store.transaction() as tx:
        assert list(tx.iter_links(PairId("main"))) == []
        assert list(tx.iter_audit()) == []


def test_gl_check(world: World) -> None:
    result = world.cli("gl", "check", "--json")
    assert result.exit_code in (0, 1), result.stdout + result.stderr
    assert "checked" in result.stdout


def _with_number_to_st(world: World) -> None:
    """The pair keeps Sage numbers in ServiceTitan (the config has the application GUID)."""
    text = world.config.read_text(encoding="utf-8")
    assert "write_vendor_number_to_st = false" in text
    world.config.write_text(
        text.replace("write_vendor_number_to_st = false", "write_vendor_number_to_st = true"),
        encoding="utf-8",
    )


def _st_number(world: World, st_vendor_id: int) -> str | None:
    """The Sage number in the ServiceTitan vendor's externalData (ours), read over HTTP."""
    response = httpx.get(
        world.sb.api_url("inventory", f"vendors/{st_vendor_id}"),
        params={"externalDataApplicationGuid": APPLICATION_GUID},
        headers={"Authorization": f"Bearer {world.sb.token()}", "ST-App-Key": ST_APP_KEY},
        timeout=30.0,
    )
    response.raise_for_status()
    return Vendor.model_validate(response.json()).external_value("sage100VendorNo")


def _number_events(world: World) -> list[tuple[str, str, Any]]:
    with world.store() as store, store.transaction() as tx:
        return [
            (e.action, e.actor, e.details.get("st_vendor_id"))
            for e in tx.iter_audit(pair=PairId("main"))
            if e.action.startswith("vendor_number")
        ]


def test_vendors_link_keeps_the_sage_number_in_servicetitan(world: World) -> None:
    _with_number_to_st(world)
    assert _st_number(world, 602) is None
    link = ("vendors", "link", "--st-vendor", "602", "--sage-vendor", "00-FERGWAT", "--by", "Dana")
    result = world.cli(*link)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "linked to Sage vendor 00-FERGWAT" in result.stdout
    assert "Sage number FERGWAT kept in ServiceTitan vendor 602" in result.stdout
    assert _st_number(world, 602) == "FERGWAT"
    assert _number_events(world) == [("vendor_number_saved", "Dana", 602)]
    # the same link again: nothing changes, nothing is written twice
    again = world.cli(*link)
    assert again.exit_code == 0, again.stdout + again.stderr
    assert "already linked to Sage vendor 00-FERGWAT: nothing changed" in again.stdout
    assert _number_events(world) == [("vendor_number_saved", "Dana", 602)]
    # another Sage vendor for the same ServiceTitan vendor is still refused
    other = world.sub(
        "vendors", "link", "--st-vendor", "602", "--sage-vendor", "00-FERGUS",
        "--config", str(world.config),
    )  # fmt: skip
    assert other.returncode == 2
    assert "already linked to 00-FERGWAT" in other.stderr


@pytest.fixture
def no_write_scope(tmp_path: Path, secret_env: None) -> Iterator[World]:
    """A ServiceTitan application that may read vendors but not write them (403)."""
    cli.register_all()
    sage_root = tmp_path / "sage100"
    init_root(sage_root, password=SAGE_PASSWORD)
    scope = SANDBOX_SETTINGS.scope.replace("tn.inv.vendors:w", "")
    settings = replace(SANDBOX_SETTINGS, scope=scope)
    with running_sandbox(tmp_path / "st", size=BILLS, settings=settings) as sb:
        config = write_test_config(
            tmp_path / "config.toml", [PairSpec("main", sb.base_url, sage_root)]
        )
        yield World(tmp_path, sb, sage_root, config)


def test_a_number_servicetitan_refuses_leaves_the_link_made(no_write_scope: World) -> None:
    world = no_write_scope
    _with_number_to_st(world)
    result = world.cli(
        "vendors", "link", "--st-vendor", "602", "--sage-vendor", "00-FERGWAT", "--by", "Dana"
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "linked to Sage vendor 00-FERGWAT" in result.stdout
    warning = " ".join(result.stderr.split())
    assert "warning: the Sage number 00-FERGWAT could not be written to ServiceTitan" in warning
    assert "403" in warning
    assert "The link is made; run the same command again" in warning
    with world.store() as store, store.transaction() as tx:
        made = tx.get_link_by_st(PairId("main"), 602)
    assert made is not None
    assert (made.vendor_no, made.created_by) == ("FERGWAT", "Dana")
    assert _number_events(world) == [("vendor_number_not_saved", "Dana", 602)]
    assert _st_number(world, 602) is None
