"""The Sage invoice number rule: deterministic, short, upper case, no collisions per vendor."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from ml_connector.sync.documents.invoice_no import (
    assign_invoice_no,
    candidates,
    canonical_reference,
    plain_invoice_no,
)

references = st.text(
    alphabet=st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz0123456789-/ .#_*"),
    min_size=0,
    max_size=40,
)


def test_short_references_stay_as_a_clerk_keys_them() -> None:
    assert plain_invoice_no("inv-0042 ") == "INV-0042"
    assert plain_invoice_no("10045") == "10045"
    assert plain_invoice_no("0000123") == "0000123"  # leading zeros kept
    assert plain_invoice_no("INV-2024-000123456") is None


def test_long_reference_keeps_its_tail_and_a_hash() -> None:
    first = next(candidates("INV-2024-000123456", 7))
    assert re.fullmatch(r"23456-[A-Z2-7]{4}", first)


def test_empty_reference_uses_the_document_id() -> None:
    assert next(candidates("", 4711)) == "ST4711"
    assert next(candidates("  ", 4711)) == "ST4711"


@given(references, st.integers(min_value=1, max_value=10**12))
def test_every_candidate_fits_sage(reference: str, doc_id: int) -> None:
    gen = candidates(reference, doc_id)
    for _ in range(5):
        number = next(gen)
        assert 1 <= len(number) <= 10
        assert number == number.upper()
        assert " " not in number


@given(references, st.integers(min_value=1, max_value=10**9))
def test_rule_is_deterministic(reference: str, doc_id: int) -> None:
    assert assign_invoice_no(reference, doc_id, lambda _: None) == assign_invoice_no(
        reference, doc_id, lambda _: None
    )


@settings(max_examples=60)
@given(st.lists(references, min_size=1, max_size=300))
def test_no_two_references_of_one_vendor_share_a_number(refs: list[str]) -> None:
    held: dict[str, str] = {}  # invoice number -> canonical reference (the vendor's ledger)
    given_to: dict[str, str] = {}  # canonical reference -> invoice number
    for doc_id, ref in enumerate(refs, start=1):
        number = assign_invoice_no(ref, doc_id, held.get)
        canon = canonical_reference(ref)
        if canon and canon in given_to:
            assert given_to[canon] == number  # same vendor invoice -> same key (duplicate)
        held.setdefault(number, canon or f"#{doc_id}")
        if canon:
            given_to.setdefault(canon, number)
    # distinct canonical references never share a number
    numbers = list(given_to.values())
    assert len(numbers) == len(set(numbers))


def test_long_references_with_the_same_tail_do_not_collide() -> None:
    held: dict[str, str] = {}
    seen = set()
    for n in range(2000):
        ref = f"PO-{n:06d}-2024-FERGUSON-99999"
        number = assign_invoice_no(ref, n + 1, held.get)
        assert number not in seen
        seen.add(number)
        held[number] = canonical_reference(ref)


def test_junk_characters_that_collapse_take_the_next_candidate() -> None:
    held = {"A1": canonical_reference("A1")}
    other = assign_invoice_no("A*1", 2, held.get)
    assert other != "A1"
    assert len(other) <= 10
