"""A short soak: `sync --once` SIGKILLed at random moments under Sage and ServiceTitan
faults, then Sage compared with a clean run (the full run: scripts/soak_kill.py)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from soak_kill import run_soak


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_syncs_under_faults_lose_double_and_adjust_nothing(tmp_path: Path) -> None:
    result = run_soak(tmp_path, kills=4, bills_per_run=5, demo_size=8, say=lambda _line: None)
    assert result.kills == 4
    assert result.written > 0
    assert result.comparison.lost == []
    assert result.comparison.doubled == []
    assert result.comparison.adjusted == []
    assert result.comparison.extra == []
    assert result.left_in_intent == 0
    assert result.unread_in_review == 0  # a read-back that could not run is done later
