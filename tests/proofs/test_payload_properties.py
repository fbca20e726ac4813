"""Any AP bill payload, however wrong, either becomes a document whose problems are named,
or an `InvalidRecordError` naming the record: never an exception that would stop a cycle.
(hypothesis drives the field values; the full fuzz through HTTP is scripts/fuzz_payloads.py)"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from proof_world import ap_bill

from ml_connector.servicetitan.errors import InvalidRecordError
from ml_connector.servicetitan.paging import validate_one
from ml_connector.servicetitan.records import ApBill
from ml_connector.sync.documents.fingerprint import fingerprint
from ml_connector.sync.documents.source import from_ap_bill, problems

BASE = ap_bill(9_100_001, random.Random(3))
FIELDS = [
    "id",
    "billAmount",
    "taxAmount",
    "shippingAmount",
    "billDate",
    "dueDate",
    "referenceNumber",
    "vendor",
    "vendorNumber",
    "expenseItems",
    "items",
    "billType",
    "status",
    "summary",
    "doNotPay",
    "customFields",
]
AMOUNTISH = st.sampled_from(
    ["1e400", "-1e400", "NaN", "-Infinity", "12.345", "0", "-0.00", "1E+13", " 7 ", "1,000.00"]
)
DATEISH = st.sampled_from(
    ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-02-30", "2026-03-01", "20260301"]
)
SCALAR = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.text(max_size=30)
    | AMOUNTISH
    | DATEISH
)
VALUE = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)
LINE_KEYS = st.sampled_from(["id", "amount", "description", "generalLedgerAccount"])


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(st.sampled_from(FIELDS), VALUE, max_size=4),
    st.dictionaries(LINE_KEYS, VALUE, max_size=2),
)
def test_any_payload_is_a_document_or_a_named_rejection(
    fields: dict[str, Any], line: dict[str, Any]
) -> None:
    raw = {**BASE, **fields}
    if line and isinstance(raw.get("expenseItems"), list) and raw["expenseItems"]:
        first = raw["expenseItems"][0]
        if isinstance(first, dict):
            raw["expenseItems"] = [{**first, **line}, *raw["expenseItems"][1:]]
    result = validate_one(raw, ApBill, resource="ap-bills", operation="test")
    if isinstance(result, InvalidRecordError):
        assert result.message.startswith(f"ap-bills {raw.get('id')} does not validate")
        assert result.problems
        return
    doc = from_ap_bill(result, stream="ap_bills:ApBill")
    fingerprint(doc)
    problem = problems(doc)
    if problem is not None:
        assert f"{doc.doc_id}" in problem.reason


def test_an_id_beyond_64_bits_is_a_named_rejection_not_a_store_overflow() -> None:
    for field, value in (("id", 2**63), ("vendor", {"id": 2**70, "name": "X"})):
        result = validate_one({**BASE, field: value}, ApBill, resource="ap-bills", operation="t")
        assert isinstance(result, InvalidRecordError), field
