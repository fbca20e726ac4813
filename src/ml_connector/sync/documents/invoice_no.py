"""The rule that turns a ServiceTitan reference number into a Sage 100 `InvoiceNo`.

Sage's InvoiceNo is at most 10 characters and upper case. The rule:

1. Canonical reference: upper case, white space removed ("inv 0042 " -> "INV0042").
   Two documents with the same canonical reference from one vendor carry the same vendor
   invoice number: they are the same invoice (the duplicate policy applies).
2. Plain form: the canonical reference keeping only A-Z, 0-9 and "-" "/" "." "_".
   When it is 1 to 10 characters long it is the invoice number, exactly as a clerk would
   have keyed it by hand (so hand-keyed duplicates are found by vendor + number).
3. Otherwise (too long, or nothing left): the last 5 letters/digits of the reference, a
   dash and 4 characters of a SHA-256 hash of the canonical reference (base 32):
   "INV-2024-000123456" -> "23456-K3QZ". With no usable reference: "ST" + document id.
4. Collisions within a vendor: the ledger says which document holds a candidate key. When it
   is held by a document with a *different* canonical reference, the next candidate is
   taken: the hash of "<canonical>#1", "#2", ... So different references of one vendor
   never share an invoice number, and the same reference always gets the same one while
   nobody else holds it.

The full reference always travels in the invoice's comment and line comments.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterator

from ml_connector.sage100.port import INVOICE_NO_LEN

_SPACE = re.compile(r"\s+")
_NOT_PLAIN = re.compile(r"[^A-Z0-9\-/._]")
_NOT_ALNUM = re.compile(r"[^A-Z0-9]")
TAIL_LEN = 5
HASH_LEN = INVOICE_NO_LEN - TAIL_LEN - 1  # 4
MAX_CANDIDATES = 1000


class InvoiceNumberExhaustedError(RuntimeError):
    """No free invoice number among the candidates (only possible with a corrupt ledger)."""


def canonical_reference(reference: str) -> str:
    """Upper case, white space removed: the identity of a vendor invoice number."""
    return _SPACE.sub("", reference.upper())


def _hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return base64.b32encode(digest).decode("ascii")[:HASH_LEN]


def plain_invoice_no(reference: str) -> str | None:
    """The reference as a clerk would key it, when it fits; None otherwise."""
    plain = _NOT_PLAIN.sub("", canonical_reference(reference))
    if 0 < len(plain) <= INVOICE_NO_LEN:
        return plain
    return None


def candidates(reference: str, doc_id: int) -> Iterator[str]:
    """Every invoice number the document may take, best first (deterministic)."""
    canon = canonical_reference(reference)
    plain = plain_invoice_no(reference)
    if plain is not None:
        yield plain
    seed = canon if canon else f"ST-DOCUMENT-{doc_id}"
    if not canon:
        fallback = f"ST{doc_id}"
        if len(fallback) <= INVOICE_NO_LEN:
            yield fallback
    tail = _NOT_ALNUM.sub("", canon)[-TAIL_LEN:] or "ST"
    yield f"{tail}-{_hash(seed)}"
    for k in range(1, MAX_CANDIDATES):
        yield f"{tail}-{_hash(f'{seed}#{k}')}"


def assign_invoice_no(reference: str, doc_id: int, held_by: Callable[[str], str | None]) -> str:
    """The first candidate that is free or held by the same canonical reference.

    `held_by(invoice_no)` answers the canonical reference of the *other* document of the
    same vendor that holds this number in the ledger, or None when no other document does.
    """
    canon = canonical_reference(reference)
    for candidate in candidates(reference, doc_id):
        holder = held_by(candidate)
        if holder is None or (canon and holder == canon):
            return candidate
    raise InvoiceNumberExhaustedError(
        f"no free Sage invoice number for reference {reference!r} (document {doc_id})"
    )
