"""The company's G/L account format, derived from its accounts.

`GL_Account` holds each account formatted (`Account`, "6000-01-100") and raw (`RawAccount`,
"600001100"), both confirmed by Sage's file layouts and public BOI code. Aligning the two
gives the segment lengths and the separator: the characters of `Account` that are not the
next character of `RawAccount` are separators. Every account of a company has the same
shape; the shape most accounts share is used, and disagreeing accounts are logged.

`GL_AccountStructure` (object and column names unconfirmed) is only an optional extra: when
Sage offers it and its segment lengths agree with the derived ones, it names the segments;
otherwise it is ignored (logged), never trusted to size them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from decimal import Decimal

import structlog

from ml_connector.sage100.boi_session import BoiSession
from ml_connector.sage100.errors import SageLoginError, SageRejectedError, SageVerifyError
from ml_connector.sage100.port import AccountFormat, AccountSegment
from ml_connector.sage100.resultsets import read_rows

log = structlog.get_logger(__name__)

Shape = tuple[tuple[int, ...], tuple[str, ...]]  # segment lengths, separators between them


def shape_of(account: str, raw: str) -> Shape | None:
    """(lengths, separators) of one account, or None when the two forms do not align.

    A blank `raw` is taken as `account` without its punctuation.
    """
    account = account.strip()
    raw = raw.strip() or "".join(ch for ch in account if ch.isalnum())
    if not account or not raw:
        return None
    lengths: list[int] = []
    separators: list[str] = []
    run, j = 0, 0
    for ch in account:
        if j < len(raw) and ch == raw[j]:
            run += 1
            j += 1
        elif ch.isalnum() or run == 0:
            return None  # a letter or digit that is not in the raw form, or an empty segment
        else:
            lengths.append(run)
            separators.append(ch)
            run = 0
    if j != len(raw) or run == 0:
        return None
    lengths.append(run)
    return tuple(lengths), tuple(separators)


def derive_format(accounts: Iterable[tuple[str, str]]) -> AccountFormat:
    """The format most (Account, RawAccount) pairs share."""
    shapes: Counter[Shape] = Counter()
    odd = 0
    for account, raw in accounts:
        shape = shape_of(account, raw)
        if shape is None:
            odd += 1
        else:
            shapes[shape] += 1
    if not shapes:
        raise SageVerifyError(
            "the account format cannot be told: GL_Account has no account whose formatted "
            "and raw forms line up",
            operation="account_format",
            hint="Set up the chart of accounts in Sage (G/L Account Maintenance) first.",
        )
    (lengths, separators), count = shapes.most_common(1)[0]
    if len(set(separators)) > 1:
        raise SageVerifyError(
            f"the account format uses several separators ({''.join(separators)}); the "
            "connector supports one",
            operation="account_format",
            hint="Ask support: the G/L mapping needs one separator between segments.",
        )
    disagree = sum(shapes.values()) - count + odd
    if disagree:
        log.warning("sage_accounts_off_format", accounts=disagree, lengths=lengths, agreeing=count)
    segments = tuple(AccountSegment(n, length) for n, length in enumerate(lengths, start=1))
    return AccountFormat(segments, separators[0] if separators else "")


def account_format(s: BoiSession) -> AccountFormat:
    """Derived from GL_Account; segment names from GL_AccountStructure when it agrees."""
    rows = read_rows(
        s.obj("GL_Account_svc"),
        ("Account$", "RawAccount$"),
        key_column="AccountKey$",
        source="GL_Account_svc",
    )
    fmt = derive_format((r["Account"], r["RawAccount"]) for r in rows)
    structure = s.names.account_structure if s.names is not None else None
    if structure:
        return _named(s, structure, fmt)
    return fmt


def _named(s: BoiSession, structure: str, fmt: AccountFormat) -> AccountFormat:
    try:
        rows = read_rows(
            s.obj(structure),
            ("SegmentNo$", "SegmentDesc$", "SegmentLength"),
            key_column="SegmentNo$",
            source=structure,
        )
        rows.sort(key=lambda r: int(r["SegmentNo"] or 0))
        lengths = tuple(int(Decimal(r["SegmentLength"] or "0")) for r in rows)
    except (
        SageLoginError,
        SageRejectedError,
        SageVerifyError,
        ValueError,
        ArithmeticError,  # decimal.InvalidOperation
    ) as exc:
        # an optional extra: anything but a session failure (which propagates) is ignored
        log.info("sage_account_structure_unread", object=structure, reason=str(exc))
        return fmt
    if lengths != tuple(seg.length for seg in fmt.segments):
        log.info(
            "sage_account_structure_disagrees",
            object=structure,
            structure=lengths,
            derived=[seg.length for seg in fmt.segments],
        )
        return fmt
    named = tuple(
        AccountSegment(seg.number, seg.length, r["SegmentDesc"])
        for seg, r in zip(fmt.segments, rows, strict=True)
    )
    return AccountFormat(named, fmt.separator)
