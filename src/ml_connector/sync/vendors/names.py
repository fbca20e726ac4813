"""Vendor names as AP offices key them, reduced to a form that can be compared.

Owns `normalise_vendor_name` and the tokeniser behind it. Normalising folds case, accents and
punctuation; treats "&", "+" and "and" alike; drops legal suffixes (Inc, LLC, Co, Corp, Ltd,
Company, Incorporated...), "The" and "of"; keeps the trade name of "X dba Y"; expands the
abbreviations offices use (Sply -> supply, Elec -> electric, Plbg -> plumbing, Dist ->
distributors, Mech -> mechanical, Svc -> services, Bros -> brothers...); joins spelled-out
initials ("A. B. C." -> "abc"); and pulls a branch number ("#1187", "Store 12", "Branch 4",
"- 0012") out as a separate part, because branches can be separate vendors in Sage.

Tokens are classed as *distinctive* (the words that tell companies apart: "ferguson",
"apex", "84", "north") or *generic* (trade words such as supply, plumbing, rental, and filler
such as enterprises, group, sales). Matching weighs distinctive words more.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from ml_connector.sage100.port import VENDOR_NAME_LEN

# Abbreviations and variants -> one canonical word. Canonical words map to themselves, so
# normalising twice changes nothing.
_CANONICAL: Final[dict[str, str]] = {
    **dict.fromkeys(["sup", "sply", "spl", "supp", "supl", "suppl", "supplies", "splys"], "supply"),
    **dict.fromkeys(["elec", "elect", "electrical", "electic", "elctrc"], "electric"),
    **dict.fromkeys(["plbg", "plmb", "plmbg", "plumb", "plumbers", "plumber"], "plumbing"),
    **dict.fromkeys(
        ["dist", "distr", "distrib", "distributor", "distribution", "distributing", "distbr"],
        "distributors",
    ),
    **dict.fromkeys(["mech", "mechnical"], "mechanical"),
    **dict.fromkeys(["svc", "svcs", "srvc", "srvcs", "serv", "service", "svs"], "services"),
    **dict.fromkeys(["bros", "bro", "brother"], "brothers"),
    **dict.fromkeys(["son"], "sons"),
    **dict.fromkeys(["htg"], "heating"),
    **dict.fromkeys(["clg"], "cooling"),
    **dict.fromkeys(["equip", "eqpt", "eqp", "equipments"], "equipment"),
    **dict.fromkeys(["rentals", "rent", "rntl", "rntls"], "rental"),
    **dict.fromkeys(["contractor", "contr", "contrs", "contracting"], "contractors"),
    **dict.fromkeys(["constr", "const", "cnstr"], "construction"),
    **dict.fromkeys(["mfg", "mfr", "manufacturer", "manufacturers"], "manufacturing"),
    **dict.fromkeys(["ind", "inds", "indus", "industry"], "industries"),
    **dict.fromkeys(["intl", "internatl"], "international"),
    **dict.fromkeys(["natl"], "national"),
    **dict.fromkeys(["assoc", "assocs", "associate"], "associates"),
    **dict.fromkeys(["ent", "ents", "enterprise"], "enterprises"),
    **dict.fromkeys(["sys", "system"], "systems"),
    **dict.fromkeys(["prods", "prod", "product"], "products"),
    **dict.fromkeys(["solution"], "solutions"),
    **dict.fromkeys(["refrig", "refrigerat"], "refrigeration"),
    **dict.fromkeys(["matl", "matls", "mtl", "mtls", "material"], "materials"),
    **dict.fromkeys(["bldg", "bldgs"], "building"),
    **dict.fromkeys(["ctr", "cntr", "centre"], "center"),
    **dict.fromkeys(["whse", "whsl", "whsle", "wholesalers", "wholesaler"], "wholesale"),
    **dict.fromkeys(["grp"], "group"),
    **dict.fromkeys(["util", "utils", "utility"], "utilities"),
    **dict.fromkeys(["tool"], "tools"),
    **dict.fromkeys(["part"], "parts"),
    **dict.fromkeys(["pump"], "pumps"),
    **dict.fromkeys(["hvacr"], "hvac"),  # not "AC": "A.C. Supply" may be someone's initials
    **dict.fromkeys(["company"], "company"),
    **dict.fromkeys(["co"], "company"),
    **dict.fromkeys(["mtn"], "mountain"),
    **dict.fromkeys(["mister"], "mr"),
    **dict.fromkeys(["heaters"], "heater"),
    **dict.fromkeys(["st"], "saint"),  # "St Louis"; "Street" rarely appears in vendor names
    **dict.fromkeys(["ft"], "fort"),
    **dict.fromkeys(["mt"], "mount"),
}

# Legal forms. Dropped anywhere (they never tell two vendors apart)...
_LEGAL_ANYWHERE: Final = frozenset(
    {"inc", "incorporated", "llc", "ltd", "ltee", "corp", "corporation", "pllc", "llp", "plc"}
)
# ...and these only at the end ("Co" inside "Smith Co Supply" is part of the name).
_LEGAL_AT_END: Final = frozenset({"company", "limited", "lp", "pc", "pa", "sa", "usa", "com"})
_STOP_WORDS: Final = frozenset({"and", "the", "of"})

TRADE_WORDS: Final = frozenset(
    {
        "supply", "electric", "plumbing", "heating", "cooling", "air", "conditioning", "hvac",
        "refrigeration", "mechanical", "rental", "equipment", "roofing", "lumber", "hardware",
        "tools", "pipe", "steel", "metal", "metals", "sheet", "insulation", "concrete",
        "paving", "excavating", "landscaping", "drywall", "glass", "door", "doors", "windows",
        "paint", "flooring", "fire", "protection", "sprinkler", "security", "alarm", "pest",
        "control", "controls", "waste", "disposal", "sanitation", "trucking", "transport",
        "freight", "fuel", "oil", "gas", "propane", "energy", "power", "water", "sewer",
        "drain", "septic", "irrigation", "pumps", "valve", "parts", "materials", "building",
        "construction", "contractors", "lighting", "wire", "cable", "telecom",
        "communications", "fleet", "auto", "automotive", "truck", "tire", "uniform",
        "uniforms", "office", "janitorial", "cleaning", "staffing", "engineering", "testing",
        "inspection", "crane", "scaffolding", "utilities", "light", "telephone", "wireless",
        "internet", "mobile", "bank", "insurance", "heat", "welding", "fabrication",
        "boiler", "boilers", "heater", "ductwork", "duct", "filters", "filter", "chemical",
        "chemicals",
        "lift", "lifts", "hydronics", "geothermal", "solar", "generator", "generators",
        "machine", "machinery", "safety", "signs", "printing", "storage", "moving",
        "excavation", "grading", "plastics", "rooter", "residential", "commercial",
        "manufacturing",
    }
)  # fmt: skip
FILLER_WORDS: Final = frozenset(
    {
        "company", "group", "enterprises", "holdings", "industries", "associates", "partners",
        "sales", "services", "solutions", "systems", "products", "international", "global",
        "wholesale", "distributors", "center", "brothers", "sons", "team", "works",
        "specialties", "specialists", "technologies", "trading", "companies",
    }
)  # fmt: skip
GENERIC_WORDS: Final = TRADE_WORDS | FILLER_WORDS

DISTINCTIVE_WEIGHT: Final = 3.0
TRADE_WEIGHT: Final = 1.0
FILLER_WEIGHT: Final = 0.7
SHORT_WEIGHT: Final = 1.0  # initials and two-letter words: "ww" in "W.W. Grainger"

_BRANCH_MARK = re.compile(r"#\s*([a-z0-9]+)")
_BRANCH_WORDS: Final = frozenset({"store", "branch", "br", "location", "loc", "no", "nbr", "num"})
_DELETE = re.compile(r"['’`.]")
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def _fold(text: str) -> str:
    """Case-fold and strip accents: 'Électricité' -> 'electricite'."""
    text = text.replace("ß", "ss").replace("æ", "ae").replace("Æ", "ae")
    text = text.replace("ø", "o").replace("Ø", "o").replace("œ", "oe").replace("Œ", "oe")
    text = text.replace("ł", "l").replace("Ł", "l").replace("đ", "d").replace("Đ", "d")
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if ch.isascii() and not unicodedata.combining(ch))


def _strip_zeros(branch: str) -> str:
    return branch.lstrip("0") or "0"


def _raw_words(text: str) -> list[str]:
    text = text.replace("&", " and ").replace("+", " and ").replace("@", " at ")
    text = text.replace(".com", " com ")  # "Amazon.com" -> "amazon"
    return _NOT_WORD.sub(" ", _DELETE.sub("", text)).split()


def _split_dba(words: list[str]) -> tuple[list[str], list[str]]:
    """'acme holdings dba cool air' -> (['cool', 'air'], ['acme', 'holdings'])."""
    segments: list[list[str]] = [[]]
    i = 0
    while i < len(words):
        if words[i] == "dba":
            segments.append([])
            i += 1
        elif words[i : i + 3] in (["d", "b", "a"], ["doing", "business", "as"]):
            segments.append([])
            i += 3
        else:
            segments[-1].append(words[i])
            i += 1
    kept = [seg for seg in segments if _clean(seg)]
    if not kept:
        return [w for seg in segments for w in seg], []
    return kept[-1], (kept[-2] if len(kept) > 1 else [])


def _strip_legal_end(words: list[str]) -> list[str]:
    while len(words) > 1 and words[-1] in _LEGAL_AT_END:
        words = words[:-1]
    return words


def _clean(raw: list[str]) -> list[str]:
    """Stop words and legal forms out, initials joined, abbreviations expanded."""
    words = [w for w in raw if w not in _STOP_WORDS and w not in _LEGAL_ANYWHERE]
    # "a b c supply" -> "abc supply": initials written with spaces or dots are one word.
    merged: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        if run:
            merged.append("".join(run))
            run = []
        if word:
            merged.append(word)
    skip = _STOP_WORDS | _LEGAL_ANYWHERE
    return _strip_legal_end([_CANONICAL.get(w, w) for w in merged if w not in skip])


def _branch_in_words(words: list[str]) -> tuple[list[str], str | None]:
    """'store 12' / 'branch 4' anywhere, or a trailing number of 3+ digits after a name."""
    for i in range(len(words) - 1):
        if words[i] in _BRANCH_WORDS and words[i + 1].isdigit():
            rest = words[:i] + words[i + 2 :]
            if rest:
                return _strip_legal_end(rest), _strip_zeros(words[i + 1])
    last_is_number = len(words) > 1 and words[-1].isdigit() and len(words[-1]) >= 3
    if last_is_number and any(ch.isalpha() for ch in words[-2]):
        return _strip_legal_end(words[:-1]), _strip_zeros(words[-1])
    return words, None


@dataclass(frozen=True, slots=True)
class ParsedName:
    """A vendor name taken apart for matching."""

    raw: str
    tokens: tuple[str, ...]  # canonical words, branch removed
    branch: str | None  # "1187" for "Ferguson #1187"; leading zeros dropped
    owner: tuple[str, ...] = ()  # the legal name before "dba", when there is one

    @property
    def base(self) -> str:
        """The name without its branch, as one string."""
        return " ".join(self.tokens)

    @property
    def compact(self) -> str:
        """The base without spaces: 'win supply' and 'winsupply' compare equal."""
        return "".join(self.tokens)

    @property
    def normalised(self) -> str:
        return f"{self.base} #{self.branch}" if self.branch else self.base

    @property
    def distinctive(self) -> tuple[str, ...]:
        return tuple(t for t in self.tokens if t not in GENERIC_WORDS)

    @property
    def generic(self) -> tuple[str, ...]:
        return tuple(t for t in self.tokens if t in GENERIC_WORDS)

    @property
    def maybe_truncated(self) -> bool:
        """Long enough that Sage's 30-character VendorName may have cut it short."""
        return len(self.raw.strip()) >= VENDOR_NAME_LEN - 2


