"""Invitation tokens: 192 random bits in the email's links, only their SHA-256 stored.

A token names one invitation and nothing else: it is not derived from the invitation, the
customer or the secret key, so a leaked database cannot rebuild a link and a link cannot
be guessed from another.
"""

from __future__ import annotations

import hashlib
import re
import secrets

TOKEN_BYTES = 24  # 192 bits; the issue asks for at least 128
# What a token looks like in a URL (urlsafe base64 of TOKEN_BYTES): anything else is
# refused before the database is asked.
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32}$")


def new_token() -> tuple[str, str]:
    """A fresh token and the hash to store for it."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def looks_like_token(token: str) -> bool:
    return bool(TOKEN_PATTERN.match(token or ""))
