"""A short fuzz: bad ServiceTitan AP bills of every kind among valid ones, through the
sandbox, the real client and `sync --once` (the full run: scripts/fuzz_payloads.py)."""

from __future__ import annotations

import random
from pathlib import Path

from fuzz_payloads import MUTATIONS, make_records, run_fuzz


def test_every_mutation_kind_is_generated() -> None:
    kinds = {kind for _, kind, _ in make_records(400, random.Random(1))}
    assert set(MUTATIONS) <= kinds


def test_bad_bills_are_rejected_by_name_and_valid_ones_written_once(tmp_path: Path) -> None:
    result = run_fuzz(tmp_path, records=300, say=lambda _line: None)
    assert result.misses == []
    assert result.exit_codes == [0, 0]
    assert result.written_once > 100
    assert result.rejected_with_reason > 80
