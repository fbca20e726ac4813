"""Review queue operations a person performs (through the CLI or the dashboard).

- `resolve`: the person fixed the cause. The document is re-queued (its ledger entry goes
  back to INTENT, so the next cycle fetches it by id whatever the cursor says). By kind:
  an ambiguous/unknown vendor may be resolved with the Sage vendor to link (a manual link);
  an unmapped GL item may be resolved with a one-off Sage account for this document (a
  `GlOverride` for the revision in review: the lines the rules cannot place post there; a
  new revision goes back to the rules; the caller checks the account is active in Sage);
  a suspected duplicate resolved means "it is not a duplicate: write it" (for this
  revision); changed-after-export resolved means "Sage was adjusted by hand": the new
  revision is accepted and nothing is written again; export-mark-failed resolved means
  "marked by hand".
- `retry`: re-queue as is (export-mark-failed: the mark is put back in the outbox).
- `ignore`: nothing more to do; a document not written is recorded SKIPPED.
Each operation is audited with the person's name, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from ml_connector.clock import Clock
from ml_connector.errors import ConfigError
from ml_connector.store.port import (
    AuditEvent,
    GlOverride,
    LedgerStatus,
    OutboxItem,
    PairId,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
    StateStore,
    StateTx,
    VendorLink,
)
from ml_connector.sync import state
from ml_connector.sync.settings import split_vendor

VENDOR_KINDS = frozenset({ReviewKind.AMBIGUOUS_VENDOR, ReviewKind.UNKNOWN_VENDOR})


class ReviewError(ConfigError):
    """The review operation cannot be done (unknown item, already closed, bad vendor)."""


def suggested_vendor(item: ReviewItem) -> str | None:
    """The best-scoring Sage candidate of a vendor item, as division-vendor ("00-FERGUS")."""
    return suggested_candidate(item.details.get("candidates") or [])


def suggested_candidate(candidates: Iterable[object]) -> str | None:
    """The first candidate (best first) that is not an inactive Sage vendor, as
    division-vendor; Sage would refuse new invoices for an inactive one. None when no
    candidate is left."""
    for cand in candidates:
        if not isinstance(cand, dict) or cand.get("status") == "I":
            continue
        if cand.get("sage_vendor"):
            return str(cand["sage_vendor"])
        if cand.get("division_no") and cand.get("vendor_no"):
            return f"{cand['division_no']}-{cand['vendor_no']}"
    return None


class ReviewQueue:
    """The review queue of one pair."""

    def __init__(
        self, pair: PairId, store: StateStore, clock: Clock, *, division: str = "00"
    ) -> None:
        self.pair = pair
        self.store = store
        self.clock = clock
        self.division = division

    def items(self, status: ReviewStatus | None = ReviewStatus.OPEN) -> list[ReviewItem]:
        with self.store.transaction() as tx:
            return tx.list_reviews(self.pair, status)

    def get(self, review_id: int) -> ReviewItem:
        with self.store.transaction() as tx:
            return self._open_item(tx, review_id, allow_closed=True)

    # --- operations ----------------------------------------------------------------------
    def resolve(
        self,
        review_id: int,
        *,
        by: str,
        note: str = "",
        vendor: str | None = None,
        account: str | None = None,
    ) -> ReviewItem:
        """`vendor` ("FERGUSO" or "01-FERGUSO") links the document's ServiceTitan vendor by
        hand (ambiguous / unknown vendor items only). `account` (a formatted Sage account,
        checked active by the caller) is the one-off account for this revision of the
        document's unmapped lines (unmapped GL items only)."""
        now = self.clock.now()
        with self.store.transaction() as tx:
            item = self._open_item(tx, review_id)
            details: dict[str, Any] = {
                "review_id": review_id,
                "review_kind": str(item.kind),
                "note": note,
            }
            if not vendor:
                self._refuse_unlinked_vendor(tx, item)
            else:
                self._manual_link(tx, item, vendor, by)
                details["vendor"] = vendor
                details["also_resolved"] = self._resolve_same_vendor(tx, item, by)
            if account:
                self._one_off_account(tx, item, account, by, note)
                details["account"] = account
            if item.kind is ReviewKind.CHANGED_AFTER_EXPORT:
                self._accept_revision(tx, item, by)
                action = "review_resolved_accepted"
            elif item.kind is ReviewKind.EXPORT_MARK_FAILED:
                action = "review_resolved"
            else:
                self._requeue(tx, item, by, "resolved")
                action = "review_resolved_requeued"
            tx.set_review_status(review_id, ReviewStatus.RESOLVED, by=by, at=now, note=note)
            self._audit(
                tx,
                item,
                action,
                by,
                f"review item {review_id} ({item.kind}) resolved by {by}",
                details,
            )
            return self._open_item(tx, review_id, allow_closed=True)

    def retry(self, review_id: int, *, by: str, note: str = "") -> ReviewItem:
        now = self.clock.now()
        with self.store.transaction() as tx:
            item = self._open_item(tx, review_id)
            if item.kind is ReviewKind.CHANGED_AFTER_EXPORT:
                raise ReviewError(
                    f"review item {review_id}: a document changed after it was written to Sage "
                    "is never written again",
                    hint="adjust Sage by hand, then resolve the item (or ignore it)",
                )
            if item.kind is ReviewKind.EXPORT_MARK_FAILED:
                tx.add_outbox(
                    OutboxItem(
                        pair=self.pair,
                        operation=str(item.details.get("operation", "mark_ap_bill_exported")),
                        payload={
                            k: item.details[k]
                            for k in ("id", "external_id", "message")
                            if k in item.details
                        },
                        created_at=now,
                    )
                )
            else:
                self._requeue(tx, item, by, "retry")
            tx.set_review_status(review_id, ReviewStatus.RETRY, by=by, at=now, note=note)
            self._audit(
                tx,
                item,
                "review_retry",
                by,
                f"review item {review_id} ({item.kind}) re-queued by {by}",
                {"review_id": review_id, "note": note},
            )
            return self._open_item(tx, review_id, allow_closed=True)

    def ignore(self, review_id: int, *, by: str, note: str = "") -> ReviewItem:
        now = self.clock.now()
        with self.store.transaction() as tx:
            item = self._open_item(tx, review_id)
            if item.doc_kind is not None and item.doc_id is not None:
                entry = tx.get_ledger(self.pair, item.doc_kind, item.doc_id)
                if entry is not None and entry.status not in (
                    LedgerStatus.WRITTEN,
                    LedgerStatus.ALREADY_IN_SAGE,
                ):
                    state.put(
                        tx,
                        replace(
                            entry,
                            status=LedgerStatus.SKIPPED,
                            last_error=f"ignored by {by}: {note}"[:500],
                            updated_at=now,
                        ),
                    )
            tx.set_review_status(review_id, ReviewStatus.IGNORED, by=by, at=now, note=note)
            self._audit(
                tx,
                item,
                "review_ignored",
                by,
                f"review item {review_id} ({item.kind}) ignored by {by}",
                {"review_id": review_id, "note": note},
            )
            return self._open_item(tx, review_id, allow_closed=True)

    # --- helpers -------------------------------------------------------------------------
    def _open_item(self, tx: StateTx, review_id: int, *, allow_closed: bool = False) -> ReviewItem:
        item = tx.get_review(review_id)
        if item is None or item.pair != self.pair:
            raise ReviewError(f"there is no review item {review_id} for pair {self.pair!r}")
        if not allow_closed and item.status is not ReviewStatus.OPEN:
            raise ReviewError(f"review item {review_id} is already {item.status}")
        return item

    def _requeue(self, tx: StateTx, item: ReviewItem, by: str, why: str) -> None:
        if item.doc_kind is None or item.doc_id is None:
            return
        entry = tx.get_ledger(self.pair, item.doc_kind, item.doc_id)
        if entry is None or entry.status in (LedgerStatus.WRITTEN, LedgerStatus.ALREADY_IN_SAGE):
            return  # in Sage already: nothing is ever written twice
        state.put(
            tx,
            replace(
                entry,
                status=LedgerStatus.INTENT,
                attempts=0,
                last_error=f"requeued ({why}) by {by}",
                updated_at=self.clock.now(),
            ),
        )

    def _resolve_same_vendor(self, tx: StateTx, item: ReviewItem, by: str) -> list[int]:
        """Other open vendor items of the same ServiceTitan vendor: re-queued too."""
        done: list[int] = []
        st_vendor_id = item.details.get("st_vendor_id")
        for other in tx.list_reviews(self.pair, ReviewStatus.OPEN):
            if (
                other.id is None
                or other.id == item.id
                or other.kind not in VENDOR_KINDS
                or other.details.get("st_vendor_id") != st_vendor_id
            ):
                continue
            self._requeue(tx, other, by, "vendor linked")
            tx.set_review_status(
                other.id,
                ReviewStatus.RESOLVED,
                by=by,
                at=self.clock.now(),
                note=f"vendor linked in review item {item.id}",
            )
            done.append(other.id)
        return done

    def _accept_revision(self, tx: StateTx, item: ReviewItem, by: str) -> None:
        if item.doc_kind is None or item.doc_id is None:
            return
        entry = tx.get_ledger(self.pair, item.doc_kind, item.doc_id)
        new_fp = str(item.details.get("fingerprint", ""))
        if entry is None or not new_fp:
            return
        state.put(
            tx,
            replace(
                entry,
                fingerprint=new_fp,
                last_error=f"revision accepted by {by}",
                updated_at=self.clock.now(),
            ),
        )

    def _refuse_unlinked_vendor(self, tx: StateTx, item: ReviewItem) -> None:
        """A vendor item resolved without a vendor changes nothing unless the ServiceTitan
        vendor was linked meanwhile (`vendors link`): otherwise the bill would only come
        back to review, and a vendor-only item would close with the vendor still unknown.
        (A bill naming no ServiceTitan vendor has nothing to link: it is re-queued, as it
        may have been given one since.)"""
        if item.kind not in VENDOR_KINDS:
            return
        st_vendor_id = item.details.get("st_vendor_id")
        if st_vendor_id is None or tx.get_link_by_st(self.pair, int(st_vendor_id)):
            return
        name = item.details.get("st_vendor_name")
        who = (
            f"ServiceTitan vendor {name!r} ({st_vendor_id})"
            if name
            else f"ServiceTitan vendor {st_vendor_id}"
        )
        example = suggested_vendor(item) or "00-VENDORNO"
        raise ReviewError(
            f"review item {item.id} is about {who}, which is linked to no Sage vendor: "
            "resolving it without --vendor would change nothing",
            hint=f"say which Sage vendor it is: review resolve {item.id} --vendor {example} "
            "(division-vendor number, from Vendor Maintenance or `review show`), or ignore "
            "the item",
        )

    def _one_off_account(
        self, tx: StateTx, item: ReviewItem, account: str, by: str, note: str
    ) -> None:
        if item.kind is not ReviewKind.UNMAPPED_GL:
            raise ReviewError(
                f"review item {item.id} is about {item.kind}: only a missing GL account takes "
                "an account"
            )
        fingerprint = str(item.details.get("fingerprint") or "")
        if item.doc_kind is None or item.doc_id is None or not fingerprint:
            raise ReviewError(f"review item {item.id} names no document revision to map")
        tx.set_gl_override(
            GlOverride(
                pair=self.pair,
                kind=item.doc_kind,
                doc_id=item.doc_id,
                fingerprint=fingerprint,
                account=account,
                set_by=by,
                set_at=self.clock.now(),
                note=note,
                lines=tuple(
                    str(line["line"])
                    for line in item.details.get("unmapped") or []
                    if isinstance(line, dict) and line.get("line")
                ),
            )
        )
        self._audit(
            tx,
            item,
            "gl_override_set",
            by,
            f"one-off Sage GL account {account} set by {by} for the lines of {item.doc_kind} "
            f"{item.doc_id} that the GL rules cannot place (this revision only)",
            {"review_id": item.id, "account": account, "fingerprint": fingerprint, "note": note},
        )

    def _manual_link(self, tx: StateTx, item: ReviewItem, vendor: str, by: str) -> None:
        if item.kind not in VENDOR_KINDS:
            raise ReviewError(f"review item {item.id} is about {item.kind}, not a vendor")
        st_vendor_id = item.details.get("st_vendor_id")
        if st_vendor_id is None:
            raise ReviewError(f"review item {item.id} has no ServiceTitan vendor to link")
        division, vendor_no = split_vendor(vendor, self.division)
        taken = tx.get_link_by_sage(self.pair, division, vendor_no)
        if taken is not None and taken.st_vendor_id != int(st_vendor_id):
            raise ReviewError(
                f"Sage vendor {division}-{vendor_no} is already linked to ServiceTitan vendor "
                f"{taken.st_vendor_id}"
            )
        if tx.get_link_by_st(self.pair, int(st_vendor_id)) is not None:
            tx.remove_link(self.pair, int(st_vendor_id))
        tx.add_link(
            VendorLink(
                pair=self.pair,
                st_vendor_id=int(st_vendor_id),
                division_no=division,
                vendor_no=vendor_no,
                method="manual",
                created_at=self.clock.now(),
                created_by=by,
            )
        )

    def _audit(
        self,
        tx: StateTx,
        item: ReviewItem,
        action: str,
        by: str,
        message: str,
        details: dict[str, Any],
    ) -> None:
        tx.append_audit(
            AuditEvent(
                at=self.clock.now(),
                pair=self.pair,
                action=action,
                actor=by,
                doc_kind=item.doc_kind,
                doc_id=item.doc_id,
                message=message,
                details=details,
            )
        )
