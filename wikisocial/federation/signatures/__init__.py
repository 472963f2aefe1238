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

Layout: `common` (errors, header fields, keys, algorithms, dates), `digests`, `cavage`,
`structured_fields` (RFC 8941) and `rfc9421`; this module re-exports the public API and holds
`verify_any`, the gate that picks the scheme.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from .cavage import (
    check_signature,
    parse_signature_header,
    sign_request,
    signing_string,
    verify_request,
)
from .common import (
    MAX_AGE,
    MAX_FUTURE,
    Headers,
    KeyLookup,
    Reason,
    SignatureError,
    UnknownKeyError,
    VerifiedSignature,
    _header_fields,
    _request_target,
    load_private_key,
    load_public_key,
)
from .common import MAX_COMPONENTS as MAX_COMPONENTS
from .common import MAX_HEADER_LENGTH as MAX_HEADER_LENGTH
from .common import MAX_RSA_BITS as MAX_RSA_BITS
from .common import MAX_SIGNATURES as MAX_SIGNATURES
from .common import MIN_RSA_BITS as MIN_RSA_BITS
from .common import PrivateKey as PrivateKey
from .common import PublicKey as PublicKey
from .digests import check_digest, content_digest_header, digest_header
from .rfc9421 import (
    sign_rfc9421,
    signature_base_rfc9421,
    verify_rfc9421,
    verify_rfc9421_response,
)
from .structured_fields import Item as Item

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
