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
from ml_connector.sage100 import boi_reads, boi_vendor_edit, boi_writes, invoice_index
from ml_connector.sage100.boi_calls import check
from ml_connector.sage100.boi_session import (
    BoiSession,
    ScriptFactory,
    acquire_runner,
    release_runner,
)
from ml_connector.sage100.changestamp import changed_since_filter, is_at_or_after, parse_sage_date
from ml_connector.sage100.columns import discover_columns
from ml_connector.sage100.errors import (
    InvoiceExistsError,
    RecordLockedError,
    SageSessionError,
    SageVerifyError,
)
from ml_connector.sage100.port import (
    AccountFormat,
    ApDivision,
    ApInvoiceKey,
    ChangeStamp,
    CompanyInfo,
    DivisionNo,
    ExistingInvoice,
    GlAccount,
    HealthReport,
    NewApInvoice,
    NewVendor,
    SageVendor,
    SageVendorNo,
    VendorChanges,
    WrittenInvoice,
)
from ml_connector.sage100.resultsets import KEY_END, all_of, equals
from ml_connector.sage100.settings import BoiSettings

log = structlog.get_logger(__name__)

T = TypeVar("T")


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
        self._columns_checked = not settings.discover_columns
        self._column_notes: list[tuple[str, str]] = []

    # ---- session -----------------------------------------------------------------------

    def _run(self, operation: str, job: Callable[[BoiSession], T]) -> T:
        return self._runner.run(operation, self.settings, lambda s: job(self._prepared(s)))

    def _prepared(self, s: BoiSession) -> BoiSession:
        """Check the column names once per process (a failure costs one call, not all)."""
        if not self._columns_checked:
            self._columns_checked = True
            columns, notes = discover_columns(s)
            self.settings = self.settings.model_copy(update={"columns": columns})
            self._column_notes = notes or [("columns", "all confirmed by sGetColumns")]
        if s.settings is not self.settings:
            s.settings = self.settings
        return s

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
            checks = [*s.checks, *self._column_notes]
            checks.append(("division", f"AP division {self.settings.division} on file"))
            return HealthReport(info, self.settings.user, tuple(checks))

        return self._run("ping", job)

    # ---- reference data ---------------------------------------------------------------

    def company(self) -> CompanyInfo:
        return self._run("company", self._company)

    def _company(self, s: BoiSession) -> CompanyInfo:
        cached: CompanyInfo | None = s.cache.get("company")
        if cached is not None:
            return cached
        batches, divisions = boi_reads.ap_options(s)
        if self.settings.uses_batches is not None:
            batches = self.settings.uses_batches
        info = CompanyInfo(
            code=self.settings.company,
            name=boi_reads.company_name(s),
            ap_module_date=parse_sage_date(s.module_date),
            uses_batches=batches,
            divisions_enabled=divisions,
        )
        s.cache["company"] = info
        return info

    def account_format(self) -> AccountFormat:
        return self._run("account_format", boi_reads.account_format)

    def gl_accounts(self) -> list[GlAccount]:
        return self._run("gl_accounts", boi_reads.gl_accounts)

    def divisions(self) -> list[ApDivision]:
        return self._run("divisions", boi_reads.divisions)

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
        number = vendor_no.strip().upper()
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
        record = f"vendor {division_no}-{vendor_no.strip().upper()}"
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
        return self._run("find_invoice", lambda s: boi_reads.find_invoice(s, key))

    def find_invoices_by_reference(
        self, reference: str, amount: Decimal | None
    ) -> list[ExistingInvoice]:
        return self._run(
            "find_invoices_by_reference",
            lambda s: invoice_index.current(s).lookup(reference, amount),
        )

    def open_batch(self, description: str) -> str:
        return self._run("open_batch", lambda s: self._open_batch(s, description))

    def _open_batch(self, s: BoiSession, description: str) -> str:
        if not self._company(s).uses_batches:
            return ""
        bus = s.obj("AP_Invoice_bus")
        answer = bus.nSelectNewBatch("", "N", description[:30])
        if not isinstance(answer, tuple) or len(answer) != 2:
            raise SageVerifyError(
                f"nSelectNewBatch gave {answer!r}, expected (ret, batch number)",
                operation="open_batch",
            )
        check(answer[0], bus, "nSelectNewBatch", record=f"batch '{description}'")
        batch = str(answer[1]).strip()
        log.info("sage_batch_opened", batch_no=batch, description=description)
        return batch

    def _batch_for(self, s: BoiSession, invoice: NewApInvoice) -> NewApInvoice:
        """Where the company uses batches and none is given: one batch per session."""
        if invoice.batch_no or not self._company(s).uses_batches:
            return invoice
        batch: str | None = s.cache.get("auto_batch")
        if batch is None:
            batch = self._open_batch(s, "ml-connector")
            s.cache["auto_batch"] = batch
        return replace(invoice, batch_no=batch)

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
        try:
            self._retrying_locks(
                "verify_invoice", record, lambda s: boi_writes.verify_invoice(s, chosen[-1])
            )
        except (RecordLockedError, SageSessionError) as exc:
            # Written (nWrite answered 1), but the read-back could not run: not a mismatch.
            log.error("sage_invoice_not_verified", record=record, reason=exc.message)
        return written

    # ---- locks ------------------------------------------------------------------------

    def _retrying_locks(self, operation: str, record: str, job: Callable[[BoiSession], T]) -> T:
        policy = self.settings.lock_retry
        delays = policy.delays()
        for attempt in range(policy.tries):
            try:
                return self._run(operation, job)
            except RecordLockedError as exc:
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
