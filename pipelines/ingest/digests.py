"""Keyed digests (HMAC-SHA256) of text: row digests, pseudonyms, personal-value digests."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable


def keyed_digest(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def keyed_digests(key: bytes, texts: Iterable[str]) -> list[str]:
    """``keyed_digest`` of each text, in bulk: HMAC-SHA256 (RFC 2104) from the key's inner and
    outer hash states computed once, not once per text as ``hmac.new`` does (half the time)."""
    block = hashlib.sha256().block_size
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key)).copy
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key)).copy
    digests = []
    for text in texts:
        digest = inner()
        digest.update(text.encode("utf-8"))
        final = outer()
        final.update(digest.digest())
        digests.append(final.hexdigest())
    return digests
