"""`Sage100.update_vendor` through the BOI adapter on the Sage sandbox: an existing vendor
only (`nSetKey` must answer 1), only the fields given, cut to Sage's lengths, read back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from ml_connector.sage100.boi import BoiSage100
from ml_connector.sage100.errors import SageRejectedError
from ml_connector.sage100.port import DivisionNo, SageVendorNo, VendorChanges
from ml_connector.sage100.settings import BoiSettings
from ml_connector.sandbox.sage100 import ProvideXScript, init_root

D00 = DivisionNo("00")


@pytest.fixture
def sage(tmp_path: Path) -> Iterator[BoiSage100]:
    root = tmp_path / "sage"
    root.mkdir()
    init_root(root, seed="demo")
    settings = BoiSettings(
        home=str(root), company="ABC", user="sandbox", password=SecretStr("sandbox")
    )
    adapter = BoiSage100(settings, lambda: ProvideXScript(root))
    yield adapter
    adapter.close()


def test_only_the_fields_given_change(sage: BoiSage100) -> None:
    before = sage.vendor(D00, SageVendorNo("GRAYBAR"))
    assert before is not None
    after = sage.update_vendor(
        D00,
        SageVendorNo("GRAYBAR"),
        VendorChanges(city="Dublin", telephone_no="614-555-0199", email_address="ap@graybar.com"),
    )
    assert (after.city, after.telephone_no, after.email_address) == (
        "Dublin",
        "614-555-0199",
        "ap@graybar.com",
    )
    assert (after.name, after.address_line1, after.zip_code) == (
        before.name,
        before.address_line1,
        before.zip_code,
    )
    assert after.updated is not None
    assert before.updated is None or after.updated >= before.updated


def test_values_are_cut_to_sage_lengths_and_status_set(sage: BoiSage100) -> None:
    after = sage.update_vendor(
        D00,
        SageVendorNo("GRAYBAR"),
        VendorChanges(name="Graybar Electric Company of Central Ohio", status="I"),
    )
    assert after.name == "Graybar Electric Company of Ce"
    assert after.status == "I"


def test_a_missing_vendor_is_never_created(sage: BoiSage100) -> None:
    with pytest.raises(SageRejectedError, match="does not exist"):
        sage.update_vendor(D00, SageVendorNo("NOSUCH"), VendorChanges(city="Dublin"))
    assert sage.vendor(D00, SageVendorNo("NOSUCH")) is None


def test_an_empty_name_or_unknown_status_is_refused(sage: BoiSage100) -> None:
    with pytest.raises(SageRejectedError, match="needs a name"):
        sage.update_vendor(D00, SageVendorNo("GRAYBAR"), VendorChanges(name="  "))
    with pytest.raises(SageRejectedError, match="status"):
        sage.update_vendor(D00, SageVendorNo("GRAYBAR"), VendorChanges(status="X"))
