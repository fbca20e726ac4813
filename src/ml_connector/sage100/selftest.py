"""The live self-test of the BOI adapter, in a company the user names as a test company.

    steps = run_sage_selftest(settings, factory, force=False)   # list[Step], in order

It refuses a company with posted invoices (open or history) unless `force`; then, through
the real adapter (`BoiSage100`): logs on, reads GL accounts, creates a test vendor, opens a
batch where the company uses them, writes a balanced test invoice, reads it back, finds it
again in data entry by its key and by its reference, and sends it again, which must be
refused with the amount unchanged (no adjustment). Whatever happened, it then deletes its
own test invoice and vendor from data entry with plain BOI calls (`nSetKey` must answer 1,
then `nDelete`) in a session of its own. Every step is a `Step` (ok / FAILED / skipped);
nothing raises out of it but a bug.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from ml_connector.clock import Clock, SystemClock
from ml_connector.errors import ConnectorError
from ml_connector.sage100.boi import BoiSage100
from ml_connector.sage100.boi_calls import Guarded, last_error, return_code
from ml_connector.sage100.boi_session import ScriptFactory
from ml_connector.sage100.errors import InvoiceExistsError
from ml_connector.sage100.port import (
    AccountKey,
    ApInvoiceKey,
    ApInvoiceLine,
    DivisionNo,
    NewApInvoice,
    NewVendor,
    SageInvoiceNo,
    SageVendorNo,
)
from ml_connector.sage100.raw_boi import RawBoi, on_boi_thread
from ml_connector.sage100.settings import BoiSettings

Verdict = Literal["ok", "FAILED", "skipped"]
TEST_VENDOR_NAME = "ML-CONNECTOR SELFTEST"
TEST_COMMENT = "ml-connector selftest"
_AMOUNTS = (Decimal("10.00"), Decimal("2.34"))


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    verdict: Verdict
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"step": self.name, "verdict": self.verdict, "detail": self.detail}


class StepFailedError(Exception):
    """A step's own failure (its message is the detail)."""


@dataclass
class _Run:
    steps: list[Step] = field(default_factory=list)
    vendor: NewVendor | None = None
    invoice: NewApInvoice | None = None

    def step(self, name: str, fn: Callable[[], str]) -> bool:
        try:
            detail = fn()
        except StepFailedError as exc:
            self.steps.append(Step(name, "FAILED", str(exc)))
            return False
        except ConnectorError as exc:
            hint = f" ({exc.hint})" if exc.hint else ""
            self.steps.append(Step(name, "FAILED", exc.message + hint))
            return False
        self.steps.append(Step(name, "ok", detail))
        return True

    def skip(self, names: list[str], why: str) -> None:
        self.steps += [Step(n, "skipped", why) for n in names]


STEPS = [
    "test company",
    "session",
    "GL accounts",
    "create vendor",
    "batch",
    "write invoice",
    "read back",
    "find by reference",
    "re-send refused",
]


def run_sage_selftest(
    settings: BoiSettings,
    factory: ScriptFactory,
    *,
    force: bool = False,
    clock: Clock | None = None,
) -> list[Step]:
    """Every step, then the cleanup steps; see the module docstring."""
    clock = clock or SystemClock()
    run = _Run()
    if not run.step("test company", lambda: _guard(settings, factory, clock, force)):
        run.skip(STEPS[1:], "not a test company: nothing was written")
        return run.steps
    sage = BoiSage100(settings, factory, clock=clock)
    try:
        _body(run, sage, settings, clock)
    finally:
        sage.close()
    run.steps += cleanup(settings, factory, clock, run.vendor, run.invoice)
    return run.steps


