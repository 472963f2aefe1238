"""HTTP signatures: the gate every inbound and outbound ActivityPub request passes.

Two specifications, both in pure Python on top of `cryptography` (no Django, so fast to test):

- **draft-cavage-http-signatures-12**, what the fediverse sends today (Mastodon, Pleroma, Misskey,
  GoToSocial …): `sign_request` signs `rsa-sha256` over `(request-target) host date` plus
  `digest` for a body; `verify_request` accepts `rsa-sha256` and `hs2019` and insists that the
  signature covers the request target, Host, Date (or `(created)`) and the body digest.
- **RFC 9421** HTTP Message Signatures: `verify_rfc9421` (and `sign_rfc9421`), with the
  algorithms rsa-pss-sha512, rsa-v1_5-sha256, ecdsa-p256-sha256, ecdsa-p384-sha384, ed25519,
  and hmac-sha256 for keys the caller explicitly shares with us.

Every refusal is a `SignatureError` whose `reason` is a `Reason`; a key we do not know is an
`UnknownKeyError`, so the inbox can fetch the actor and verify once more. Keys are never logged
and never appear in error messages. Public keys are parsed once per PEM text (`load_public_key`
is cached): parsing each time costs about 40 % of verification throughput.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from email.utils import format_datetime, parsedate_to_datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any
from urllib.parse import SplitResult, unquote_plus, urlsplit

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

__all__ = [
    "MAX_AGE",
    "MAX_FUTURE",
    "Reason",
    "SignatureError",
    "UnknownKeyError",
    "VerifiedSignature",
    "check_digest",
    "check_signature",
    "content_digest_header",
    "digest_header",
    "load_private_key",
    "load_public_key",
    "parse_signature_header",
    "sign_request",
    "sign_rfc9421",
    "signature_base_rfc9421",
    "signing_string",
    "verify_any",
    "verify_request",
    "verify_rfc9421",
    "verify_rfc9421_response",
]

MAX_AGE = timedelta(hours=1)  # how old a Date / created may be
MAX_FUTURE = timedelta(minutes=5)  # how far ahead of our clock a sender's clock may run
MAX_HEADER_LENGTH = 8192  # Signature / Signature-Input: real ones are well under 1 KB
MAX_SIGNATURES = 8  # RFC 9421 signatures tried on one message
MAX_COMPONENTS = 64
MIN_RSA_BITS = 1024  # the draft's own test key is 1024-bit; fediverse keys are 2048+
MAX_RSA_BITS = 8192  # a huge remote key would make every verification slow

Headers = Mapping[str, Any] | Iterable[tuple[str, Any]]
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
KeyLookup = Callable[[str], "str | bytes | PublicKey | None"]


class Reason(StrEnum):
    """Why a signature was refused: stable codes for logs, metrics and the inbox's decisions."""

    MISSING_SIGNATURE = "missing_signature"
    MALFORMED = "malformed"
    UNSUPPORTED = "unsupported"
    INSUFFICIENT_COVERAGE = "insufficient_coverage"
    MISSING_HEADER = "missing_header"
    BAD_DATE = "bad_date"
    TOO_OLD = "too_old"
    IN_FUTURE = "in_future"
    EXPIRED = "expired"
    DIGEST_MISMATCH = "digest_mismatch"
    UNKNOWN_KEY = "unknown_key"
    BAD_KEY = "bad_key"
    BAD_SIGNATURE = "bad_signature"


class SignatureError(Exception):
    """A signature we refuse; `reason` says why in one word, the message in a sentence."""

    def __init__(self, reason: Reason, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class UnknownKeyError(SignatureError):
    """`get_public_key` knew no key for `key_id`: fetch the actor, then verify once more."""

    def __init__(self, key_id: str):
        super().__init__(Reason.UNKNOWN_KEY, f"no public key known for keyId {_shown(key_id)}")
        self.key_id = key_id


@dataclass(frozen=True, slots=True)
class VerifiedSignature:
    """What a valid signature proves: the holder of `key_id` sent these covered parts."""

    key_id: str
    algorithm: str  # the scheme actually checked, e.g. "rsa-v1_5-sha256" for rsa-sha256/hs2019
    covered: tuple[str, ...]
    scheme: str  # "cavage" or "rfc9421"
    created: datetime | None = None
    expires: datetime | None = None
    label: str | None = None
    nonce: str | None = None


def _shown(text: str, limit: int = 120) -> str:
    """Attacker-supplied text, safe to put in a message: escaped and cut short."""
    return repr(text[:limit] + ("…" if len(text) > limit else ""))


# --- headers -------------------------------------------------------------------------------

_OBS_FOLD = re.compile(r"\r?\n[ \t]+")


class _Fields(dict):
    """Header lines by lower-cased name, as `_header_fields` makes them."""

    __slots__ = ()


def _header_fields(headers: Headers) -> _Fields:
    """Header lines by lower-cased name; a value may be a string or a list of field lines."""
    if isinstance(headers, _Fields):
        return headers
    fields = _Fields()
    for name, value in headers.items() if hasattr(headers, "items") else headers:
        key = (name if type(name) is str else _text(name)).strip().lower()
        if type(value) is str:
            fields.setdefault(key, []).append(value)
        elif isinstance(value, bytes | int):
            fields.setdefault(key, []).append(_text(value))
        else:
            fields.setdefault(key, []).extend(_text(v) for v in value)
    return fields


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _field_value(fields: dict[str, list[str]], name: str) -> str | None:
    """All lines of a header, each trimmed, joined with ", " (draft-cavage §2.3, RFC 9421 §2.1)."""
    values = fields.get(name)
    if values is None:
        return None
    if len(values) == 1:
        return _clean_field_line(name, values[0])
    return ", ".join([_clean_field_line(name, value) for value in values])


def _clean_field_line(name: str, value: str) -> str:
    if "\n" in value or "\r" in value:
        value = _OBS_FOLD.sub(" ", value)
        if "\n" in value or "\r" in value:
            raise SignatureError(Reason.MALFORMED, f"header {_shown(name)} contains a line break")
    return value.strip(" \t")


def _name_like(fields: dict[str, list[str]], headers: Headers, canonical: str) -> str:
    """The caller's spelling of a header name when it has one, so a merge does not duplicate it."""
    if canonical.lower() in fields and hasattr(headers, "keys"):
        for key in headers:
            if _text(key).lower() == canonical.lower():
                return _text(key)
    return canonical


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


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(
            text + "=" * (-len(text) % 4) if len(text) % 4 else text, validate=True
        )
    except (binascii.Error, ValueError):
        raise SignatureError(Reason.MALFORMED, f"{what} is not valid base64") from None


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


# --- keys ----------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def load_public_key(pem: str) -> PublicKey:
    """A public key from PEM text (SubjectPublicKeyInfo or PKCS#1), cached by the text."""
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, TypeError, UnicodeError, UnsupportedAlgorithm):
        raise SignatureError(Reason.BAD_KEY, "the public key is not a usable PEM key") from None
    return _usable_public_key(key)


