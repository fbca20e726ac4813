"""Record parsing at the edge: money rounded to cents, unit costs and quantities exact."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from ml_connector.servicetitan.records import ApBill
from ml_connector.sync.documents.source import from_ap_bill


def test_unit_costs_keep_their_decimals_and_lines_round_once() -> None:
    bill = ApBill.model_validate(
        {
            "id": 1,
            "billAmount": "1.00",
            "billDate": "2026-03-01T00:00:00Z",
            "items": [{"id": 10, "quantity": "8", "cost": "0.125"}],
        }
    )
    assert bill.items[0].cost == Decimal("0.125")
    assert bill.bill_date == date(2026, 3, 1)
    doc = from_ap_bill(bill, stream="ap_bills:ApBill")
    assert [line.amount for line in doc.lines] == [Decimal("1.00")]


def test_money_as_a_float_is_refused() -> None:
    with pytest.raises(ValidationError, match="float"):
        ApBill.model_validate({"id": 1, "billAmount": 12.5})
