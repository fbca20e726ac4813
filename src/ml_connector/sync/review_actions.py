"""Review operations that reach Sage 100, shared by the CLI and the web app.

- `check_vendor_on_file`: a vendor a person picked must be on file in Sage and active,
  otherwise every bill re-queued by the link would only come back rejected.
- `search_vendors` / `active_accounts`: what a person may pick from.
- `create_vendor_for`: create the Sage vendor a vendor review item waits for (a number
  derived from the ServiceTitan name, as the engine does), then resolve the item with
  it through `ReviewQueue.resolve`, which links it and re-queues every bill of that
  vendor. A crash between the two leaves a Sage vendor without a link: the next cycle's
  matcher finds it by its exact name.
The queue changes themselves, and their audit events, are `ReviewQueue`'s.
"""

from __future__ import annotations

from ml_connector.sage100.errors import VendorExistsError
from ml_connector.sage100.port import (
    VENDOR_NAME_LEN,
    DivisionNo,
    GlAccount,
    NewVendor,
    Sage100,
    SageVendor,
    SageVendorNo,
)
from ml_connector.servicetitan.records import Vendor
from ml_connector.store.port import AuditEvent, ReviewItem, ReviewKind
from ml_connector.sync.review import ReviewError, ReviewQueue
from ml_connector.sync.settings import split_vendor
from ml_connector.sync.vendors.fields import st_values
from ml_connector.sync.vendors.names import normalise_vendor_name as normalise_name
from ml_connector.sync.vendors.numbers import propose_vendor_no

VENDOR_KINDS = frozenset({ReviewKind.AMBIGUOUS_VENDOR, ReviewKind.UNKNOWN_VENDOR})


def check_vendor_on_file(sage: Sage100, vendor: str, *, division: str, company: str) -> SageVendor:
    """The Sage vendor `vendor` ("FERGUSO" or "01-FERGUSO"), on file and active."""
    div, vendor_no = split_vendor(vendor, division)
    found = sage.vendor(DivisionNo(div), SageVendorNo(vendor_no))
    if found is None:
        raise ReviewError(
            f"Sage vendor {div}-{vendor_no} is not on file in company {company}",
            hint="check the number in Vendor Maintenance (division-vendor, e.g. 00-FERGUSO)",
        )
    if found.status.upper() == "I":
        raise ReviewError(
            f"Sage vendor {div}-{vendor_no} ({found.name}) is inactive: Sage refuses "
            "invoices for it",
            hint="pick an active vendor, or make this one active in Vendor Maintenance first",
        )
    return found


def search_vendors(sage: Sage100, text: str, *, limit: int = 20) -> list[SageVendor]:
    """Active Sage vendors whose number starts with, or whose name contains, `text`
    (names compared normalised: case, punctuation and legal suffixes aside)."""
    wanted = text.strip()
    if not wanted:
        return []
    number = wanted.upper().replace("-", "")
    name = normalise_name(wanted)
    found: list[SageVendor] = []
    for v in sage.vendors():
        if v.status.upper() == "I":
            continue
        full_no = f"{v.division_no}{v.vendor_no}"
        if (
            v.vendor_no.startswith(number)
            or full_no.startswith(number)
            or (name and name in normalise_name(v.name))
        ):
            found.append(v)
    found.sort(key=lambda v: (not v.vendor_no.startswith(number), v.name.upper()))
    return found[:limit]


def active_accounts(sage: Sage100) -> list[GlAccount]:
    return sorted((a for a in sage.gl_accounts() if a.is_active), key=lambda a: a.account)


def create_vendor_for(
    queue: ReviewQueue,
    sage: Sage100,
    review_id: int,
    *,
    by: str,
    note: str = "",
    st_vendor: Vendor | None = None,
) -> tuple[SageVendor, ReviewItem]:
    """Create the Sage vendor for a vendor review item and resolve the item with it.
    `st_vendor` (the ServiceTitan record, when it could be read) gives the address, phone
    and e-mail, cut to Sage's field lengths as the engine's own creation does."""
    item = queue.get(review_id)
    if item.kind not in VENDOR_KINDS:
        raise ReviewError(f"review item {review_id} is about {item.kind}, not a vendor")
    name = str(item.details.get("st_vendor_name") or "").strip()
    if not name or item.details.get("st_vendor_id") is None:
        raise ReviewError(
            f"review item {review_id} names no ServiceTitan vendor to create in Sage",
            hint="create the vendor in Sage by hand, then link it",
        )
    values = st_values(st_vendor) if st_vendor is not None else None
    division = queue.division
    taken: set[str] = {v.vendor_no for v in sage.vendors() if v.division_no == division}
    for _ in range(5):
        number = propose_vendor_no(name, lambda n: n in taken)
        try:
            created = sage.create_vendor(
                NewVendor(
                    division_no=DivisionNo(division),
                    vendor_no=SageVendorNo(number),
                    name=name[:VENDOR_NAME_LEN],
                    address_line1=values.address[0][:30] if values else "",
                    address_line2=values.address[1][:30] if values else "",
                    city=values.address[2][:20] if values else "",
                    state=values.address[3][:2] if values else "",
                    zip_code=values.address[4][:10] if values else "",
                    telephone_no=values.phone[:17] if values else "",
                    email_address=values.email if values else "",
                )
            )
        except VendorExistsError:
            taken.add(number)  # created by someone else since the list was read
            continue
        with queue.store.transaction() as tx:
            tx.append_audit(
                AuditEvent(
                    at=queue.clock.now(),
                    pair=queue.pair,
                    action="vendor_created",
                    actor=by,
                    doc_kind=item.doc_kind,
                    doc_id=item.doc_id,
                    message=f"created Sage vendor {division}-{created.vendor_no} "
                    f"{created.name!r} for ServiceTitan vendor {name!r} "
                    f"({item.details.get('st_vendor_id')}), asked by {by}",
                    details={"review_id": review_id, "vendor_no": created.vendor_no},
                )
            )
        resolved = queue.resolve(
            review_id, by=by, note=note, vendor=f"{division}-{created.vendor_no}"
        )
        return created, resolved
    raise ReviewError(
        f"no free Sage vendor number could be reserved for {name!r}",
        hint="create the vendor in Sage by hand, then link it",
    )