def _body(run: _Run, sage: BoiSage100, settings: BoiSettings, clock: Clock) -> None:
    if not run.step("session", lambda: _ping(sage)):
        run.skip(STEPS[2:], "no Sage session")
        return
    accounts: list[AccountKey] = []

    def gl() -> str:
        active = [a.account_key for a in sage.gl_accounts() if a.is_active]
        if not active:
            raise StepFailedError("the company has no active GL account to post the test to")
        accounts.extend([active[0], active[-1]])
        return f"{len(active)} active account(s); the test posts to {accounts[0]}, {accounts[1]}"

    if not run.step("GL accounts", gl):
        run.skip(STEPS[3:], "no GL account")
        return
    division = DivisionNo(settings.division)
    tag = secrets.token_hex(3).upper()
    run.vendor = NewVendor(division, SageVendorNo(f"ZQ{tag[:5]}"), TEST_VENDOR_NAME)

    def vendor() -> str:
        assert run.vendor is not None  # set just above
        made = sage.create_vendor(run.vendor)
        found = sage.vendor(division, made.vendor_no)
        if found is None:
            raise StepFailedError(f"vendor {made.vendor_no} was created but is not found again")
        return f"vendor {division}-{made.vendor_no} created and read back"

    if not run.step("create vendor", vendor):
        run.skip(STEPS[4:], "no test vendor")
        return
    batch = [""]

    def open_batch() -> str:
        batch[0] = sage.open_batch("ml-connector selftest")
        return f"batch {batch[0]} opened" if batch[0] else "the company does not use batches"

    if not run.step("batch", open_batch):
        run.skip(STEPS[5:], "no batch")
        return
    key = ApInvoiceKey(division, run.vendor.vendor_no, SageInvoiceNo(f"ZQ{tag}T"))
    lines = tuple(
        ApInvoiceLine(a, amt, TEST_COMMENT) for a, amt in zip(accounts, _AMOUNTS, strict=True)
    )
    run.invoice = NewApInvoice(
        key,
        clock.now().astimezone().date(),
        sum(_AMOUNTS, Decimal(0)),
        lines,
        comment=TEST_COMMENT,
        batch_no=batch[0],
    )
    invoice = run.invoice
    if not run.step("write invoice", lambda: _write(sage, invoice)):
        run.skip(STEPS[6:], "the test invoice was not written")
        return
    run.step("read back", lambda: _read_back(sage, invoice))
    run.step("find by reference", lambda: _by_reference(sage, invoice))
    run.step("re-send refused", lambda: _resend(sage, invoice))


def _guard(settings: BoiSettings, factory: ScriptFactory, clock: Clock, force: bool) -> str:
    found = posted_invoices(settings, factory, clock)
    total = sum(found.values())
    seen = ", ".join(where for where, n in found.items() if n)
    if total and not force:
        raise StepFailedError(
            f"company {settings.company} has posted invoices ({seen}): it is not a test company. "
            "Copy the live company to a test company (e.g. TST) and name that one, or pass "
            "--force if this really is a test company"
        )
    if total:
        return f"company {settings.company} has posted invoices ({seen}); --force given"
    return f"company {settings.company} has no posted invoices"


def posted_invoices(settings: BoiSettings, factory: ScriptFactory, clock: Clock) -> dict[str, int]:
    """1 where the company has open invoices / invoice history, else 0 (plain BOI, read-only;
    one record is looked at, so a company with years of history answers at once)."""
    from ml_connector.sage100.probe import OBJECT_ROLES  # the candidate names per role

    def job(script: Guarded) -> dict[str, int]:
        raw = RawBoi(script, settings, clock)
        try:
            raw.open()
            out: dict[str, int] = {}
            for role, label in (("open_invoices", "open invoices"), ("invoice_history", "history")):
                candidates, module, task, _ = OBJECT_ROLES[role]
                for name in candidates:
                    obj, _why = raw.try_object(name, module, task)
                    if obj is not None:
                        out[label] = _has_rows(obj)
                        break
                else:
                    raise StepFailedError(
                        f"none of {', '.join(candidates)} can be read, so the company's posted "
                        "invoices cannot be counted"
                    )
            return out
        finally:
            raw.close()

    return on_boi_thread(factory, job, settings.call_timeout_seconds)


def _has_rows(obj: Guarded) -> int:
    return int(return_code(obj.nMoveFirst()) == 1 and return_code(obj.nEOF()) == 0)


def _ping(sage: BoiSage100) -> str:
    report = sage.ping()
    return f"logged on to {report.company.code} as {report.user}"


def _write(sage: BoiSage100, inv: NewApInvoice) -> str:
    written = sage.create_invoice(inv)
    return f"{inv.key} written ({written.amount}, {written.line_count} lines)"


def _read_back(sage: BoiSage100, inv: NewApInvoice) -> str:
    found = sage.find_invoice(inv.key)
    where = [f"{f.where} {f.amount}" for f in found]
    if len(found) != 1 or found[0].where != "entry" or found[0].amount != inv.amount:
        raise StepFailedError(
            f"expected {inv.key} once in data entry with {inv.amount}, found: {where or 'nothing'}"
        )
    return f"found in data entry with amount {found[0].amount}"


