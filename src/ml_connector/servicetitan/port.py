"""The ServiceTitan port: what the engine may ask of one ServiceTitan tenant.

Iterators stream page by page (memory does not grow with the number of records) and page
through everything (`hasMore`): sort order is never relied on. Lists that hide inactive
records by default are asked for `active=Any` where the method says so.

Implementation: `ServiceTitanClient` (real HTTP; the sandbox speaks the same API).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, Literal, Protocol

from ml_connector.servicetitan.errors import InvalidRecordError
from ml_connector.servicetitan.records import (
    ApBill,
    BudgetCode,
    BusinessUnit,
    ExportResult,
    GlAccount,
    Invoice,
    Job,
    JobType,
    NewStVendor,
    PricebookCategory,
    PurchaseOrder,
    Vendor,
)

BillType = Literal["Procurement", "ApBill"]
ActiveFilter = Literal["True", "False", "Any"]


class ServiceTitanSource(Protocol):
    """One ServiceTitan tenant, as the engine sees it."""

    def ap_bills(
        self,
        *,
        bill_type: BillType,
        modified_on_or_after: datetime | None = None,
        modified_before: datetime | None = None,
        ids: Iterable[int] | None = None,
    ) -> Iterator[ApBill]:
        """AP bills of one `billType` (the API defaults to Procurement: ask for each)."""
        ...

    def invoices(
        self,
        *,
        modified_on_or_after: datetime | None = None,
        modified_before: datetime | None = None,
        ids: Iterable[int] | None = None,
        statuses: Iterable[str] | None = None,
    ) -> Iterator[Invoice]: ...

    def vendors(
        self,
        *,
        modified_on_or_after: datetime | None = None,
        active: ActiveFilter = "Any",
        external_data_application_guid: str | None = None,
    ) -> Iterator[Vendor]: ...

    def vendor(
        self, vendor_id: int, *, external_data_application_guid: str | None = None
    ) -> Vendor: ...

    def create_vendor(self, vendor: NewStVendor) -> int:
        """Create a vendor; returns its id."""
        ...

    def patch_vendor(self, vendor_id: int, patch: Mapping[str, Any]) -> None:
        """PATCH with a camelCase body (`UpdateVendorRequest`)."""
        ...

    def gl_accounts(self, *, active: ActiveFilter = "Any") -> Iterator[GlAccount]: ...

    def business_units(self, *, active: ActiveFilter = "Any") -> Iterator[BusinessUnit]: ...

    def jobs(self, *, ids: Iterable[int]) -> Iterator[Job]: ...

    def job_types(self) -> Iterator[JobType]: ...

    def budget_codes(self) -> Iterator[BudgetCode]: ...

    def purchase_orders(self, *, ids: Iterable[int]) -> Iterator[PurchaseOrder]: ...

    def categories(self, *, active: ActiveFilter = "Any") -> Iterator[PricebookCategory]: ...

    def mark_ap_bills_exported(self, bill_ids: Iterable[int]) -> list[ExportResult]:
        """POST ap-bills/markasexported; the caller checks each result's `success`."""
        ...

    def mark_invoices_exported(self, items: Iterable[tuple[int, str, str]]) -> list[ExportResult]:
        """POST invoices/markasexported with (invoiceId, externalId, externalMessage)."""
        ...

    def take_invalid_records(self) -> list[InvalidRecordError]:
        """The records of lists read since the last call that did not validate (wrong
        types, nulls, absurd values), each naming its resource and id; forgotten once
        taken. The lists themselves skip them and go on."""
        ...

    def close(self) -> None: ...
