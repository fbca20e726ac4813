"""The vendor step of a cycle (DESIGN §4 step 2): vendors both ways, and the link table.

`VendorSync(ctx).run()` reads the ServiceTitan vendors changed since its cursor (`active=Any`,
with our application GUID's externalData) and the Sage vendors changed since the Sage
`ChangeStamp` cursor, then:

1. ServiceTitan side. A linked vendor: edits flow by field owner (`VendorActions.reconcile`).
   An unlinked active vendor goes through `VendorMatcher` (the Sage number in its
   externalData, then the name): link; or create it in Sage (`create_missing_vendors`) with
   a unique number derived from its name, its address and contact; or review
   (AMBIGUOUS_VENDOR, subject "st_vendor:<id>", with the candidates and their scores).
2. Sage side. A linked vendor whose ServiceTitan side was not just handled: edits. An
   unlinked active Sage vendor: a ServiceTitan vendor carrying its number in externalData
   links; otherwise its name is matched against the ServiceTitan vendors, and a link is
   only made when the ServiceTitan vendor's own match (step 1) picks this Sage vendor too.
   No counterpart: created in ServiceTitan when `create_vendors_in_servicetitan` is on,
   with the Sage number in externalData.
3. Cursors move only when their side was read and handled without a retryable failure.

What the look-back window reads again is not handled again (an idle cycle makes one
ServiceTitan request, the changed-since read). A linked vendor whose side reads exactly as
its link's snapshot (the values both sides had when the step last looked, our own writes
included) has nothing new on that side: it is passed over; the other side, if it changed,
is in its own changed-since read. An unlinked vendor that reads exactly as when the step
last handled it (a digest of the whole record, kept per side for the records inside the
window) is passed over too. Any edit by anyone else changes the values or the record, so
it is still seen.

A link once made is never changed here. A vendor we create is linked in the same
transaction as its creation audit, so the next cycle sees it linked and never creates it
back. Inactive vendors are never linked or created; a linked vendor made inactive is
audited (and Sage itself refuses invoices for an inactive vendor: those bills go to review).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from ml_connector.errors import Action, ConnectorError
from ml_connector.sage100.port import ChangeStamp, DivisionNo, SageVendor, SageVendorNo
from ml_connector.servicetitan.records import Vendor
from ml_connector.store.port import VendorLink
from ml_connector.sync.context import CycleContext
from ml_connector.sync.review import suggested_candidate
from ml_connector.sync.settings import match_settings
from ml_connector.sync.streams import decode_cursor, encode_cursor, signpost
from ml_connector.sync.vendors.actions import VendorActions, label
from ml_connector.sync.vendors.decision import VendorDecision
from ml_connector.sync.vendors.edits import VendorEdits
from ml_connector.sync.vendors.fields import (
    VENDOR_FIELDS,
    VendorValues,
    decode_snapshot,
    sage_values,
    same,
    snapshot_stream,
    st_values,
)
from ml_connector.sync.vendors.match import MatchSettings, VendorMatcher
from ml_connector.sync.vendors.summary import VendorSyncSummary

ST_STREAM = "vendors:servicetitan"
SAGE_STREAM = "vendors:sage"
FEW = 25  # up to this many lookups one by one; more: read the whole list once
ST_DIVISION = "ST"  # ServiceTitan vendors seen through the matcher, keyed by their id
# unlinked vendors handled inside the look-back window, per side: {key: record digest}
SEEN_STREAMS = {"servicetitan": "vendors:servicetitan:seen", "sage": "vendors:sage:seen"}


def st_digest(vendor: Vendor) -> str:
    return hashlib.sha256(vendor.model_dump_json().encode()).hexdigest()[:16]


def sage_digest(vendor: SageVendor) -> str:
    return hashlib.sha256(repr(vendor).encode()).hexdigest()[:16]


def _decode_seen(value: str | None) -> dict[str, str]:
    if not value:
        return {}
    try:
        data = json.loads(value)
    except ValueError:
        return {}  # unreadable: everything in the window is handled again (safe)
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def encode_stamp(stamp: ChangeStamp) -> str:
    return f"{stamp.day.isoformat()} {stamp.hours}"


def decode_stamp(value: str | None) -> ChangeStamp | None:
    if not value:
        return None
    day, _, hours = value.partition(" ")
    return ChangeStamp(date.fromisoformat(day), Decimal(hours))


def _best(cands: tuple[dict[str, Any], ...]) -> str:
    """The best active candidate as a person types it ("00-FERGUS"), or a placeholder."""
    return suggested_candidate(cands) or "DD-VENDORNO"


def candidates(decision: VendorDecision, *, st_side: bool = False) -> tuple[dict[str, Any], ...]:
    out = []
    for c in decision.candidates[:5]:
        if st_side:
            out.append({"st_vendor_id": int(c.vendor_no), "name": c.name, "score": c.score})
        else:
            out.append(
                {
                    "division_no": c.division_no,  # the keys the engine's bill reviews use
                    "vendor_no": c.vendor_no,
                    "sage_vendor": f"{c.division_no}-{c.vendor_no}",
                    "name": c.name,
                    "score": c.score,
                    "status": c.status,
                }
            )
        out[-1]["reason"] = c.reason
    return tuple(out)


class VendorSync:
    """One run of the vendor step for the cycle's pair (dry run: the context's)."""

    def __init__(self, ctx: CycleContext, *, full: bool = False) -> None:
        self.ctx = ctx
        self.full = full  # ignore the cursors: look at every vendor (preview)
        self.actions = VendorActions(ctx)
        self.edits = VendorEdits(ctx, self.actions)
        self._links: dict[int, VendorLink] = {}
        self._by_sage: dict[tuple[str, str], VendorLink] = {}
        self._sage_matcher: VendorMatcher | None = None
        self._reverse_matcher: VendorMatcher | None = None
        self._st_all: dict[int, Vendor] | None = None
        self._st_seen: dict[int, Vendor] = {}
        self._sage_seen: dict[tuple[str, str], SageVendor] = {}
        # the unlinked vendors handled when the window was last read, and now
        self._seen_before: dict[str, dict[str, str]] = {"servicetitan": {}, "sage": {}}
        self._seen_now: dict[str, dict[str, str]] = {"servicetitan": {}, "sage": {}}
        self._handled: set[int] = set()  # ServiceTitan ids whose link was looked at

    # --- entry point ----------------------------------------------------------------------
    def run(self) -> VendorSyncSummary:
        ctx = self.ctx
        started = ctx.clock.now()
        with ctx.store.transaction() as tx:
            for link in tx.iter_links(ctx.pair):
                self._remember(link)
            st_cursor = None if self.full else decode_cursor(tx.get_cursor(ctx.pair, ST_STREAM))
            sage_cursor = None if self.full else decode_stamp(tx.get_cursor(ctx.pair, SAGE_STREAM))
            if not self.full:
                for side, stream in SEEN_STREAMS.items():
                    self._seen_before[side] = _decode_seen(tx.get_cursor(ctx.pair, stream))
        guid = ctx.settings.application_guid
        start = st_cursor - ctx.settings.look_back if st_cursor is not None else None
        st_changed = list(
            ctx.source.vendors(
                modified_on_or_after=start, active="Any", external_data_application_guid=guid
            )
        )
        if sage_cursor is None:
            sage_changed = list(ctx.sage_vendors())
        else:
            sage_changed = list(ctx.sage.vendors(sage_cursor.minus(ctx.settings.sage_look_back)))
        self._st_seen = {v.id: v for v in st_changed}
        self._sage_seen = {(v.division_no, v.vendor_no): v for v in sage_changed}
        errors: list[str] = []
        st_ok = self._each(st_changed, self._st_vendor, errors)
        handled = self._handled
        sage_ok = self._each(
            sage_changed, lambda v: self._sage_vendor(v, handled), errors, sage_side=True
        )
        cursors: list[tuple[str, str]] = []
        if not ctx.dry_run and not self.full:
            with ctx.store.transaction() as tx:
                for side, stream in SEEN_STREAMS.items():
                    if self._seen_now[side] != self._seen_before[side]:
                        value = json.dumps(self._seen_now[side], sort_keys=True)
                        tx.set_cursor(ctx.pair, stream, value, ctx.clock.now())
                if st_ok:
                    value = encode_cursor(signpost(started, ctx.settings.signpost_safety))
                    tx.set_cursor(ctx.pair, ST_STREAM, value, ctx.clock.now())
                    cursors.append((ST_STREAM, value))
                stamps = [s for v in sage_changed for s in (v.updated, v.created) if s]
                if sage_cursor is not None:
                    stamps.append(sage_cursor)  # the look-back must not move it backwards
                newest = max(stamps, default=None)
                if sage_ok and newest is not None and newest != sage_cursor:
                    value = encode_stamp(newest)
                    tx.set_cursor(ctx.pair, SAGE_STREAM, value, ctx.clock.now())
                    cursors.append((SAGE_STREAM, value))
        ctx.errors.extend(errors)
        return VendorSyncSummary(
            dry_run=ctx.dry_run,
            st_read=len(st_changed),
            sage_read=len(sage_changed),
            actions=tuple(self.actions.actions),
            errors=tuple(errors),
            cursors=tuple(cursors),
        )

    def _each(
        self, vendors: Iterable[Any], step: Any, errors: list[str], *, sage_side: bool = False
    ) -> bool:
        """Handle each vendor; a failure is recorded against it. False: retry next cycle."""
        ok = True
        for vendor in vendors:
            try:
                step(vendor)
            except ConnectorError as exc:
                if exc.action is Action.STOP:
                    raise
                errors.append(f"vendor {self._who(vendor, sage_side)}: {exc.describe()}")
                ok = ok and exc.action is not Action.RETRY
            except Exception as exc:  # noqa: BLE001 -- the per-vendor path records any failure
                errors.append(f"vendor {self._who(vendor, sage_side)}: unexpected {exc!r}")
                ok = False  # looked at again next run
        return ok

    @staticmethod
    def _who(vendor: Any, sage_side: bool) -> str:
        return label(vendor) if sage_side else f"{vendor.name!r} ({vendor.id})"

    def _unchanged(self, st_id: int, side: str, values: VendorValues) -> bool:
        """Whether one side of a link reads as its snapshot: nothing new there."""
        if self.full:
            return False
        with self.ctx.store.transaction() as tx:
            snap = decode_snapshot(tx.get_cursor(self.ctx.pair, snapshot_stream(st_id)))
        if snap is None:
            return False
        then = snap[0] if side == "servicetitan" else snap[1]
        return all(same(name, values.get(name), then.get(name)) for name in VENDOR_FIELDS)

    def _seen(self, side: str, key: str, digest: str) -> bool:
        """Whether an unlinked vendor reads as when it was last handled (kept either way
        for the next run while it stays inside the window)."""
        if self.full:
            return False
        if self._seen_before[side].get(key) == digest:
            self._seen_now[side][key] = digest
            return True
        return False

    def _remember(self, link: VendorLink) -> None:
        self._links[link.st_vendor_id] = link
        self._by_sage[(link.division_no, link.vendor_no)] = link

    # --- lookups --------------------------------------------------------------------------
    def _matcher(self) -> VendorMatcher:
        if self._sage_matcher is None:
            settings = match_settings(self.ctx.settings)
            self._sage_matcher = VendorMatcher(self.ctx.sage_vendors(), settings)
        return self._sage_matcher

    def _st_vendors(self) -> dict[int, Vendor]:
        """Every ServiceTitan vendor (active or not), read once."""
        if self._st_all is None:
            guid = self.ctx.settings.application_guid
            self._st_all = {
                v.id: v
                for v in self.ctx.source.vendors(active="Any", external_data_application_guid=guid)
            }
        return self._st_all

    def _st_vendor_by_id(self, st_id: int) -> Vendor:
        if st_id in self._st_seen:
            return self._st_seen[st_id]
        if self._st_all is not None and st_id in self._st_all:
            return self._st_all[st_id]
        guid = self.ctx.settings.application_guid
        return self.ctx.source.vendor(st_id, external_data_application_guid=guid)

    def _sage_vendor_by_key(self, division: str, vendor_no: str) -> SageVendor | None:
        found = self._sage_seen.get((division, vendor_no))
        if found is not None:
            return found
        if len(self._st_seen) > FEW:  # many to look up: one bulk read is cheaper
            for v in self.ctx.sage_vendors():
                if (v.division_no, v.vendor_no) == (division, vendor_no):
                    return v
            return None
        return self.ctx.sage.vendor(DivisionNo(division), SageVendorNo(vendor_no))

    def _external(self, st: Vendor) -> str | None:
        if not self.ctx.settings.application_guid:
            return None
        return st.external_value(self.ctx.settings.external_data_key)

    # --- 1. ServiceTitan vendors ----------------------------------------------------------
    def _st_vendor(self, st: Vendor) -> None:
        link = self._links.get(st.id)
        if link is not None:
            if self._unchanged(st.id, "servicetitan", st_values(st)):
                return  # nothing new on this side (a Sage edit is in the Sage read)
            self._handled.add(st.id)
            sage = self._sage_vendor_by_key(link.division_no, link.vendor_no)
            if sage is None:
                self.ctx.errors.append(
                    f"ServiceTitan vendor {st.id} is linked to Sage vendor "
                    f"{link.division_no}-{link.vendor_no}, which Sage does not have"
                )
                return
            self.edits.reconcile(st, sage)
            return
        digest = st_digest(st)
        if self._seen("servicetitan", str(st.id), digest):
            return  # handled before as it is now
        if st.active is not False and (st.name or "").strip():  # inactive: never linked
            decision = self._matcher().decide(
                name=st.name or "", external_number=self._external(st)
            )
            self._apply(st, decision)
        if st.id not in self._links:
            self._seen_now["servicetitan"][str(st.id)] = digest

    def _apply(self, st: Vendor, decision: VendorDecision) -> None:
        cands = candidates(decision)
        if decision.outcome == "link" and decision.vendor_no:
            key = (decision.division_no or self.ctx.settings.division, decision.vendor_no)
            taken = self._by_sage.get(key)
            sage = self._sage_vendor_by_key(*key)
            if taken is not None and taken.st_vendor_id != st.id:
                self.actions.review_st(
                    st,
                    f"ServiceTitan vendor {st.name!r} ({st.id}) matches Sage vendor "
                    f"{key[0]}-{key[1]}, which is already linked to ServiceTitan vendor "
                    f"{taken.st_vendor_id}",
                    "merge the two ServiceTitan vendors, or link this one by hand "
                    "(ml-connector vendors link)",
                    cands,
                    method=decision.method,
                    score=decision.score,
                )
                return
            if sage is None:
                return
            self.actions.link(
                st,
                sage,
                method=decision.method,
                score=decision.score,
                reason=decision.reason,
                candidates=cands,
            )
            self._remember(VendorLink(self.ctx.pair, st.id, key[0], key[1], decision.method))
            return
        if decision.outcome == "create":
            created = self.actions.create_in_sage(
                st, self._matcher(), reason=decision.reason, candidates=cands
            )
            if created is not None:
                self._remember(
                    VendorLink(
                        self.ctx.pair,
                        st.id,
                        created.division_no,
                        created.vendor_no,
                        "created_in_sage",
                    )
                )
            return
        if decision.method == "none":
            return  # no Sage counterpart and creating is off: nothing to ask anyone
        self.actions.review_st(
            st,
            f"ServiceTitan vendor {st.name!r} ({st.id}) could not be matched safely: "
            f"{decision.reason}",
            "pick the Sage vendor: ml-connector vendors link --st-vendor "
            f"{st.id} --sage-vendor {_best(cands)} (or resolve this item with --vendor)",
            cands,
            method=decision.method,
            score=decision.score,
        )

    # --- 2. Sage vendors ------------------------------------------------------------------
    def _sage_vendor(self, sage: SageVendor, handled: set[int]) -> None:
        link = self._by_sage.get((sage.division_no, sage.vendor_no))
        if link is not None:
            if link.st_vendor_id not in handled and not self._unchanged(
                link.st_vendor_id, "sage", sage_values(sage)
            ):
                st = self._st_vendor_by_id(link.st_vendor_id)
                self.edits.reconcile(st, sage)
            return
        if sage.division_no != self.ctx.settings.division or sage.status == "I":
            return
        key = label(sage)
        digest = sage_digest(sage)
        if self._seen("sage", key, digest):
            return  # handled before as it is now
        self._sage_unlinked(sage)
        if (sage.division_no, sage.vendor_no) not in self._by_sage:
            self._seen_now["sage"][key] = digest

    def _sage_unlinked(self, sage: SageVendor) -> None:
        holder = self._by_external_number(sage)
        if holder is not None:
            st = holder
            self.actions.link(
                st,
                sage,
                method="external data",
                score=None,
                reason=f"ServiceTitan vendor {st.id} keeps {label(sage)} in its externalData",
            )
            self._remember(
                VendorLink(self.ctx.pair, st.id, sage.division_no, sage.vendor_no, "external data")
            )
            return
        self._match_in_st(sage)

    def _by_external_number(self, sage: SageVendor) -> Vendor | None:
        if not self.ctx.settings.application_guid:
            return None
        numbers = {str(sage.vendor_no), label(sage)}
        found = [
            v
            for v in self._st_vendors().values()
            if v.id not in self._links and v.active is not False and self._external(v) in numbers
        ]
        return found[0] if len(found) == 1 else None

    def _st_matcher(self) -> VendorMatcher:
        """ServiceTitan vendors seen through the matcher (as if they were Sage vendors)."""
        if self._reverse_matcher is not None:
            return self._reverse_matcher
        pseudo = (
            SageVendor(
                DivisionNo(ST_DIVISION),
                SageVendorNo(str(v.id)),
                v.name or "",
                status="A" if v.active is not False else "I",
            )
            for v in self._st_vendors().values()
            if (v.name or "").strip()
        )
        self._reverse_matcher = VendorMatcher(pseudo, MatchSettings(default_division=ST_DIVISION))
        return self._reverse_matcher

    def _match_in_st(self, sage: SageVendor) -> None:
        s = self.ctx.settings
        reverse = self._st_matcher().decide(name=sage.name)
        cands = candidates(reverse, st_side=True)
        if reverse.outcome == "create":
            if s.create_vendors_in_servicetitan:
                self.actions.create_in_st(sage, reason=reverse.reason)
            return
        if reverse.outcome == "review" or not reverse.vendor_no:
            if s.create_vendors_in_servicetitan:
                self.actions.review_sage(
                    sage,
                    f"Sage vendor {label(sage)} {sage.name!r} may already be in ServiceTitan: "
                    f"{reverse.reason}",
                    "link it by hand (ml-connector vendors link), or create it in ServiceTitan",
                    cands,
                )
            return
        st = self._st_vendors()[int(reverse.vendor_no)]
        if st.id in self._links:
            return  # like a ServiceTitan vendor that is already linked: leave it to a person
        forward = self._matcher().decide(name=st.name or "", external_number=self._external(st))
        if forward.outcome == "link" and (forward.division_no, forward.vendor_no) == (
            sage.division_no,
            sage.vendor_no,
        ):
            self.actions.link(
                st,
                sage,
                method=forward.method,
                score=forward.score,
                reason=forward.reason,
                candidates=candidates(forward),
            )
            self._remember(
                VendorLink(self.ctx.pair, st.id, sage.division_no, sage.vendor_no, forward.method)
            )
        # otherwise the ServiceTitan vendor's own match decides (and asks a person) when it
        # changes: a review is never raised from this side for a ServiceTitan vendor