@functools.cache
def token_weight(token: str) -> float:
    """How much a word counts when comparing names: distinctive > trade word > filler."""
    if token in FILLER_WORDS:
        return FILLER_WEIGHT
    if token in TRADE_WORDS:
        return TRADE_WEIGHT
    if len(token) <= 2 and not token.isdigit():
        return SHORT_WEIGHT
    return DISTINCTIVE_WEIGHT


def is_generic(token: str) -> bool:
    return token in GENERIC_WORDS


def _tokens(text: str) -> tuple[list[str], list[str]]:
    words = _raw_words(text)
    trade, owner = _split_dba(words)
    # "L.L.C." or "dba" alone: keep the letters rather than nothing
    return (_clean(trade) or trade or words), _clean(owner)


def parse_vendor_name(name: str) -> ParsedName:
    """Take a vendor name apart: canonical tokens, branch, and the owner before "dba"."""
    text = _fold(name)
    mark = _BRANCH_MARK.search(text)
    if mark:
        tokens, owner = _tokens(text[: mark.start()] + " " + text[mark.end() :])
        if tokens:  # a name must remain beside the branch
            branch: str | None = _strip_zeros(mark.group(1))
            return ParsedName(name, tuple(tokens), branch, tuple(owner))
    tokens, owner = _tokens(text)
    tokens, branch = _branch_in_words(tokens)
    return ParsedName(raw=name, tokens=tuple(tokens), branch=branch, owner=tuple(owner))


def normalise_vendor_name(name: str) -> str:
    """The comparable form of a vendor name: 'The Ferguson Co., Inc. #01187' ->
    'ferguson #1187'. Two names with the same normalised form are taken as the same vendor."""
    return parse_vendor_name(name).normalised


def is_sage_cut_of(sage_name: str, full_name: str) -> bool:
    """Whether `sage_name` is what Sage's 30-character VendorName kept of `full_name`
    ("CONSOLIDATED ELECTRICAL DISTRI" of "Consolidated Electrical Distributors, Inc.")."""
    if (
        len(full_name.strip()) <= VENDOR_NAME_LEN
        or not parse_vendor_name(sage_name).maybe_truncated
    ):
        return False
    cut = normalise_vendor_name(truncated_like_sage(full_name))
    return bool(cut) and cut == normalise_vendor_name(sage_name)


def truncated_like_sage(name: str) -> str:
    """What Sage keeps of a longer name: the first 30 characters, trailing spaces dropped."""
    return name[:VENDOR_NAME_LEN].rstrip()
