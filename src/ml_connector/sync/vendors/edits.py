"""Edits of linked vendors, flowing by field owner (`SyncSettings.vendor_field_owner`).

Owns `VendorEdits.reconcile`. The snapshot kept per link holds both sides' values as the
vendor step last saw them. A field changed on the side that owns it is written to the other
side when the values differ there (compared the way Sage stores them), and the ServiceTitan
vendor is read back (it drops unknown fields silently). An edit on the other side, or of a
field no side owns, is audited and left alone; a deactivation is always audited. The
snapshot then takes the values as they now are, so our own writes come back as "no change"
and never ping-pong. A link with no snapshot yet (made before this step existed, or by a
person) gets one on first sight, and nothing flows that time.
"""

from __future__ import annotations

from typing import Any

from ml_connector.sage100.port import SageVendor
from ml_connector.servicetitan.records import Vendor
from ml_connector.sync.context import CycleContext
from ml_connector.sync.vendors.actions import VendorActions, label
from ml_connector.sync.vendors.fields import (
    VENDOR_FIELDS,
    VendorValues,
    decode_snapshot,
    sage_changes,
    sage_values,
    same,
    shown,
    snapshot_stream,
    st_patch,
    st_values,
)
from ml_connector.sync.vendors.summary import ActionKind, VendorAction

OTHER = {"servicetitan": "sage", "sage": "servicetitan"}


class VendorEdits:
    """Compares and flows the edits of linked vendors for one run of the vendor step."""

    def __init__(self, ctx: CycleContext, actions: VendorActions) -> None:
        self.ctx = ctx
        self.actions = actions

    def reconcile(self, st: Vendor, sage: SageVendor) -> None:
        """Flow edits of a linked pair by field owner (see the module docstring)."""
        ctx = self.ctx
        with ctx.store.transaction() as tx:
            snap = decode_snapshot(tx.get_cursor(ctx.pair, snapshot_stream(st.id)))
        if snap is None:
            if not ctx.dry_run:  # a link made before this step existed: take a first look
                with ctx.store.transaction() as tx:
                    self.actions.snapshot(tx, st, sage)
            return
        st_then, sage_then = snap
        now = {"servicetitan": st_values(st), "sage": sage_values(sage)}
        then = {"servicetitan": st_then, "sage": sage_then}
        owners = ctx.settings.vendor_field_owner
        flows: dict[str, list[str]] = {"servicetitan": [], "sage": []}  # owner -> fields
        seen: list[tuple[str, str, Any, Any]] = []  # (field, side, before, after), not flowed
        for name in VENDOR_FIELDS:
            changed = {
                side: not same(name, now[side].get(name), then[side].get(name)) for side in now
            }
            owner = owners.get(name)
            if (
                owner is not None
                and changed[owner]
                and not same(name, now[owner].get(name), now[OTHER[owner]].get(name))
            ):
                flows[owner].append(name)
            for side, did in changed.items():
                if did and not (side == owner and name in flows[side]):
                    seen.append((name, side, then[side].get(name), now[side].get(name)))
        st_after, sage_after = st, sage
        if flows["servicetitan"] and not ctx.dry_run:
            changes = sage_changes(now["servicetitan"], flows["servicetitan"])
            sage_after = ctx.sage.update_vendor(sage.division_no, sage.vendor_no, changes)
        if flows["sage"] and not ctx.dry_run:
            ctx.source.patch_vendor(st.id, st_patch(now["sage"], flows["sage"], st))
            st_after = ctx.source.vendor(
                st.id, external_data_application_guid=ctx.settings.application_guid
            )
        self._audit_edits(st, sage, now, flows, seen, st_after, sage_after)

    def _audit_edits(
        self,
        st: Vendor,
        sage: SageVendor,
        now: dict[str, VendorValues],
        flows: dict[str, list[str]],
        seen: list[tuple[str, str, Any, Any]],
        st_after: Vendor,
        sage_after: SageVendor,
    ) -> None:
        ctx = self.ctx
        who = f"ServiceTitan vendor {st.name!r} ({st.id}) / Sage vendor {label(sage)}"
        planned: list[tuple[VendorAction, str, str]] = []
        for owner, fields in flows.items():
            if not fields:
                continue
            kind: ActionKind = "update_sage" if owner == "servicetitan" else "update_st"
            target = "Sage" if owner == "servicetitan" else "ServiceTitan"
            after = st_values(st_after) if owner == "sage" else sage_values(sage_after)
            lost = [f for f in fields if not same(f, after.get(f), now[owner].get(f))]
            values = ", ".join(f"{f}={shown(f, now[owner].get(f))!r}" for f in fields)
            reason = f"{', '.join(fields)} owned by {owner}: written to {target} ({values})"
            if lost and not ctx.dry_run:
                reason += f"; {target} did not keep {', '.join(lost)}"
                ctx.errors.append(f"{who}: {target} did not keep {', '.join(lost)}")
            planned.append(
                (
                    VendorAction(
                        kind,
                        st.id,
                        label(sage),
                        st.name or "",
                        reason=reason,
                        side=target,
                        fields=tuple(fields),
                    ),
                    "vendor_field_updated",
                    f"{who}: {reason}",
                )
            )
        for name, side, before, after_value in seen:
            if name == "active":
                kind = "deactivated" if not after_value else "reactivated"
                audit = f"vendor_{kind}"
                reason = f"made {'inactive' if not after_value else 'active'} in {side}"
            else:
                kind = "edit_not_flowed"
                audit = "vendor_edit_not_flowed"
                field_owner = ctx.settings.vendor_field_owner.get(name)
                why = f"owned by {field_owner}" if field_owner else "no side owns this field"
                reason = (
                    f"{name} changed in {side} from {shown(name, before)!r} to "
                    f"{shown(name, after_value)!r}; not copied ({why})"
                )
            planned.append(
                (
                    VendorAction(
                        kind,
                        st.id,
                        label(sage),
                        st.name or "",
                        reason=reason,
                        side=side,
                        fields=(name,),
                    ),
                    audit,
                    f"{who}: {reason}",
                )
            )
        if ctx.dry_run:
            self.actions.actions.extend(a for a, _, _ in planned)
            return
        with ctx.store.transaction() as tx:
            for action, audit, message in planned:
                self.actions.record(action, tx, audit, message)
            self.actions.snapshot(tx, st_after, sage_after)
        if any(flows.values()):
            ctx.commit()  # recorded right after the edits reached either side
