"""Review operations that reach Sage 100, shared by the CLI and the web app.

- `check_vendor_on_file`: a vendor a person picked must be on file in Sage and active,
  otherwise every bill re-queued by the link would only come back rejected.
- `search_vendors` / `active_accounts`: what a person may pick from.
- `create_vendor_for`: create the Sage vendor a vendor review item waits for (a number
  derived from the ServiceTitan name, built by the engine's own `vendors.create`), then
  resolve the item with it through `ReviewQueue.resolve`, which links it and re-queues
  every bill of that vendor. A crash between the two leaves a Sage vendor without a link:
  the next cycle's matcher finds it by its exact name.
- `link_vendor_for`: link the Sage vendor a person picked (checked on file and active).
  Both keep the Sage number in the ServiceTitan vendor's externalData when the pair says
  so (`write_vendor_number_to_st`), through the engine's own `write_number_to_st`
  (`number_to_st`, which `vendors link` uses too).
- `map_gl_account`: an unmapped GL problem resolved with an active Sage account, either
  once (a `GlOverride` for each document's revision in review) or saved as a rule (by a
  `save_rule` the caller gives, which edits the rules file).
The queue changes themselves, and their audit events, are `ReviewQueue`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ml_connector.errors import ConnectorError
from ml_connector.sage100.errors import VendorExistsError
from ml_connector.sage100.port import (
    DivisionNo,
    GlAccount,
    Sage100,
    SageVendor,
    SageVendorNo,
)
from ml_connector.servicetitan.port import ServiceTitanSource
from ml_connector.servicetitan.records import Vendor
from ml_connector.store.port import AuditEvent, ReviewItem, ReviewKind
from ml_connector.sync.review import ReviewError, ReviewQueue
from ml_connector.sync.settings import SyncSettings, split_vendor
from ml_connector.sync.vendors.create import new_vendor_for, number_message, write_number_to_st
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


@dataclass(frozen=True, slots=True)
class StSide:
    """What a person's vendor action needs of ServiceTitan: the pair's settings and its
    source (None in a backend without ServiceTitan: then nothing is written there)."""

    settings: SyncSettings
    source: ServiceTitanSource | None

    def vendor(self, st_vendor_id: int) -> Vendor | None:
        if self.source is None:
            return None
        guid = self.settings.application_guid
        return self.source.vendor(st_vendor_id, external_data_application_guid=guid)


def _audit(
    queue: ReviewQueue,
    item: ReviewItem | None,
    action: str,
    by: str,
    message: str,
    **details: Any,
) -> None:
    with queue.store.transaction() as tx:
        tx.append_audit(
            AuditEvent(
                at=queue.clock.now(),
                pair=queue.pair,
                action=action,
                actor=by,
                doc_kind=item.doc_kind if item is not None else None,
                doc_id=item.doc_id if item is not None else None,
                message=message,
                details=details,
            )
        )


@dataclass(frozen=True, slots=True)
class NumberInSt:
    """What became of the Sage number on the ServiceTitan side after a person's action."""

    saved: bool  # written and read back, or nothing to write (False: it is not there)
    message: str  # for the person; "" when nothing was written


def number_to_st(
    queue: ReviewQueue,
    item: ReviewItem | None,
    st: StSide,
    st_vendor: Vendor | None,
    sage: SageVendor,
    *,
    by: str,
) -> NumberInSt:
    """The engine's `write_number_to_st` after a person's link or creation (`item`: the
    review item it came from, if any), audited `vendor_number_saved` /
    `vendor_number_not_saved` with the person's name. A ServiceTitan failure is reported,
    never raised: what the person did in Sage and in the links stays done."""
    if st.source is None or st_vendor is None:
        return NumberInSt(True, "")
    where = f"{sage.division_no}-{sage.vendor_no}"
    try:
        result = write_number_to_st(st.source, st.settings, st_vendor, sage)
    except ConnectorError as exc:
        message = (
            f"the Sage number {where} could not be written to ServiceTitan vendor "
            f"{st_vendor.id}: {exc.describe()}"
        )
        _audit(
            queue,
            item,
            "vendor_number_not_saved",
            by,
            message,
            st_vendor_id=st_vendor.id,
            sage_vendor=where,
        )
        return NumberInSt(False, message)
    if result is None:
        return NumberInSt(True, "")
    action, message = number_message(result)
    _audit(
        queue,
        item,
        action,
        by,
        f"{message} (asked by {by})",
        st_vendor_id=st_vendor.id,
        sage_vendor=where,
    )
    return NumberInSt(result.kept, message)


