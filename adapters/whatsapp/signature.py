"""X-Hub-Signature-256: HMAC-SHA256 of the raw body with the app secret.

Checked on the bytes as received, before any JSON parsing, and compared in
constant time so a forger learns nothing from how fast we say no.
"""

from __future__ import annotations

import hashlib
import hmac
from enum import Enum

HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="


class Verdict(Enum):
    VALID = "valid"
    MISSING = "missing"  # answer 401
    WRONG = "wrong"  # answer 403


def sign(secret: bytes, body: bytes) -> str:
    """The header value Meta sends for `body`."""
    return _PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


def check(secret: bytes, body: bytes, header: str | None) -> Verdict:
    if not header or not header.strip():
        return Verdict.MISSING
    if not secret:
        return Verdict.WRONG
    expected = sign(secret, body).encode()
    return (
        Verdict.VALID if hmac.compare_digest(expected, header.strip().encode()) else Verdict.WRONG
    )
