"""Fuzz: ServiceTitan AP bills that are wrong in every way a feed can be wrong (wrong
types, nulls, huge and control-character strings, absurd amounts and dates, duplicate ids
and references, lines that do not add up), mixed with valid ones, served by the
ServiceTitan sandbox and read by the real client and engine (`ml-connector sync --once`).

    .venv/bin/python scripts/fuzz_payloads.py --records 12000      # the full proof
    .venv/bin/python scripts/fuzz_payloads.py --records 400        # a quick look

Checks: no crash (no traceback, exit 0 or 1); every bad record is kept out of Sage and
recorded with a reason that names it (the ledger, the review queue or the audit log);
every valid one is in Sage exactly once, with its amount and lines; a second cycle writes
nothing. Prints figures; exits 1 on any miss.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from proof_world import (
    ap_bill,
    machine,
    new_sage_root,
    read_books,
    sync_once,
    write_proof_config,
)

from ml_connector.sandbox.servicetitan.server import running_sandbox

FIRST_ID = 7_000_000
SIGNPOST_SAFETY = 32.0
Bill = dict[str, Any]
Mutation = Callable[[random.Random, Bill], None]


def _set(path: str, value: Any) -> Mutation:
    def apply(_rng: random.Random, bill: Bill) -> None:
        target: Any = bill
        *parents, last = path.split(".")
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return apply


def _drop(key: str) -> Mutation:
    def apply(_rng: random.Random, bill: Bill) -> None:
        bill.pop(key, None)

    return apply


def _unbalance(rng: random.Random, bill: Bill) -> None:
    line = bill["expenseItems"][0]
    delta = Decimal(rng.choice([1, -1])) * Decimal(rng.randrange(1, 100_000)) / 100
    line["amount"] = f"{Decimal(line['amount']) + delta:.2f}"


def _dup_line_ids(_rng: random.Random, bill: Bill) -> None:
    items = bill["expenseItems"]
    items.append(dict(items[0]))  # the same line twice: the lines no longer add up
    items[-1]["description"] = "the same line again"


def _huge(n: int) -> str:
    return ("HUGE-" * (n // 5 + 1))[:n]


CONTROL = "INV\x00\x07\x1b[31m12\u202e34\r\n\t\x7f"

# name -> (mutation, expected): "reject" must stay out of Sage with a reason naming the
# bill; "accept" is odd but valid and must be written once, exactly.
MUTATIONS: dict[str, tuple[Mutation, str]] = {
    "amount: list": (_set("billAmount", []), "reject"),
    "amount: object": (_set("billAmount", {"value": "1.00"}), "reject"),
    "amount: boolean": (_set("billAmount", True), "reject"),
    "amount: words": (_set("billAmount", "twelve dollars"), "reject"),
    "amount: null": (_set("billAmount", None), "reject"),
    "amount: missing": (_drop("billAmount"), "reject"),
    "amount: NaN": (_set("billAmount", "NaN"), "reject"),
    "amount: Infinity": (_set("billAmount", "Infinity"), "reject"),
    "amount: 1e400": (_set("billAmount", "1e400"), "reject"),
    "amount: 10^20": (_set("billAmount", "100000000000000000000.00"), "reject"),
    "amount: sub-cent": (_set("billAmount", "12.345"), "reject"),
    "line amount: null": (_set("expenseItems.0.amount", None), "reject"),
    "line amount: words": (_set("expenseItems.0.amount", "n/a"), "reject"),
    "line amount: 1e400": (_set("expenseItems.0.amount", "-1e400"), "reject"),
    "lines: unbalanced": (_unbalance, "reject"),
    "lines: duplicate line id": (_dup_line_ids, "reject"),
    "lines: null": (_set("expenseItems", None), "reject"),
    "lines: object": (_set("expenseItems", {"0": "x"}), "reject"),
    "lines: numbers": (_set("expenseItems", [1, 2]), "reject"),
    "tax: words": (_set("taxAmount", "ten"), "reject"),
    "vendor: null": (_set("vendor", None), "reject"),
    "vendor: string": (_set("vendor", "Fastenal Company"), "reject"),
    "vendor: id words": (_set("vendor.id", "six-oh-nine"), "reject"),
    "vendor: unknown id": (_set("vendor", {"id": 999_999, "name": "Nobody & Sons"}), "reject"),
    "date: null": (_set("billDate", None), "reject"),
    "date: words": (_set("billDate", "yesterday"), "reject"),
    "date: number": (_set("billDate", 20260301), "reject"),
    "date: Feb 30": (_set("billDate", "2026-02-30T00:00:00Z"), "reject"),
    "date: year 1": (_set("billDate", "0001-01-01T00:00:00Z"), "reject"),
    "date: year 9999": (_set("billDate", "9999-12-31T00:00:00Z"), "reject"),
    "reference: huge": (_set("referenceNumber", _huge(100_000)), "reject"),
    "reference: control characters": (_set("referenceNumber", CONTROL), "reject"),
    "reference: list": (_set("referenceNumber", ["A", "B"]), "reject"),
    "summary: huge": (_set("summary", _huge(1_000_000)), "accept"),
    "summary: control characters": (_set("summary", CONTROL), "accept"),
    "line description: control characters": (
        _set("expenseItems.0.description", CONTROL),
        "accept",
    ),
    "unknown fields": (_set("somethingNew", {"nested": [1, None, "x"]}), "accept"),
}


@dataclass
class FuzzResult:
    records: int
    valid: int
    bad: int
    written_once: int
    rejected_with_reason: int
    misses: list[str] = field(default_factory=list)
    by_kind: dict[str, int] = field(default_factory=dict)
    exit_codes: list[int] = field(default_factory=list)
    seconds: float = 0.0
    machine: str = ""

    @property
    def ok(self) -> bool:
        return not self.misses


def make_records(n: int, rng: random.Random, bad_share: float = 0.4) -> list[tuple[Bill, str, str]]:
    """(bill, kind, expected) for `n` records; "valid" records expect "accept"."""
    out: list[tuple[Bill, str, str]] = []
    names = sorted(MUTATIONS)
    for i in range(n):
        bill = ap_bill(FIRST_ID + i, rng)
        if rng.random() < bad_share:
            name = names[i % len(names)]
            mutate, expected = MUTATIONS[name]
            mutate(rng, bill)
            out.append((bill, name, expected))
        else:
            out.append((bill, "valid", "accept"))
    # duplicates of valid bills under new ids (same vendor, reference and amount): one
    # must stay out of Sage
    valid = [b for b, kind, _ in out if kind == "valid"]
    for k in range(max(1, n // 200)):
        twin = json.loads(json.dumps(rng.choice(valid)))
        twin["id"] = FIRST_ID + n + k
        for j, item in enumerate(twin["expenseItems"]):
            item["id"] = twin["id"] * 10 + j
        out.append((twin, "duplicate of a valid bill", "reject"))
    return out


def _reasons(state: Path) -> dict[int, list[str]]:
    """Every word the state database holds about each document: ledger error, review
    items, audit messages."""
    conn = sqlite3.connect(state)
    try:
        rows = conn.execute(
            "SELECT doc_id, last_error FROM ledger UNION ALL "
            "SELECT doc_id, reason FROM review_items WHERE doc_id IS NOT NULL UNION ALL "
            "SELECT doc_id, message FROM audit_events WHERE doc_id IS NOT NULL"
        ).fetchall()
        subjects = conn.execute(
            "SELECT subject, reason FROM review_items WHERE doc_id IS NULL"
        ).fetchall()
    finally:
        conn.close()
    out: dict[int, list[str]] = {}
    for doc_id, text in rows:
        out.setdefault(int(doc_id), []).append(str(text or ""))
    for subject, text in subjects:  # records without a usable id: "st_record:ap-bills:<id>"
        tail = str(subject).rsplit(":", 1)[-1]
        if tail.isdigit():
            out.setdefault(int(tail), []).append(str(text or ""))
    return out


def run_fuzz(
    workdir: Path, *, records: int, seed: int = 1202, say: Callable[[str], None] | None = None
) -> FuzzResult:
    echo = say or (lambda line: sys.stdout.write(line + "\n"))
    started = time.monotonic()
    rng = random.Random(seed)  # noqa: S311  # a replayable fuzz, not cryptography
    data = make_records(records, rng)
    root = new_sage_root(workdir / "sage")
    with running_sandbox(workdir / "st", seed="demo", size=1) as sb:
        sb.upsert("ap-bills", [b for b, kind, _ in data if kind == "valid"])
        sb.upsert("ap-bills", [b for b, kind, _ in data if kind != "valid"])
        config = write_proof_config(workdir / "config.toml", sb.base_url, sb.tenant_id, root)
        time.sleep(SIGNPOST_SAFETY)  # the cycle reads what is older than its safety margin
        codes: list[int] = []
        for _ in range(2):
            proc = sync_once(config, json_out=True)
            out, err = proc.communicate(timeout=3600)
            codes.append(proc.returncode)
            if "Traceback" in out + err or proc.returncode not in (0, 1):
                (workdir / "crash.log").write_text(err, encoding="utf-8")
                raise AssertionError(f"sync --once crashed ({proc.returncode}):\n{err[-4000:]}")
            echo(f"cycle: exit {proc.returncode}, {out[:300]}")
    books = read_books(root)
    reasons = _reasons(workdir / "ml-connector.sqlite")
    result = FuzzResult(
        records=len(data),
        valid=sum(1 for _, kind, _ in data if kind == "valid"),
        bad=sum(1 for _, kind, _ in data if kind != "valid"),
        written_once=0,
        rejected_with_reason=0,
        by_kind=dict(Counter(kind for _, kind, _ in data)),
        exit_codes=codes,
        machine=machine(),
    )
    written_by_id = {b["id"]: b for b, kind, _ in data if kind == "duplicate of a valid bill"}
    for bill, kind, expected in data:
        bill_id = bill["id"]
        in_sage = books.by_bill.get(bill_id)
        if kind == "duplicate of a valid bill":
            twin_written = in_sage is not None
            original = next(
                b["id"]
                for b, k, _ in data
                if k == "valid"
                and b["referenceNumber"] == bill["referenceNumber"]
                and b["id"] != bill_id
            )
            if twin_written and original in books.by_bill:
                result.misses.append(f"{bill_id} ({kind} {original}): both written")
            elif not any(str(bill_id) in r for r in reasons.get(bill_id, [])):
                result.misses.append(f"{bill_id} ({kind}): no reason naming it")
            else:
                result.rejected_with_reason += 1
            continue
        if expected == "accept":
            if in_sage is None:
                why = "; ".join(reasons.get(bill_id, ["no trace"]))[:300]
                result.misses.append(f"{bill_id} ({kind}): not written: {why}")
            elif in_sage.amount != Decimal(bill["billAmount"]):
                result.misses.append(f"{bill_id} ({kind}): written for {in_sage.amount}")
            else:
                result.written_once += 1
            continue
        if in_sage is not None:
            result.misses.append(f"{bill_id} ({kind}): written to Sage as {in_sage.invoice_no}")
        elif not any(str(bill_id) in r for r in reasons.get(bill_id, [])):
            result.misses.append(f"{bill_id} ({kind}): no reason naming it")
        else:
            result.rejected_with_reason += 1
    del written_by_id
    result.misses += [f"{b}: written more than once" for b in books.doubled]
    result.seconds = round(time.monotonic() - started, 1)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=12_000)
    parser.add_argument("--seed", type=int, default=1202)
    parser.add_argument("--workdir", type=Path, default=None, help="kept when given")
    args = parser.parse_args()
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        result = run_fuzz(args.workdir, records=args.records, seed=args.seed)
    else:
        with tempfile.TemporaryDirectory(prefix="mlc-fuzz-") as tmp:
            result = run_fuzz(Path(tmp), records=args.records, seed=args.seed)
    figures = {k: v for k, v in result.__dict__.items() if k != "misses"}
    figures["misses"] = len(result.misses)
    sys.stdout.write(json.dumps(figures, indent=2) + "\n")
    if result.misses:
        by_kind = Counter(m.split("(", 1)[1].split(")")[0] for m in result.misses)
        sys.stderr.write(f"FAILED: {len(result.misses)} misses by kind: {dict(by_kind)}\n")
        for line in result.misses[:60]:
            sys.stderr.write(f"  {line}\n")
        return 1
    sys.stdout.write(
        "OK: no crash, every bad record rejected with a reason, every valid one once\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
