"""Every `ServiceTitanSource` method against the sandbox, money exact end to end."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from st_client_support import SandboxAdmin, client_for

from ml_connector.servicetitan.auth import TokenCache
from ml_connector.servicetitan.client import ServiceTitanClient
from ml_connector.servicetitan.port import ServiceTitanSource
from ml_connector.servicetitan.records import Address, NewStVendor


def _port(client: ServiceTitanSource) -> ServiceTitanSource:
    return client  # mypy checks that the client implements the port


def test_client_implements_the_port(sandbox: Any) -> None:
    with ServiceTitanClient.for_local(sandbox, tokens=TokenCache()) as client:
        assert _port(client) is client
        assert client.environment.auth_url == sandbox.base_url + "/connect/token"
        assert client.tenant_id == sandbox.tenant_id
        client.check_connection()


def test_reference_data(sandbox: Any) -> None:
    with client_for(sandbox) as client:
        gl = list(client.gl_accounts())
        units = list(client.business_units())
        types = list(client.job_types())
        codes = list(client.budget_codes())
        cats = list(client.categories())
        active_vendors = list(client.vendors(active="True"))
        all_vendors = list(client.vendors())
    assert gl
    assert all(a.number for a in gl)
    assert units
    assert types
    assert codes
    assert cats
    assert len(all_vendors) > len(active_vendors)  # active=Any shows the inactive ones
    assert any(v.active is False for v in all_vendors)


def test_jobs_and_purchase_orders_by_ids_are_chunked(sandbox: Any) -> None:
    with client_for(sandbox) as client:
        bills = list(client.ap_bills(bill_type="Procurement"))
        job_ids = sorted({b.job_id for b in bills if b.job_id})
        po_ids = sorted({b.purchase_order_id for b in bills if b.purchase_order_id})
        before = sandbox.stats()["requests"]
        jobs = list(client.jobs(ids=job_ids + job_ids[:5]))  # repeats are asked once
        after_jobs = sandbox.stats()["requests"]
        orders = list(client.purchase_orders(ids=po_ids))
    assert sorted(j.id for j in jobs) == job_ids
    assert after_jobs - before == -(-len(job_ids) // 50)
    assert {o.id for o in orders} == set(po_ids)
    assert all(isinstance(o.total, Decimal) for o in orders)


def test_ap_bills_by_modified_window_and_ids(sandbox: Any) -> None:
    with client_for(sandbox) as client:
        bills = list(client.ap_bills(bill_type="ApBill"))
        stamps = sorted(b.modified_on for b in bills if b.modified_on)
        middle = stamps[len(stamps) // 2]
        later = list(client.ap_bills(bill_type="ApBill", modified_on_or_after=middle))
        earlier = list(client.ap_bills(bill_type="ApBill", modified_before=middle))
        some = [b.id for b in bills[:3]]
        by_id = list(client.ap_bills(bill_type="ApBill", ids=some))
    assert {b.id for b in later} | {b.id for b in earlier} == {b.id for b in bills}
    assert not {b.id for b in later} & {b.id for b in earlier}
    assert all(b.modified_on and b.modified_on >= middle for b in later)
    assert sorted(b.id for b in by_id) == sorted(some)


def test_money_round_trips_as_decimal(sandbox: Any) -> None:
    admin = SandboxAdmin(sandbox.base_url)
    admin.upsert(
        "ap-bills",
        [
            {
                "id": 990_001,
                "billType": "ApBill",
                "syncStatus": "Posted",
                "billAmount": "1234.56",
                "taxAmount": "0.10",
                "shippingAmount": "0.07",
                "expenseItems": [
                    {"id": 1, "amount": "1234.39"},
                    {"id": 2, "amount": "0.01"},
                ],
                "items": [{"id": 3, "quantity": "3", "cost": "0.10"}],
            }
        ],
    )
    with client_for(sandbox) as client:
        (bill,) = client.ap_bills(bill_type="ApBill", ids=[990_001])
    assert bill.bill_amount == Decimal("1234.56")
    assert str(bill.tax_amount) == "0.10"
    assert str(bill.shipping_amount) == "0.07"
    assert sum(e.amount or 0 for e in bill.expense_items) == Decimal("1234.40")
    assert bill.items[0].cost == Decimal("0.10")
    assert bill.items[0].quantity == Decimal("3")


def test_invalid_record_is_skipped_and_the_stream_goes_on(sandbox: Any) -> None:
    SandboxAdmin(sandbox.base_url).upsert(
        "ap-bills", [{"id": 990_002, "billType": "ApBill", "billAmount": "twelve"}]
    )
    with client_for(sandbox) as client:
        ids = [b.id for b in client.ap_bills(bill_type="ApBill")]
        invalid = client.take_invalid_records()
    assert 990_002 not in ids
    assert len(ids) > 10
    assert [e.record_id for e in invalid] == [990_002]
    assert invalid[0].record == "ap-bills 990002"


def test_vendor_create_get_patch(sandbox: Any) -> None:
    new = NewStVendor(
        name="Acme Plumbing Supply",
        tax_rate=Decimal("0.0825"),
        address=Address(street="1 Main St", unit="", city="Austin", state="TX", zip="78701"),
        memo="from Sage",
    )
    with client_for(sandbox) as client:
        vendor_id = client.create_vendor(new)
        created = client.vendor(vendor_id)
        client.patch_vendor(vendor_id, {"name": "Acme Plumbing Supply Co", "active": False})
        patched = client.vendor(vendor_id)
        listed = {v.id for v in client.vendors(active="False")}
    assert created.name == "Acme Plumbing Supply"
    assert created.address is not None
    assert created.address.city == "Austin"
    assert patched.name == "Acme Plumbing Supply Co"
    assert patched.active is False
    assert vendor_id in listed


def test_mark_ap_bills_exported_checks_each_item(sandbox: Any) -> None:
    with client_for(sandbox) as client:
        bills = [b for b in client.ap_bills(bill_type="ApBill") if b.sync_status == "Posted"]
        ids = [b.id for b in bills[:3]]
        results = client.mark_ap_bills_exported([*ids, 987_654_321])
        after = {b.id: b.sync_status for b in client.ap_bills(bill_type="ApBill", ids=ids)}
    by_id = {r.id: r for r in results}
    assert all(by_id[i].success for i in ids)
    assert by_id[987_654_321].success is False
    assert by_id[987_654_321].error_message
    assert set(after.values()) <= {"Exported", "PostedAndExported"}


def test_invoices_list_and_mark_exported(sandbox: Any) -> None:
    with client_for(sandbox) as client:
        invoices = list(client.invoices())
        posted = list(client.invoices(statuses=["Posted"]))
        target = posted[0]
        results = client.mark_invoices_exported(
            [(target.id, "AP-000123", "Sage 100 invoice 000123"), (987_654_321, "X", "")]
        )
        (again,) = client.invoices(ids=[target.id])
        window = list(
            client.invoices(modified_on_or_after=again.modified_on - timedelta(microseconds=1))
            if again.modified_on
            else []
        )
    assert invoices
    assert all(i.sync_status == "Posted" for i in posted)
    assert [(r.id, r.success) for r in results] == [(target.id, True), (987_654_321, False)]
    assert again.sync_status == "Exported"
    assert target.id in {i.id for i in window}


def test_export_feed_resumes_from_its_cursor(sandbox: Any) -> None:
    with client_for(sandbox) as client:
        feed = client.export_invoices()
        first = [i.id for i in feed]
        assert feed.caught_up
        cursor = feed.continue_from
        assert cursor
        invoice = first[0]
        SandboxAdmin(sandbox.base_url).upsert("invoices", [{"id": invoice, "summary": "changed"}])
        resumed = client.export_invoices(start=cursor)
        again = [i.id for i in resumed]
    assert len(first) == len(set(first))
    assert again == [invoice]
