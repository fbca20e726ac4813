"""What keeps the ledger the exactly-once record: atomic transactions, the Sage key index,
review dedupe, the append-only audit log, and errors translated at the boundary."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import cast

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from ml_connector.errors import Action, ConfigError, StoreError
from ml_connector.store.errors import SageKeyTakenError, StoreBusyError
from ml_connector.store.port import (
    AuditEvent,
    DocKind,
    LedgerEntry,
    LedgerStatus,
    OutboxItem,
    PairId,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
    SageKeyRef,
    StateBatch,
    StateTx,
    VendorLink,
)
from ml_connector.store.sql import SqlStateStore
from ml_connector.store.testing import PostgresServer
from ml_connector.store.translate import translated
from ml_connector.store.tx import SqlStateTx

MAIN = PairId("main")
T0 = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
KEY = SageKeyRef("00", "FERGUSO", "0012345")


def _entry(doc_id: int, key: SageKeyRef | None = KEY, **changes: object) -> LedgerEntry:
    fields: dict[str, object] = {
        "pair": MAIN,
        "kind": DocKind.AP_BILL,
        "doc_id": doc_id,
        "fingerprint": f"fp{doc_id}",
        "status": LedgerStatus.INTENT,
        "sage_key": key,
        "amount": Decimal("10.00"),
        "updated_at": T0,
    }
    fields.update(changes)
    return LedgerEntry(**fields)  # type: ignore[arg-type]


class Boom(Exception):
    pass


def _write_one_of_everything(tx: StateTx) -> None:
    run_id = tx.start_run(MAIN, T0, dry_run=False)
    tx.finish_run(run_id, T0, "completed", {})
    tx.set_cursor(MAIN, "ap_bills", "c1", T0)
    tx.put_ledger(_entry(1))
    tx.add_link(VendorLink(MAIN, 5, "00", "FERGUSO", "code"))
    tx.add_review(ReviewItem(MAIN, ReviewKind.UNMAPPED_GL, DocKind.AP_BILL, 1, "r", "s"))
    tx.append_audit(AuditEvent(T0, MAIN, "written", run_id=run_id))
    tx.add_outbox(OutboxItem(MAIN, "mark_ap_bill_exported", {"ids": [1]}))


def test_an_exception_rolls_everything_back(store: SqlStateStore) -> None:
    raised = Boom("engine failed after writing")
    with pytest.raises(Boom) as caught, store.transaction() as tx:  # noqa: PT012 - the point
        _write_one_of_everything(tx)
        raise raised
    assert caught.value is raised  # our own errors pass through untouched
    with store.transaction() as tx:
        assert tx.last_runs() == []
        assert tx.get_cursor(MAIN, "ap_bills") is None
        assert tx.get_ledger(MAIN, DocKind.AP_BILL, 1) is None
        assert tx.find_ledger_by_sage_key(MAIN, KEY) is None
        assert list(tx.iter_links(MAIN)) == []
        assert tx.list_reviews(status=None) == []
        assert list(tx.iter_audit()) == []
        assert tx.pending_outbox(MAIN) == []


def test_a_clean_exit_commits_everything(store: SqlStateStore) -> None:
    with store.transaction() as tx:
        _write_one_of_everything(tx)
    with store.transaction() as tx:
        assert len(tx.last_runs()) == 1
        assert tx.get_ledger(MAIN, DocKind.AP_BILL, 1) is not None
        assert len(list(tx.iter_audit())) == 1


def test_two_documents_cannot_hold_one_sage_key(store: SqlStateStore) -> None:
    with store.transaction() as tx:
        tx.put_ledger(_entry(1))
    with store.transaction() as tx:
        with pytest.raises(SageKeyTakenError) as caught:
            tx.put_ledger(_entry(2))
        # the refusal leaves the transaction usable (it matters on PostgreSQL)
        tx.put_ledger(_entry(2, key=SageKeyRef("00", "FERGUSO", "0012346")))
    error = caught.value
    assert error.action is Action.SKIP
    assert isinstance(error, StoreError)
    assert error.key == KEY
    assert error.holder == "ap_bill 1"
    assert error.record == "ap_bill 2"
    assert "division 00 vendor FERGUSO invoice 0012345" in str(error)
    with store.transaction() as tx:
        assert tx.get_ledger(MAIN, DocKind.AP_BILL, 2) == _entry(
            2, key=SageKeyRef("00", "FERGUSO", "0012346")
        )


def test_the_same_document_may_keep_or_change_its_key(store: SqlStateStore) -> None:
    with store.transaction() as tx:
        tx.put_ledger(_entry(1))
        tx.put_ledger(_entry(1, status=LedgerStatus.WRITTEN, written_fingerprint="fp1"))
        tx.put_ledger(_entry(2, key=None))
        tx.put_ledger(_entry(3, key=None))  # rows without a key never clash
        tx.put_ledger(_entry(1, pair=PairId("west")))  # the key is per pair
        with pytest.raises(SageKeyTakenError):
            tx.put_ledger(_entry(2))  # a keyless document claiming a taken key
        # an invoice document is another document, even with the same id
        with pytest.raises(SageKeyTakenError, match="already held by ap_bill 1"):
            tx.put_ledger(_entry(1, kind=DocKind.INVOICE))


def test_the_database_itself_refuses_a_second_holder(store: SqlStateStore) -> None:
    """The unique index is the safety net under the check in put_ledger."""
    with store.transaction() as tx:
        tx.put_ledger(_entry(1))
    insert = text(
        "INSERT INTO ledger (pair, kind, doc_id, fingerprint, status, sage_division_no,"
        " sage_vendor_no, sage_invoice_no, reference, attempts, last_error,"
        " written_fingerprint, updated_at) VALUES ('main', 'ap_bill', 2, 'x', 'intent',"
        " '00', 'FERGUSO', '0012345', '', 0, '', '', CURRENT_TIMESTAMP)"
    )
    with pytest.raises(DBAPIError, match=r"(?i)unique|duplicate"), store.engine.begin() as conn:
        conn.execute(insert)


def test_a_refusal_by_the_unique_index_leaves_the_transaction_and_its_writes(
    store: SqlStateStore,
) -> None:
    """The INSERT meets the unique index (nothing looks the key up before it, so another
    writer's claim cannot slip in between). On PostgreSQL only a savepoint keeps the
    transaction; on SQLite the failed statement undoes itself."""
    with store.transaction() as tx:
        tx.put_ledger(_entry(1))
    with store.transaction() as tx:
        tx.put_ledger(_entry(3, key=None))  # written before the refusal, in the same transaction
        with pytest.raises(SageKeyTakenError) as caught:
            tx.put_ledger(_entry(2))
        tx.put_ledger(_entry(2, key=SageKeyRef("00", "FERGUSO", "0012346")))
    assert (caught.value.key, caught.value.holder) == (KEY, "ap_bill 1")
    with store.transaction() as tx:
        assert tx.get_ledger(MAIN, DocKind.AP_BILL, 3) == _entry(3, key=None)
        assert tx.get_ledger(MAIN, DocKind.AP_BILL, 2) == _entry(
            2, key=SageKeyRef("00", "FERGUSO", "0012346")
        )
        assert tx.find_ledger_by_sage_key(MAIN, KEY) == _entry(1)


def test_a_refusal_inside_a_batch_block_keeps_the_blocks_before_and_its_own(
    store: SqlStateStore,
) -> None:
    with store.transaction() as tx:
        tx.put_ledger(_entry(1))
    with store.batch() as batch:
        with batch.transaction() as tx:
            tx.put_ledger(_entry(4, key=None))
        with batch.transaction() as tx:
            tx.put_ledger(_entry(3, key=None))
            with pytest.raises(SageKeyTakenError):
                tx.put_ledger(_entry(2))
            tx.append_audit(AuditEvent(at=T0, pair=MAIN, action="refused", message="key taken"))
        with batch.transaction() as tx:
            tx.put_ledger(_entry(5, key=None))
    with store.transaction() as tx:
        assert [e.doc_id for e in tx.iter_ledger(MAIN)] == [1, 4, 3, 5]
        assert [e.action for e in tx.iter_audit()] == ["refused"]


_DUPLICATE_KEY = text(
    "INSERT INTO ledger (pair, kind, doc_id, fingerprint, status, sage_division_no,"
    " sage_vendor_no, sage_invoice_no, reference, attempts, last_error,"
    " written_fingerprint, updated_at) VALUES ('main', 'ap_bill', 9, 'x', 'intent',"
    " '00', 'FERGUSO', '0012345', '', 0, '', '', CURRENT_TIMESTAMP)"
)  # the key _entry(1) holds


def _block(batch: StateBatch, doc_id: int, then: Callable[[SqlStateTx], object]) -> None:
    """One block: a ledger entry and an audit event, then `then`."""
    with batch.transaction() as tx:
        tx.put_ledger(_entry(doc_id, key=None))
        tx.append_audit(AuditEvent(at=T0, pair=MAIN, action=f"block {doc_id}"))
        then(cast(SqlStateTx, tx))


def _boom(_tx: SqlStateTx) -> None:
    raise Boom


def _refused_statement(tx: SqlStateTx) -> None:
    with translated("insert"):
        tx.connection.execute(_DUPLICATE_KEY)


def test_a_batch_block_that_raises_is_undone_alone(store: SqlStateStore) -> None:
    """A block's writes go with it when it raises (a Python error after a write, or the
    database refusing a statement, which on PostgreSQL aborts everything up to the block's
    savepoint); the blocks before and after it are committed."""
    with store.transaction() as tx:
        tx.put_ledger(_entry(1))
    with store.batch() as batch:
        _block(batch, 2, lambda _tx: None)
        with pytest.raises(Boom):
            _block(batch, 3, _boom)
        with pytest.raises(StoreError):
            _block(batch, 4, _refused_statement)
        _block(batch, 5, lambda _tx: None)
        batch.commit()
        with pytest.raises(Boom):
            _block(batch, 6, _boom)  # the first block after a commit
        _block(batch, 7, lambda _tx: None)
    with store.transaction() as tx:
        assert [e.doc_id for e in tx.iter_ledger(MAIN)] == [1, 2, 5, 7]
        assert [e.action for e in tx.iter_audit()] == ["block 2", "block 5", "block 7"]


def test_concurrent_claims_of_one_key_leave_one_winner(store_url: str) -> None:
    """Two writers race for one Sage key: one wins, the other is told, nothing is lost."""
    first, second = SqlStateStore.open(store_url), SqlStateStore.open(store_url)
    first_wrote = threading.Event()
    outcome: dict[str, BaseException | None] = {}

    def claim(store: SqlStateStore, doc_id: int, hold: float) -> None:
        try:
            with store.transaction() as tx:
                tx.put_ledger(_entry(doc_id))
                first_wrote.set()
                threading.Event().wait(hold)  # keep the transaction open a moment
            outcome[str(doc_id)] = None
        except BaseException as exc:  # noqa: BLE001 - the test inspects whatever happened
            outcome[str(doc_id)] = exc

    a = threading.Thread(target=claim, args=(first, 1, 0.5))
    a.start()
    assert first_wrote.wait(10)
    b = threading.Thread(target=claim, args=(second, 2, 0))
    b.start()
    a.join(30)
    b.join(30)
    first.close()
    second.close()
    assert outcome["1"] is None
    assert isinstance(outcome["2"], SageKeyTakenError)
    assert outcome["2"].key == KEY
    check = SqlStateStore.open(store_url)
    with check.transaction() as tx:
        holder = tx.find_ledger_by_sage_key(MAIN, KEY)
        assert tx.get_ledger(MAIN, DocKind.AP_BILL, 2) is None
    check.close()
    assert holder is not None
    assert holder.doc_id == 1


def _review(**changes: object) -> ReviewItem:
    fields: dict[str, object] = {
        "pair": MAIN,
        "kind": ReviewKind.SUSPECTED_DUPLICATE,
        "doc_kind": DocKind.AP_BILL,
        "doc_id": 42,
        "reason": "same reference and amount as 00-ABCPLUM 0012345",
        "suggestion": "ignore if it is the same bill",
        "details": {"match": "00-ABCPLUM 0012345"},
    }
    fields.update(changes)
    return ReviewItem(**fields)  # type: ignore[arg-type]


def test_an_open_review_item_is_updated_not_duplicated(store: SqlStateStore) -> None:
    with store.transaction() as tx:
        first = tx.add_review(_review())
        again = tx.add_review(_review(reason="seen again", details={"cycle": 2}))
        other_kind = tx.add_review(_review(kind=ReviewKind.UNMAPPED_GL))
        other_doc = tx.add_review(_review(doc_id=43))
        other_doc_kind = tx.add_review(_review(doc_kind=DocKind.INVOICE))
        other_pair = tx.add_review(_review(pair=PairId("west")))
    assert again == first
    assert len({first, other_kind, other_doc, other_doc_kind, other_pair}) == 5
    with store.transaction() as tx:
        item = tx.get_review(first)
        assert len(tx.list_reviews()) == 5
    assert item is not None
    assert item.reason == "seen again"
    assert item.details == {"cycle": 2}


def test_items_without_a_document_dedupe_by_subject(store: SqlStateStore) -> None:
    vendor = {"kind": ReviewKind.AMBIGUOUS_VENDOR, "doc_kind": None, "doc_id": None}
    with store.transaction() as tx:
        a = tx.add_review(_review(**vendor, subject="st_vendor:1"))
        b = tx.add_review(_review(**vendor, subject="st_vendor:2"))
        a_again = tx.add_review(_review(**vendor, subject="st_vendor:1"))
    assert a == a_again
    assert a != b


def test_adding_an_already_closed_item_leaves_the_open_one_alone(store: SqlStateStore) -> None:
    with store.transaction() as tx:
        open_id = tx.add_review(_review())
        closed_id = tx.add_review(_review(status=ReviewStatus.IGNORED, reason="imported"))
        assert closed_id != open_id
        assert [i.id for i in tx.list_reviews()] == [open_id]
        assert [i.reason for i in tx.list_reviews(status=ReviewStatus.IGNORED)] == ["imported"]


def test_a_closed_item_does_not_absorb_a_new_one(store: SqlStateStore) -> None:
    with store.transaction() as tx:
        old = tx.add_review(_review())
        tx.set_review_status(old, ReviewStatus.RETRY, by="Jo Ng", at=T0)
        new = tx.add_review(_review())
        assert new != old
        # reopening the old one while the new one is open would make two open items
        with pytest.raises(StoreError, match="set_review_status"):
            tx.set_review_status(old, ReviewStatus.OPEN, by="Jo Ng", at=T0)
        tx.set_review_status(new, ReviewStatus.IGNORED, by="Jo Ng", at=T0)
        tx.set_review_status(old, ReviewStatus.OPEN, by="Jo Ng", at=T0)
        assert [i.id for i in tx.list_reviews()] == [old]
        assert tx.add_review(_review()) == old


def test_audit_log_is_append_only_in_the_database(store: SqlStateStore) -> None:
    audit_methods = {name for name in dir(SqlStateTx) if "audit" in name}
    assert audit_methods == {"append_audit", "iter_audit", "last_audit"}  # one writer: append
    with store.transaction() as tx:
        tx.append_audit(AuditEvent(T0, MAIN, "written", message="kept"))
    for statement in ("UPDATE audit_events SET message = 'changed'", "DELETE FROM audit_events"):
        with pytest.raises(SQLAlchemyError, match="append-only"), store.engine.begin() as conn:
            conn.execute(text(statement))
    with store.transaction() as tx:
        assert [e.message for e in tx.iter_audit()] == ["kept"]


def test_audit_keeps_append_order_even_when_clocks_disagree(store: SqlStateStore) -> None:
    times = [T0, T0 - timedelta(seconds=30), T0 + timedelta(hours=1), T0]
    with store.transaction() as tx:
        ids = [tx.append_audit(AuditEvent(at, MAIN, f"e{i}")) for i, at in enumerate(times)]
    with store.transaction() as tx:
        tx.append_audit(AuditEvent(T0, MAIN, "e4"))
    with store.transaction() as tx:
        events = list(tx.iter_audit())
    assert [e.action for e in events] == ["e0", "e1", "e2", "e3", "e4"]
    assert [e.id for e in events[:4]] == ids
    assert [e.at for e in events[:4]] == times


def test_audit_refers_to_real_runs(store: SqlStateStore) -> None:
    with pytest.raises(StoreError, match="append_audit") as caught, store.transaction() as tx:
        tx.append_audit(AuditEvent(T0, MAIN, "written", run_id=12345))
    assert isinstance(caught.value.__cause__, SQLAlchemyError)


def test_naive_timestamps_are_refused_with_a_store_error(store: SqlStateStore) -> None:
    with pytest.raises(StoreError, match="naive datetime") as caught, store.transaction() as tx:
        tx.set_cursor(MAIN, "ap_bills", "x", datetime(2026, 1, 5, 14, 0))  # noqa: DTZ001
    assert caught.value.operation == "set_cursor"
    assert caught.value.record == "pair main stream ap_bills"
    assert isinstance(caught.value.__cause__, SQLAlchemyError)


def test_database_errors_do_not_show_sql_parameters(store: SqlStateStore) -> None:
    event = AuditEvent(T0, MAIN, "written", run_id=999, message="secret-looking-message")
    with pytest.raises(StoreError) as caught, store.transaction() as tx:
        tx.append_audit(event)
    assert "secret-looking-message" not in caught.value.describe()
    assert "INSERT" not in caught.value.describe()


def test_bad_urls_are_config_errors_without_the_password() -> None:
    with pytest.raises(ConfigError, match="unsupported state database") as caught:
        SqlStateStore.open("mysql+pymysql://app:hunter2@db/state")
    assert "hunter2" not in str(caught.value)
    with pytest.raises(ConfigError, match="not a database URL") as caught:
        SqlStateStore.open("postgres ql://app:hunter2@db/state")
    assert "hunter2" not in str(caught.value)
    assert caught.value.__cause__ is None


def test_an_unreachable_server_is_a_store_error_without_the_password() -> None:
    with pytest.raises(StoreError, match="open") as caught:
        SqlStateStore.open("postgresql+psycopg://app:hunter2@127.0.0.1:1/state?connect_timeout=2")
    assert "hunter2" not in caught.value.describe()
    assert "***" in str(caught.value)


def test_plain_postgresql_urls_use_psycopg_3(postgres_server: PostgresServer) -> None:
    url = postgres_server.create_database("plain_scheme")
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    store = SqlStateStore.open(plain)
    assert store.engine.dialect.driver == "psycopg"
    store.close()


def test_a_writer_held_past_the_busy_timeout_is_told_to_retry(store_url: str) -> None:
    holder = SqlStateStore.open(store_url)
    impatient = SqlStateStore.open(store_url, busy_timeout=0.2)
    with holder.transaction() as held:
        held.set_cursor(MAIN, "ap_bills", "held", T0)
        with pytest.raises(StoreBusyError) as caught, impatient.transaction() as tx:
            tx.set_cursor(MAIN, "ap_bills", "waited", T0)
    assert caught.value.action is Action.RETRY
    with impatient.transaction() as tx:  # the lock is gone: the same write goes through
        tx.set_cursor(MAIN, "ap_bills", "waited", T0)
        assert tx.get_cursor(MAIN, "ap_bills") == "waited"
    holder.close()
    impatient.close()