def keep_number_in_st(
    queue: ReviewQueue,
    item: ReviewItem,
    st: StSide,
    st_vendor: Vendor | None,
    sage: SageVendor,
    *,
    by: str,
) -> str:
    """`number_to_st` for a review action: a sentence for the person ("" when there was
    nothing to write)."""
    return number_to_st(queue, item, st, st_vendor, sage, by=by).message


def _st_vendor_of(item: ReviewItem, st: StSide | None) -> Vendor | None:
    st_id = item.details.get("st_vendor_id")
    if st is None or st_id is None:
        return None
    return st.vendor(int(st_id))


def link_vendor_for(
    queue: ReviewQueue,
    sage: Sage100,
    review_id: int,
    vendor: str,
    *,
    by: str,
    note: str = "",
    company: str = "",
    st: StSide | None = None,
) -> tuple[SageVendor, ReviewItem, str]:
    """Link the Sage vendor `vendor` (checked on file and active) to a vendor review item's
    ServiceTitan vendor and re-queue its bills; then its number in ServiceTitan."""
    item = queue.get(review_id)  # an unknown item is reported before Sage is asked
    found = check_vendor_on_file(sage, vendor, division=queue.division, company=company)
    resolved = queue.resolve(review_id, by=by, note=note, vendor=vendor)
    if st is None:
        return found, resolved, ""
    try:  # the link is made: ServiceTitan being down must not read as "not done"
        st_vendor = _st_vendor_of(item, st)
    except ConnectorError as exc:
        said = f"the Sage number could not be written to ServiceTitan: {exc.describe()}"
        _audit(queue, item, "vendor_number_not_saved", by, said)
        return found, resolved, said
    return found, resolved, keep_number_in_st(queue, item, st, st_vendor, found, by=by)


def create_vendor_for(
    queue: ReviewQueue,
    sage: Sage100,
    review_id: int,
    *,
    by: str,
    note: str = "",
    st: StSide | None = None,
) -> tuple[SageVendor, ReviewItem, str]:
    """Create the Sage vendor for a vendor review item and resolve the item with it. The
    ServiceTitan record (when `st` can read it) gives the address, phone and e-mail, as
    the engine's own creation does; the new number then goes to ServiceTitan's
    externalData when the pair says so. Returns the vendor, the item and what happened
    on the ServiceTitan side ("" when nothing was written there)."""
    item = queue.get(review_id)
    if item.kind not in VENDOR_KINDS:
        raise ReviewError(f"review item {review_id} is about {item.kind}, not a vendor")
    name = str(item.details.get("st_vendor_name") or "").strip()
    if not name or item.details.get("st_vendor_id") is None:
        raise ReviewError(
            f"review item {review_id} names no ServiceTitan vendor to create in Sage",
            hint="create the vendor in Sage by hand, then link it",
        )
    st_vendor = _st_vendor_of(item, st)
    division = queue.division
    taken: set[str] = {v.vendor_no for v in sage.vendors() if v.division_no == division}
    for _ in range(5):
        number = propose_vendor_no(name, lambda n: n in taken)
        try:
            created = sage.create_vendor(new_vendor_for(name, division, number, st_vendor))
        except VendorExistsError:
            taken.add(number)  # created by someone else since the list was read
            continue
        _audit(
            queue,
            item,
            "vendor_created",
            by,
            f"created Sage vendor {division}-{created.vendor_no} {created.name!r} for "
            f"ServiceTitan vendor {name!r} ({item.details.get('st_vendor_id')}), asked by {by}",
            review_id=review_id,
            vendor_no=created.vendor_no,
        )
        resolved = queue.resolve(
            review_id, by=by, note=note, vendor=f"{division}-{created.vendor_no}"
        )
        said = keep_number_in_st(queue, item, st, st_vendor, created, by=by) if st else ""
        return created, resolved, said
    raise ReviewError(
        f"no free Sage vendor number could be reserved for {name!r}",
        hint="create the vendor in Sage by hand, then link it",
    )


