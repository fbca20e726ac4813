"""A/P Options' sales-tax flag and the Job Cost objects are found through the configurable
names with fallbacks (`BoiNames`), like the other objects: a configured name Sage does not
offer falls back to the next, and none answering means "off", never an error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from ml_connector.sage100.boi import BoiSage100
from ml_connector.sage100.errors import SageLoginError
from ml_connector.sage100.settings import BoiNames, BoiSettings
from ml_connector.sandbox.sage100 import ProvideXScript, SandboxBehaviour, init_root


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sage")
    init_root(root, seed="demo")  # A/P calculates sales tax; Job Cost jobs 40000..
    return root


@pytest.fixture
def open_sage(demo_root: Path) -> Iterator[Any]:
    opened: list[BoiSage100] = []

    def make(
        names: BoiNames, behaviour: SandboxBehaviour | None = None, **overrides: Any
    ) -> BoiSage100:
        settings = BoiSettings(
            home=str(demo_root),
            company="ABC",
            user="sandbox",
            password=SecretStr("sandbox"),
            names=names,
            **overrides,
        )
        sage = BoiSage100(settings, lambda: ProvideXScript(demo_root, behaviour=behaviour))
        opened.append(sage)
        return sage

    yield make
    for sage in opened:
        sage.close()


def test_configured_names_fall_back_to_what_sage_offers(open_sage: Any) -> None:
    sage = open_sage(
        BoiNames(
            ap_options=("AP_OptionsMaint_bus", "AP_Options_svc"),
            job_cost_jobs=("JC_JobMaint_bus", "JC_Job_svc"),
            job_cost_details=("JC_CostDetail_svc", "JC_JobCostDetail_svc"),
        )
    )
    info = sage.company()
    assert info.sales_tax_in_ap
    assert info.job_cost
    job = sage.job("40011")
    assert job is not None
    assert job.has("01-100", "M")
    names = sage.resolved_names()
    assert (names.ap_options, names.job_cost_jobs) == ("AP_Options_svc", "JC_Job_svc")


def test_job_cost_objects_sage_does_not_offer_mean_no_job_cost(open_sage: Any) -> None:
    sage = open_sage(
        BoiNames(job_cost_jobs=("JC_JobMaint_bus",), job_cost_details=("JC_CostDetail_svc",))
    )
    assert not sage.company().job_cost  # the demo has jobs, under names not configured
    with pytest.raises(SageLoginError, match=r"tried: JC_JobMaint_bus") as err:
        sage.job("40011")
    assert "names.job_cost_jobs" in (err.value.hint or "")


def test_no_ap_options_object_reads_sales_tax_as_off(open_sage: Any) -> None:
    # batch entry cannot be read either: said in the config, as a person would
    behaviour = SandboxBehaviour(refuse_objects=("AP_Options_svc",))
    sage = open_sage(BoiNames(), behaviour, uses_batches=False)
    assert not sage.company().sales_tax_in_ap
