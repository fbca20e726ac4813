"""Runtime status and metrics."""

from __future__ import annotations

from datetime import UTC, datetime

from ml_connector.app.web.health import RuntimeStatus


def test_status_turns_degraded_when_a_pair_is_down_and_recovers() -> None:
    status = RuntimeStatus(["main", "north"])
    at = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert status.healthy()
    status.record_cycle("main", "ok", at, counts={"written": 3, "sent_to_review": 1})
    status.record_cycle("north", "down", at, error="Sage 100 unreachable")
    status.record_cycle("north", "down", at, error="Sage 100 unreachable")
    body = status.as_json()
    assert body["status"] == "degraded"
    assert body["pairs"]["north"]["consecutive_failures"] == 2
    assert body["pairs"]["main"]["counts"] == {"written": 3, "sent_to_review": 1}
    status.record_cycle("north", "ok", at)
    assert status.healthy()


def test_metrics_count_cycles_and_documents() -> None:
    status = RuntimeStatus(["main"])
    at = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    status.record_cycle("main", "ok", at, counts={"written": 3})
    status.record_cycle("main", "ok", at, counts={"written": 2, "already_in_sage": 1})
    text = status.metrics_text().decode()
    assert 'mlc_documents_total{outcome="written",pair="main"} 5.0' in text
    assert 'mlc_cycles_total{outcome="ok",pair="main"} 2.0' in text
    assert 'mlc_pair_up{pair="main"} 1.0' in text
