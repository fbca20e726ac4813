"""A short run of the webhook proof (scripts/webhook_attacks.py): forged, replayed,
oversized and malformed deliveries over real HTTP, each refused without effect."""

from __future__ import annotations

from webhook_attacks import ATTACKS, run_attacks


def test_bad_deliveries_are_refused_without_effect_and_a_genuine_one_still_works() -> None:
    result = run_attacks(6)
    assert result.effects == []
    assert result.server_errors == []
    assert result.genuine_woke == 1
    assert set(result.sent) == {*ATTACKS, "replayed (same delivery)"}
    answers = " ".join(result.answers)
    assert "forged: 401" in answers
    assert "oversized: 413" in answers
    assert "replayed (stale): 400" in answers
    assert "replayed (same delivery): 200 duplicate" in answers