def _by_reference(sage: BoiSage100, inv: NewApInvoice) -> str:
    found = sage.find_invoices_by_reference(inv.key.invoice_no, inv.amount)
    if not any(f.key == inv.key and f.where == "entry" for f in found):
        raise StepFailedError(f"the reference index does not find {inv.key.invoice_no}")
    return f"found by reference {inv.key.invoice_no} and amount {inv.amount}"


def _resend(sage: BoiSage100, inv: NewApInvoice) -> str:
    try:
        sage.create_invoice(inv)
    except InvoiceExistsError as exc:
        refused = f"refused ({exc.where})"
    else:
        raise StepFailedError(f"{inv.key} was accepted a second time: check it in data entry")
    found = sage.find_invoice(inv.key)
    amounts = [f.amount for f in found]
    if amounts != [inv.amount]:
        raise StepFailedError(f"{refused}, but the amount is now {amounts}: an adjustment?")
    return f"{refused}; the amount is still {inv.amount}"


def cleanup(
    settings: BoiSettings,
    factory: ScriptFactory,
    clock: Clock,
    vendor: NewVendor | None,
    invoice: NewApInvoice | None,
) -> list[Step]:
    """Delete the test invoice, then the test vendor, from data entry (plain BOI)."""
    if vendor is None and invoice is None:
        return []

    def job(script: Guarded) -> list[Step]:
        raw = RawBoi(script, settings, clock)
        out: list[Step] = []
        try:
            raw.open()
            if invoice is not None:
                out.append(_delete_invoice(raw, invoice))
            if vendor is not None:
                out.append(_delete_vendor(raw, vendor))
        finally:
            raw.close()
        return out

    try:
        return on_boi_thread(factory, job, settings.call_timeout_seconds)
    except ConnectorError as exc:
        return [Step("cleanup", "FAILED", f"{exc.message}; delete ZQ test records by hand")]


def _delete(bus: Guarded, parts: list[tuple[str, str]], what: str) -> Step:
    for col, value in parts:
        bus.nSetKeyValue(col, value)
    answer = return_code(bus.nSetKey())
    if answer == 2:
        bus.nClear()
        return Step(f"delete {what}", "ok", "was not on file (nothing to delete)")
    if answer != 1:
        return Step(f"delete {what}", "FAILED", f"nSetKey answered {answer}: {last_error(bus)}")
    if return_code(bus.nDelete()) != 1:
        msg = last_error(bus)
        bus.nClear()
        return Step(f"delete {what}", "FAILED", f"nDelete refused: {msg}; delete it by hand")
    return Step(f"delete {what}", "ok", "deleted (nSetKey answered 1, nDelete 1)")


def _delete_invoice(raw: RawBoi, inv: NewApInvoice) -> Step:
    what = f"invoice {inv.key}"
    bus, why = raw.try_object("AP_Invoice_bus", "A/P", "AP_Invoice_ui")
    if bus is None:
        return Step(f"delete {what}", "FAILED", f"AP_Invoice_bus: {why}")
    if inv.batch_no and return_code(bus.nSelectBatch(inv.batch_no)) != 1:
        return Step(f"delete {what}", "FAILED", f"batch {inv.batch_no}: {last_error(bus)}")
    k = inv.key
    parts = [
        ("APDivisionNo$", k.division_no),
        ("VendorNo$", k.vendor_no),
        ("InvoiceNo$", k.invoice_no),
    ]
    step = _delete(bus, parts, what)
    if inv.batch_no and step.verdict == "ok":
        detail = f"{step.detail}; batch {inv.batch_no} may remain, empty, in Invoice Data Entry"
        return Step(step.name, "ok", detail)
    return step


def _delete_vendor(raw: RawBoi, vendor: NewVendor) -> Step:
    what = f"vendor {vendor.division_no}-{vendor.vendor_no}"
    bus, why = raw.try_object("AP_Vendor_bus", "A/P", "AP_Vendor_ui")
    if bus is None:
        return Step(f"delete {what}", "FAILED", f"AP_Vendor_bus: {why}")
    parts = [("APDivisionNo$", vendor.division_no), ("VendorNo$", vendor.vendor_no)]
    return _delete(bus, parts, what)
