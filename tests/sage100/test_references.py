"""Invoice references re-keyed the ways an AP office keys them (hypothesis generates the
re-keyings), and the ones that must stay apart."""

from __future__ import annotations

import itertools
import re

from hypothesis import given
from hypothesis import strategies as st

from ml_connector.sage100.references import (
    INVOICE_NO_CUT,
    normalise_reference,
    reference_keys,
)

# A vendor's reference: number runs, letter runs, separators ("INV-2024-000123", "4411A").
_run = st.one_of(
    st.from_regex(r"[0-9]{1,7}", fullmatch=True),
    st.from_regex(r"[A-Z]{1,3}", fullmatch=True),
)
_references = st.lists(_run, min_size=1, max_size=4).filter(
    lambda runs: any(r[0].isdigit() for r in runs)
)
_prefixes = st.sampled_from(
    ["", "INV", "INV-", "inv ", "Inv#", "Invoice ", "Invoice No. ", "#", "# ", "No.", "no ",
     "PO#", "PO ", "Ref ", "NBR "]
)  # fmt: skip
_separators = st.sampled_from(["", "", "-", " ", "/", ".", "_", " - "])


def _rekey(runs: list[str], draw: st.DrawFn) -> str:
    """One way a clerk keys the same reference: case, punctuation, prefix, leading zeros."""
    out = []
    for run in runs:
        if run.isdigit():
            bare = run.lstrip("0") or "0"
            run = "0" * draw(st.integers(0, 3)) + bare if draw(st.booleans()) else run
        else:
            run = run.lower() if draw(st.booleans()) else run
        out.append(run)
    text = out[0]
    for prev, run in itertools.pairwise(out):
        sep = draw(_separators)
        if not sep and prev[-1].isdigit() and run[0].isdigit():
            sep = "-"  # two number runs written together would be one number
        text += sep + run
    prefix = draw(_prefixes)
    if prefix and not text[0].isdigit():
        prefix = ""  # "INV" before letters is part of the reference, not a prefix
    return prefix + text


@st.composite
def _two_keyings(draw: st.DrawFn) -> tuple[str, str]:
    runs = draw(_references)
    return _rekey(runs, draw), _rekey(runs, draw)


@given(_two_keyings())
def test_the_same_reference_keyed_two_ways_is_the_same_reference(pair: tuple[str, str]) -> None:
    a, b = pair
    assert reference_keys(a).same_reference(reference_keys(b)), (a, b)


@given(st.integers(1, 10**9), st.integers(1, 10**9), _prefixes, st.integers(0, 4))
def test_different_numbers_are_never_the_same_reference(
    n: int, m: int, prefix: str, zeros: int
) -> None:
    if n == m:
        return
    a, b = f"{prefix}{'0' * zeros}{n}", str(m)
    assert not reference_keys(a).same_reference(reference_keys(b))
    assert not reference_keys(a).resembles(reference_keys(b)) or str(n).startswith(str(m))


@given(st.integers(1000, 10**8), st.sampled_from(["-1", "-2", "/1", "R1", "-R2", " Rev 1", "-A"]))
def test_a_revision_added_resembles_the_original(n: int, revision: str) -> None:
    if 1900 <= n <= 2099:
        return  # "2024-1" is a month, not a revision
    a, b = reference_keys(f"{n}{revision}"), reference_keys(str(n))
    assert a.resembles(b)


@given(st.from_regex(r"[A-Z]{0,3}-?[1-9][0-9]{3}-[0-9]{6,9}", fullmatch=True))
def test_a_long_reference_cut_to_ten_characters_resembles_it(reference: str) -> None:
    keyed = re.sub(r"[^0-9A-Z]", "", reference)
    keyed = re.sub(r"^(INV|NO|PO)(?=[0-9])", "", keyed)[:INVOICE_NO_CUT]
    assert reference_keys(reference).resembles(reference_keys(keyed))


@given(st.text(max_size=40))
def test_any_text_gives_keys_without_error(text: str) -> None:
    keys = reference_keys(text)
    assert all(k and k.isalnum() and k.isascii() for k in keys.all) or not keys.strong
    assert normalise_reference(text) in keys.strong or not keys.strong


def test_examples_an_office_keys() -> None:
    same = [
        ("INV-000123", "123"),
        ("PO#4411-A", "4411A"),
        ("Invoice No. 0042", "42"),
        ("inv-0042/a", "INV 42 A"),
        ("2024-000123", "2024000123"),
        ("2024-000123", "2024-123"),
        ("#00981", "981"),
    ]
    for a, b in same:
        assert reference_keys(a).same_reference(reference_keys(b)), (a, b)
    rekeyed = [("5501-1", "5501"), ("5501 Rev 2", "5501"), ("5501 REV. 12", "5501"),
               ("S100234567", "100234567"), ("INV-2024-000123456", "2024000123")]  # fmt: skip
    for a, b in rekeyed:
        assert not reference_keys(a).same_reference(reference_keys(b)), (a, b)
        assert reference_keys(a).resembles(reference_keys(b)), (a, b)
    apart = [("2024-1", "2024-2"), ("2024-01", "2024-02"), ("A100", "B100"), ("CM-123", "123"),
             ("NOVA-12", "12"), ("123", "1230"), ("12-1", "12")]  # fmt: skip
    for a, b in apart:
        assert not reference_keys(a).resembles(reference_keys(b)), (a, b)
    assert reference_keys("#").strong == frozenset()
    assert reference_keys("   ").strong == frozenset()


def test_pathological_input_is_handled_like_any_other() -> None:
    # separators without a number, repeated prefixes, a megabyte: no backtracking blow-up
    assert reference_keys("- " * 55 + "x").strong == frozenset({"X"})
    assert reference_keys("- " * 5000 + "x").strong == frozenset()  # cut at 120 characters
    assert reference_keys("INV" * 3000 + "X").strong
    assert reference_keys("#" * 10_000).strong == frozenset()
    assert reference_keys("1" * 1_000_000).strong == frozenset({"1" * 120})