@lru_cache(maxsize=64)
def load_private_key(pem: str) -> PrivateKey:
    """One of our own private keys from unencrypted PEM text, cached by the text."""
    try:
        key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeError, UnsupportedAlgorithm):
        raise ValueError("the private key is not an unencrypted PEM private key") from None
    if not isinstance(key, PrivateKey):
        raise ValueError(f"{type(key).__name__} keys are not supported")
    return key


def _as_public_key(key: str | bytes | PublicKey) -> PublicKey:
    """PEM text (str or bytes) or a key object; bytes are PEM, never an HMAC secret."""
    if isinstance(key, str):
        return load_public_key(key)  # checked once, then cached
    if isinstance(key, bytes):
        return load_public_key(key.decode("ascii", errors="replace"))
    return _usable_public_key(key)


def _usable_public_key(key: Any) -> PublicKey:
    if not isinstance(key, PublicKey):
        raise SignatureError(Reason.BAD_KEY, f"{type(key).__name__} is not a supported public key")
    if _family(type(key)) == "RSA" and not MIN_RSA_BITS <= key.key_size <= MAX_RSA_BITS:
        raise SignatureError(Reason.BAD_KEY, f"RSA keys of {key.key_size} bits are refused")
    return key


def _resolve_public_key(key_id: str, get_public_key: KeyLookup) -> PublicKey:
    found = get_public_key(key_id)
    if found is None:
        raise UnknownKeyError(key_id)
    return _as_public_key(found)


