"""Vendor matching at scale: 5,000 ServiceTitan vendors against 5,000 Sage vendors.

Synthetic but realistic names (surnames and place words + trade words + legal suffixes,
branch numbers, abbreviations, Sage's 30-character cut). About 60% of the ServiceTitan names
are re-keyed variants of a Sage vendor, the rest are new. Prints the seconds taken to index
and to decide, peak memory (process RSS; the index alone by tracemalloc), the outcomes, and
links to the wrong vendor (ground truth is known for every synthetic name).

    .venv/bin/python benchmarks/bench_matching.py [--size 5000] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import resource
import time
import tracemalloc
from collections import Counter

from ml_connector.sage100.port import DivisionNo, SageVendor, SageVendorNo
from ml_connector.sync.vendors.match import VendorMatcher
from ml_connector.sync.vendors.names import normalise_vendor_name


def _words(text: str, sep: str | None = None) -> list[str]:
    return text.split(sep)


FIRST = _words(
    "Ferguson Johnstone Hajoca Winnelson Graybar Crescent Rexel Grainger Sunbelt Ahern "
    "Carrier Lennox Gemaire Apex Acme Summit Premier Reliable Precision Quality Allied "
    "Liberty Patriot Eagle Falcon Hawk Lone Star Texan Gulf Coastal Pioneer Frontier "
    "Heritage Legacy Keystone Cornerstone Pinnacle Summit Vista Horizon Sunrise Sunset "
    "Evergreen Cedar Oak Maple Willow Pine Birch Aspen Sierra Cascade Rocky Mesa Canyon "
    "Prairie Meadow River Lake Harbor Bay Smith Johnson Williams Brown Jones Garcia "
    "Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson Anderson Thomas "
    "Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez "
    "Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green "
    "Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Phillips Evans "
    "Turner Parker Collins Edwards Stewart Morris Murphy Cook Rogers Morgan Peterson "
    "Cooper Reed"
)
SECOND = _words(
    "North South East West Central Metro Valley Mountain Coast Tri-County Capital "
    "National American United General Standard Superior Advanced Modern Classic Royal "
    "Golden Silver Blue Red Green Diamond Crown Star Delta Alpha Omega Titan Atlas "
    "Apollo Mercury Phoenix"
)
TRADES = _words(
    "Supply|Plumbing Supply|Electric Supply|Electrical|Plumbing|Heating & Cooling|Air "
    "Conditioning|HVAC Services|Mechanical|Rentals|Equipment Rental|Roofing|Sheet Metal|"
    "Distributors|Insulation|Pipe & Supply|Fire Protection|Drain Cleaning|Excavating|"
    "Concrete|Drywall|Paint|Lumber|Hardware|Controls|Refrigeration|Water Heaters|Tools|"
    "Fleet Services",
    "|",
)
SUFFIXES = ("", "", "", " Inc", " Inc.", " LLC", " Co", " Company", " Corp", ", Inc.", " Ltd")
SYLLABLES = _words("zor van tek quil bry mox dal fen grum hask jiv lor nep osk prel trux vim yor")
ABBREV = {
    "Supply": "Sply",
    "Electric": "Elec",
    "Plumbing": "Plbg",
    "Mechanical": "Mech",
    "Services": "Svc",
    "Distributors": "Dist",
    "Heating": "Htg",
}


def _sage_vendors(rng: random.Random, size: int) -> list[SageVendor]:
    seen: set[str] = set()
    vendors: list[SageVendor] = []
    while len(vendors) < size:
        parts = [rng.choice(FIRST)]
        if rng.random() < 0.35:
            parts.append(rng.choice(SECOND))
        parts.append(rng.choice(TRADES))
        name = " ".join(parts) + rng.choice(SUFFIXES)
        if rng.random() < 0.08:
            name += f" #{rng.randint(10, 9999)}"
        name = name.upper()[:30].rstrip()
        key = normalise_vendor_name(name)  # Sage lists rarely hold one name twice
        if key in seen:
            continue
        seen.add(key)
        number = f"V{len(vendors):06d}"
        vendors.append(SageVendor(DivisionNo("00"), SageVendorNo(number), name))
    return vendors


def _variant(rng: random.Random, name: str) -> str:
    words = name.title().replace(" Inc", "").replace(" Llc", "").split()
    words = [ABBREV.get(w, w) if rng.random() < 0.3 else w for w in words]
    text = " ".join(words)
    if rng.random() < 0.5:
        text += rng.choice(SUFFIXES)
    if rng.random() < 0.2:
        text = text.lower()
    return text


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    sage = _sage_vendors(rng, args.size)
    queries: list[tuple[str, str | None]] = []
    for _ in range(args.size):
        if rng.random() < 0.6:
            vendor = rng.choice(sage)
            queries.append((_variant(rng, vendor.name), vendor.vendor_no))
        else:
            # a company Sage does not have: an invented word (never a Sage word) + a trade,
            # sometimes beside a word Sage names do use ("Ferguson Zorvana Supply")
            coined = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
            words = [coined.title(), rng.choice(TRADES)]
            if rng.random() < 0.3:
                words.insert(0, rng.choice(FIRST))
            queries.append((" ".join(words), None))

    started = time.perf_counter()
    matcher = VendorMatcher(sage)
    indexed = time.perf_counter()
    outcomes: Counter[str] = Counter()
    wrong = 0
    for name, truth in queries:
        decision = matcher.decide(name=name)
        outcomes[decision.outcome] += 1
        if decision.outcome == "link" and decision.vendor_no != truth:
            wrong += 1
    done = time.perf_counter()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    # Memory of the index itself, measured apart: tracemalloc slows everything down.
    tracemalloc.start()
    VendorMatcher(sage)
    _, index_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(f"sage vendors: {len(sage)}, servicetitan vendors: {len(queries)}")
    print(f"index: {indexed - started:.2f} s, decide: {done - indexed:.2f} s")
    print(f"per decision: {(done - indexed) / len(queries) * 1000:.2f} ms")
    print(f"peak memory: process RSS {peak_rss:.0f} MiB; index {index_peak / 2**20:.1f} MiB")
    print(f"outcomes: {dict(outcomes)}; links to a vendor other than the source: {wrong}")


if __name__ == "__main__":
    main()
