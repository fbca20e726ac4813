"""`review list|show|resolve|retry|ignore`, `audit` and `status`, end to end: what a person
decides reaches Sage on the next `sync --once`, and the audit log names who decided."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from typing import Any

from cli_world import World, sage_invoices

from ml_connector.store.port import DocKind, LedgerStatus, PairId


def _open_vendor_items(world: World) -> list[dict[str, Any]]:
    items = world.cli_json("review", "list")
    # bills waiting on a vendor (the vendor step's own items, about a vendor and not a
    # document, carry subject "st_vendor:<id>" and no document)
    return [
        i
        for i in items
        if i["kind"] in ("ambiguous_vendor", "unknown_vendor") and i.get("document")
    ]


def _doc_id(item: dict[str, Any]) -> int:
    return int(item["document"].split()[-1])


def test_resolve_with_a_vendor_writes_the_bill_next_cycle(world: World) -> None:
    first = world.cli_json("sync", "--once")
    items = _open_vendor_items(world)
    assert items, "the demo data has vendors a person must choose"
    # 'Old Dominion Supply (closed)': its closest Sage vendor is inactive; linking it is
    # refused (a message, no traceback), as every bill would come back rejected.
    closed = next(i for i in items if "(closed)" in i["details"]["st_vendor_name"])
    inactive = closed["details"]["candidates"][0]
    proc = world.sub(
        "review",
        "resolve",
        str(closed["id"]),
        "--vendor",
        f"00-{inactive['vendor_no']}",
        "--config",
        str(world.config),
    )
    assert proc.returncode == 2
    assert "is inactive" in proc.stderr
    proc = world.sub(
        "review",
        "resolve",
        str(closed["id"]),
        "--vendor",
        "00-NOSUCH",
        "--config",
        str(world.config),
    )
    assert proc.returncode == 2
    assert "not on file" in proc.stderr

    # A vendor with several bills waiting: one link serves them all.
    by_vendor = Counter(i["details"]["st_vendor_id"] for i in items)
    item = max(
        (i for i in items if i is not closed and i["details"].get("candidates")),
        key=lambda i: by_vendor[i["details"]["st_vendor_id"]],
    )
    candidate = item["details"]["candidates"][0]
    vendor = f"{candidate['division_no']}-{candidate['vendor_no']}"
    doc_id = _doc_id(item)

    shown = world.cli("review", "show", str(item["id"]))
    assert shown.exit_code == 0
    assert (
        json.loads(shown.stdout)["details"]["candidates"][0]["vendor_no"] == candidate["vendor_no"]
    )

    result = world.cli(
        "review", "resolve", str(item["id"]), "--vendor", vendor, "--by", "maria", "--note", "ok"
    )
    assert result.exit_code == 0, result.stderr
    assert f"review item {item['id']} resolved" in result.stdout
    still_open = {i["id"] for i in world.cli_json("review", "list")}
    assert item["id"] not in still_open
    same_vendor = [
        i["id"]
        for i in items
        if i["details"]["st_vendor_id"] == item["details"]["st_vendor_id"] and i is not item
    ]
    assert same_vendor
    for other in same_vendor:  # the link serves every bill of that vendor
        assert other not in still_open
        assert str(other) in result.stdout.split("also resolved")[1]

    second = world.cli_json("sync", "--once")
    assert second["written"] >= 1
    outcome = next(o for o in second["pairs"]["main"]["outcomes"] if o["doc_id"] == doc_id)
    assert outcome["outcome"] == "written"
    assert outcome["vendor"] == vendor
    assert (candidate["vendor_no"], outcome["invoice_no"]) in sage_invoices(world.sage_root)
    assert len(sage_invoices(world.sage_root)) == len(set(sage_invoices(world.sage_root)))
    assert first["run_id"] != second["run_id"]

    # A third cycle: nothing left to write for it.
    assert world.cli_json("sync", "--once")["written"] == 0


def test_ignore_closes_and_retry_requeues(world: World) -> None:
    world.cli_json("sync", "--once")
    items = _open_vendor_items(world)
    ignored, retried = items[0], items[1]

    result = world.cli("review", "ignore", str(ignored["id"]), "--by", "li", "--note", "paid")
    assert result.exit_code == 0
    assert f"review item {ignored['id']} ignored" in result.stdout
    result = world.cli("review", "retry", str(retried["id"]), "--by", "li")
    assert result.exit_code == 0
    assert "re-queued" in result.stdout

    open_ids = {i["id"] for i in world.cli_json("review", "list")}
    assert ignored["id"] not in open_ids
    assert retried["id"] not in open_ids
    every = {i["id"]: i for i in world.cli_json("review", "list", "--all")}
    assert every[ignored["id"]]["status"] == "ignored"
    assert every[ignored["id"]]["resolved_by"] == "li"
    with world.store() as store, store.transaction() as tx:
        entry = tx.get_ledger(PairId("main"), DocKind.AP_BILL, _doc_id(ignored))
    assert entry is not None
    assert entry.status is LedgerStatus.SKIPPED

    # Retried as it is: the vendor is still ambiguous, so it is back in review; the
    # ignored one stays closed.
    again = world.cli_json("sync", "--once")
    handled = {o["doc_id"]: o["outcome"] for o in again["pairs"]["main"]["outcomes"]}
    assert handled.get(_doc_id(retried)) == "review"
    assert _doc_id(ignored) not in handled
    docs = {i["document"] for i in world.cli_json("review", "list")}
    assert retried["document"] in docs
    assert ignored["document"] not in docs

    # A closed item cannot be acted on again: a message, exit 2 (subprocess: no traceback).
    proc = world.sub("review", "ignore", str(ignored["id"]), "--config", str(world.config))
    assert proc.returncode == 2
    assert "error:" in proc.stderr


def test_audit_exports_the_decisions_with_who(world: World) -> None:
    world.cli_json("sync", "--once")
    item = _open_vendor_items(world)[0]
    world.cli("review", "ignore", str(item["id"]), "--by", "Dana Ruiz", "--note", "dup")

    out = world.cli("audit", "--csv")
    assert out.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    mine = [r for r in rows if r["actor"] == "Dana Ruiz"]
    assert len(mine) == 1
    assert mine[0]["doc_id"] == str(_doc_id(item))
    assert "ignore" in mine[0]["action"]
    assert any(r["action"] and r["actor"] != "Dana Ruiz" for r in rows)  # the engine's own

    events = world.cli_json("audit")
    assert [e["actor"] for e in events].count("Dana Ruiz") == 1
    assert len(events) == len(rows)

    target = world.tmp / "audit.csv"
    assert world.cli("audit", "--csv", "--output", str(target)).exit_code == 0
    assert "Dana Ruiz" in target.read_text("utf-8")
    proc = world.sub(
        "audit",
        "--csv",
        "-o",
        str(world.tmp / "no" / "such" / "dir.csv"),
        "--config",
        str(world.config),
    )
    assert proc.returncode == 2
    assert "cannot write the audit export" in proc.stderr
    later = world.cli_json("audit", "--since", "2999-01-01")
    assert later == []


def test_status_shows_runs_and_counts(world: World) -> None:
    dry = world.cli_json("sync", "--once", "--dry-run")
    real = world.cli_json("sync", "--once")
    status = world.cli_json("status")["main"]
    runs = status["last_runs"]
    assert [r["run_id"] for r in runs[:2]] == [real["run_id"], dry["run_id"]]
    assert [r["dry_run"] for r in runs[:2]] == [False, True]
    assert runs[0]["written"] == real["written"]
    assert runs[1]["written"] == 0
    assert runs[1]["would_write"] == dry["would_write"]
    assert status["documents"]["written"] == real["written"]
    vendor_items = [i for i in world.cli_json("review", "list") if not i.get("document")]
    assert status["open_review_items"] == real["sent_to_review"] + len(vendor_items)
    text = world.cli("status")
    assert text.exit_code == 0
    assert "(dry run): completed at" in text.stdout
    assert f"{dry['would_write']} would be written" in text.stdout
    assert f"{status['open_review_items']} open review item(s)" in text.stdout


def test_a_vendor_item_resolved_without_a_vendor_is_an_error_naming_what_to_pass(
    world: World,
) -> None:
    world.cli_json("sync", "--once")
    item = next(i for i in _open_vendor_items(world) if i["details"].get("candidates"))
    proc = world.sub("review", "resolve", str(item["id"]), "--config", str(world.config))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"review item {item['id']}" in proc.stderr
    assert f"({item['details']['st_vendor_id']})" in proc.stderr
    assert f"review resolve {item['id']} --vendor 00-" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert item["id"] in {i["id"] for i in world.cli_json("review", "list")}  # still open


def test_review_list_gives_each_item_the_command_with_its_own_ids(world: World) -> None:
    world.cli_json("sync", "--once")
    items = world.cli_json("review", "list")
    vendor_items = [i for i in items if i["kind"] in ("ambiguous_vendor", "unknown_vendor")]
    assert vendor_items
    tail = f" -c {world.config}"  # the config the list was run with
    for i in vendor_items:
        assert i["command"].startswith(f"ml-connector review resolve {i['id']} --vendor ")
        assert i["command"].endswith(tail)
        assert "DD-VENDOR" not in i["suggestion"]
        if i["details"].get("candidates"):
            # the best candidate Sage would take: never an inactive vendor (status I)
            active = [c for c in i["details"]["candidates"] if c.get("status") != "I"]
            best = active[0] if active else None
            vendor = f"{best['division_no']}-{best['vendor_no']}" if best else "DD-VENDORNO"
            assert i["command"] == f"ml-connector review resolve {i['id']} --vendor {vendor}{tail}"
    closed = next(i for i in vendor_items if "(closed)" in i["details"].get("st_vendor_name", ""))
    inactive = closed["details"]["candidates"][0]
    assert inactive["status"] == "I"
    assert f"--vendor 00-{inactive['vendor_no']} " not in closed["command"]
    # The vendor step's own items name the ServiceTitan vendor's id in `vendors link`.
    own = next(i for i in vendor_items if not i["document"])
    assert f"--st-vendor {own['details']['st_vendor_id']} " in own["suggestion"]

    # The table shows the same commands, with the config given, ready to copy.
    table = world.sub("review", "list", "-c", str(world.config))
    flat = "".join(table.stdout.replace("│", "").split())
    item = vendor_items[0]
    assert "".join(item["command"].split()) in flat

    # Copied as it is, the command works: the link is made and the bills re-queued (a
    # closed vendor's best candidate is inactive: Sage would refuse it, the person picks).
    chosen = next(
        i
        for i in vendor_items
        if i["document"]
        and i["details"].get("candidates")
        and "(closed)" not in i["details"]["st_vendor_name"]
    )
    args = chosen["command"].split()[1:]
    proc = world.sub(*args)
    assert proc.returncode == 0, proc.stderr
    assert f"review item {chosen['id']} resolved" in proc.stdout
