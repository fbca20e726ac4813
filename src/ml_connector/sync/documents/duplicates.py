"""The duplicate policy: is a bill already in Sage under another key (DESIGN §5)?

Owns `suspected_duplicates`, which the writer asks after the exact key was not found in
Sage (both looked up by one `look_before_write`). Invoices keyed by hand (before go-live,
or by a clerk who did not wait) rarely carry the reference exactly as ServiceTitan has it;
`sage100.references` says which re-keyings are equated. A Sage invoice in entry, open or
history is a suspected duplicate when:

1. it is under the same vendor and its invoice number is the same reference in another
   form ("INV-000123" / "123", "PO#4411-A" / "4411A") - whatever the amounts: a vendor's
   invoice number names one invoice, and a second amount is a question for a person;
2. it is under any vendor, has the same amount, and its number is the same reference in
   another form, or a re-keyed one (a revision "-1" added or dropped, letters before or
   after the number dropped, cut to Sage's 10 characters).

A hit is never written: the document goes to review, where a person may say "it is a
different invoice" (the writer then writes that revision).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ml_connector.sage100.port import ApInvoiceKey, BeforeWrite, ExistingInvoice
from ml_connector.sage100.references import reference_keys


@dataclass(frozen=True, slots=True)
class SuspectedDuplicate:
    invoice: ExistingInvoice
    why: str  # for a clerk: "same vendor, same reference keyed as 123 (amount 90.00)"

    def describe(self) -> dict[str, str]:
        i = self.invoice
        return {"key": str(i.key), "where": i.where, "amount": str(i.amount), "why": self.why}


def suspected_duplicates(
    looked: BeforeWrite, reference: str, amount: Decimal, key: ApInvoiceKey
) -> list[SuspectedDuplicate]:
    """Sage invoices other than `key` that may be this bill (see the module docstring),
    the strongest evidence first, from what was looked up before the write (`looked`: the
    invoices sharing a key with `reference`, of any amount and of this amount)."""
    keys = reference_keys(reference)
    if not keys.strong:
        return []
    found: dict[tuple[str, ApInvoiceKey], SuspectedDuplicate] = {}
    same_vendor = (key.division_no, key.vendor_no)
    for inv in looked.by_reference:
        if inv.key == key or (inv.key.division_no, inv.key.vendor_no) != same_vendor:
            continue
        if keys.same_reference(reference_keys(inv.key.invoice_no)):
            money = (
                "same amount"
                if inv.amount == amount
                else f"Sage amount {inv.amount}, this bill {amount}"
            )
            found[(inv.where, inv.key)] = SuspectedDuplicate(
                inv, f"same vendor, same invoice number keyed as {inv.key.invoice_no} ({money})"
            )
    for inv in looked.same_amount:
        if inv.key == key or (inv.where, inv.key) in found:
            continue
        other = reference_keys(inv.key.invoice_no)
        if keys.same_reference(other):
            why = f"same reference keyed as {inv.key.invoice_no}, same amount"
        elif keys.resembles(other):
            why = (
                f"reference {inv.key.invoice_no} looks re-keyed (revision, letters or "
                "Sage's 10-character cut), same amount"
            )
        else:
            continue
        found[(inv.where, inv.key)] = SuspectedDuplicate(inv, why)
    return list(found.values())
