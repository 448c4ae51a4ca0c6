"""Token secrets: made with 256 bits from the OS, recognisable by their `atl_` prefix, kept only as a SHA-256."""
from __future__ import annotations

import hashlib
import secrets

#: Every secret starts with this, so a leaked one is easy to recognise (secret scanners, logs).
PREFIX = "atl_"
#: How much of the secret a list shows to tell tokens apart (the prefix and 8 more characters).
SHOWN_CHARS = len(PREFIX) + 8
#: The longest header value we hash; anything longer is not one of ours.
MAX_LENGTH = 100


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """A plain SHA-256 is enough: the secret has 256 random bits, so there is nothing to guess or stretch."""
    return hashlib.sha256(secret.encode()).hexdigest()


def looks_like_secret(value: str) -> bool:
    return value.startswith(PREFIX) and len(value) <= MAX_LENGTH
