"""The same engine on PostgreSQL state: a first sync, a second that writes nothing, and the
recovery of a write whose ledger commit was lost."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from engine_bills import ap_bill
from engine_world import open_world

from ml_connector.store.port import DocKind
from ml_connector.store.testing import postgres_unavailable, running_postgres
from ml_connector.sync.summary import Outcome


@pytest.mark.postgres
def test_engine_on_postgresql_state(tmp_path: Path) -> None:
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    with (
        running_postgres() as pg,
        open_world(tmp_path, state_url=pg.create_database("engine_e2e")) as world,
    ):
        world.st.upsert("ap-bills", [ap_bill(9_700_001, reference="PG-1", amount="19.99")])
        first = world.engine_with(world.crash_after_write("PG-1")).run_cycle()
        assert first.written > 0
        [crashed] = [o for o in first.outcomes if o.doc_id == 9_700_001]
        assert crashed.outcome is Outcome.RETRY
        second = world.cycle()
        [recovered] = [o for o in second.outcomes if o.doc_id == 9_700_001]
        assert recovered.outcome is Outcome.RECOVERED
        assert second.written == 1
        third = world.cycle()
        assert third.written == 0
        assert [o for o in third.outcomes if o.kind is DocKind.AP_BILL] == []
        mine = [v for k, v in world.sage_entry().items() if k[1] == "PG-1"]
        assert [amount for amount, _ in mine] == [Decimal("19.99")]
