"""Password hashing for the web app's users: scrypt (hashlib) with a per-user random salt.

Stored as `scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>`, so the cost can be raised later
without breaking existing hashes; checked in constant time. A password is never stored,
logged or shown.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

N, R, P = 2**14, 8, 1  # about 16 MiB and a few tens of ms per check
_DKLEN = 32
MIN_LENGTH = 10


class WeakPasswordError(ValueError):
    """The password is too short to protect money movements."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"a password needs at least {MIN_LENGTH} characters")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=N, r=R, p=P, dklen=_DKLEN)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches `stored`; False for any malformed hash."""
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt = base64.b64decode(salt_b64)
        expected = base64.b64decode(digest_b64)
        digest = hashlib.scrypt(
            password.encode("utf-8"),
            salt=salt,
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=64 * 1024 * 1024,
        )
    except ValueError:
        return False
    return hmac.compare_digest(digest, expected)


@functools.cache
def dummy_hash() -> str:
    """A hash of a random password: checking a login for an unknown user name costs the
    same time as for a known one, so response times do not reveal which names exist."""
    return hash_password(secrets.token_urlsafe(24))
