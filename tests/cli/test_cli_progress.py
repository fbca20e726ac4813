"""The progress hook behind `sync --once`'s live count: one call per document, as it happens."""

from __future__ import annotations

from cli_world import World

from ml_connector.app.runtime import open_cli_runtime
from ml_connector.sync.summary import DocumentOutcome


def test_every_document_outcome_reaches_the_progress_hook(world: World) -> None:
    seen: list[DocumentOutcome] = []
    with open_cli_runtime(world.config) as rt:
        summary = rt.pair("main").engine.run_cycle(on_outcome=seen.append)
    assert summary.written > 0
    assert seen == list(summary.outcomes)
