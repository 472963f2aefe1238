"""Body digests: `Digest` (RFC 3230, what Mastodon checks) and `Content-Digest` (RFC 9530)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Iterable
from typing import Any

from .common import (
    Headers,
    Reason,
    SignatureError,
    _b64decode,
    _field_value,
    _Fields,
    _header_fields,
)
from .structured_fields import _SF

# --- digests -------------------------------------------------------------------------------

_DIGESTS: dict[str, Callable[[bytes], Any]] = {
    "sha-256": hashlib.sha256,
    "sha-512": hashlib.sha512,
}


def digest_header(body: bytes) -> str:
    """The `Digest` header value for a body: `SHA-256=<base64>` (what Mastodon checks)."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def content_digest_header(body: bytes, algorithm: str = "sha-256") -> str:
    """The RFC 9530 `Content-Digest` value for a body, e.g. `sha-256=:<base64>:`."""
    digest = _DIGESTS[algorithm](body).digest()
    return f"{algorithm}=:{base64.b64encode(digest).decode('ascii')}:"


def check_digest(headers: Headers, body: bytes) -> bool:
    """True when the body matches its `Digest` and/or `Content-Digest` header.

    Every value with an algorithm we know (SHA-256, SHA-512; names case-insensitive) must match,
    and there must be at least one; values in other algorithms are ignored. Malformed headers and
    a missing digest give False. Comparisons are constant-time.
    """
    try:
        claims = _digest_claims(_header_fields(headers), ("digest", "content-digest"))
    except SignatureError:
        return False
    return bool(claims) and _digests_match(claims, body)


def _digest_claims(fields: _Fields, names: Iterable[str]) -> list[tuple[str, bytes]]:
    """(algorithm, digest) for each value in a known algorithm in the named digest headers."""
    claims: list[tuple[str, bytes]] = []
    for name in names:
        value = _field_value(fields, name)
        if value is not None:
            reader = _legacy_digest_claims if name == "digest" else _content_digest_claims
            claims += [(alg, digest) for alg, digest in reader(value) if alg in _DIGESTS]
    return claims


def _digests_match(claims: list[tuple[str, bytes]], body: bytes) -> bool:
    computed: dict[str, bytes] = {}
    for name, digest in claims:
        if name not in computed:
            computed[name] = _DIGESTS[name](body).digest()
        if not hmac.compare_digest(computed[name], digest):
            return False
    return True


def _legacy_digest_claims(value: str) -> list[tuple[str, bytes]]:
    claims = []
    for part in value.split(","):
        name, sep, encoded = part.strip().partition("=")
        name = name.strip().lower()
        if not sep:
            raise SignatureError(Reason.MALFORMED, "Digest value without '='")
        if name in _DIGESTS:  # others (MD5, UNIXsum …) need not even be base64
            claims.append((name, _b64decode(encoded.strip(), "Digest")))
    return claims


def _content_digest_claims(value: str) -> list[tuple[str, bytes]]:
    claims = []
    for name, (digest, _params) in _SF(value, "Content-Digest").whole("dictionary").items():
        if not isinstance(digest, bytes):
            raise SignatureError(Reason.MALFORMED, "Content-Digest value is not a byte sequence")
        claims.append((name, digest))
    return claims


def _check_body_digest(
    fields: _Fields, covered: set[str], body: bytes | None, members: set[str] | None = None
) -> None:
    """A signed digest header must hold a SHA-256/512 digest of the body (None counts as no
    body), and every digest header present must agree with the body. `members`: when only some
    Content-Digest members are signed (RFC 9421 `;key`), only those count as signed."""
    if not covered & {"digest", "content-digest"}:
        return
    try:
        legacy = _digest_claims(fields, ["digest"])
        content = _digest_claims(fields, ["content-digest"])
        signed = legacy if "digest" in covered else []
        if "content-digest" in covered:
            signed += [c for c in content if members is None or c[0] in members]
        matches = bool(signed) and _digests_match(legacy + content, body or b"")
    except SignatureError:
        matches = False
    if not matches:
        raise SignatureError(
            Reason.DIGEST_MISMATCH,
            "the body does not match its signed Digest/Content-Digest (SHA-256 or SHA-512)",
        )
