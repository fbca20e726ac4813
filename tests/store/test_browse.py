"""The web app's queries (`store.browse()`) on SQLite and PostgreSQL: users, bills found
by id / reference / vendor / amount / date with true totals over pages, a bill's history,
runs and audit pages with filters."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from ml_connector.clock import ManualClock
from ml_connector.store.browse import AuditFilter, BillFilter, Role, User, WebSession
from ml_connector.store.errors import StoreNotFoundError, UserExistsError
from ml_connector.store.port import (
    AuditEvent,
    DocKind,
    GlOverride,
    LedgerEntry,
    LedgerStatus,
    PairId,
    SageKeyRef,
)
from ml_connector.store.sql import SqlStateStore

MAIN = PairId("main")
T0 = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)


def _fill(store: SqlStateStore, n: int = 120) -> None:
    with store.transaction() as tx:
        for i in range(n):
            tx.put_ledger(
                LedgerEntry(
                    pair=MAIN,
                    kind=DocKind.AP_BILL,
                    doc_id=1000 + i,
                    fingerprint=f"f{i}",
                    status=LedgerStatus.WRITTEN if i % 3 else LedgerStatus.REVIEW,
                    sage_key=SageKeyRef("00", "FERGUS" if i % 2 else "GRAINGE", f"INV{i}"),
                    amount=Decimal("10.00") + i,
                    reference=f"REF_{i}%",
                    vendor_name="Ferguson Enterprises" if i % 2 else "W.W. Grainger, Inc.",
                    document_date=date(2026, 1, 1) + timedelta(days=i % 30),
                    updated_at=T0 + timedelta(minutes=i),
                )
            )
            tx.append_audit(
                AuditEvent(
                    at=T0 + timedelta(minutes=i),
                    pair=MAIN,
                    action="written" if i % 3 else "sent_to_review",
                    actor="ml-connector" if i % 5 else "maria",
                    doc_kind=DocKind.AP_BILL,
                    doc_id=1000 + i,
                    message=f"bill {1000 + i} ref REF_{i}%",
                )
            )


def test_users_are_unique_case_insensitive_and_updatable(
    store: SqlStateStore, clock: ManualClock
) -> None:
    with store.browse() as browse:
        browse.add_user(User("Maria", "scrypt$x", Role.CLERK, created_at=T0, created_by="it"))
    with pytest.raises(UserExistsError), store.browse() as browse:
        browse.add_user(User("MARIA", "scrypt$y", Role.ADMIN, created_at=T0))
    with store.browse() as browse:
        browse.update_user("maria", T0, role=Role.ADMIN, active=False)
        browse.record_login("maria", T0 + timedelta(hours=1))
        user = browse.get_user(" Maria ")
        assert [u.username for u in browse.list_users()] == ["maria"]
    assert user is not None
    assert (user.role, user.active, user.password_hash) == (Role.ADMIN, False, "scrypt$x")
    assert user.last_login_at == T0 + timedelta(hours=1)
    with pytest.raises(StoreNotFoundError), store.browse() as browse:
        browse.update_user("nobody", T0, active=False)


def test_bills_are_found_and_paged_with_true_totals(store: SqlStateStore) -> None:
    _fill(store)
    with store.browse() as browse:
        everything = browse.bills(BillFilter(), offset=0, limit=50)
        assert (everything.total, len(everything.items)) == (120, 50)
        assert everything.items[0].doc_id == 1119  # newest change first
        last = browse.bills(BillFilter(), offset=100, limit=50)
        assert (len(last.items), last.first, last.last) == (20, 101, 120)
        by_id = browse.bills(BillFilter(text="1007"), offset=0, limit=50)
        assert [e.doc_id for e in by_id.items] == [1007]
        # "%" and "_" in a search are literal characters, not wildcards
        literal = browse.bills(BillFilter(text="ref_11%"), offset=0, limit=50)
        assert {e.reference for e in literal.items} == {"REF_11%"}
        grainger = browse.bills(BillFilter(text="grainger"), offset=0, limit=10)
        assert grainger.total == 60
        assert all(e.vendor_name.startswith("W.W.") for e in grainger.items)
        by_amount = browse.bills(BillFilter(amount=Decimal("15.00")), offset=0, limit=10)
        assert [e.doc_id for e in by_amount.items] == [1005]
        by_date = browse.bills(
            BillFilter(date_from=date(2026, 1, 2), date_to=date(2026, 1, 2)), offset=0, limit=50
        )
        assert {e.doc_id for e in by_date.items} == {1001, 1031, 1061, 1091}
        in_review = browse.bills(BillFilter(status=LedgerStatus.REVIEW), offset=0, limit=5)
        counts = browse.ledger_counts(MAIN)
        assert in_review.total == counts[LedgerStatus.REVIEW] == 40
        assert counts[LedgerStatus.WRITTEN] == 80
        found = browse.ledger_for([(MAIN, DocKind.AP_BILL, 1003), (MAIN, DocKind.AP_BILL, 9)])
        assert list(found) == [(MAIN, DocKind.AP_BILL, 1003)]


def test_audit_pages_filters_and_a_bills_history(store: SqlStateStore) -> None:
    _fill(store)
    with store.browse() as browse:
        page = browse.audit(AuditFilter(action="sent_to_review"), offset=0, limit=10)
        assert page.total == 40
        assert page.items[0].doc_id == 1117  # newest first
        mine = browse.audit(AuditFilter(actor="MAR"), offset=0, limit=100)
        assert mine.total == 24
        window = AuditFilter(since=T0 + timedelta(minutes=10), until=T0 + timedelta(minutes=20))
        assert browse.audit(window, offset=0, limit=100).total == 10
        assert len(list(browse.iter_audit_matching(window))) == 10
        history = browse.audit(
            AuditFilter(pair=MAIN, doc_kind=DocKind.AP_BILL, doc_id=1004), offset=0, limit=10
        )
        assert [e.action for e in history.items] == ["written"]
        assert browse.audit(AuditFilter(text="ref_1%"), offset=0, limit=1).total == 1
        assert browse.audit_actions() == ["sent_to_review", "written"]


def test_runs_page_newest_first(store: SqlStateStore) -> None:
    with store.transaction() as tx:
        ids = [tx.start_run(MAIN, T0 + timedelta(minutes=i), dry_run=False) for i in range(7)]
        tx.finish_run(ids[-1], T0 + timedelta(minutes=7), "completed", {"written": 3})
    with store.browse() as browse:
        page = browse.runs(MAIN, offset=0, limit=5)
        other = browse.runs(PairId("other"), offset=0, limit=5)
    assert page.total == 7
    assert [r.id for r in page.items] == list(reversed(ids))[:5]
    assert page.items[0].summary == {"written": 3}
    assert other.total == 0


def test_web_sessions_round_trip_and_purge(store: SqlStateStore) -> None:
    with store.browse() as browse:
        browse.add_user(User("maria", "scrypt$x", Role.CLERK, created_at=T0, created_by="it"))
        for i, who in enumerate(("maria", None, None, None)):
            browse.add_session(
                WebSession(
                    id_hash=f"h{i}",
                    csrf=f"c{i}",
                    username=who,
                    created_at=T0,
                    last_seen_at=T0 + timedelta(minutes=i),
                    expires_at=T0 + timedelta(hours=1 if i != 3 else -1),
                )
            )
        browse.set_session_flash("h0", ("saved", "again"))
        browse.touch_session("h1", T0 + timedelta(hours=2), T0 + timedelta(hours=3))
    with store.browse() as browse:
        mine = browse.get_session("h0")
        assert mine is not None
        assert (mine.username, mine.role, mine.flash) == ("maria", Role.CLERK, ("saved", "again"))
        anon = browse.get_session("h1")
        assert anon is not None
        assert (anon.role, anon.expires_at) == (None, T0 + timedelta(hours=3))
        # h3 expired; of the anonymous h1 and h2, only the newest one is kept
        assert browse.purge_sessions(T0, keep_anonymous=1) == 2
        assert [browse.get_session(h) is not None for h in ("h0", "h1", "h2", "h3")] == [
            True,
            True,
            False,
            False,
        ]
        browse.update_user("maria", T0, active=False)  # disabled: her sessions end
        assert browse.get_session("h0") is None
        browse.delete_session("h1")
        assert browse.get_session("h1") is None


def test_gl_overrides_one_per_document(store: SqlStateStore) -> None:
    first = GlOverride(MAIN, DocKind.AP_BILL, 7, "fp1", "6400-00-100", "maria", T0, "x", ("e 1",))
    with store.transaction() as tx:
        tx.set_gl_override(first)
        tx.set_gl_override(replace(first, fingerprint="fp2", account="6900-00-100", lines=()))
        tx.set_gl_override(replace(first, doc_id=8))
    with store.transaction() as tx:
        found = tx.get_gl_override(MAIN, DocKind.AP_BILL, 7)
        assert found is not None
        assert (found.fingerprint, found.account, found.lines) == ("fp2", "6900-00-100", ())
        assert tx.get_gl_override(MAIN, DocKind.INVOICE, 7) is None
        assert sorted(o.doc_id for o in tx.gl_overrides(MAIN)) == [7, 8]
        assert tx.gl_overrides(PairId("other")) == []
