"""`ServiceTitanClient`: the real `ServiceTitanSource`, over HTTP to one tenant.

    client = ServiceTitanClient(
        StEnvironment.production(),
        StCredentials(tenant_id=..., client_id=..., client_secret=SecretStr(...),
                      app_key=SecretStr(...)),
    )
    for bill in client.ap_bills(bill_type="ApBill", modified_on_or_after=cursor): ...

It owns the endpoint paths and parameters of every port method; the mechanics live in
`auth` (tokens), `ratelimit` (token bucket), `retry` (policy), `transport` (one call),
`paging` (lists, export feeds, validation). Records that fail validation are skipped,
logged, and kept in `invalid_records` (see `take_invalid_records`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, TypeVar

import httpx
import structlog
from pydantic import BaseModel

from ml_connector.clock import Clock, SystemClock
from ml_connector.servicetitan.auth import PROCESS_TOKENS, Authenticator, TokenCache
from ml_connector.servicetitan.environment import (
    LocalServiceTitan,
    StCredentials,
    StEnvironment,
    local_connection,
)
from ml_connector.servicetitan.errors import (
    InvalidRecordError,
    StNotFoundError,
    WrongEnvironmentError,
)
from ml_connector.servicetitan.paging import (
    MAX_PAGE_SIZE,
    ExportFeed,
    id_chunks,
    iter_export,
    iter_pages,
    validate_one,
    validate_records,
)
from ml_connector.servicetitan.port import ActiveFilter, BillType
from ml_connector.servicetitan.ratelimit import (
    DEFAULT_BURST,
    DEFAULT_MAX_RPS,
    PROCESS_LIMITERS,
    SERVICETITAN_LIMIT_RPS,
    LimiterKey,
    LimiterRegistry,
)
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
from ml_connector.servicetitan.retry import RetryPolicy
from ml_connector.servicetitan.transport import CallStats, QueryValue, StHttp, format_instant
from ml_connector.servicetitan.writes import camel_case_body, export_results, modified_id

log = structlog.get_logger(__name__)

M = TypeVar("M", bound=BaseModel)

IDS_PER_REQUEST = 50
EXPORT_IDS_PER_REQUEST = 50
MAX_INVALID_KEPT = 1000
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=30.0, pool=10.0)

# Records per list request. The API allows 5,000; 1,000 keeps a cycle's memory flat (a
# page is parsed whole: 5,000 bills cost about 50 MB more at the peak) for one more request
# per 1,000 records.
DEFAULT_PAGE_SIZE = 1000


class ServiceTitanClient:
    """One ServiceTitan tenant over HTTP. Thread-safe; close it (or use `with`)."""

    def __init__(
        self,
        environment: StEnvironment,
        credentials: StCredentials,
        *,
        clock: Clock | None = None,
        max_rps: float = DEFAULT_MAX_RPS,
        burst: int = DEFAULT_BURST,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        limiters: LimiterRegistry | None = None,
        tokens: TokenCache | None = None,
        on_invalid: Callable[[InvalidRecordError], None] | None = None,
    ) -> None:
        if not 0 < max_rps < SERVICETITAN_LIMIT_RPS or max_rps + burst > SERVICETITAN_LIMIT_RPS:
            raise ValueError(
                f"max_rps must be above 0, and max_rps + burst at most {SERVICETITAN_LIMIT_RPS:g}"
            )
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        self.environment = environment
        self.tenant_id = credentials.tenant_id
        self.page_size = page_size
        self._clock: Clock = clock or SystemClock()
        policy = retry or RetryPolicy()
        self._http = httpx.Client(
            timeout=timeout, transport=transport, follow_redirects=False, trust_env=True
        )
        self.auth = Authenticator(
            environment,
            credentials,
            http=self._http,
            clock=self._clock,
            cache=tokens if tokens is not None else PROCESS_TOKENS,
            policy=policy,
        )
        self.limiter = (limiters if limiters is not None else PROCESS_LIMITERS).bucket(
            LimiterKey(environment.api_base, credentials.tenant_id),
            rate=max_rps,
            clock=self._clock,
            burst=burst,
        )
        self._api = StHttp(
            environment,
            credentials,
            http=self._http,
            auth=self.auth,
            limiter=self.limiter,
            clock=self._clock,
            policy=policy,
        )
        self._invalid_lock = threading.Lock()
        self.invalid_records: list[InvalidRecordError] = []
        self.invalid_count = 0
        self._on_invalid = on_invalid

    @classmethod
    def for_local(cls, server: LocalServiceTitan, **options: Any) -> ServiceTitanClient:
        """A client of a local stand-in such as the sandbox: `for_local(sb)` (token URL
        `{base_url}/connect/token`); options as for the constructor."""
        return cls(*local_connection(server), **options)

    # -- plumbing ------------------------------------------------------------------------

    @property
    def stats(self) -> CallStats:
        return self._api.stats

    def __enter__(self) -> ServiceTitanClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def take_invalid_records(self) -> list[InvalidRecordError]:
        """The invalid records seen since the last call (and forget them)."""
        with self._invalid_lock:
            taken, self.invalid_records = self.invalid_records, []
            return taken

    def _invalid(self, error: InvalidRecordError) -> None:
        log.warning(
            "servicetitan.invalid_record",
            resource=error.resource,
            record_id=error.record_id,
            problems=error.problems,
        )
        with self._invalid_lock:
            self.invalid_count += 1
            if len(self.invalid_records) < MAX_INVALID_KEPT:
                self.invalid_records.append(error)
        if self._on_invalid is not None:
            self._on_invalid(error)

    def _fetch(self, path: str, operation: str) -> Callable[[Mapping[str, QueryValue]], Any]:
        def fetch(params: Mapping[str, QueryValue]) -> Any:
            return self._api.call("GET", path, params=params, operation=operation)

        return fetch

    def _list(
        self,
        module: str,
        resource: str,
        model: type[M],
        params: Mapping[str, QueryValue],
        *,
        page_size: int | None = None,
    ) -> Iterator[M]:
        path = self._api.tenant_path(module, resource)
        operation = f"list {module} {resource}"
        pages = iter_pages(
            self._fetch(path, operation),
            params,
            operation=operation,
            page_size=page_size or self.page_size,
        )
        return validate_records(
            pages, model, resource=resource, operation=operation, on_invalid=self._invalid
        )

    def _list_by_ids(
        self,
        module: str,
        resource: str,
        model: type[M],
        ids: Iterable[int],
        params: Mapping[str, QueryValue] | None = None,
    ) -> Iterator[M]:
        """Lists filtered by `ids` (comma-separated, at most 50 per request)."""
        for chunk in id_chunks(ids, IDS_PER_REQUEST):
            query = {**(params or {}), "ids": ",".join(str(i) for i in chunk)}
            yield from self._list(module, resource, model, query, page_size=IDS_PER_REQUEST)

    def _get(self, module: str, resource: str, model: type[M], **params: QueryValue) -> M:
        path = self._api.tenant_path(module, resource)
        operation = f"get {module} {resource}"
        body = self._api.call("GET", path, params=params, operation=operation)
        record = validate_one(body, model, resource=resource.split("/")[0], operation=operation)
        if isinstance(record, InvalidRecordError):
            raise record
        return record

    @staticmethod
    def _window(after: datetime | None, before: datetime | None) -> dict[str, QueryValue]:
        return {
            "modifiedOnOrAfter": format_instant(after) if after else None,
            "modifiedBefore": format_instant(before) if before else None,
        }

    # -- accounting ----------------------------------------------------------------------

    def ap_bills(
        self,
        *,
        bill_type: BillType,
        modified_on_or_after: datetime | None = None,
        modified_before: datetime | None = None,
        ids: Iterable[int] | None = None,
    ) -> Iterator[ApBill]:
        params = {"billType": bill_type, **self._window(modified_on_or_after, modified_before)}
        if ids is not None:
            return self._list_by_ids("accounting", "ap-bills", ApBill, ids, params)
        return self._list("accounting", "ap-bills", ApBill, params)

    def invoices(
        self,
        *,
        modified_on_or_after: datetime | None = None,
        modified_before: datetime | None = None,
        ids: Iterable[int] | None = None,
        statuses: Iterable[str] | None = None,
    ) -> Iterator[Invoice]:
        params: dict[str, QueryValue] = {
            **self._window(modified_on_or_after, modified_before),
            "statuses": list(statuses) if statuses is not None else None,
        }
        if ids is not None:
            return self._list_by_ids("accounting", "invoices", Invoice, ids, params)
        return self._list("accounting", "invoices", Invoice, params)

    def export_invoices(self, *, start: str | None = None) -> ExportFeed[Invoice]:
        """The invoice export feed from `start` (a saved `continue_from`, a date such as
        "2026-01-01", or None for the beginning). Not part of the port (yet)."""
        path = self._api.tenant_path("accounting", "export/invoices")
        operation = "export accounting invoices"
        pages = iter_export(self._fetch(path, operation), {}, operation=operation, start=start)
        return ExportFeed(
            pages,
            Invoice,
            resource="invoices",
            operation=operation,
            start=start,
            on_invalid=self._invalid,
        )

    def gl_accounts(self, *, active: ActiveFilter = "Any") -> Iterator[GlAccount]:
        return self._list("accounting", "gl-accounts", GlAccount, {"active": active})

    def mark_ap_bills_exported(self, bill_ids: Iterable[int]) -> list[ExportResult]:
        path = self._api.tenant_path("accounting", "ap-bills/markasexported")
        results: list[ExportResult] = []
        for chunk in id_chunks(bill_ids, EXPORT_IDS_PER_REQUEST):
            body = self._api.call(
                "POST",
                path,
                body={"billIds": chunk},
                operation="mark AP bills exported",
            )
            results.extend(export_results(body, chunk, "billId", "mark AP bills exported"))
        return results

    def mark_invoices_exported(self, items: Iterable[tuple[int, str, str]]) -> list[ExportResult]:
        path = self._api.tenant_path("accounting", "invoices/markasexported")
        by_id = {int(i): (ext, msg) for i, ext, msg in items}
        results: list[ExportResult] = []
        for chunk in id_chunks(by_id, EXPORT_IDS_PER_REQUEST):
            body = [
                {"invoiceId": i, "externalId": by_id[i][0], "externalMessage": by_id[i][1]}
                for i in chunk
            ]
            answer = self._api.call("POST", path, body=body, operation="mark invoices exported")
            results.extend(export_results(answer, chunk, "invoiceId", "mark invoices exported"))
        return results

    # -- inventory -----------------------------------------------------------------------

    def vendors(
        self,
        *,
        modified_on_or_after: datetime | None = None,
        active: ActiveFilter = "Any",
        external_data_application_guid: str | None = None,
    ) -> Iterator[Vendor]:
        params: dict[str, QueryValue] = {
            "active": active,
            "externalDataApplicationGuid": external_data_application_guid,
            **self._window(modified_on_or_after, None),
        }
        return self._list("inventory", "vendors", Vendor, params)

    def vendor(
        self, vendor_id: int, *, external_data_application_guid: str | None = None
    ) -> Vendor:
        return self._get(
            "inventory",
            f"vendors/{int(vendor_id)}",
            Vendor,
            externalDataApplicationGuid=external_data_application_guid,
        )

    def create_vendor(self, vendor: NewStVendor) -> int:
        path = self._api.tenant_path("inventory", "vendors")
        body = vendor.model_dump(by_alias=True, exclude_none=True)
        # Every address field is required on create: "" stands for an absent one.
        body["address"] = {
            key: "" if value is None else value
            for key, value in vendor.address.model_dump(by_alias=True).items()
        }
        answer = self._api.call(
            "POST", path, body=body, operation="create vendor", idempotent=False
        )
        return modified_id(answer, "create vendor")

    def patch_vendor(self, vendor_id: int, patch: Mapping[str, Any]) -> None:
        path = self._api.tenant_path("inventory", f"vendors/{int(vendor_id)}")
        answer = self._api.call(
            "PATCH", path, body=camel_case_body(patch), operation=f"update vendor {vendor_id}"
        )
        modified_id(answer, f"update vendor {vendor_id}")

    def purchase_orders(self, *, ids: Iterable[int]) -> Iterator[PurchaseOrder]:
        return self._list_by_ids("inventory", "purchase-orders", PurchaseOrder, ids)

    # -- settings, jpm, pricebook --------------------------------------------------------

    def business_units(self, *, active: ActiveFilter = "Any") -> Iterator[BusinessUnit]:
        return self._list("settings", "business-units", BusinessUnit, {"active": active})

    def jobs(self, *, ids: Iterable[int]) -> Iterator[Job]:
        return self._list_by_ids("jpm", "jobs", Job, ids)

    def job_types(self) -> Iterator[JobType]:
        return self._list("jpm", "job-types", JobType, {"active": "Any"})

    def budget_codes(self) -> Iterator[BudgetCode]:
        return self._list("jpm", "work-breakdown-structure/budget-codes", BudgetCode, {})

    def categories(self, *, active: ActiveFilter = "Any") -> Iterator[PricebookCategory]:
        return self._list("pricebook", "categories", PricebookCategory, {"active": active})

    # -- checks --------------------------------------------------------------------------

    def check_connection(self) -> None:
        """Get a token and read one GL account: raises the error a person needs to see
        (a 404 there means the API base URL is not ServiceTitan's API)."""
        try:
            next(iter(self._list("accounting", "gl-accounts", GlAccount, {}, page_size=1)), None)
        except StNotFoundError as exc:
            raise WrongEnvironmentError(
                f"the {self.environment.name} API base {self.environment.api_base} does not "
                "serve ServiceTitan's API (404 on the GL account list)",
                status=404,
                url=exc.url,
                operation="check ServiceTitan connection",
                trace_id=exc.trace_id,
                hint="check the environment (production or integration) and the API base URL",
            ) from exc