# --- GL --------------------------------------------------------------------------------


def gl_account_on_file(sage: Sage100, wanted: str) -> GlAccount:
    """The active Sage account given as formatted number, raw number or AccountKey."""
    text = wanted.strip()
    for account in active_accounts(sage):
        if text and text in (account.account, account.raw_account, account.account_key):
            return account
    raise ReviewError(
        f"{text!r} is not an active Sage GL account",
        hint="pick an active account (G/L Account Maintenance lists them)",
    )


def st_gl_accounts_of(items: Sequence[ReviewItem]) -> tuple[str, ...]:
    """The ServiceTitan GL accounts of the unmapped lines of these items, sorted."""
    found: set[str] = set()
    for item in items:
        for line in item.details.get("unmapped") or []:
            if isinstance(line, dict) and line.get("st_gl_account"):
                found.add(str(line["st_gl_account"]))
    return tuple(sorted(found))


@dataclass(frozen=True, slots=True)
class GlMapped:
    account: GlAccount
    items: tuple[int, ...]  # the review items resolved
    rule: str  # where the rule was saved; "" for a one-off account


SaveRule = Callable[[GlAccount, tuple[str, ...]], str]


def map_gl_account(
    queue: ReviewQueue,
    sage: Sage100,
    review_ids: Sequence[int],
    wanted: str,
    *,
    by: str,
    note: str = "",
    save_rule: SaveRule | None = None,
) -> GlMapped:
    """Resolve unmapped GL items with the active Sage account `wanted`: once, for each
    document's revision in review (`save_rule` None), or as a rule that `save_rule` writes
    for the items' ServiceTitan GL accounts (it returns where). Each document is re-queued."""
    items = [queue.get(i) for i in review_ids]
    for item in items:
        if item.kind is not ReviewKind.UNMAPPED_GL:
            raise ReviewError(
                f"review item {item.id} is about {item.kind}: only a missing GL account is mapped"
            )
    account = gl_account_on_file(sage, wanted)
    if save_rule is None:
        for item in items:
            queue.resolve(
                item.id or 0,
                by=by,
                note=note or f"one-off account {account.account} for this bill",
                account=account.account,
            )
        return GlMapped(account, tuple(i.id or 0 for i in items), "")
    st_accounts = st_gl_accounts_of(items)
    if not st_accounts:
        raise ReviewError(
            "the unmapped lines carry no ServiceTitan GL account to write a rule for",
            hint="use the account for this bill only, or add a rule by budget code to the "
            "GL rules file (a tax or freight line: set the pair's tax_account / "
            "freight_account)",
        )
    where = save_rule(account, st_accounts)
    for item in items:
        queue.resolve(
            item.id or 0,
            by=by,
            note=note or f"GL rule added: {', '.join(st_accounts)} -> {account.account}",
        )
    _audit(
        queue,
        items[0],
        "gl_rule_added",
        by,
        f"GL rule added by {by}: ServiceTitan GL account {', '.join(st_accounts)} -> Sage "
        f"{account.account} ({account.description})",
        st_gl_accounts=list(st_accounts),
        account=account.account,
        rules_file=where,
    )
    return GlMapped(account, tuple(i.id or 0 for i in items), where)
