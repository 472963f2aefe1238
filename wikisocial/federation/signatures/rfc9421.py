"""RFC 9421 HTTP Message Signatures: components, the signature base, `sign_rfc9421`,
`verify_rfc9421` and `verify_rfc9421_response`."""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import SplitResult, unquote_plus, urlsplit

from .common import (
    _ALGORITHMS,
    _ASYMMETRIC,
    MAX_AGE,
    MAX_COMPONENTS,
    MAX_FUTURE,
    MAX_SIGNATURES,
    Headers,
    KeyLookup,
    PrivateKey,
    Reason,
    SignatureError,
    UnknownKeyError,
    VerifiedSignature,
    _authority,
    _check_expires,
    _check_fresh,
    _check_key_id,
    _clean_field_line,
    _field_value,
    _header_fields,
    _key_kind,
    _now,
    _parse_http_date,
    _request_target,
    _resolve_public_key,
    _shown,
    _timestamp,
    _verify_first,
    load_private_key,
)
from .digests import _check_body_digest, content_digest_header
from .structured_fields import (
    _SF,
    _SF_FIELD_TYPES,
    _SF_KEY,
    Item,
    _ser_bare,
    _ser_dictionary,
    _ser_member,
    _ser_params,
    _Token,
)

# --- RFC 9421: components and signature base ------------------------------------------------


@dataclass(frozen=True)
class _Message:
    fields: dict[str, list[str]]
    method: str | None = None  # None for a response
    url: str | None = None
    status: int | None = None


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
