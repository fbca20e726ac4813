"""Running the vendor step: inside the engine's cycle (`vendor_step`) or on its own
(`run_vendor_sync`, for `ml-connector vendors match`).
"""

from __future__ import annotations

from ml_connector.clock import Clock
from ml_connector.errors import Action, ConnectorError
from ml_connector.sage100.port import Sage100
from ml_connector.servicetitan.port import ServiceTitanSource
from ml_connector.store.port import PairId, StateStore
from ml_connector.sync.context import CycleContext
from ml_connector.sync.settings import SyncSettings
from ml_connector.sync.vendors.summary import VendorSyncSummary
from ml_connector.sync.vendors.two_way import VendorSync


def vendor_step(ctx: CycleContext) -> VendorSyncSummary | None:
    """The vendor step as the engine's cycle runs it: a failure that is not STOP (a module
    not licensed, ServiceTitan or Sage briefly away) is recorded, and the documents still
    run (each bill's vendor is then resolved on its own)."""
    if not ctx.settings.vendor_sync:
        return None
    try:
        return VendorSync(ctx).run()
    except ConnectorError as exc:
        if exc.action is Action.STOP:
            raise
        ctx.errors.append(f"vendors: {exc.describe()}")
        return None


def run_vendor_sync(
    pair: PairId,
    source: ServiceTitanSource,
    sage: Sage100,
    store: StateStore,
    settings: SyncSettings,
    clock: Clock,
    *,
    dry_run: bool = False,
    full: bool = False,
) -> VendorSyncSummary:
    """The vendor step on its own (CLI). A real run is kept as a run record; a dry run
    (`vendors match --preview`) writes nothing at all. `full` ignores the cursors."""
    run_id = 0
    if not dry_run:
        with store.transaction() as tx:
            run_id = tx.start_run(pair, clock.now(), dry_run=False)
    status = "failed"
    summary: VendorSyncSummary | None = None
    errors: list[str] = []
    try:
        with store.batch() as batch:
            ctx = CycleContext(
                pair=pair,
                source=source,
                sage=sage,
                store=batch,
                settings=settings,
                clock=clock,
                run_id=run_id,
                dry_run=dry_run,
                errors=errors,
            )
            summary = VendorSync(ctx, full=full).run()
        status = "completed_with_errors" if summary.errors else "completed"
        return summary
    finally:
        if not dry_run:
            with store.transaction() as tx:
                tx.finish_run(
                    run_id,
                    clock.now(),
                    status,
                    {"vendors": summary.as_dict() if summary else {}, "errors": list(errors)},
                )
