"""Writes: vendor create and patch (externalData Replace vs Merge), mark-as-exported."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from st_sandbox_http import Api

from ml_connector.sandbox.servicetitan.server import RunningSandbox, running_sandbox
from ml_connector.sandbox.servicetitan.settings import SandboxSettings

OURS = str(uuid.UUID(int=0xAB12))
THEIRS = str(uuid.UUID(int=0xCD34))
ADDRESS = {
    "street": "10 Water St",
    "unit": "",
    "city": "Columbus",
    "state": "OH",
    "zip": "43215",
    "country": "USA",
}


def _new_vendor(**extra: Any) -> dict[str, Any]:
    return {
        "name": "Scioto Valley Supply",
        "active": True,
        "isTruckReplenishment": False,
        "taxRate": 0.075,
        "restrictedMobileCreation": False,
        "address": ADDRESS,
        **extra,
    }


def test_create_vendor_then_read_it_back(fresh: RunningSandbox) -> None:
    api = Api(fresh)
    created = api.send(
        "POST",
        "inventory",
        "vendors",
        _new_vendor(
            phone="614-555-0100",
            memo="from Sage",
            madeUpField="dropped silently",
            externalData={
                "applicationGuid": OURS,
                "externalData": [{"key": "sageVendorNo", "value": "SCIOTOV"}],
            },
        ),
    )
    assert created.status_code == 200, created.text
    vendor_id = created.json()["id"]
    plain = api.ok("inventory", f"vendors/{vendor_id}")
    assert plain["name"] == "Scioto Valley Supply"
    assert plain["contactInfo"]["phone"] == "614-555-0100"
    assert plain["defaultTaxRate"] == 0.075
    assert plain["externalData"] == []  # only shown for the application that asks
    assert "madeUpField" not in plain
    ours = api.ok("inventory", f"vendors/{vendor_id}", {"externalDataApplicationGuid": OURS})
    assert ours["externalData"] == [{"key": "sageVendorNo", "value": "SCIOTOV"}]
    found = api.ok(
        "inventory",
        "vendors",
        {
            "externalDataApplicationGuid": OURS,
            "externalDataKey": "sageVendorNo",
            "externalDataValues": "SCIOTOV,OTHER",
        },
    )
    assert [v["id"] for v in found["data"]] == [vendor_id]
    api.close()


def test_create_vendor_refuses_incomplete_bodies(fresh: RunningSandbox) -> None:
    api = Api(fresh)
    no_unit = dict(ADDRESS)
    del no_unit["unit"]
    response = api.send("POST", "inventory", "vendors", _new_vendor(address=no_unit, name=None))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "address.unit" in errors
    assert "name" in errors
    api.close()


def test_patch_external_data_replace_versus_merge(fresh: RunningSandbox) -> None:
    api = Api(fresh)
    vendor_id = 601

    def patch(mode: str | None, guid: str, items: list[dict[str, Any]]) -> None:
        ext: dict[str, Any] = {"applicationGuid": guid, "externalData": items}
        if mode:
            ext["patchMode"] = mode
        response = api.send("PATCH", "inventory", f"vendors/{vendor_id}", {"externalData": ext})
        assert response.status_code == 200, response.text
        assert response.json() == {"id": vendor_id}

    def shown(guid: str) -> list[dict[str, str]]:
        body = api.ok("inventory", f"vendors/{vendor_id}", {"externalDataApplicationGuid": guid})
        return list(body["externalData"])

    patch(None, OURS, [{"key": "sageVendorNo", "value": "FERGUSO"}, {"key": "div", "value": "00"}])
    patch(None, THEIRS, [{"key": "qbId", "value": "77"}])
    assert shown(OURS) == [
        {"key": "sageVendorNo", "value": "FERGUSO"},
        {"key": "div", "value": "00"},
    ]
    patch("Merge", OURS, [{"key": "sageVendorNo", "value": "FERG01"}])
    assert shown(OURS) == [
        {"key": "sageVendorNo", "value": "FERG01"},
        {"key": "div", "value": "00"},
    ]
    patch("Replace", OURS, [{"key": "linkedOn", "value": "2026-01-05"}])
    assert shown(OURS) == [{"key": "linkedOn", "value": "2026-01-05"}]
    patch("Merge", OURS, [{"key": "linkedOn", "value": None}])
    assert shown(OURS) == []
    assert shown(THEIRS) == [{"key": "qbId", "value": "77"}]  # other applications untouched
    api.close()


def test_patch_changes_fields_and_modified_on(fresh: RunningSandbox) -> None:
    api = Api(fresh)
    before = api.ok("inventory", "vendors/602")
    response = api.send("PATCH", "inventory", "vendors/602", {"active": False, "email": "x@y.z"})
    assert response.status_code == 200
    after = api.ok("inventory", "vendors/602")
    assert after["active"] is False
    assert after["contactInfo"]["email"] == "x@y.z"
    assert after["modifiedOn"] > before["modifiedOn"]
    hidden = api.ok("inventory", "vendors", [("ids", "602")])["data"]
    assert hidden == []  # inactive now, so hidden by default
    changed = api.ok(
        "inventory", "vendors", {"modifiedOnOrAfter": after["modifiedOn"], "active": "Any"}
    )["data"]
    assert [v["id"] for v in changed] == [602]
    missing = api.send("PATCH", "inventory", "vendors/999999", {"memo": "x"})
    assert missing.status_code == 404
    api.close()


def test_mark_ap_bills_exported_answers_per_item(fresh: RunningSandbox) -> None:
    api = Api(fresh)
    bills = api.all_pages("accounting", "ap-bills", {"pageSize": 5000, "billType": "ApBill"})
    posted = next(b for b in bills if b["syncStatus"] == "Posted")
    pending = next(b for b in bills if b["syncStatus"] == "Pending")
    response = api.send(
        "POST",
        "accounting",
        "ap-bills/markasexported",
        {"billIds": [posted["id"], pending["id"], 42]},
    )
    assert response.status_code == 200
    results = {r["billId"]: r for r in response.json()}
    assert results[posted["id"]]["success"] is True
    assert results[pending["id"]]["success"] is True
    assert results[42]["success"] is False
    assert "42" in results[42]["errorMessage"]
    again = api.ok("accounting", f"ap-bills/{posted['id']}")
    assert again["syncStatus"] == "PostedAndExported"
    assert again["modifiedOn"] > posted["modifiedOn"]
    assert api.ok("accounting", f"ap-bills/{pending['id']}")["syncStatus"] == "Exported"
    exported = api.ok(
        "accounting", "ap-bills", {"billType": "ApBill", "syncStatuses": "PostedAndExported"}
    )["data"]
    assert posted["id"] in [b["id"] for b in exported]
    bad = api.send("POST", "accounting", "ap-bills/markasexported", {"ids": [1]})
    assert bad.status_code == 400
    api.close()


def test_admin_upsert_changes_records_and_bumps_modified_on(fresh: RunningSandbox) -> None:
    api = Api(fresh)
    bill = api.ok("accounting", "ap-bills", {"pageSize": 1})["data"][0]
    fresh.upsert("ap-bills", [{"id": bill["id"], "referenceNumber": "EDITED-1"}])
    edited = api.ok("accounting", f"ap-bills/{bill['id']}")
    assert edited["referenceNumber"] == "EDITED-1"
    assert edited["billAmount"] == bill["billAmount"]  # merged, not replaced
    assert edited["modifiedOn"] > bill["modifiedOn"]
    new_account = {
        "id": 999,
        "name": "Retainage Payable",
        "number": "2300-00-100",
        "description": "",
        "type": "Liability",
        "subtype": "OtherCurrentLiability",
        "active": True,
        "isIntacctGroup": False,
        "isIntacctBankAccount": False,
        "source": "AccountingSystem",
        "defaultAccountType": None,
    }
    fresh.upsert("gl-accounts", [new_account])
    found = api.ok("accounting", "gl-accounts", {"numbers": "2300-00-100"})["data"]
    assert [a["id"] for a in found] == [999]
    assert found[0]["createdOn"] == found[0]["modifiedOn"]
    api.close()


def test_admin_sets_vendor_external_data(fresh: RunningSandbox) -> None:
    api = Api(fresh)
    fresh.upsert(
        "vendors",
        [{"id": 603, "_external": {OURS.upper(): [{"key": "sageVendorNo", "value": "WINSUPP"}]}}],
    )
    shown = api.ok("inventory", "vendors/603", {"externalDataApplicationGuid": OURS})
    assert shown["externalData"] == [{"key": "sageVendorNo", "value": "WINSUPP"}]
    assert "_external" not in shown
    api.close()


def test_vendor_writes_need_the_write_scope(tmp_path: Path) -> None:
    """An application registered without `tn.inv.vendors:w` reads vendors but may not
    create or patch them: 403 naming the scope (reference/servicetitan.md: 403 on scopes
    the app lacks); nothing changes."""
    scope = SandboxSettings().scope.replace("tn.inv.vendors:w", "")
    with running_sandbox(tmp_path / "state", size=20, settings=SandboxSettings(scope=scope)) as sb:
        api = Api(sb)
        before = api.ok("inventory", "vendors/602")
        patch = {
            "externalData": {
                "applicationGuid": OURS,
                "patchMode": "Merge",
                "externalData": [{"key": "sage100VendorNo", "value": "FERGWAT"}],
            }
        }
        for method, path, body in (
            ("PATCH", "vendors/602", patch),
            ("POST", "vendors", _new_vendor()),
        ):
            refused = api.send(method, "inventory", path, body)
            assert refused.status_code == 403, refused.text
            assert "tn.inv.vendors:w" in refused.text
        assert api.ok("inventory", "vendors/602") == before
        api.close()
