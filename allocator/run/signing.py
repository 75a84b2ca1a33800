"""Optional HMAC signing of run folders with a key from ``ALLOCATOR_SIGNING_KEY``.

Without a key, a run folder is sealed by digests only (``seal.json`` holds the SHA-256 of
``plan.json``, and ``plan.json`` the SHA-256 of every other file): ``allocate verify`` then
catches any edit that is not followed by recomputing every digest, but someone who edits the
inputs and recomputes every digest (and re-solves, or writes a consistent schedule) is not
caught. With a key, ``seal.json`` also holds HMAC-SHA256(key, plan.json); without the key
nobody can make a valid one, so any edit is caught by a verifier that has the key.

The key is any text; keep it out of the run folder and of version control.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from allocator.errors import UsageError

KEY_VARIABLE = "ALLOCATOR_SIGNING_KEY"
ALGORITHM = "HMAC-SHA256"


def signing_key() -> bytes | None:
    """The key from ``ALLOCATOR_SIGNING_KEY`` (UTF-8), or None when the variable is unset.

    Raises
    ------
    UsageError
        If the variable is set but empty or blank (a key of nothing signs nothing).
    """
    text = os.environ.get(KEY_VARIABLE)
    if text is None:
        return None
    if not text.strip():
        raise UsageError(
            KEY_VARIABLE,
            "is set but empty",
            "give a key (any text, the longer the better) or unset the variable",
        )
    return text.encode("utf-8")


def key_id(key: bytes) -> str:
    """A short fingerprint of the key (first 12 hex digits of its SHA-256), to tell keys apart
    without revealing them."""
    return hashlib.sha256(b"allocator key id\0" + key).hexdigest()[:12]


def sign(key: bytes, data: bytes) -> str:
    """HMAC-SHA256 of ``data`` under ``key``, in hex."""
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def signature_matches(key: bytes, data: bytes, signature: str) -> bool:
    """Whether ``signature`` is :func:`sign` of ``data`` under ``key`` (constant-time)."""
    return hmac.compare_digest(sign(key, data), str(signature))