@lru_cache(maxsize=64)
def _family(cls: type) -> str:
    """RSA, EC, Ed25519, secret, or the class name; by class, because isinstance against the
    key ABCs costs a microsecond each time."""
    if issubclass(cls, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return "RSA"
    if issubclass(cls, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        return "EC"
    if issubclass(cls, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return "Ed25519"
    return "secret" if issubclass(cls, bytes) else cls.__name__


def _key_kind(key: Any) -> str:
    family = _family(type(key))
    return f"EC {key.curve.name}" if family == "EC" else family


# --- signature algorithms ------------------------------------------------------------------

_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)
_PKCS1 = padding.PKCS1v15()  # padding and hash objects are stateless: made once
_SHA256, _SHA512 = hashes.SHA256(), hashes.SHA512()


@dataclass(frozen=True)
class _Algorithm:
    fits: Callable[[Any], bool]
    verify: Callable[[Any, bytes, bytes], None]  # raises InvalidSignature
    sign: Callable[[Any, bytes], bytes]


def _is_family(family: str) -> Callable[[Any], bool]:
    return lambda key: _family(type(key)) == family


def _is_curve(curve: str) -> Callable[[Any], bool]:
    return lambda key: _family(type(key)) == "EC" and key.curve.name == curve


def _ecdsa(size: int, digest: type[hashes.HashAlgorithm]) -> tuple[Callable, Callable]:
    """RFC 9421 ECDSA signatures are r‖s, fixed width, not DER."""

    def verify(key: Any, signature: bytes, message: bytes) -> None:
        if len(signature) != 2 * size:
            raise InvalidSignature
        r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
        key.verify(encode_dss_signature(r, s), message, ec.ECDSA(digest()))

    def sign(key: Any, message: bytes) -> bytes:
        r, s = decode_dss_signature(key.sign(message, ec.ECDSA(digest())))
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")

    return verify, sign


def _hmac_verify(secret: bytes, signature: bytes, message: bytes) -> None:
    if not hmac.compare_digest(hmac.new(secret, message, hashlib.sha256).digest(), signature):
        raise InvalidSignature


_ALGORITHMS: dict[str, _Algorithm] = {
    "rsa-v1_5-sha256": _Algorithm(
        _is_family("RSA"),
        lambda k, s, m: k.verify(s, m, _PKCS1, _SHA256),
        lambda k, m: k.sign(m, _PKCS1, _SHA256),
    ),
    "rsa-pss-sha512": _Algorithm(
        _is_family("RSA"),
        lambda k, s, m: k.verify(s, m, _PSS, _SHA512),
        lambda k, m: k.sign(m, _PSS, _SHA512),
    ),
    "ecdsa-p256-sha256": _Algorithm(_is_curve("secp256r1"), *_ecdsa(32, hashes.SHA256)),
    "ecdsa-p384-sha384": _Algorithm(_is_curve("secp384r1"), *_ecdsa(48, hashes.SHA384)),
    "ed25519": _Algorithm(
        _is_family("Ed25519"),
        lambda k, s, m: k.verify(s, m),
        lambda k, m: k.sign(m),
    ),
    "hmac-sha256": _Algorithm(
        _is_family("secret"),
        _hmac_verify,
        lambda k, m: hmac.new(k, m, hashlib.sha256).digest(),
    ),
}
_ASYMMETRIC = (
    "rsa-v1_5-sha256",
    "rsa-pss-sha512",
    "ecdsa-p256-sha256",
    "ecdsa-p384-sha384",
    "ed25519",
)


def _verify_with(name: str, key: Any, signature: bytes, message: bytes) -> None:
    algorithm = _ALGORITHMS[name]
    if not algorithm.fits(key):
        raise SignatureError(
            Reason.BAD_KEY, f"algorithm {name} does not fit a {_key_kind(key)} key"
        )
    try:
        algorithm.verify(key, signature, message)
    except (InvalidSignature, ValueError):
        raise SignatureError(Reason.BAD_SIGNATURE, "the signature does not match") from None


def _verify_first(names: Iterable[str], key: Any, signature: bytes, message: bytes) -> str:
    """The first of `names` under which the signature verifies (several only for RSA without
    an `alg`: the key material does not say whether it signs PKCS#1 v1.5 or PSS)."""
    error: SignatureError | None = None
    for name in names:
        try:
            _verify_with(name, key, signature, message)
            return name
        except SignatureError as exc:
            error = exc
    raise error or SignatureError(Reason.BAD_KEY, f"no algorithm fits a {_key_kind(key)} key")


# --- time ----------------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now if now.tzinfo else now.replace(tzinfo=UTC)


def _http_date(now: datetime) -> str:
    return format_datetime(now.astimezone(UTC), usegmt=True)


_IMF_FIXDATE = re.compile(r"[A-Z][a-z]{2}, (\d\d) ([A-Z][a-z]{2}) (\d{4}) (\d\d):(\d\d):(\d\d) GMT")
_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun"), 1)}
_MONTHS |= {m: i for i, m in enumerate(("Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 7)}


def _parse_http_date(value: str | None) -> datetime:
    if value is None:
        raise SignatureError(Reason.MISSING_HEADER, "the Date header is missing")
    fixdate = _IMF_FIXDATE.fullmatch(value)  # the one format senders use: fast path
    if fixdate and fixdate.group(2) in _MONTHS:
        day, month, year, hour, minute, second = fixdate.groups()
        try:
            return datetime(
                int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=UTC
            )
        except ValueError:
            raise SignatureError(Reason.BAD_DATE, f"impossible Date {_shown(value)}") from None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        raise SignatureError(Reason.BAD_DATE, f"unreadable Date {_shown(value)}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _timestamp(value: int | Decimal, what: str) -> datetime:
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (OverflowError, OSError, ValueError):
        raise SignatureError(Reason.MALFORMED, f"{what} is not a usable timestamp") from None


def _check_fresh(moment: datetime, what: str, now: datetime, max_age: timedelta, ahead: timedelta):
    if moment > now + ahead:
        raise SignatureError(Reason.IN_FUTURE, f"{what} {moment:%Y-%m-%d %H:%M:%S}Z is ahead of us")
    if moment < now - max_age:
        raise SignatureError(Reason.TOO_OLD, f"{what} {moment:%Y-%m-%d %H:%M:%S}Z is too old")


def _check_expires(moment: datetime, now: datetime, ahead: timedelta) -> None:
    """Expired means past `expires`, allowing the same clock skew we allow the other way."""
    if now > moment + ahead:
        raise SignatureError(
            Reason.EXPIRED, f"the signature expired at {moment:%Y-%m-%d %H:%M:%S}Z"
        )


# --- draft-cavage-12: parsing --------------------------------------------------------------

_CAVAGE_PARAM = re.compile(
    r"[ \t]*([A-Za-z][A-Za-z0-9_.-]*)[ \t]*=[ \t]*"  # name =
    r'(?:"([ !#-\[\]-~]*(?:\\[ -~][ !#-\[\]-~]*)*)"|([!#-+\--~]+))[ \t]*'  # "quoted" or bare
)
_QUOTED_PAIR = re.compile(r"\\(.)")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9a-z-]+")
_PSEUDO_HEADERS = {"(request-target)", "(created)", "(expires)"}
_USUAL_NAMES = _PSEUDO_HEADERS | {"host", "date", "digest", "content-digest", "content-type"}
_INTEGER = re.compile(r"[0-9]{1,15}")
_DECIMAL = re.compile(r"[0-9]{1,15}(\.[0-9]{1,9})?")


def parse_signature_header(value: str) -> dict[str, Any]:
    """Read a draft-cavage `Signature` header value (or an `Authorization: Signature` one).

    Returns `keyId` (str), `algorithm` (lower-cased str or None), `headers` (lower-cased names;
    when absent `(created)` for hs2019 and `date` for the older algorithms, as Mastodon does),
    `signature` (bytes), `created` (int or None) and `expires` (int, Decimal or None). Unknown
    parameters are ignored; a repeated one counts with its last value (draft §2.1). Anything
    malformed raises `SignatureError` and nothing else.
    """
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not isinstance(value, str):
        raise SignatureError(Reason.MALFORMED, "the Signature header is not text")
    if len(value) > MAX_HEADER_LENGTH:
        raise SignatureError(Reason.MALFORMED, f"the Signature header is over {MAX_HEADER_LENGTH}")
    pairs = _cavage_pairs(value)
    algorithm = pairs["algorithm"].lower() if "algorithm" in pairs else None
    return {
        "keyId": _required_param(pairs, "keyid"),
        "algorithm": algorithm,
        "headers": _signed_header_names(pairs.get("headers"), algorithm),
        "signature": _b64decode(_required_param(pairs, "signature"), "signature"),
        "created": _cavage_time(pairs.get("created"), "created", _INTEGER),
        "expires": _cavage_time(pairs.get("expires"), "expires", _DECIMAL),
    }


def _cavage_pairs(value: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    position, end = 0, len(value)
    while position < end:
        match = _CAVAGE_PARAM.match(value, position)
        if match is None:
            raise SignatureError(Reason.MALFORMED, f"unreadable parameter at character {position}")
        name, quoted, bare = match.groups()
        if quoted is not None and "\\" in quoted:
            quoted = _QUOTED_PAIR.sub(r"\1", quoted)
        pairs[name.lower()] = quoted if quoted is not None else bare
        position = match.end()
        if position < end and value[position] != ",":
            raise SignatureError(Reason.MALFORMED, f"expected ',' at character {position}")
        position += 1
    return pairs


def _required_param(pairs: dict[str, str], name: str) -> str:
    value = pairs.get(name)
    if not value:
        label = "keyId" if name == "keyid" else name
        raise SignatureError(Reason.MALFORMED, f"the Signature header has no {label} parameter")
    return value


def _signed_header_names(value: str | None, algorithm: str | None) -> list[str]:
    if value is None:
        return ["(created)"] if (algorithm or "hs2019") == "hs2019" else ["date"]
    names = value.lower().split()
    if not names:
        raise SignatureError(Reason.MALFORMED, "the headers parameter is empty")
    for name in names:
        if name not in _USUAL_NAMES and not _HEADER_NAME.fullmatch(name):
            raise SignatureError(Reason.MALFORMED, f"{_shown(name)} is not a header name")
    return names


def _cavage_time(value: str | None, name: str, pattern: re.Pattern) -> int | Decimal | None:
    if value is None:
        return None
    if not pattern.fullmatch(value):
        raise SignatureError(Reason.MALFORMED, f"{name} {_shown(value)} is not a timestamp")
    return Decimal(value) if "." in value else int(value)


# --- draft-cavage-12: signing string, signing, verifying -------------------------------------


def signing_string(
    method: str, path_with_query: str, headers: Headers, params: Mapping[str, Any]
) -> str:
    """The draft-cavage signing string for `params["headers"]` (§2.3).

    Raises `SignatureError` when a listed header is absent, or when `(created)`/`(expires)` is
    listed without its parameter or with an rsa/hmac/ecdsa algorithm (the draft forbids it).
    """
    fields = _header_fields(headers)
    lines = [
        _cavage_line(name, method, path_with_query, fields, params) for name in params["headers"]
    ]
    return "\n".join(lines)


def _cavage_line(name: str, method: str, target: str, fields: dict, params: Mapping) -> str:
    if name == "(request-target)":
        return f"(request-target): {method.lower()} {target}"
    if name in ("(created)", "(expires)"):
        return f"{name}: {_cavage_time_line(name, params)}"
    value = _field_value(fields, name)
    if value is None:
        raise SignatureError(Reason.MISSING_HEADER, f"signed header {_shown(name)} is missing")
    return f"{name}: {value}"


def _cavage_time_line(name: str, params: Mapping[str, Any]) -> str:
    algorithm = params.get("algorithm") or "hs2019"
    if algorithm.startswith(("rsa", "hmac", "ecdsa")):
        raise SignatureError(
            Reason.MALFORMED, f"{name} may not be signed with {algorithm} (draft-cavage-12 §2.3)"
        )
    value = params.get(name[1:-1])
    if value is None:
        raise SignatureError(Reason.MALFORMED, f"{name} is signed but has no parameter")
    return str(value)


def sign_request(
    method: str,
    url: str,
    headers: Headers,
    body: bytes | None,
    key_id: str,
    private_key: rsa.RSAPrivateKey | str,
    *,
    now: datetime | None = None,
) -> dict[str, str]:
    """Sign an outgoing request the way Mastodon verifies it; return the headers to add.

    Adds `Host` (the given one, else the URL's authority), `Date` when missing, `Digest` when
    there is a body, and `Signature` (`rsa-sha256` over `(request-target) host date`, then
    `digest` and `content-type` when present). `private_key` is an RSA key object or its PEM.
    """
    key = load_private_key(private_key) if isinstance(private_key, str) else private_key
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("draft-cavage signing takes an RSA private key")
    _check_key_id(key_id)
    fields = _header_fields(headers)
    parts = urlsplit(url)
    added = {"Host": _field_value(fields, "host") or _authority(parts)}
    if "date" not in fields:
        added["Date"] = _http_date(_now(now))
    if body is not None:
        added["Digest"] = digest_header(body)
    names = ["(request-target)", "host", "date"] + ["digest"] * (body is not None)
    names += ["content-type"] * ("content-type" in fields)
    merged = fields | {name.lower(): [value] for name, value in added.items()}
    params = {"headers": names, "algorithm": "rsa-sha256"}
    text = signing_string(method, _request_target(parts), merged, params)
    signature = key.sign(text.encode("utf-8"), _PKCS1, _SHA256)
    added["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",'
        f'signature="{base64.b64encode(signature).decode("ascii")}"'
    )
    return {_name_like(fields, headers, name): value for name, value in added.items()}


def _check_key_id(key_id: str) -> None:
    if not key_id or any(not " " <= c <= "~" or c in '"\\' for c in key_id):
        raise ValueError("a keyId must be printable ASCII without quotes or backslashes")


def check_signature(
    params: Mapping[str, Any], message: str | bytes, public_key: str | bytes | PublicKey
) -> str:
    """Check a parsed draft-cavage signature over `message` with a key; no policy, crypto only.

    `rsa-sha256` needs an RSA key; `hs2019` (or no algorithm) takes the scheme from the key:
    RSASSA-PKCS1-v1_5/SHA-256 for RSA (as Mastodon and GoToSocial do), Ed25519 for Ed25519.
    Returns the scheme used; raises `SignatureError`.
    """
    data = message.encode("utf-8") if isinstance(message, str) else message
    return _check_cavage_signature(params, data, _as_public_key(public_key))


def _check_cavage_signature(params: Mapping[str, Any], data: bytes, key: PublicKey) -> str:
    name = _cavage_algorithm(params)
    scheme = "rsa-v1_5-sha256"
    if name == "hs2019" and _family(type(key)) != "RSA":
        if not _ALGORITHMS["ed25519"].fits(key):
            raise SignatureError(Reason.UNSUPPORTED, f"hs2019 with a {_key_kind(key)} key")
        scheme = "ed25519"
    _verify_with(scheme, key, params["signature"], data)
    return scheme


def _cavage_algorithm(params: Mapping[str, Any]) -> str:
    name = params.get("algorithm") or "hs2019"
    if name not in ("rsa-sha256", "hs2019"):
        raise SignatureError(
            Reason.UNSUPPORTED, f"algorithm {_shown(name)} is refused (rsa-sha256 or hs2019)"
        )
    return name


def verify_request(
    method: str,
    path_with_query: str,
    headers: Headers,
    body: bytes | None,
    get_public_key: KeyLookup,
    *,
    now: datetime | None = None,
    max_skew: timedelta = MAX_AGE,
    max_future: timedelta = MAX_FUTURE,
) -> VerifiedSignature:
    """Verify an incoming draft-cavage signed request, or raise `SignatureError`.

    `headers` as received, including the real Host; `path_with_query` the request target as
    received; `body` the raw bytes (None or b"" for none). The signature must cover
    `(request-target)`, `host`, `date` (or `(created)`) and, for a body, `digest` (or
    `content-digest`), whose value must match. Date and `created` may be `max_skew` old and
    `max_future` ahead. `get_public_key(key_id)` returns PEM (or a key object), or None when
    unknown, which raises `UnknownKeyError`: fetch the actor and call once more.
    """
    fields = _header_fields(headers)
    params = parse_signature_header(_cavage_signature_value(fields))
    _cavage_algorithm(params)
    covered = set(params["headers"])
    _require_cavage_coverage(covered, body)
    message = signing_string(method, path_with_query, fields, params)
    created, expires = _check_cavage_times(params, fields, _now(now), max_skew, max_future)
    _check_body_digest(fields, covered, body)
    key = _resolve_public_key(params["keyId"], get_public_key)
    algorithm = _check_cavage_signature(params, message.encode("utf-8"), key)
    return VerifiedSignature(
        key_id=params["keyId"],
        algorithm=algorithm,
        covered=tuple(params["headers"]),
        scheme="cavage",
        created=created,
        expires=expires,
    )


def _cavage_signature_value(fields: dict[str, list[str]]) -> str:
    if "signature-input" in fields:
        raise SignatureError(
            Reason.MALFORMED, "this is an RFC 9421 signature (Signature-Input): use verify_rfc9421"
        )
    values = fields.get("signature")
    if values:
        if len(values) > 1:
            raise SignatureError(Reason.MALFORMED, "the request has several Signature headers")
        return values[0]
    for value in fields.get("authorization", ()):
        scheme, _, rest = value.strip().partition(" ")
        if scheme.lower() == "signature":
            return rest
    raise SignatureError(Reason.MISSING_SIGNATURE, "the request has no Signature header")


def _require_cavage_coverage(covered: set[str], body: bytes | None) -> None:
    missing = [name for name in ("(request-target)", "host") if name not in covered]
    if not covered & {"date", "(created)"}:
        missing.append("date")
    if body and not covered & {"digest", "content-digest"}:
        missing.append("digest")
    if missing:
        raise SignatureError(
            Reason.INSUFFICIENT_COVERAGE, f"the signature does not cover {', '.join(missing)}"
        )


def _check_cavage_times(
    params: Mapping, fields: dict, now: datetime, max_age: timedelta, ahead: timedelta
) -> tuple[datetime | None, datetime | None]:
    if "date" in params["headers"]:
        _check_fresh(_parse_http_date(_field_value(fields, "date")), "Date", now, max_age, ahead)
    created = expires = None
    if params["created"] is not None:
        created = _timestamp(params["created"], "created")
        _check_fresh(created, "created", now, max_age, ahead)
    if params["expires"] is not None:
        expires = _timestamp(params["expires"], "expires")
        _check_expires(expires, now, ahead)
    return created, expires


# --- RFC 8941 structured fields (what RFC 9421 and RFC 9530 need) ---------------------------


class _Token(str):
    """An sf-token, serialised bare, unlike an sf-string."""

    __slots__ = ()


_SF_KEY = re.compile(r"[a-z*][a-z0-9_.*-]*")
_SF_TOKEN = re.compile(r"[A-Za-z*][!#$%&'*+.^_`|~0-9A-Za-z:/-]*")
_SF_STRING = re.compile(r'"([ !#-\[\]-~]*(?:\\["\\][ !#-\[\]-~]*)*)"')
_SF_BYTES = re.compile(r":([A-Za-z0-9+/=]*):")
_SF_NUMBER = re.compile(r"-?([0-9]+)(?:\.([0-9]+))?")
_SF_ESCAPE = re.compile(r"\\([\"\\])")

Item = tuple[Any, dict[str, Any]]  # (bare item or list of items for an inner list, parameters)


class _SF:
    """A small RFC 8941 parser; every failure is a `SignatureError` naming the field."""

    def __init__(self, text: str, field: str):
        if len(text) > MAX_HEADER_LENGTH:
            raise SignatureError(
                Reason.MALFORMED, f"{field} is over {MAX_HEADER_LENGTH} characters"
            )
        self.text, self.field, self.at = text, field, 0

    def fail(self, what: str) -> SignatureError:
        return SignatureError(Reason.MALFORMED, f"{self.field}: {what} at character {self.at}")

    def peek(self) -> str:
        return self.text[self.at : self.at + 1]

    def skip(self, chars: str) -> None:
        while self.at < len(self.text) and self.text[self.at] in chars:
            self.at += 1

    def dictionary(self) -> dict[str, Item]:
        out: dict[str, Item] = {}
        self.skip(" ")
        while self.at < len(self.text):
            key = self.key()
            if self.peek() == "=":
                self.at += 1
                out[key] = self.member()
            else:
                out[key] = (True, self.params())
            if not self.next_member():
                break
        return out

    def members(self) -> list[Item]:
        out: list[Item] = []
        self.skip(" ")
        while self.at < len(self.text):
            out.append(self.member())
            if not self.next_member():
                break
        return out

    def next_member(self) -> bool:
        self.skip(" \t")
        if self.at >= len(self.text):
            return False
        if self.peek() != ",":
            raise self.fail("expected ','")
        self.at += 1
        self.skip(" \t")
        if self.at >= len(self.text):
            raise self.fail("trailing ','")
        return True

    def member(self) -> Item:
        return self.inner_list() if self.peek() == "(" else self.item()

    def item(self) -> Item:
        return self.bare(), self.params()

    def inner_list(self) -> Item:
        self.at += 1
        items: list[Item] = []
        while True:
            self.skip(" ")
            if self.peek() == ")":
                self.at += 1
                return items, self.params()
            items.append(self.item())
            if self.peek() not in (" ", ")"):
                raise self.fail("expected ' ' or ')' in an inner list")

    def params(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        while self.peek() == ";":
            self.at += 1
            self.skip(" ")
            key = self.key()
            if self.peek() == "=":
                self.at += 1
                out[key] = self.bare()
            else:
                out[key] = True
        return out

    def key(self) -> str:
        return self.match(_SF_KEY, "a key").group()

    def match(self, pattern: re.Pattern, what: str) -> re.Match:
        found = pattern.match(self.text, self.at)
        if found is None:
            raise self.fail(f"expected {what}")
        self.at = found.end()
        return found

    def bare(self) -> Any:
        first = self.peek()
        if first and first in "-0123456789":
            return self.number()
        if first == '"':
            text = self.match(_SF_STRING, "a string").group(1)
            return _SF_ESCAPE.sub(r"\1", text) if "\\" in text else text
        if first == ":":
            return _b64decode_sf(self.match(_SF_BYTES, "a byte sequence").group(1), self)
        if first == "?":
            return self.boolean()
        return _Token(self.match(_SF_TOKEN, "an item").group())

    def number(self) -> int | Decimal:
        found = self.match(_SF_NUMBER, "a number")
        whole, fraction = found.groups()
        if fraction is None and len(whole) <= 15:
            return int(found.group())
        if fraction is not None and len(whole) <= 12 and len(fraction) <= 3:
            return Decimal(found.group())
        raise self.fail("number out of range")

    def boolean(self) -> bool:
        value = self.text[self.at + 1 : self.at + 2]
        if value not in ("0", "1"):
            raise self.fail("expected ?0 or ?1")
        self.at += 2
        return value == "1"

    def whole(self, kind: str) -> Any:
        value = self.dictionary() if kind == "dictionary" else self.members()
        self.skip(" ")
        if self.at != len(self.text):
            raise self.fail("unexpected text")
        return value


def _b64decode_sf(text: str, parser: _SF) -> bytes:
    try:
        return _b64decode(text, parser.field)
    except SignatureError:
        raise parser.fail("bad base64 in a byte sequence") from None


def _ser_bare(value: Any) -> str:
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        whole, _, fraction = format(
            value.quantize(Decimal("0.001"), ROUND_HALF_EVEN), "f"
        ).partition(".")
        return f"{whole}.{fraction.rstrip('0') or '0'}"
    if isinstance(value, _Token):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode("ascii") + ":"
    raise TypeError(f"cannot serialise {type(value).__name__} as a structured field")


def _ser_params(params: Mapping[str, Any]) -> str:
    return "".join(f";{k}" if v is True else f";{k}={_ser_bare(v)}" for k, v in params.items())


def _ser_member(member: Item) -> str:
    value, params = member
    if isinstance(value, list):
        return "(" + " ".join(_ser_member(item) for item in value) + ")" + _ser_params(params)
    return _ser_bare(value) + _ser_params(params)


def _ser_dictionary(members: Mapping[str, Item]) -> str:
    return ", ".join(
        key + _ser_params(m[1]) if m[0] is True else f"{key}={_ser_member(m)}"
        for key, m in members.items()
    )


# Fields whose structured type we know, for the `;sf` component parameter (RFC 9421 §2.1.1).
_SF_FIELD_TYPES = {
    "accept-signature": "dictionary",
    "content-digest": "dictionary",
    "repr-digest": "dictionary",
    "want-content-digest": "dictionary",
    "want-repr-digest": "dictionary",
    "signature": "dictionary",
    "signature-input": "dictionary",
    "priority": "dictionary",
    "cache-status": "list",
    "proxy-status": "list",
}


# --- RFC 9421: components and signature base ------------------------------------------------


@dataclass(frozen=True)
class _Message:
    fields: dict[str, list[str]]
    method: str | None = None  # None for a response
    url: str | None = None
    status: int | None = None


def _authority(parts: SplitResult) -> str:
    """host[:port] of a URL, lower-cased, without the scheme's default port."""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        raise SignatureError(Reason.MALFORMED, "the URL has an invalid port") from None
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return host if port is None or port == default else f"{host}:{port}"


def _request_target(parts: SplitResult) -> str:
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


_DERIVED: dict[str, Callable[[_Message, SplitResult], str]] = {
    "@method": lambda message, parts: message.method or "",
    "@target-uri": lambda message, parts: message.url or "",
    "@authority": lambda message, parts: _authority(parts),
    "@scheme": lambda message, parts: parts.scheme.lower(),
    "@request-target": lambda message, parts: _request_target(parts),
    "@path": lambda message, parts: parts.path or "/",
    "@query": lambda message, parts: "?" + parts.query,
}
_FORM_SAFE = frozenset((string.ascii_letters + string.digits + "*-._").encode("ascii"))


def _component_value(message: _Message, name: str, params: dict[str, Any]) -> str:
    if not name.startswith("@"):
        return _field_component(message.fields, name, params)
    if name == "@status":
        _no_params(name, params)
        if message.status is None:
            raise SignatureError(Reason.UNSUPPORTED, "@status is only available on a response")
        return f"{message.status:03d}"
    if name not in _DERIVED and name != "@query-param":
        raise SignatureError(Reason.UNSUPPORTED, f"unknown derived component {_shown(name)}")
    if message.method is None or message.url is None:
        raise SignatureError(Reason.UNSUPPORTED, f"{name} needs the request (;req unsupported)")
    if name == "@query-param":
        return _query_param(urlsplit(message.url).query, params)
    _no_params(name, params)
    return _DERIVED[name](message, urlsplit(message.url))


def _no_params(name: str, params: dict[str, Any]) -> None:
    if params:
        unsupported = ", ".join(f";{key}" for key in params)
        raise SignatureError(Reason.UNSUPPORTED, f"parameters {unsupported} on {name} unsupported")


def _query_param(query: str, params: dict[str, Any]) -> str:
    """RFC 9421 §2.2.8: form-decode each name=value, re-encode, and pick the one named."""
    wanted = params.get("name")
    if set(params) != {"name"} or not isinstance(wanted, str) or isinstance(wanted, _Token):
        raise SignatureError(Reason.MALFORMED, '@query-param needs exactly ;name="…"')
    found = []
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if pair and _form_encode(unquote_plus(name)) == wanted:
            found.append(_form_encode(unquote_plus(value)))
    if len(found) != 1:
        problem = "missing" if not found else "repeated, so ambiguous"
        raise SignatureError(Reason.MISSING_HEADER, f"query parameter {_shown(wanted)} {problem}")
    return found[0]


def _form_encode(text: str) -> str:
    return "".join(chr(b) if b in _FORM_SAFE else f"%{b:02X}" for b in text.encode("utf-8"))


def _field_component(fields: dict[str, list[str]], name: str, params: dict[str, Any]) -> str:
    unknown = set(params) - {"sf", "key", "bs"}
    if unknown:
        raise SignatureError(
            Reason.UNSUPPORTED, f"component parameter ;{sorted(unknown)[0]} is unsupported"
        )
    if fields.get(name) is None:
        raise SignatureError(Reason.MISSING_HEADER, f"covered header {_shown(name)} is missing")
    if "bs" in params:
        if params["bs"] is not True or len(params) > 1:
            raise SignatureError(Reason.MALFORMED, f"{name}: ;bs stands alone")
        return ", ".join(_ser_bare(_field_bytes(name, line)) for line in fields[name])
    value = _field_value(fields, name) or ""
    if "key" in params:
        return _dictionary_member(name, value, params)
    if "sf" in params:
        return _reserialised(name, value, params)
    return value


def _field_bytes(name: str, line: str) -> bytes:
    line = _clean_field_line(name, line)
    try:
        return line.encode("latin-1")
    except UnicodeEncodeError:
        return line.encode("utf-8")


def _dictionary_member(name: str, value: str, params: dict[str, Any]) -> str:
    key = params["key"]
    if not isinstance(key, str) or isinstance(key, _Token) or params.get("sf", True) is not True:
        raise SignatureError(Reason.MALFORMED, f'{name}: ;key needs a string, e.g. ;key="a"')
    members = _SF(value, name).whole("dictionary")
    if key not in members:
        raise SignatureError(Reason.MISSING_HEADER, f"{name} has no member {_shown(key)}")
    member = members[key]
    return _ser_params(member[1]) if member[0] is True else _ser_member(member)


def _reserialised(name: str, value: str, params: dict[str, Any]) -> str:
    kind = _SF_FIELD_TYPES.get(name)
    if params["sf"] is not True or kind is None:
        raise SignatureError(Reason.UNSUPPORTED, f";sf on {_shown(name)}: structured type unknown")
    parsed = _SF(value, name).whole(kind)
    if kind == "dictionary":
        return _ser_dictionary(parsed)
    return ", ".join(_ser_member(member) for member in parsed)


def _signature_base(message: _Message, member: Item) -> str:
    lines = [
        f"{_ser_member((name, params))}: {_component_value(message, name, params)}"
        for name, params in member[0]
    ]
    lines.append(f'"@signature-params": {_ser_member(member)}')
    return "\n".join(lines)


def _covered_components(label: str, member: Item) -> list[tuple[str, dict[str, Any]]]:
    items, _params = member
    if not isinstance(items, list):
        raise SignatureError(Reason.MALFORMED, f"Signature-Input {label} is not an inner list")
    if len(items) > MAX_COMPONENTS:
        raise SignatureError(Reason.MALFORMED, f"Signature-Input {label} covers too much")
    seen: set[tuple] = set()
    for name, params in items:
        if not isinstance(name, str) or isinstance(name, _Token) or name != name.lower():
            raise SignatureError(Reason.MALFORMED, "component names are lower-case strings")
        identifier = (name, *params.items())
        if name == "@signature-params" or identifier in seen:
            shown = _ser_member((name, params))
            raise SignatureError(Reason.MALFORMED, f"component {shown} is repeated or reserved")
        seen.add(identifier)
    return items


def _signatures(fields: dict[str, list[str]], label: str | None) -> list[tuple[str, Item, Item]]:
    """(label, Signature-Input member, Signature member) for each signature to try."""
    inputs_text = _field_value(fields, "signature-input")
    if inputs_text is None:
        raise SignatureError(Reason.MISSING_SIGNATURE, "the message has no Signature-Input header")
    inputs = _SF(inputs_text, "Signature-Input").whole("dictionary")
    signatures = _SF(_field_value(fields, "signature") or "", "Signature").whole("dictionary")
    labels = [label] if label is not None else [name for name in inputs if name in signatures]
    found = [(n, inputs[n], signatures[n]) for n in labels if n in signatures and n in inputs]
    if not found or any(name not in inputs for name in labels):
        raise SignatureError(Reason.MISSING_SIGNATURE, "no signature with a matching input")
    if len(found) > MAX_SIGNATURES:
        raise SignatureError(Reason.MALFORMED, f"more than {MAX_SIGNATURES} signatures")
    return found


def signature_base_rfc9421(
    headers: Headers,
    label: str,
    *,
    method: str | None = None,
    url: str | None = None,
    status: int | None = None,
) -> str:
    """The RFC 9421 signature base for the signature `label` of a request (method and url) or a
    response (status); raises `SignatureError` for what cannot be built."""
    fields = _header_fields(headers)
    ((_label, member, _signature),) = _signatures(fields, label)
    _covered_components(label, member)
    return _signature_base(_Message(fields, method, url, status), member)


# --- RFC 9421: verifying ------------------------------------------------------------------


@dataclass(frozen=True)
class _Rules:
    now: datetime
    max_age: timedelta
    ahead: timedelta
    require_coverage: bool
    get_public_key: KeyLookup
    get_shared_secret: Callable[[str], bytes | None] | None
    check_body: bool


def verify_rfc9421(
    method: str,
    url: str,
    headers: Headers,
    body: bytes | None,
    get_public_key: KeyLookup,
    *,
    now: datetime | None = None,
    max_skew: timedelta = MAX_AGE,
    max_future: timedelta = MAX_FUTURE,
    label: str | None = None,
    require_coverage: bool = True,
    get_shared_secret: Callable[[str], bytes | None] | None = None,
) -> VerifiedSignature:
    """Verify an RFC 9421 signed request (`Signature-Input` + `Signature`), or raise.

    `url` is the full request URL as we received it (scheme, the real Host, path, query). With
    several signatures, the first that verifies wins (or only `label`). By default the signature
    must cover `@method`, the target (`@target-uri`, or `@authority` with `@request-target` or
    `@path`+`@query`), `content-digest` for a body, and carry `created` or cover `date`;
    `require_coverage=False` drops that (for test vectors). `alg` is optional: without it the
    key's type decides (RSA: v1.5 or PSS). hmac-sha256 is only accepted for a keyid that
    `get_shared_secret` knows, never with a public key.
    """
    rules = _Rules(
        _now(now), max_skew, max_future, require_coverage, get_public_key, get_shared_secret, True
    )
    return _verify_message(_Message(_header_fields(headers), method, url), body, rules, label)


def verify_rfc9421_response(
    status: int,
    headers: Headers,
    body: bytes | None,
    get_public_key: KeyLookup,
    *,
    now: datetime | None = None,
    max_skew: timedelta = MAX_AGE,
    max_future: timedelta = MAX_FUTURE,
    label: str | None = None,
    get_shared_secret: Callable[[str], bytes | None] | None = None,
) -> VerifiedSignature:
    """Verify an RFC 9421 signed response. No coverage rules; a covered Content-Digest is
    checked against `body` unless `body` is None (the caller checks the body elsewhere)."""
    rules = _Rules(
        _now(now),
        max_skew,
        max_future,
        False,
        get_public_key,
        get_shared_secret,
        body is not None,
    )
    return _verify_message(_Message(_header_fields(headers), status=status), body, rules, label)


def _verify_message(
    message: _Message, body: bytes | None, rules: _Rules, label: str | None
) -> VerifiedSignature:
    errors: list[SignatureError] = []
    for name, member, signature in _signatures(message.fields, label):
        try:
            return _verify_one(message, body, rules, name, member, signature)
        except SignatureError as exc:
            errors.append(exc)
    unknown = [error for error in errors if isinstance(error, UnknownKeyError)]
    raise (unknown or errors)[0]


def _verify_one(
    message: _Message, body: bytes | None, rules: _Rules, label: str, member: Item, sig: Item
) -> VerifiedSignature:
    components = _covered_components(label, member)
    params = member[1]
    if not isinstance(sig[0], bytes):
        raise SignatureError(Reason.MALFORMED, f"Signature {label} is not a byte sequence")
    key_id, alg = _rfc9421_key_params(params)
    covered = {name for name, _params in components}
    if rules.require_coverage:
        _require_rfc9421_coverage(covered, params, message, body)
    created, expires = _check_rfc9421_times(params, covered, message.fields, rules)
    base = _signature_base(message, member)
    if rules.check_body:
        _check_body_digest(message.fields, covered, body, _signed_digest_members(components))
    key, names = _rfc9421_key(key_id, alg, rules)
    used = _verify_first(names, key, sig[0], base.encode("utf-8"))
    return VerifiedSignature(
        key_id=key_id,
        algorithm=used,
        covered=tuple(name + _ser_params(p) for name, p in components),
        scheme="rfc9421",
        created=created,
        expires=expires,
        label=label,
        nonce=params.get("nonce") if isinstance(params.get("nonce"), str) else None,
    )


def _signed_digest_members(components: list[tuple[str, dict[str, Any]]]) -> set[str] | None:
    """The Content-Digest members covered with `;key`, or None when the whole field is."""
    members = set()
    for name, params in components:
        if name == "content-digest":
            if "key" not in params:
                return None
            members.add(params["key"])
    return members


def _rfc9421_key_params(params: dict[str, Any]) -> tuple[str, str | None]:
    key_id, alg = params.get("keyid"), params.get("alg")
    if not isinstance(key_id, str) or not key_id:
        raise SignatureError(Reason.MALFORMED, "the signature has no keyid string")
    if alg is not None and (not isinstance(alg, str) or alg not in _ALGORITHMS):
        raise SignatureError(Reason.UNSUPPORTED, f"algorithm {_shown(str(alg))} is unsupported")
    for name in ("created", "expires"):
        if name in params and (isinstance(params[name], bool) or not isinstance(params[name], int)):
            raise SignatureError(Reason.MALFORMED, f"{name} is not an integer")
    return key_id, alg


def _require_rfc9421_coverage(
    covered: set[str], params: dict[str, Any], message: _Message, body: bytes | None
) -> None:
    query = urlsplit(message.url or "").query
    by_path = "@path" in covered and ("@query" in covered or not query)
    target = "@target-uri" in covered or (
        "@authority" in covered and ("@request-target" in covered or by_path)
    )
    missing = [] if "@method" in covered else ["@method"]
    missing += [] if target else ["@target-uri (or @authority with @path and @query)"]
    if body and not covered & {"content-digest", "digest"}:
        missing.append("content-digest")
    if "created" not in params and "date" not in covered:
        missing.append("created (or date)")
    if missing:
        raise SignatureError(
            Reason.INSUFFICIENT_COVERAGE, f"the signature does not cover {', '.join(missing)}"
        )


def _check_rfc9421_times(
    params: dict[str, Any], covered: set[str], fields: dict, rules: _Rules
) -> tuple[datetime | None, datetime | None]:
    created = expires = None
    if "created" in params:
        created = _timestamp(params["created"], "created")
        _check_fresh(created, "created", rules.now, rules.max_age, rules.ahead)
    if "expires" in params:
        expires = _timestamp(params["expires"], "expires")
        _check_expires(expires, rules.now, rules.ahead)
    if "date" in covered:
        date = _parse_http_date(_field_value(fields, "date"))
        _check_fresh(date, "Date", rules.now, rules.max_age, rules.ahead)
    return created, expires


def _rfc9421_key(key_id: str, alg: str | None, rules: _Rules) -> tuple[Any, tuple[str, ...]]:
    """The key and the algorithms to try. A keyid is a shared secret only if the caller's
    `get_shared_secret` says so; the message's `alg` never turns a public key into a secret."""
    secret = rules.get_shared_secret(key_id) if rules.get_shared_secret else None
    if secret is not None:
        if alg not in (None, "hmac-sha256") or not isinstance(secret, bytes):
            raise SignatureError(Reason.BAD_KEY, f"keyid {_shown(key_id)} is an HMAC secret")
        return secret, ("hmac-sha256",)
    if alg == "hmac-sha256":
        raise SignatureError(Reason.UNSUPPORTED, "hmac-sha256 is only accepted for shared keys")
    key = _resolve_public_key(key_id, rules.get_public_key)
    names = (alg,) if alg else tuple(n for n in _ASYMMETRIC if _ALGORITHMS[n].fits(key))
    return key, names


def verify_any(
    method: str,
    url: str,
    headers: Headers,
    body: bytes | None,
    get_public_key: KeyLookup,
    *,
    now: datetime | None = None,
    max_skew: timedelta = MAX_AGE,
    max_future: timedelta = MAX_FUTURE,
) -> VerifiedSignature:
    """The inbox gate: RFC 9421 when the request has `Signature-Input`, else draft-cavage,
    each with its default coverage rules."""
    fields = _header_fields(headers)
    if "signature-input" in fields:
        return verify_rfc9421(
            method,
            url,
            fields,
            body,
            get_public_key,
            now=now,
            max_skew=max_skew,
            max_future=max_future,
        )
    target = _request_target(urlsplit(url))
    return verify_request(
        method,
        target,
        fields,
        body,
        get_public_key,
        now=now,
        max_skew=max_skew,
        max_future=max_future,
    )


# --- RFC 9421: signing --------------------------------------------------------------------


def sign_rfc9421(
    method: str,
    url: str,
    headers: Headers,
    body: bytes | None,
    key_id: str,
    private_key: PrivateKey | str | bytes,
    *,
    label: str = "sig1",
    components: Iterable[str] | None = None,
    algorithm: str | None = None,
    now: datetime | None = None,
    expires_in: timedelta | None = None,
    nonce: str | None = None,
    tag: str | None = None,
    include_alg: bool = True,
) -> dict[str, str]:
    """Sign a request with RFC 9421; return the headers to add (`Content-Digest` for a body
    when covered and missing, `Signature-Input`, `Signature`).

    `private_key`: a key object, its PEM text, or bytes as an HMAC secret. `components` are
    names or serialised identifiers (`'"@query-param";name="a"'`); the default is `@method`,
    `@target-uri`, `@authority` and, for a body, `content-digest`. `algorithm` defaults from the
    key (RSA: rsa-v1_5-sha256, what fediverse RFC 9421 implementations use) and is named in an
    `alg` parameter unless `include_alg=False`.
    """
    key = load_private_key(private_key) if isinstance(private_key, str) else private_key
    name = algorithm or _default_algorithm(key)
    if name not in _ALGORITHMS or not _ALGORITHMS[name].fits(key):
        raise ValueError(f"algorithm {name} does not fit a {_key_kind(key)} key")
    _check_key_id(key_id)
    if not _SF_KEY.fullmatch(label):
        raise ValueError("a label is lower-case letters, digits, _-.*")
    fields = _header_fields(headers)
    covered = _component_items(components, body)
    added: dict[str, str] = {}
    wants_digest = any(item[0] == "content-digest" for item in covered)
    if body is not None and wants_digest and "content-digest" not in fields:
        added["Content-Digest"] = content_digest_header(body)
    params = _signing_params(
        key_id, name if include_alg else None, _now(now), expires_in, nonce, tag
    )
    member: Item = (covered, params)
    merged = fields | {header.lower(): [value] for header, value in added.items()}
    base = _signature_base(_Message(merged, method, url), member)
    added["Signature-Input"] = f"{label}={_ser_member(member)}"
    added["Signature"] = f"{label}={_ser_bare(_ALGORITHMS[name].sign(key, base.encode('utf-8')))}"
    return added


def _default_algorithm(key: Any) -> str:
    for name in ("rsa-v1_5-sha256", "ecdsa-p256-sha256", "ecdsa-p384-sha384", "ed25519"):
        if _ALGORITHMS[name].fits(key):
            return name
    if isinstance(key, bytes):
        return "hmac-sha256"
    raise TypeError(f"cannot sign with a {_key_kind(key)} key")


def _component_items(components: Iterable[str] | None, body: bytes | None) -> list[Item]:
    if components is None:
        components = ["@method", "@target-uri", "@authority"]
        components += ["content-digest"] * (body is not None)
    items = []
    for text in components:
        if text.startswith('"'):
            parser = _SF(text, "component")
            items.append(parser.item())
            if parser.at != len(text) or not isinstance(items[-1][0], str):
                raise ValueError(f"not a component identifier: {text!r}")
        else:
            items.append((text.lower(), {}))
    return items


def _signing_params(
    key_id: str,
    alg: str | None,
    now: datetime,
    expires_in: timedelta | None,
    nonce: str | None,
    tag: str | None,
) -> dict[str, Any]:
    created = int(now.timestamp())
    params: dict[str, Any] = {"created": created, "keyid": key_id}
    if alg is not None:
        params["alg"] = alg
    if expires_in is not None:
        params["expires"] = created + int(expires_in.total_seconds())
    for name, value in (("nonce", nonce), ("tag", tag)):
        if value is not None:
            if any(not " " <= c <= "~" for c in value):
                raise ValueError(f"{name} must be printable ASCII")
            params[name] = value
    return params
