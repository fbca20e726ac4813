"""Reads for tax, freight and Job Cost: the A/P Options sales-tax flag, whether the company
has Job Cost, and a Job Cost job with its cost codes.

Names no public source confirms (`CalcSalesTaxInAP`, `JC_Job_svc`, `JC_JobCostDetail_svc`
and their columns) are the sandbox's, documented in docs/sage-adapter.md; the column names
are in `BoiColumns`, the object names are resolved like the others (`BoiNames`:
`ap_options`, `job_cost_jobs`, `job_cost_details`; `names.py`). Every read is tolerant where
a wrong name must not stop writes that do not need it: an unreadable flag means "off", which
keeps tax and freight on distribution lines (the behaviour that needs no unconfirmed column),
and no Job Cost object answering means "no Job Cost".
"""

from __future__ import annotations

import structlog

from ml_connector.sage100.boi_reads import names_of
from ml_connector.sage100.boi_session import BoiSession
from ml_connector.sage100.errors import SageLoginError, SageRejectedError, SageVerifyError
from ml_connector.sage100.port import JOB_NO_LEN, JobCostCode, SageJob
from ml_connector.sage100.resultsets import KEY_END, equals, read_rows

log = structlog.get_logger(__name__)

_JOB_COLS = ("JobNo$", "JobDesc$", "JobStatus$")
_COST_COLS = ("JobNo$", "CostCode$", "CostType$", "CostCodeDesc$")


def sales_tax_in_ap(s: BoiSession) -> bool:
    """A/P Options: does A/P calculate sales tax (header tax and freight, vendor schedules)?"""
    names = names_of(s)
    bare = s.settings.columns.options_sales_tax
    if not names.ap_options:
        log.info("sage_sales_tax_option_unreadable", reason="no A/P Options object answered")
        return False
    if names.option_columns and bare not in names.option_columns:
        # ProvideX would read the unknown column as "" anyway: say why it is off
        log.info("sage_sales_tax_option_unreadable", reason=f"A/P Options reports no {bare}")
        return False
    column = f"{bare}$"
    try:
        rows = read_rows(
            s.obj(names.ap_options),
            (column,),
            key_column="ModuleCode$",
            source=names.ap_options,
        )
    except (SageLoginError, SageRejectedError, SageVerifyError) as exc:
        log.info("sage_sales_tax_option_unreadable", reason=exc.message)
        return False
    return bool(rows) and rows[0][column.removesuffix("$")].strip().upper() == "Y"


def has_job_cost(s: BoiSession) -> bool:
    """Job Cost is there when its job object opens and holds at least one job."""
    jobs = names_of(s).job_cost_jobs
    if not jobs:
        log.info("sage_job_cost_unavailable", reason="no Job Cost object answered")
        return False
    try:
        rows = read_rows(s.obj(jobs), ("JobNo$",), key_column="JobNo$", source=jobs)
    except (SageLoginError, SageRejectedError, SageVerifyError) as exc:
        log.info("sage_job_cost_unavailable", reason=exc.message)
        return False
    return bool(rows)


def read_job(s: BoiSession, job_no: str) -> SageJob | None:
    """The job `job_no` and its cost code + cost type pairs (None when not on file)."""
    number = job_no.strip().upper()
    if not number or len(number) > JOB_NO_LEN:
        return None
    names = names_of(s)
    job_object, cost_object = names.need("job_cost_jobs"), names.need("job_cost_details")
    jobs = read_rows(
        s.obj(job_object),
        _JOB_COLS,
        key_column="JobNo$",
        source=job_object,
        filter_expr=equals("JobNo$", number),
        begin=number,
        end=number + KEY_END,
    )
    job = next((r for r in jobs if r["JobNo"] == number), None)
    if job is None:
        return None
    costs = read_rows(
        s.obj(cost_object),
        _COST_COLS,
        key_column="JobNo$+CostCode$+CostType$",
        source=cost_object,
        filter_expr=equals("JobNo$", number),
        begin=number,
        end=number + KEY_END,
    )
    return SageJob(
        job_no=number,
        description=job["JobDesc"],
        status=job["JobStatus"] or "A",  # an unread status is left to Sage's own check
        cost_codes=tuple(
            JobCostCode(r["CostCode"], r["CostType"], r["CostCodeDesc"])
            for r in costs
            if r["JobNo"] == number
        ),
    )
