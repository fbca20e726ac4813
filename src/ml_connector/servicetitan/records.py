"""Typed ServiceTitan records, parsed at the edge from the API's JSON.

Field names follow the official OpenAPI documents (camelCase on the wire, snake_case here).
Live data does not follow the spec's nullability, so every field but `id` may be null and
unknown fields are ignored. Money arrives as decimal strings on bills and invoices (numbers
on purchase orders): both become `Decimal`, floats never. Date-only fields (`billDate`,
`dueDate`, `invoiceDate`) arrive as midnight UTC and become calendar `date`s; timestamps
(`createdOn`, `modifiedOn`) become UTC-aware datetimes.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, NewType

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

from ml_connector.money import to_money

StVendorId = NewType("StVendorId", int)
StBillId = NewType("StBillId", int)
StInvoiceId = NewType("StInvoiceId", int)
TenantId = NewType("TenantId", int)


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:$|T)")


def _money(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        # JSON numbers must be parsed with parse_float=Decimal; a float here lost precision.
        raise ValueError("money arrived as a float; parse JSON with parse_float=Decimal")
    return to_money(value)


def _calendar_date(value: Any) -> date | None:
    """'2024-03-01T00:00:00Z' / '2024-03-01T00:00:00' / '2024-03-01' -> date(2024, 3, 1)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        # 20260301 (a number) or "yesterday" is no date, even where fromisoformat would
        # read one: ServiceTitan sends "YYYY-MM-DDT00:00:00Z"
        raise ValueError(f"not an ISO date: {str(value)[:40]!r}")
    return date.fromisoformat(value[:10])


def _timestamp(value: Any) -> datetime | None:
    """ISO timestamps as UTC-aware datetimes; a missing offset means UTC (ServiceTitan's)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        text = str(value).replace("Z", "+00:00")
        dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _exact(value: Any) -> Decimal | None:
    """A quantity or unit cost: exact, never rounded (a unit cost may carry 3+ decimals)."""
    if value is None or value == "":
        return None
    if isinstance(value, float | bool):
        raise ValueError("a quantity or unit cost arrived as a float; parse JSON with Decimal")
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError as exc:
        raise ValueError(f"not a number: {value!r}") from exc
    if not number.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return number


# ServiceTitan ids are positive 64-bit integers; a larger one is junk that would overflow
# the state database's BIGINT (and stop a cycle) instead of failing this one record
StId = Annotated[int, Field(ge=0, le=2**63 - 1)]
Money = Annotated[Decimal | None, BeforeValidator(_money)]
Exact = Annotated[Decimal | None, BeforeValidator(_exact)]
CalendarDate = Annotated[date | None, BeforeValidator(_calendar_date)]
Timestamp = Annotated[datetime | None, BeforeValidator(_timestamp)]


class StRecord(BaseModel):
    """Base of every record: camelCase aliases, unknown fields ignored, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )


class NamedRef(StRecord):
    id: StId | None = None
    name: str | None = None


class BatchRef(StRecord):
    id: StId | None = None
    number: str | None = None
    name: str | None = None


class Address(StRecord):
    street: str | None = None
    unit: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None


class GlAccountRef(StRecord):
    """The short GL reference embedded in bill and invoice lines."""

    id: StId | None = None
    name: str | None = None
    number: str | None = None
    type: str | None = None
    detail_type: str | None = None


class CustomField(StRecord):
    name: str | None = None
    value: str | None = None


class ExternalDataItem(StRecord):
    key: str | None = None
    value: str | None = None


class ApBillItem(StRecord):
    """A material or equipment line; its amount is quantity x unit cost, rounded to cents
    once (the unit cost itself is kept exact)."""

    id: StId
    order: int | None = None
    name: str | None = None
    description: str | None = None
    quantity: Exact = None
    cost: Exact = None
    vendor_part_number: str | None = None
    general_ledger_account: GlAccountRef | None = None
    cost_of_sale_account: GlAccountRef | None = None
    asset_account: GlAccountRef | None = None
    sku_id: int | None = None
    sku_type: str | None = None
    sku_code: str | None = None
    budget_code_id: int | None = None


class ApBillExpenseItem(StRecord):
    """A non-inventory GL line."""

    id: StId
    amount: Money = None
    description: str | None = None
    general_ledger_account: GlAccountRef | None = None
    job: NamedRef | None = None
    business_unit: NamedRef | None = None
    budget_code_id: int | None = None


class ApBill(StRecord):
    """`ApBillResponse`: a vendor bill (billType Procurement, from a PO, or ApBill)."""

    id: StId
    purchase_order_id: int | None = None
    sync_status: str | None = None
    status: str | None = None  # Unreconciled / Reconciled / Discrepancy / Canceled
    source: str | None = None
    bill_type: str | None = None  # Procurement / ApBill
    reference_number: str | None = None  # the vendor's invoice number as entered
    vendor_number: str | None = None
    summary: str | None = None
    bill_date: CalendarDate = None
    post_date: CalendarDate = None
    due_date: CalendarDate = None
    date_canceled: Timestamp = None
    created_on: Timestamp = None
    modified_on: Timestamp = None
    bill_amount: Money = None
    vendor_invoice_total: Money = None
    tax_amount: Money = None
    shipping_amount: Money = None
    term_name: str | None = None
    do_not_pay: bool | None = None
    business_unit: NamedRef | None = None
    vendor: NamedRef | None = None
    remittance_vendor_info: NamedRef | None = None
    batch: BatchRef | None = None
    budget_code_id: int | None = None
    job_id: int | None = None
    job_number: str | None = None
    items: list[ApBillItem] = Field(default_factory=list)
    expense_items: list[ApBillExpenseItem] = Field(default_factory=list)
    custom_fields: list[CustomField] = Field(default_factory=list)


