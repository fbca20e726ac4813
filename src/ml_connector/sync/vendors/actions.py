"""The writes of the vendor step: link, create on one side, review, the number in externalData.

Owns `VendorActions`. Every decision is audited; a link is stored in the same transaction
as the audit event of the decision (and of the creation that led to it) and the link's
snapshot, so a vendor we created is never created again on the other side. In a dry run
nothing is written anywhere: the actions are only collected.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ml_connector.sage100.errors import VendorExistsError
from ml_connector.sage100.port import SageVendor
from ml_connector.servicetitan.records import Address, NewStVendor, Vendor
from ml_connector.store.port import ReviewItem, ReviewKind, StateTx, VendorLink
from ml_connector.sync.context import CycleContext, jsonable
from ml_connector.sync.vendors.create import (
    new_vendor_for,
    number_message,
    st_number,
    write_number_to_st,
)
from ml_connector.sync.vendors.fields import (
    encode_snapshot,
    sage_values,
    snapshot_stream,
    st_values,
)
from ml_connector.sync.vendors.match import VendorMatcher
from ml_connector.sync.vendors.numbers import propose_vendor_no
from ml_connector.sync.vendors.summary import VendorAction

OTHER = {"servicetitan": "sage", "sage": "servicetitan"}


def label(vendor: SageVendor) -> str:
    return f"{vendor.division_no}-{vendor.vendor_no}"


class VendorActions:
    """Carries out (or, in a dry run, only records) the vendor step's decisions."""

    def __init__(self, ctx: CycleContext) -> None:
        self.ctx = ctx
        self.actions: list[VendorAction] = []
        self._held: set[tuple[str, str]] = set()  # numbers proposed in a dry run, or taken

    # --- recording ------------------------------------------------------------------------
    def record(self, action: VendorAction, tx: StateTx | None, audit: str, message: str) -> None:
        self.actions.append(action)
        if tx is not None:
            self.ctx.audit(tx, audit, message, details=action.as_dict())

    def _add_link(
        self,
        tx: StateTx,
        st_id: int,
        division: str,
        vendor_no: str,
        method: str,
        score: float | None,
    ) -> None:
        ctx = self.ctx
        tx.add_link(
            VendorLink(
                pair=ctx.pair,
                st_vendor_id=st_id,
                division_no=division,
                vendor_no=vendor_no,
                method=method,
                score=score,
                created_at=ctx.clock.now(),
                created_by=ctx.settings.actor,
            )
        )

    def snapshot(self, tx: StateTx, st: Vendor, sage: SageVendor) -> None:
        tx.set_cursor(
            self.ctx.pair,
            snapshot_stream(st.id),
            encode_snapshot(st_values(st), sage_values(sage)),
            self.ctx.clock.now(),
        )

    # --- link -----------------------------------------------------------------------------
    def link(
        self,
        st: Vendor,
        sage: SageVendor,
        *,
        method: str,
        score: float | None,
        reason: str,
        candidates: tuple[Mapping[str, Any], ...] = (),
    ) -> None:
        ctx = self.ctx
        action = VendorAction(
            "link", st.id, label(sage), st.name or "", method, score, reason, "", candidates
        )
        shown_score = "" if score is None else f" (score {score:.0f})"
        message = (
            f"ServiceTitan vendor {st.name!r} ({st.id}) linked to Sage vendor {label(sage)} "
            f"{sage.name!r} by {method}{shown_score}"
        )
        if ctx.dry_run:
            ctx.count("vendors_linked")
            self.actions.append(action)
            return
        with ctx.store.transaction() as tx:
            self._add_link(tx, st.id, sage.division_no, sage.vendor_no, method, score)
            self.snapshot(tx, st, sage)
            self.record(action, tx, "vendor_matched", message)
        ctx.count("vendors_linked")
        self.save_number_in_st(st, sage)

    # --- creation -------------------------------------------------------------------------
    def create_in_sage(
        self,
        st: Vendor,
        matcher: VendorMatcher,
        *,
        reason: str,
        candidates: tuple[Mapping[str, Any], ...] = (),
    ) -> SageVendor | None:
        ctx = self.ctx
        division = ctx.settings.division
        name = (st.name or "").strip()
        for _ in range(5):
            number = propose_vendor_no(
                name, lambda n: (division, n) in self._held or matcher.is_taken(division, n)
            )
            new = new_vendor_for(name, division, number, st)
            action = VendorAction(
                "create_in_sage",
                st.id,
                f"{division}-{number}",
                name,
                "created_in_sage",
                None,
                reason,
                "sage",
                candidates,
            )
            if ctx.dry_run:
                ctx.count("vendors_created")
                self.actions.append(action)
                self._held.add((division, number))  # the next proposal differs
                return None
            try:
                created = ctx.sage.create_vendor(new)
            except VendorExistsError:
                self._held.add((division, number))  # taken since the list was read
                continue
            ctx.add_sage_vendor(created)
            matcher.add(created)
            with ctx.store.transaction() as tx:
                self._add_link(tx, st.id, division, created.vendor_no, "created_in_sage", None)
                self.snapshot(tx, st, created)
                self.record(
                    action,
                    tx,
                    "vendor_created",
                    f"created Sage vendor {label(created)} {created.name!r} for ServiceTitan "
                    f"vendor {name!r} ({st.id}) and linked them",
                )
            ctx.commit()  # the link of a vendor created in Sage is durable at once
            ctx.count("vendors_created")
            self.save_number_in_st(st, created)
            return created
        self.review_st(
            st,
            f"no free Sage vendor number could be reserved for {name!r} ({st.id})",
            "create the vendor in Sage by hand, then link it (ml-connector vendors link)",
            candidates,
            kind=ReviewKind.UNKNOWN_VENDOR,
        )
        return None

    def create_in_st(self, sage: SageVendor, *, reason: str) -> None:
        ctx = self.ctx
        s = ctx.settings
        guid = s.application_guid or ""  # settings refuse creation in ST without a GUID
        values = sage_values(sage)
        street, unit, city, state, zip_code = values.address
        new = NewStVendor(
            name=sage.name.strip(),
            address=Address(
                street=street,
                unit=unit,
                city=city,
                state=state,
                zip=zip_code,
                country=sage.country_code or "",
            ),
            phone=values.phone or None,
            email=values.email or None,
            external_data={
                "applicationGuid": guid,
                "externalData": [{"key": s.external_data_key, "value": self._number(sage)}],
            },
        )
        action = VendorAction(
            "create_in_st", None, label(sage), sage.name, "created_in_st", None, reason, "st"
        )
        if ctx.dry_run:
            ctx.count("vendors_created")
            self.actions.append(action)
            return
        st_id = ctx.source.create_vendor(new)
        created = ctx.source.vendor(st_id, external_data_application_guid=guid)
        action = VendorAction(
            "create_in_st", st_id, label(sage), sage.name, "created_in_st", None, reason, "st"
        )
        with ctx.store.transaction() as tx:
            self._add_link(tx, st_id, sage.division_no, sage.vendor_no, "created_in_st", None)
            self.snapshot(tx, created, sage)
            self.record(
                action,
                tx,
                "vendor_created",
                f"created ServiceTitan vendor {sage.name!r} ({st_id}) for Sage vendor "
                f"{label(sage)} and linked them",
            )
            if created.external_value(s.external_data_key) != self._number(sage):
                ctx.audit(
                    tx,
                    "vendor_number_not_saved",
                    f"ServiceTitan vendor {st_id} did not keep the Sage number in externalData",
                    details={"st_vendor_id": st_id, "sage_vendor": label(sage)},
                )
        ctx.commit()  # the link of a vendor created in ServiceTitan is durable at once
        ctx.count("vendors_created")

    # --- review ---------------------------------------------------------------------------
    def review_st(
        self,
        st: Vendor,
        reason: str,
        suggestion: str,
        candidates: tuple[Mapping[str, Any], ...],
        *,
        kind: ReviewKind = ReviewKind.AMBIGUOUS_VENDOR,
        method: str = "",
        score: float | None = None,
    ) -> None:
        details = {"st_vendor_id": st.id, "st_vendor_name": st.name or ""}
        self._review(
            VendorAction(
                "review", st.id, None, st.name or "", method, score, reason, "", candidates
            ),
            f"st_vendor:{st.id}",
            kind,
            suggestion,
            details,
        )

    def review_sage(
        self,
        sage: SageVendor,
        reason: str,
        suggestion: str,
        candidates: tuple[Mapping[str, Any], ...],
    ) -> None:
        details = {"sage_vendor": label(sage), "sage_vendor_name": sage.name}
        self._review(
            VendorAction("review", None, label(sage), sage.name, "", None, reason, "", candidates),
            f"sage_vendor:{label(sage)}",
            ReviewKind.AMBIGUOUS_VENDOR,
            suggestion,
            details,
        )

    def _review(
        self,
        action: VendorAction,
        subject: str,
        kind: ReviewKind,
        suggestion: str,
        details: dict[str, Any],
    ) -> None:
        ctx = self.ctx
        if ctx.dry_run:
            self.actions.append(action)
            return
        full = {**details, "candidates": [dict(c) for c in action.candidates]}
        with ctx.store.transaction() as tx:
            waiting = any(
                item.subject == subject and item.kind is kind for item in tx.list_reviews(ctx.pair)
            )
            review_id = tx.add_review(
                ReviewItem(
                    pair=ctx.pair,
                    kind=kind,
                    doc_kind=None,
                    doc_id=None,
                    reason=action.reason,
                    suggestion=suggestion,
                    details=jsonable(full),
                    created_at=ctx.clock.now(),
                    subject=subject,
                )
            )
            if waiting:
                return  # already waiting for a person: its candidates are brought up to date
            self.actions.append(action)
            ctx.audit(
                tx,
                "vendor_sent_to_review",
                action.reason,
                details={"review_id": review_id, "subject": subject, **action.as_dict()},
            )

    # --- the Sage number on the ServiceTitan vendor ----------------------------------------
    def _number(self, sage: SageVendor) -> str:
        return st_number(sage, self.ctx.settings.division)

    def save_number_in_st(self, st: Vendor, sage: SageVendor) -> None:
        """PATCH (Merge) the Sage number into the ST vendor's externalData, then re-read
        (`create.write_number_to_st`, the same operation a person's actions use)."""
        ctx = self.ctx
        if ctx.dry_run:
            return
        result = write_number_to_st(ctx.source, ctx.settings, st, sage)
        if result is None:
            return
        action_name, message = number_message(result)
        action = VendorAction(
            "number_saved", st.id, label(sage), st.name or "", side="st", reason=result.wanted
        )
        with ctx.store.transaction() as tx:
            if result.kept:
                self.record(action, tx, action_name, message)
                self.snapshot(tx, result.after, sage)
            else:
                ctx.errors.append(f"ServiceTitan vendor {st.id} did not keep the Sage number")
                ctx.audit(
                    tx,
                    action_name,
                    message,
                    details={"st_vendor_id": st.id, "sage_vendor": label(sage)},
                )
        ctx.commit()  # recorded right after the ServiceTitan write
