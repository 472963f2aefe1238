"""What every part of the HTTP-signature layer shares.

Limits, the error types (`Reason`, `SignatureError`, `UnknownKeyError`) and `VerifiedSignature`;
header-field helpers; base64; key loading (`load_public_key` and `load_private_key` are LRU
cached by PEM text); the signature-algorithm table; URL helpers; dates and freshness checks.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime, parsedate_to_datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any
from urllib.parse import SplitResult

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

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


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(
            text + "=" * (-len(text) % 4) if len(text) % 4 else text, validate=True
        )
    except (binascii.Error, ValueError):
        raise SignatureError(Reason.MALFORMED, f"{what} is not valid base64") from None


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


def _check_key_id(key_id: str) -> None:
    if not key_id or any(not " " <= c <= "~" or c in '"\\' for c in key_id):
        raise ValueError("a keyId must be printable ASCII without quotes or backslashes")


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


# --- URLs ----------------------------------------------------------------------------------


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
