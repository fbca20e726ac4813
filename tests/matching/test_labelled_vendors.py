"""The labelled set: ServiceTitan vendor names as offices key them, against one Sage list.

Each row says what a careful clerk would decide: link to a given Sage vendor, create a new
vendor, or review. The matcher may be more cautious than the label (review where the label
says link or create) but must never link where the label does not say that exact vendor,
and never create a vendor Sage already has.
"""

from __future__ import annotations

from collections import Counter

from conftest import REPORT, load_pairs

from ml_connector.sage100.port import SageVendor
from ml_connector.sync.vendors.match import VendorDecision, VendorMatcher


def _decide(matcher: VendorMatcher, row: dict[str, str]) -> VendorDecision:
    return matcher.decide(
        name=row["st_name"],
        vendor_number=row["vendor_number"] or None,
        external_number=row["external_number"] or None,
        mapped_number=row["mapped_number"] or None,
    )


def _verdict(row: dict[str, str], decision: VendorDecision) -> str:
    expected = row["expected"]
    if decision.outcome == "link":
        got = f"{decision.division_no}-{decision.vendor_no}"
        return "right" if got == expected else "WRONG LINK"
    if decision.outcome == expected:
        return "right"
    if decision.outcome == "review":
        return "review (label: " + ("link" if "-" in expected else expected) + ")"
    return "create, label " + ("link" if "-" in expected else expected)


def test_labelled_set_has_no_wrong_links(sage_vendors: list[SageVendor]) -> None:
    pairs = load_pairs()
    assert len(pairs) >= 150
    matcher = VendorMatcher(sage_vendors)
    verdicts: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    lines = []
    for row in pairs:
        decision = _decide(matcher, row)
        verdict = _verdict(row, decision)
        verdicts[verdict] += 1
        outcomes[decision.outcome] += 1
        if verdict != "right":
            lines.append(
                f"  {verdict:<22} {row['st_name']!r:<48} -> {decision.outcome} "
                f"{decision.vendor_no or ''} ({decision.method}, {decision.score})"
            )
    automatic = outcomes["link"] + outcomes["create"]
    REPORT.append(f"labelled vendor pairs: {len(pairs)}")
    REPORT.append(f"decided without a person: {automatic} ({automatic / len(pairs):.0%})")
    REPORT.append(
        f"  linked {outcomes['link']}, created {outcomes['create']}, "
        f"sent to review {outcomes['review']}"
    )
    REPORT.extend(f"  {verdict}: {count}" for verdict, count in sorted(verdicts.items()))
    REPORT.append("not as labelled:")
    REPORT.extend(lines)
    assert verdicts["WRONG LINK"] == 0, "\n".join(lines)
    # a new vendor where Sage already has this one is a duplicate finance must merge
    duplicates = verdicts["create, label link"] + verdicts["create, label review"]
    assert duplicates == 0, "\n".join(lines)
    assert automatic / len(pairs) >= 0.65  # regression guard on the share decided alone
