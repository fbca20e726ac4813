"""Which Sage vendor a document goes to.

AP bills, in this order: the link already in the store (a link once made never changes
automatically) -> the bill's `vendorNumber` as a Sage vendor number -> the Sage number kept
in the ServiceTitan vendor's externalData -> the vendor's name (`VendorMatcher`: normalised
exact name, then fuzzy with a threshold and a margin). A match makes a link (audited with
its method and score); no match creates the Sage vendor when enabled (audited) and links
it; anything ambiguous goes to review.

Routed invoices: the rule says where the vendor comes from (a fixed number, a custom field,
or the customer's name through the matcher). They have no ServiceTitan vendor to link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ml_connector.sage100.errors import VendorExistsError
from ml_connector.sage100.port import (
    VENDOR_NAME_LEN,
    DivisionNo,
    NewVendor,
    SageVendor,
    SageVendorNo,
)
from ml_connector.servicetitan.records import Vendor
from ml_connector.store.port import ReviewKind, VendorLink
from ml_connector.sync.context import CycleContext
from ml_connector.sync.documents.source import SourceDocument
from ml_connector.sync.settings import InvoiceRoute, match_settings, split_vendor
from ml_connector.sync.vendors.match import VendorDecision, VendorMatcher
from ml_connector.sync.vendors.numbers import propose_vendor_no


@dataclass(frozen=True, slots=True)
class ResolvedVendor:
    division_no: str
    vendor_no: str
    how: str

    @property
    def label(self) -> str:
        return f"{self.division_no}-{self.vendor_no}"


@dataclass(frozen=True, slots=True)
class VendorReview:
    kind: ReviewKind
    reason: str
    suggestion: str
    details: dict[str, Any] = field(default_factory=dict)


VendorResult = ResolvedVendor | VendorReview


def _candidates(decision: VendorDecision) -> list[dict[str, Any]]:
    return [
        {
            "division_no": c.division_no,
            "vendor_no": c.vendor_no,
            "name": c.name,
            "score": c.score,
            "reason": c.reason,
            "status": c.status,
        }
        for c in decision.candidates[:5]
    ]


class VendorResolver:
    """Resolves vendors for one cycle; decisions are remembered within the cycle."""

    def __init__(self, ctx: CycleContext, routes: tuple[InvoiceRoute, ...]) -> None:
        self._ctx = ctx
        self._routes = {r.name: r for r in routes}
        self._by_st: dict[int, VendorResult] = {}
        self._by_name: dict[str, VendorResult] = {}
        self._matcher: VendorMatcher | None = None

    # --- the matcher, built on first need -----------------------------------------------
    def _vendor_matcher(self) -> VendorMatcher:
        if self._matcher is None:
            settings = match_settings(self._ctx.settings)
            self._matcher = VendorMatcher(self._ctx.sage_vendors(), settings)
        return self._matcher

    def _sage_vendor(self, division_no: str, vendor_no: str) -> SageVendor | None:
        for v in self._ctx.sage_vendors():
            if v.division_no == division_no and v.vendor_no == vendor_no:
                return v
        return self._ctx.sage.vendor(DivisionNo(division_no), SageVendorNo(vendor_no))

    # --- entry point --------------------------------------------------------------------
    def resolve(self, doc: SourceDocument) -> VendorResult:
        if doc.st_vendor_id is not None:
            cached = self._by_st.get(doc.st_vendor_id)
            if cached is None:
                cached = self._resolve_st_vendor(doc)
                self._by_st[doc.st_vendor_id] = cached
            if isinstance(cached, ResolvedVendor):
                return self._bill_code_conflict(doc, cached) or cached
            return cached
        route = self._routes.get(doc.route)
        if route is None:
            return VendorReview(
                ReviewKind.UNKNOWN_VENDOR,
                f"{doc.label} has no ServiceTitan vendor and no routing rule",
                "check the invoice routing rules",
            )
        return self._resolve_routed(doc, route)

    # --- AP bills -----------------------------------------------------------------------
    def _resolve_st_vendor(self, doc: SourceDocument) -> VendorResult:
        ctx = self._ctx
        st_id = doc.st_vendor_id or 0  # resolve() only calls this with a vendor id
        with ctx.store.transaction() as tx:
            link = tx.get_link_by_st(ctx.pair, st_id)
        if link is not None:
            return ResolvedVendor(link.division_no, link.vendor_no, f"link ({link.method})")
        st_vendor = self._st_vendor(st_id)
        name = (st_vendor.name if st_vendor and st_vendor.name else doc.vendor_name) or ""
        external = (
            st_vendor.external_value(ctx.settings.external_data_key)
            if st_vendor is not None and ctx.settings.application_guid
            else None
        )
        decision = self._vendor_matcher().decide(
            name=name, vendor_number=doc.vendor_number, external_number=external
        )
        base = {
            "st_vendor_id": st_id,
            "st_vendor_name": name,
            "vendor_number": doc.vendor_number,
            "external_number": external,
            "method": decision.method,
            "score": decision.score,
            "candidates": _candidates(decision),
        }
        if decision.outcome == "link" and decision.vendor_no:
            division = decision.division_no or ctx.settings.division
            return self._link(doc, st_id, name, division, decision.vendor_no, decision, base)
        if decision.outcome == "create" and ctx.settings.create_missing_vendors:
            return self._create(doc, st_id, name, st_vendor, base)
        if decision.outcome == "create":
            return VendorReview(
                ReviewKind.UNKNOWN_VENDOR,
                f"ServiceTitan vendor {name!r} ({st_id}) has no Sage vendor and creating "
                "vendors is turned off",
                "create the vendor in Sage (or link it by hand), then resolve this item",
                base,
            )
        return VendorReview(
            ReviewKind.AMBIGUOUS_VENDOR,
            f"ServiceTitan vendor {name!r} ({st_id}) could not be matched safely: "
            f"{decision.reason}",
            "pick the Sage vendor (resolve with a vendor number), then the bill is re-queued",
            base,
        )

    def _bill_code_conflict(
        self, doc: SourceDocument, found: ResolvedVendor
    ) -> VendorReview | None:
        """The bill's `vendorNumber` is a Sage vendor number other than the vendor's link
        (made by name or another code): every code is weighed, so a person decides. A link a
        person made stands (resolving this review makes one)."""
        if not doc.vendor_number or found.how == "link (manual)":
            return None
        targets = self._vendor_matcher().code_targets(doc.vendor_number)
        if not targets or (found.division_no, found.vendor_no) in targets:
            return None
        named = ", ".join(f"{d}-{v}" for d, v in targets)
        st_id = doc.st_vendor_id
        return VendorReview(
            ReviewKind.AMBIGUOUS_VENDOR,
            f"{doc.label}: the bill's vendor number {doc.vendor_number!r} is Sage vendor "
            f"{named}, but ServiceTitan vendor {doc.vendor_name!r} ({st_id}) is linked to "
            f"{found.label} ({found.how})",
            "pick the Sage vendor (resolve with a vendor number); the link becomes yours and "
            "the bill is re-queued",
            {
                "st_vendor_id": st_id,
                "st_vendor_name": doc.vendor_name,
                "vendor_number": doc.vendor_number,
                "linked": found.label,
                "method": "code conflict",
                "candidates": [
                    {"division_no": d, "vendor_no": v, "status": self._sage_status(d, v)}
                    for d, v in [*targets, (found.division_no, found.vendor_no)]
                ],
            },
        )

    def _sage_status(self, division_no: str, vendor_no: str) -> str:
        """A Sage vendor's VendorStatus from the cycle's vendor list ("" when not in it)."""
        for v in self._ctx.sage_vendors():
            if v.division_no == division_no and v.vendor_no == vendor_no:
                return v.status
        return ""

    def _st_vendor(self, st_id: int) -> Vendor | None:
        guid = self._ctx.settings.application_guid
        return self._ctx.source.vendor(st_id, external_data_application_guid=guid)

    def _link(
        self,
        doc: SourceDocument,
        st_id: int,
        name: str,
        division: str,
        vendor_no: str,
        decision: VendorDecision,
        base: dict[str, Any],
    ) -> VendorResult:
        ctx = self._ctx
        with ctx.store.transaction() as tx:
            taken = tx.get_link_by_sage(ctx.pair, division, vendor_no)
            if taken is not None and taken.st_vendor_id != st_id:
                return VendorReview(
                    ReviewKind.AMBIGUOUS_VENDOR,
                    f"ServiceTitan vendor {name!r} ({st_id}) matches Sage vendor "
                    f"{division}-{vendor_no}, which is already linked to ServiceTitan vendor "
                    f"{taken.st_vendor_id}",
                    "merge the two ServiceTitan vendors, or link this one by hand",
                    {**base, "linked_st_vendor_id": taken.st_vendor_id},
                )
            if not ctx.dry_run:
                tx.add_link(
                    VendorLink(
                        pair=ctx.pair,
                        st_vendor_id=st_id,
                        division_no=division,
                        vendor_no=vendor_no,
                        method=decision.method,
                        score=decision.score,
                        created_at=ctx.clock.now(),
                        created_by=ctx.settings.actor,
                    )
                )
            score = "" if decision.score is None else f" (score {decision.score:.1f})"
            ctx.audit(
                tx,
                "vendor_matched",
                f"ServiceTitan vendor {name!r} ({st_id}) linked to Sage vendor "
                f"{division}-{vendor_no} by {decision.method}{score}",
                doc=doc,
                details=base,
            )
        ctx.count("vendors_linked")
        return ResolvedVendor(division, vendor_no, decision.method)

    def _create(
        self,
        doc: SourceDocument,
        st_id: int,
        name: str,
        st_vendor: Vendor | None,
        base: dict[str, Any],
    ) -> VendorResult:
        ctx = self._ctx
        division = ctx.settings.division
        matcher = self._vendor_matcher()
        taken_numbers: set[str] = set()
        address = st_vendor.address if st_vendor is not None else None
        contact = st_vendor.contact_info if st_vendor is not None else None
        for _ in range(5):
            vendor_no = propose_vendor_no(
                name, lambda n: n in taken_numbers or matcher.is_taken(division, n)
            )
            new = NewVendor(
                division_no=DivisionNo(division),
                vendor_no=SageVendorNo(vendor_no),
                name=name[:VENDOR_NAME_LEN],
                address_line1=((address.street if address else None) or "")[:30],
                address_line2=((address.unit if address else None) or "")[:30],
                city=((address.city if address else None) or "")[:20],
                state=((address.state if address else None) or "")[:2],
                zip_code=((address.zip if address else None) or "")[:10],
                telephone_no=((contact.phone if contact else None) or "")[:17],
                email_address=(contact.email if contact else None) or "",
            )
            if ctx.dry_run:
                taken_numbers.add(vendor_no)
                ctx.count("vendors_created")
                return ResolvedVendor(division, vendor_no, "would create")
            try:
                created = ctx.sage.create_vendor(new)
            except VendorExistsError:
                taken_numbers.add(vendor_no)  # someone took it since we read the list
                continue
            ctx.add_sage_vendor(created)
            self._vendor_matcher().add(created)
            with ctx.store.transaction() as tx:
                tx.add_link(
                    VendorLink(
                        pair=ctx.pair,
                        st_vendor_id=st_id,
                        division_no=division,
                        vendor_no=created.vendor_no,
                        method="created_in_sage",
                        created_at=ctx.clock.now(),
                        created_by=ctx.settings.actor,
                    )
                )
                ctx.audit(
                    tx,
                    "vendor_created",
                    f"created Sage vendor {division}-{created.vendor_no} {created.name!r} for "
                    f"ServiceTitan vendor {name!r} ({st_id})",
                    doc=doc,
                    details={**base, "vendor_no": created.vendor_no},
                )
            ctx.count("vendors_created")
            self._write_number_to_st(st_id, division, created.vendor_no)
            return ResolvedVendor(division, created.vendor_no, "created_in_sage")
        return VendorReview(
            ReviewKind.UNKNOWN_VENDOR,
            f"could not find a free Sage vendor number for {name!r} ({st_id})",
            "create the vendor in Sage by hand, link it, then resolve this item",
            base,
        )

    def _write_number_to_st(self, st_id: int, division: str, vendor_no: str) -> None:
        s = self._ctx.settings
        if not s.write_vendor_number_to_st or not s.application_guid:
            return
        value = vendor_no if division == s.division else f"{division}-{vendor_no}"
        self._ctx.source.patch_vendor(
            st_id,
            {
                "externalData": {
                    "applicationGuid": s.application_guid,
                    "patchMode": "Merge",
                    "externalData": [{"key": s.external_data_key, "value": value}],
                }
            },
        )

    # --- routed invoices ----------------------------------------------------------------
    def _resolve_routed(self, doc: SourceDocument, route: InvoiceRoute) -> VendorResult:
        ctx = self._ctx
        how = route.vendor.how
        if how in ("fixed", "custom_field"):
            raw = route.vendor.value if how == "fixed" else doc.custom_field(route.vendor.value)
            if not raw or not raw.strip():
                return VendorReview(
                    ReviewKind.UNKNOWN_VENDOR,
                    f"{doc.label}: custom field {route.vendor.value!r} holds no vendor number "
                    f"(routing rule {route.name!r})",
                    "fill in the custom field in ServiceTitan",
                )
            division, vendor_no = split_vendor(raw, ctx.settings.division)
            if self._sage_vendor(division, vendor_no) is None:
                return VendorReview(
                    ReviewKind.UNKNOWN_VENDOR,
                    f"{doc.label}: Sage vendor {division}-{vendor_no} (routing rule "
                    f"{route.name!r}) does not exist",
                    "create the vendor in Sage or correct the number",
                )
            return ResolvedVendor(division, vendor_no, how)
        key = doc.vendor_name.casefold()
        if key not in self._by_name:
            decision = self._vendor_matcher().decide(name=doc.vendor_name)
            if decision.outcome == "link" and decision.vendor_no:
                found = ResolvedVendor(
                    decision.division_no or ctx.settings.division, decision.vendor_no, "name"
                )
                result: VendorResult = found
                with ctx.store.transaction() as tx:
                    score = "" if decision.score is None else f" (score {decision.score:.1f})"
                    ctx.audit(
                        tx,
                        "vendor_matched",
                        f"customer {doc.vendor_name!r} of routed invoices matched to Sage vendor "
                        f"{found.label} by {decision.method}{score} (rule {route.name!r})",
                        doc=doc,
                        details={"method": decision.method, "score": decision.score},
                    )
            else:
                result = VendorReview(
                    ReviewKind.AMBIGUOUS_VENDOR
                    if decision.outcome == "review"
                    else ReviewKind.UNKNOWN_VENDOR,
                    f"{doc.label}: customer {doc.vendor_name!r} does not match one Sage vendor "
                    f"safely: {decision.reason}",
                    "create or pick the Sage vendor, then resolve this item",
                    {"candidates": _candidates(decision), "method": decision.method},
                )
            self._by_name[key] = result
        return self._by_name[key]
