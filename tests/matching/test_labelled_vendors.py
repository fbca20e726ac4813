"""The labelled set: ServiceTitan vendor names as offices key them, against one Sage list.

Each row says what a careful clerk would decide: link to a given Sage vendor, create a new
vendor, or review. The matcher may be more cautious than the label (review where the label
says link or create) but must never link where the label does not say that exact vendor,
and never create a vendor Sage already has.

The figures in docs/matching.md (between the `labelled-set` markers) are the ones this
test measures: it fails when they differ, and rewrites them when run with
ML_CONNECTOR_UPDATE_DOCS=1.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from labelled_set import REPORT, load_pairs

from ml_connector.sage100.port import SageVendor
from ml_connector.sync.vendors.aliases import load_vendor_aliases
from ml_connector.sync.vendors.match import MatchSettings, VendorDecision, VendorMatcher

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "matching.md"
README = ROOT / "README.md"
EXAMPLE_ALIASES = ROOT / "docs" / "examples" / "vendor-aliases.csv"
START, END = "<!-- labelled-set:start -->", "<!-- labelled-set:end -->"
MIN_AS_LABELLED = 0.85


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


@dataclass
class Figures:
    pairs: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    verdicts: Counter[str] = field(default_factory=Counter)
    right_by_outcome: Counter[str] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    @property
    def automatic(self) -> int:
        return self.outcomes["link"] + self.outcomes["create"]

    @property
    def wrong(self) -> int:
        return self.verdicts["WRONG LINK"]

    @property
    def duplicates(self) -> int:  # a new vendor where Sage already has this one
        return self.verdicts["create, label link"] + self.verdicts["create, label review"]

    def share(self, n: int) -> str:
        return f"{n} ({n / self.pairs:.0%})" if self.pairs else "0"


def measure(matcher: VendorMatcher) -> Figures:
    f = Figures()
    for row in load_pairs():
        decision = _decide(matcher, row)
        verdict = _verdict(row, decision)
        f.pairs += 1
        f.outcomes[decision.outcome] += 1
        f.verdicts[verdict] += 1
        if verdict == "right":
            f.right_by_outcome[decision.outcome] += 1
        else:
            f.misses.append(
                f"  {verdict:<22} {row['st_name']!r:<48} -> {decision.outcome} "
                f"{decision.vendor_no or ''} ({decision.method}, {decision.score})"
            )
    return f


def _table(plain: Figures, aliased: Figures, sage_count: int) -> str:
    def row(label: str, a: str, b: str) -> str:
        return f"| {label} | {a} | {b} |"

    lines = [
        f"{plain.pairs} labelled pairs against {sage_count} Sage vendors.",
        "",
        "| | default settings | with the example alias table |",
        "|---|---|---|",
        row(
            "decided as a careful person would",
            f"**{plain.share(plain.verdicts['right'])}**",
            f"**{aliased.share(aliased.verdicts['right'])}**",
        ),
        row("wrong links", f"**{plain.wrong}**", f"**{aliased.wrong}**"),
        row("new vendors Sage already has", str(plain.duplicates), str(aliased.duplicates)),
        row(
            "decided without a person",
            plain.share(plain.automatic),
            aliased.share(aliased.automatic),
        ),
        row(
            "... links / new vendors, as labelled",
            f"{plain.right_by_outcome['link']} / {plain.right_by_outcome['create']}",
            f"{aliased.right_by_outcome['link']} / {aliased.right_by_outcome['create']}",
        ),
        row(
            "sent to review, label agrees",
            str(plain.right_by_outcome["review"]),
            str(aliased.right_by_outcome["review"]),
        ),
        row(
            "sent to review, label says link",
            str(plain.verdicts["review (label: link)"]),
            str(aliased.verdicts["review (label: link)"]),
        ),
        row(
            "sent to review, label says create",
            str(plain.verdicts["review (label: create)"]),
            str(aliased.verdicts["review (label: create)"]),
        ),
    ]
    return "\n".join(lines)


def test_labelled_set_has_no_wrong_links(sage_vendors: list[SageVendor]) -> None:
    plain = measure(VendorMatcher(sage_vendors))
    aliases = load_vendor_aliases(EXAMPLE_ALIASES)
    aliased = measure(VendorMatcher(sage_vendors, MatchSettings(aliases=aliases)))
    assert plain.pairs >= 350
    for name, f in (("default", plain), ("with aliases", aliased)):
        REPORT.append(f"{name}: {f.pairs} labelled vendor pairs")
        REPORT.append(f"  decided as a careful person would: {f.share(f.verdicts['right'])}")
        REPORT.append(f"  decided without a person: {f.share(f.automatic)}")
        REPORT.append(
            f"  linked {f.outcomes['link']}, created {f.outcomes['create']}, "
            f"sent to review {f.outcomes['review']}"
        )
        REPORT.extend(f"  {verdict}: {count}" for verdict, count in sorted(f.verdicts.items()))
    REPORT.append("not as labelled (default settings):")
    REPORT.extend(plain.misses)
    for f in (plain, aliased):
        assert f.wrong == 0, "\n".join(f.misses)
        assert f.duplicates == 0, "\n".join(f.misses)
        assert f.verdicts["right"] / f.pairs >= MIN_AS_LABELLED, "\n".join(f.misses)

    readme = (
        f"| Vendor matching, labelled set ({plain.pairs} hand-labelled pairs) | "
        f"{plain.wrong} wrong links; {plain.share(plain.verdicts['right'])} decided as a "
        f"careful person would, {plain.share(plain.automatic)} without a person; "
        f"{aliased.share(aliased.verdicts['right'])} with the example alias table |"
    )
    assert readme in README.read_text(encoding="utf-8"), (
        "the README's Figures row for the labelled set is not what was measured; it should "
        "start with:\n" + readme
    )

    table = _table(plain, aliased, len(sage_vendors))
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(START + "\n", 1)
    old, tail = rest.split(END, 1)
    if os.environ.get("ML_CONNECTOR_UPDATE_DOCS") == "1":
        DOC.write_text(f"{head}{START}\n{table}\n{END}{tail}", encoding="utf-8")
        return
    assert old.strip() == table, (
        "docs/matching.md's labelled-set figures are not the measured ones; rerun this test "
        "with ML_CONNECTOR_UPDATE_DOCS=1 to write them:\n" + table
    )
