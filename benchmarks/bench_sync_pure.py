"""Pure engine steps per document: normalise a bill, fingerprint it, assign its invoice number.

Prints documents per second for each step (no I/O involved).
"""

from __future__ import annotations

import time

from ml_connector.servicetitan.records import ApBill
from ml_connector.sync.documents.fingerprint import fingerprint
from ml_connector.sync.documents.invoice_no import assign_invoice_no, canonical_reference
from ml_connector.sync.documents.source import from_ap_bill, problems

N = 20_000


def make_bill(n: int) -> ApBill:
    return ApBill.model_validate(
        {
            "id": n,
            "referenceNumber": f"INV-2026-{n:09d}",
            "billDate": "2026-01-02T00:00:00Z",
            "billAmount": "131.05",
            "taxAmount": "8.10",
            "vendor": {"id": n % 50, "name": "Ferguson"},
            "items": [
                {
                    "id": 1,
                    "quantity": "3",
                    "cost": "10.35",
                    "generalLedgerAccount": {"number": "5000"},
                }
            ],
            "expenseItems": [
                {"id": 2, "amount": "91.90", "generalLedgerAccount": {"number": "6100"}}
            ],
        }
    )


def main() -> None:
    bills = [make_bill(n) for n in range(N)]
    t = time.perf_counter()
    docs = [from_ap_bill(b, stream="ap_bills:ApBill") for b in bills]
    assert all(problems(d) is None for d in docs)
    t_norm = time.perf_counter() - t
    t = time.perf_counter()
    prints = [fingerprint(d) for d in docs]
    t_fp = time.perf_counter() - t
    held: dict[str, str] = {}
    t = time.perf_counter()
    for d in docs:
        number = assign_invoice_no(d.reference, d.doc_id, held.get)
        held[number] = canonical_reference(d.reference)
    t_no = time.perf_counter() - t
    assert len(set(prints)) == N
    assert len(held) == N
    print(f"normalise + check: {N / t_norm:,.0f} bills/s")
    print(f"fingerprint:       {N / t_fp:,.0f} bills/s")
    print(f"invoice number:    {N / t_no:,.0f} bills/s (one vendor's ledger, long references)")


if __name__ == "__main__":
    main()
