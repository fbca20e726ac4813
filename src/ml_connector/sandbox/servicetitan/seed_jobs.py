"""The demo tenant's jobs (JPM), and what bills and invoices need to know of them.

Job `k` is a pure function of `k`: bills and invoices refer to jobs by index without holding
them in memory (a 100,000-bill seed has 25,000 jobs).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from ml_connector.sandbox.servicetitan.seed import BUSINESS_UNITS, JOB_TYPES, SEED_START
from ml_connector.sandbox.servicetitan.store import format_instant

JOB_ID_BASE = 1_000_000
INVOICE_ID_BASE = 4_000_000
SPAN = timedelta(days=180)


def job_count(size: int) -> int:
    return min(max(40, size // 4), 25_000)


def business_unit_ref(unit_id: int) -> dict[str, Any]:
    for bid, name, *_ in BUSINESS_UNITS:
        if bid == unit_id:
            return {"id": bid, "name": name}
    raise KeyError(unit_id)


def business_unit_code(unit_id: int) -> str:
    return next(b[2] for b in BUSINESS_UNITS if b[0] == unit_id)


def job_ref(k: int) -> dict[str, Any]:
    """What a bill needs of job `k`: id, number, business unit (cheap, no random draws)."""
    type_id, _name, units, _active = JOB_TYPES[k % (len(JOB_TYPES) - 1)]
    return {
        "id": JOB_ID_BASE + k,
        "jobNumber": str(40_000 + k),
        "businessUnitId": units[k % len(units)],
        "jobTypeId": type_id,
    }


def job_record(k: int) -> dict[str, Any]:
    """Job `k` (pure function of k, so bills can refer to it without holding jobs)."""
    rng = random.Random(f"job:{k}")  # noqa: S311 - demo data, not secrets
    ref = job_ref(k)
    type_id, unit_id = ref["jobTypeId"], ref["businessUnitId"]
    created = SEED_START + SPAN * k / max(1, 25_000) + timedelta(minutes=rng.randint(0, 600))
    status = "Completed" if k % 7 else rng.choice(["Scheduled", "InProgress", "Hold", "Canceled"])
    return {
        "id": JOB_ID_BASE + k,
        "jobNumber": str(40_000 + k),
        "projectId": None,
        "customerId": 5_000_000 + (k * 7919) % 20_000,
        "locationId": 6_000_000 + k,
        "jobStatus": status,
        "completedOn": format_instant(created + timedelta(days=1))
        if status == "Completed"
        else None,
        "businessUnitId": unit_id,
        "jobTypeId": type_id,
        "priority": "Normal",
        "campaignId": 81,
        "appointmentCount": 1,
        "firstAppointmentId": 7_000_000 + k,
        "lastAppointmentId": 7_000_000 + k,
        "recallForId": None,
        "warrantyId": None,
        "jobGeneratedLeadSource": None,
        "noCharge": False,
        "notificationsEnabled": True,
        "createdOn": format_instant(created),
        "createdById": 11,
        "modifiedOn": format_instant(created + timedelta(days=2)),
        "tagTypeIds": [],
        "leadCallId": None,
        "partnerLeadCallId": None,
        "bookingId": None,
        "soldById": None,
        "customerPo": "",
        "invoiceId": INVOICE_ID_BASE + k,
        "membershipId": None,
        "total": None,
        "createdFromEstimateId": None,
        "estimateIds": [],
        "summary": None,
        "customFields": [],
        "externalData": [],
    }


def demo_jobs(size: int) -> Iterator[dict[str, Any]]:
    for k in range(job_count(size)):
        yield job_record(k)
