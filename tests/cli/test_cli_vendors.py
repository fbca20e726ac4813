"""`vendors match|link|unlink` and `gl check` through the real CLI and the app's runtime
(config file, secrets by reference, both sandboxes)."""

from __future__ import annotations

from cli_world import World, sage_tables, st_records

from ml_connector.store.port import PairId


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


def test_gl_check(world: World) -> None:
    result = world.cli("gl", "check", "--json")
    assert result.exit_code in (0, 1), result.stdout + result.stderr
    assert "checked" in result.stdout