class JobRef(StRecord):
    id: StId | None = None
    number: str | None = None
    type: str | None = None


class InvoiceItem(StRecord):
    id: StId
    order: int | None = None
    type: str | None = None  # Service / Material / Equipment / PriceModifier / Unspecified
    sku_id: int | None = None
    sku_name: str | None = None
    display_name: str | None = None
    description: str | None = None
    quantity: Exact = None
    cost: Exact = None  # unit cost
    total_cost: Money = None
    price: Exact = None  # unit price
    total: Money = None
    general_ledger_account: GlAccountRef | None = None
    cost_of_sale_account: GlAccountRef | None = None
    business_unit: NamedRef | None = None
    budget_code_id: int | None = None
    item_group: dict[str, Any] | None = None
    modified_on: Timestamp = None


class Invoice(StRecord):
    """`InvoiceResponse` (list and export)."""

    id: StId
    sync_status: str | None = None
    reference_number: str | None = None
    invoice_date: CalendarDate = None
    due_date: CalendarDate = None
    sub_total: Money = None
    sales_tax: Money = None
    total: Money = None
    balance: Money = None
    invoice_type: NamedRef | None = None
    customer: NamedRef | None = None
    location: NamedRef | None = None
    business_unit: NamedRef | None = None
    term_name: str | None = None
    created_by: str | None = None
    batch: BatchRef | None = None
    job: JobRef | None = None
    budget_code_id: int | None = None
    summary: str | None = None
    active: bool | None = None
    export_id: str | None = None
    invoice_configuration: str | None = None
    created_on: Timestamp = None
    modified_on: Timestamp = None
    items: list[InvoiceItem] = Field(default_factory=list)
    custom_fields: list[CustomField] = Field(default_factory=list)


class ContactInfo(StRecord):
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    email: str | None = None
    fax: str | None = None


class Vendor(StRecord):
    """`VendorResponse` (inventory). It has no vendor number: ours lives in `external_data`."""

    id: StId
    name: str | None = None
    active: bool | None = None
    memo: str | None = None
    delivery_option: str | None = None
    default_tax_rate: Decimal | None = None
    contact_info: ContactInfo | None = None
    address: Address | None = None
    created_on: Timestamp = None
    modified_on: Timestamp = None
    external_data: list[ExternalDataItem] | None = None

    def external_value(self, key: str) -> str | None:
        for item in self.external_data or []:
            if item.key == key:
                return item.value
        return None


class GlAccount(StRecord):
    """`GlAccountExtendedResponse`."""

    id: StId
    name: str | None = None
    number: str | None = None
    description: str | None = None
    type: str | None = None
    subtype: str | None = None
    active: bool | None = None
    source: str | None = None
    default_account_type: str | None = None
    created_on: Timestamp = None
    modified_on: Timestamp = None


class BusinessUnit(StRecord):
    id: StId
    name: str | None = None
    official_name: str | None = None
    active: bool | None = None
    account_code: str | None = None
    quickbooks_class: str | None = None
    trade: NamedRef | None = None
    division: NamedRef | None = None
    modified_on: Timestamp = None


class Job(StRecord):
    id: StId
    job_number: str | None = None
    project_id: int | None = None
    job_status: str | None = None
    business_unit_id: int | None = None
    job_type_id: int | None = None
    customer_id: int | None = None
    location_id: int | None = None
    modified_on: Timestamp = None


class JobType(StRecord):
    id: StId
    name: str | None = None
    active: bool | None = None


class BudgetCodeSegment(StRecord):
    segment_id: int | None = None
    segment_item_id: int | None = None
    code: str | None = None
    description: str | None = None
    path: str | None = None


class BudgetCode(StRecord):
    """`BudgetCodeModel` (JPM work breakdown structure): the cost code."""

    id: StId
    code: str | None = None
    description: str | None = None
    segments: list[BudgetCodeSegment] = Field(default_factory=list)


class PurchaseOrderItem(StRecord):
    id: StId
    sku_id: int | None = None
    sku_name: str | None = None
    sku_code: str | None = None
    description: str | None = None
    quantity: Exact = None
    cost: Exact = None  # unit cost
    total: Money = None
    budget_code_id: int | None = None


class PurchaseOrder(StRecord):
    id: StId
    number: str | None = None
    job_id: int | None = None
    status: str | None = None
    vendor_id: int | None = None
    business_unit_id: int | None = None
    budget_code_id: int | None = None
    vendor_document_number: str | None = None
    date: Timestamp = None
    total: Money = None
    tax: Money = None
    shipping: Money = None
    modified_on: Timestamp = None
    items: list[PurchaseOrderItem] = Field(default_factory=list)


class PricebookCategory(StRecord):
    id: StId
    name: str | None = None
    active: bool | None = None
    parent_id: int | None = None
    category_type: str | None = None


class ExportResult(StRecord):
    """One element of a mark-as-exported response; `id` is billId or invoiceId."""

    id: StId
    success: bool
    error_message: str | None = None


class NewStVendor(StRecord):
    """Body of POST /inventory/v2/tenant/{t}/vendors (`CreateVendorRequest`)."""

    name: str
    active: bool = True
    is_truck_replenishment: bool = False
    tax_rate: Decimal = Decimal("0")
    restricted_mobile_creation: bool = False
    address: Address = Field(default_factory=Address)
    memo: str | None = None
    phone: str | None = None
    email: str | None = None
    external_data: dict[str, Any] | None = None  # {applicationGuid, externalData:[{key,value}]}
