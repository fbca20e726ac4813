"""`BoiSage100`: the `Sage100` port over the Business Object Interface.

It drives any object with the ProvideX.Script surface: the COM object on a Sage server
(`ml_connector.sage100.com.ProvideXComFactory`) or the sandbox's `ProvideXScript`. Every BOI
call runs on one dedicated thread (`BoiRunner`); this class decides what to ask, checks
what comes back, and retries records held by another user on its own budget
(`BoiSettings.lock_retry`), re-running each write from the duplicate check and `nSetKey`.

    sage = BoiSage100(BoiSettings(home=..., company="ABC", user="sync", password=...),
                      factory=ProvideXComFactory())
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from decimal import Decimal
from typing import TypeVar

import structlog

from ml_connector.clock import Clock, SystemClock
from ml_connector.errors import ConfigError
from ml_connector.sage100 import (
    account_format,
    boi_jobcost,
    boi_reads,
    boi_vendor_edit,
    boi_verify,
    boi_writes,
    invoice_index,
)
from ml_connector.sage100.boi_calls import check, last_error, return_code
from ml_connector.sage100.boi_reads import names_of
from ml_connector.sage100.boi_runner import acquire_runner, release_runner
from ml_connector.sage100.boi_session import BoiSession, ScriptFactory
from ml_connector.sage100.changestamp import changed_since_filter, is_at_or_after, parse_sage_date
from ml_connector.sage100.errors import (
    InvoiceExistsError,
    RecordLockedError,
    SageReadBackError,
    SageSessionError,
    SageVerifyError,
)
from ml_connector.sage100.names import SageNames
from ml_connector.sage100.names import resolve as resolve_names
from ml_connector.sage100.port import (
    AccountFormat,
    ApDivision,
    ApInvoiceKey,
    BeforeWrite,
    ChangeStamp,
    CompanyInfo,
    DivisionNo,
    ExistingInvoice,
    GlAccount,
    HealthReport,
    NewApInvoice,
    NewVendor,
    SageJob,
    SageVendor,
    SageVendorNo,
    VendorChanges,
    WrittenInvoice,
    sage_vendor_no,
)
from ml_connector.sage100.resultsets import KEY_END, all_of, equals
from ml_connector.sage100.settings import BoiSettings

log = structlog.get_logger(__name__)

T = TypeVar("T")

_VERIFY_TRIES = 3


class BoiSage100:
    """One Sage 100 company through BOI. Safe to call from any thread."""

    def __init__(
        self,
        settings: BoiSettings,
        factory: ScriptFactory,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self._clock = clock or SystemClock()
        self._runner = acquire_runner(factory, settings, self._clock)
        self._closed = False
        self._names: SageNames | None = None
        # the connector's open batch, reused until registered; None: not looked for in Sage
        # yet (this process has not opened one), "": none to reuse
        self._batch: str | None = None
        # (session serial, monotonic until): prepare_session has nothing to do before then,
        # for the session with its index, and for the session alone
        self._index_ready: tuple[int, float] | None = None
        self._session_ready: tuple[int, float] | None = None

    # ---- session -----------------------------------------------------------------------

    def _run(self, operation: str, job: Callable[[BoiSession], T]) -> T:
        return self._runner.run(operation, self.settings, lambda s: job(self._prepared(s)))

    def _prepared(self, s: BoiSession) -> BoiSession:
        """Resolve the object and column names once per company (see names.py)."""
        if self._names is None:
            names = resolve_names(s)
            self.settings = self.settings.model_copy(update={"columns": names.columns})
            self._names = names
        if s.settings is not self.settings:
            s.settings = self.settings
        s.names = self._names
        return s

    def resolved_names(self) -> SageNames:
        """The object and column names in use on this company's Sage, resolved on first use
        (`NewObject` + `sGetColumns` on each candidate); for `check` and `sage probe`."""
        return self._run("resolved_names", lambda s: names_of(s))

    @property
    def session_serial(self) -> int:
        """How many sessions were opened so far (a new one after each COM failure)."""
        return self._run("session_serial", lambda s: s.serial)

    def close(self) -> None:
        """Let go of the session (torn down when no other adapter of this process uses it)."""
        if not self._closed:
            self._closed = True
            release_runner(self._runner)

    def __enter__(self) -> BoiSage100:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ping(self) -> HealthReport:
        def job(s: BoiSession) -> HealthReport:
            info = self._company(s)
            for name in ("AP_Invoice_bus", "AP_Vendor_bus", "GL_Account_svc"):
                s.obj(name)
                s.checks.append((f"object {name}", "created"))
            divisions = {d.division_no for d in boi_reads.divisions(s)}
            if self.settings.division not in divisions:
                raise ConfigError(
                    f"AP division {self.settings.division} is not on file in company "
                    f"{self.settings.company}",
                    operation="ping",
                    hint="Set the connector's AP division to one of: "
                    + ", ".join(sorted(divisions)),
                )
            s.use_context("A/P", "AP_Invoice_ui")
            checks = [*s.checks, *names_of(s).notes]
            checks.append(("division", f"AP division {self.settings.division} on file"))
            return HealthReport(info, s.user, tuple(checks))

        return self._run("ping", job)

    # ---- reference data ---------------------------------------------------------------

    def company(self) -> CompanyInfo:
        return self._run("company", self._company)

    def _company(self, s: BoiSession) -> CompanyInfo:
        cached: CompanyInfo | None = s.cache.get("company")
        if cached is not None:
            return cached
        forced = self.settings.uses_batches
        batches, divisions = boi_reads.ap_options(s, need_batch_flag=forced is None)
        if divisions is None:  # no divisions flag: divisions are in use when more than 00
            divisions = any(d.division_no != "00" for d in boi_reads.divisions(s))
        sales_tax = self.settings.sales_tax_in_ap
        job_cost = self.settings.job_cost
        info = CompanyInfo(
            code=self.settings.company,
            name=boi_reads.company_name(s),
            ap_module_date=parse_sage_date(s.module_date),
            uses_batches=bool(batches) if forced is None else forced,
            divisions_enabled=divisions,
            sales_tax_in_ap=boi_jobcost.sales_tax_in_ap(s) if sales_tax is None else sales_tax,
            job_cost=boi_jobcost.has_job_cost(s) if job_cost is None else job_cost,
        )
        s.cache["company"] = info
        return info

    def account_format(self) -> AccountFormat:
        return self._run("account_format", account_format.account_format)

    def gl_accounts(self) -> list[GlAccount]:
        return self._run("gl_accounts", boi_reads.gl_accounts)

    def divisions(self) -> list[ApDivision]:
        return self._run("divisions", boi_reads.divisions)

    def job(self, job_no: str) -> SageJob | None:
        return self._run("job", lambda s: boi_jobcost.read_job(s, job_no))

    # ---- vendors ----------------------------------------------------------------------

    def vendors(self, changed_since: ChangeStamp | None = None) -> Iterator[SageVendor]:
        if changed_since is None:
            return iter(self._run("vendors", boi_reads.read_vendors))
        since = changed_since
        rows = self._run(
            "vendors",
            lambda s: boi_reads.read_vendors(s, filter_expr=changed_since_filter(since)),
        )
        return iter([v for v in rows if is_at_or_after((v.updated, v.created), since)])

    def vendor(self, division_no: DivisionNo, vendor_no: SageVendorNo) -> SageVendor | None:
        number = sage_vendor_no(vendor_no)
        prefix = f"{division_no}{number}"
        rows = self._run(
            "vendor",
            lambda s: boi_reads.read_vendors(
                s,
                filter_expr=all_of(
                    equals("APDivisionNo$", division_no), equals("VendorNo$", number)
                ),
                begin=prefix,
                end=prefix + KEY_END,
            ),
        )
        return next((v for v in rows if v.vendor_no == number), None)

    def create_vendor(self, vendor: NewVendor) -> SageVendor:
        number = boi_writes.validate_vendor(vendor)
        record = f"vendor {vendor.division_no}-{number}"
        created = self._retrying_locks(
            "create_vendor", record, lambda s: boi_writes.write_vendor(s, vendor, number)
        )
        log.info("sage_vendor_created", record=record)
        return created

    def update_vendor(
        self, division_no: DivisionNo, vendor_no: SageVendorNo, changes: VendorChanges
    ) -> SageVendor:
        record = f"vendor {division_no}-{sage_vendor_no(vendor_no)}"
        boi_vendor_edit.check_changes(changes, record)
        updated = self._retrying_locks(
            "update_vendor",
            record,
            lambda s: boi_vendor_edit.edit_vendor(s, division_no, vendor_no, changes),
        )
        log.info("sage_vendor_updated", record=record)
        return updated

    # ---- invoices ---------------------------------------------------------------------

    def find_invoice(self, key: ApInvoiceKey) -> list[ExistingInvoice]:
        return self._run("find_invoice", lambda s: _find_exact(s, key))

    def prepare_session(self, *, invoice_index: bool = False) -> None:
        """The session open and (with `invoice_index`) its index built or refreshed, before a
        document's own calls. Asked before every document: while the session that answered
        last is still the live one and nothing is due (its index's refresh with
        `invoice_index`, `index_ready_until`; its recycling by age either way), there is
        nothing to do and the BOI thread is not asked. Skipping is never less safe: every
        call opens the session it needs and every lookup makes the index current itself;
        this only keeps a failure there charged to the shared load rather than to a
        document."""
        if self._still_ready(self._index_ready):
            return
        if not invoice_index:
            if self._still_ready(self._session_ready):
                return
            self._session_ready = None
            self._session_ready = self._run("prepare_session", _open_only)
            return
        self._index_ready = None
        self._index_ready = self._run("prepare_session", _build_index)

    def _still_ready(self, ready: tuple[int, float] | None) -> bool:
        return (
            ready is not None
            and self._runner.live_serial == ready[0]
            and self._clock.monotonic() < ready[1]
        )

    def find_invoice_to_write(self, key: ApInvoiceKey) -> list[ExistingInvoice]:
        """The lookup before a first write: absent when the fresh reference index does not
        hold the key (`invoice_index.fresh_for_keys`), else the exact lookup."""
        return self._run("find_invoice", lambda s: _find_to_write(s, key))

    def find_invoices_by_reference(
        self, reference: str, amount: Decimal | None
    ) -> list[ExistingInvoice]:
        return self._run(
            "find_invoices_by_reference",
            lambda s: invoice_index.current(s).lookup(reference, amount),
        )

    def look_before_write(self, key: ApInvoiceKey, reference: str, amount: Decimal) -> BeforeWrite:
        """The three lookups before a first write in one trip to the BOI thread (they are
        the session's index, and the exact lookup only where the index holds the key)."""

        def job(s: BoiSession) -> BeforeWrite:
            under_key = _find_to_write(s, key)
            index = invoice_index.current(s)
            return BeforeWrite(
                under_key=tuple(under_key),
                by_reference=tuple(index.lookup(reference, None)),
                same_amount=tuple(index.lookup(reference, amount)),
            )

        return self._run("look_before_write", job)

    def open_batch(self, description: str) -> str:
        return self._run("open_batch", lambda s: self._open_batch(s, description))

    def _open_batch(self, s: BoiSession, description: str) -> str:
        """The connector's batch: the one opened before while it is still there and free,
        else a new one (`nSelectNewBatch`). Kept across sessions of this process; after a
        restart, found again in Sage by its comment (`description`, the connector's marker)
        among the company's open A/P batches (`boi_reads.open_batches`)."""
        if not self._company(s).uses_batches:
            return ""
        bus = s.obj("AP_Invoice_bus")
        comment = description[:30]
        if self._batch is None:  # looked for once; a COM failure here looks again later
            found = boi_reads.open_batches(s, comment)
            for batch in found:  # newest first
                if return_code(bus.nSelectBatch(batch)) != 0:
                    log.info("sage_batch_found_again", batch_no=batch, comment=comment)
                    self._batch = batch
                    return batch
                log.info(
                    "sage_batch_not_reused",
                    batch_no=batch,
                    reason=last_error(bus) or "no message from Sage",
                )
            self._batch = ""
        if self._batch:
            answer = return_code(bus.nSelectBatch(self._batch))
            if answer != 0:
                return self._batch
            log.info(
                "sage_batch_not_reused",
                batch_no=self._batch,
                reason=last_error(bus) or "no message from Sage",
            )
            self._batch = ""
        answer = bus.nSelectNewBatch("", "N", comment)
        if not isinstance(answer, tuple) or len(answer) != 2:
            raise SageVerifyError(
                f"nSelectNewBatch gave {answer!r}, expected (ret, batch number)",
                operation="open_batch",
            )
        check(answer[0], bus, "nSelectNewBatch", record=f"batch '{description}'")
        batch = str(answer[1]).strip()
        self._batch = batch
        log.info("sage_batch_opened", batch_no=batch, description=description)
        return batch

    def _batch_for(self, s: BoiSession, invoice: NewApInvoice) -> NewApInvoice:
        """Where the company uses batches and none is given: the connector's batch."""
        if invoice.batch_no or not self._company(s).uses_batches:
            return invoice
        return replace(invoice, batch_no=self._open_batch(s, "ml-connector"))

    def create_invoice(self, invoice: NewApInvoice) -> WrittenInvoice:
        boi_writes.validate_invoice(invoice)
        chosen: list[NewApInvoice] = []

        def job(s: BoiSession) -> WrittenInvoice:
            effective = self._batch_for(s, invoice)
            chosen.append(effective)
            written = boi_writes.write_invoice(s, effective)
            invoice_index.note_written(s, boi_writes.written_as_existing(effective))
            return written

        record = str(invoice.key)
        try:
            written = self._retrying_locks("create_invoice", record, job)
        except InvoiceExistsError as exc:
            log.info("sage_invoice_exists", record=record, where=exc.where)
            raise
        log.info("sage_invoice_written", record=record, amount=str(invoice.amount))
        self._verify(record, chosen[-1])
        return written

    def verify_invoice(self, invoice: NewApInvoice) -> None:
        self._verify(str(invoice.key), invoice)

    def _verify(self, record: str, invoice: NewApInvoice) -> None:
        """The read-back, retried on a new session after a COM failure; a read-back that
        cannot run at all is `SageReadBackError` (the engine reads it back again later),
        never skipped."""
        last: RecordLockedError | SageSessionError | None = None
        for _ in range(_VERIFY_TRIES):
            try:
                self._retrying_locks(
                    "verify_invoice", record, lambda s: boi_verify.verify_invoice(s, invoice)
                )
                return
            except (RecordLockedError, SageSessionError) as exc:
                last = exc
                log.warning("sage_invoice_readback_retry", record=record, reason=exc.message)
        assert last is not None  # the loop ran at least once
        log.error("sage_invoice_not_verified", record=record, reason=last.message)
        raise SageReadBackError(
            f"{record} was written (nWrite answered 1) but could not be read back: {last.message}",
            operation="verify_invoice",
            record=record,
            hint="The connector reads it back again in its next cycle; it is not written again.",
        ) from last

    # ---- locks ------------------------------------------------------------------------

    def _retrying_locks(self, operation: str, record: str, job: Callable[[BoiSession], T]) -> T:
        policy = self.settings.lock_retry
        for attempt in range(policy.tries):
            try:
                return self._run(operation, job)
            except RecordLockedError as exc:
                delays = policy.delays()  # worked out on a lock only
                if attempt >= len(delays):
                    raise RecordLockedError(
                        f"{exc.message} (still in use after {policy.tries} tries over "
                        f"{policy.budget_seconds:g} s)",
                        operation=operation,
                        record=record,
                        hint="Another Sage user holds this record or batch; the next cycle "
                        "tries again. Ask users to close the record if it persists.",
                    ) from exc
                log.info(
                    "sage_record_locked_retry",
                    operation=operation,
                    record=record,
                    attempt=attempt + 1,
                    wait=round(delays[attempt], 2),
                )
                self._clock.sleep(delays[attempt])
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def _build_index(s: BoiSession) -> tuple[int, float]:
    """`prepare_session(invoice_index=True)`: the session's index, built or refreshed; the
    session's serial and the monotonic time until which neither needs anything."""
    index = invoice_index.current(s)
    serial, session_due = _open_only(s)
    return serial, min(invoice_index.index_ready_until(s, index), session_due)


def _open_only(s: BoiSession) -> tuple[int, float]:
    """`prepare_session()`: the runner opened the session (if none was open); its serial and
    the monotonic time it is due for recycling."""
    return s.serial, s.opened_at + s.settings.session_max_age_seconds


def _find_exact(s: BoiSession, key: ApInvoiceKey) -> list[ExistingInvoice]:
    """The invoice under exactly `key` in entry, open and history (`find_invoice`)."""
    found = boi_reads.find_invoice(s, key)
    boi_writes.note_lookup(s, key, found=bool(found))
    return found


def _find_to_write(s: BoiSession, key: ApInvoiceKey) -> list[ExistingInvoice]:
    """`_find_exact`, answered from the fresh index where it does not hold the key (unless
    `key_lookup_from_index` is off)."""
    if not s.settings.key_lookup_from_index or invoice_index.fresh_for_keys(s).holds_key(
        key.division_no, key.vendor_no, key.invoice_no
    ):
        return _find_exact(s, key)
    boi_writes.note_lookup(s, key, found=False)
    return []
