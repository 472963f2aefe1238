"""draft-cavage-http-signatures-12, what the fediverse sends today: parsing the `Signature`
header, the signing string, `sign_request`, `check_signature` and `verify_request`."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from .common import (
    _ALGORITHMS,
    _PKCS1,
    _SHA256,
    MAX_AGE,
    MAX_FUTURE,
    MAX_HEADER_LENGTH,
    Headers,
    KeyLookup,
    PublicKey,
    Reason,
    SignatureError,
    VerifiedSignature,
    _as_public_key,
    _authority,
    _b64decode,
    _check_expires,
    _check_fresh,
    _check_key_id,
    _family,
    _field_value,
    _header_fields,
    _http_date,
    _key_kind,
    _name_like,
    _now,
    _parse_http_date,
    _request_target,
    _resolve_public_key,
    _shown,
    _timestamp,
    _verify_with,
    load_private_key,
)
from .digests import _check_body_digest, digest_header

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
