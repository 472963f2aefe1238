"""The oauthlib server and validator behind ``/oauth/...``, configured in
``settings.OAUTH2_PROVIDER`` so django-oauth-toolkit's ``get_oauthlib_core()`` builds them.

django-oauth-toolkit does the grant work (codes, PKCE, token storage as checksums, refresh
rotation, revocation); this module adds what Mastodon clients rely on:

- an app registered through ``POST /api/v1/apps`` gets user tokens (authorization code),
  app tokens (client credentials) and refreshes, where the toolkit allows one grant per app;
- every requested scope must be known and within the scopes the app registered;
- a redirect URI must be one of the registered ones character for character (no loopback
  port leeway, no case folding);
- PKCE is checked when the client sends a challenge, and only S256 is accepted; a verifier
  for a code issued without a challenge is refused (RFC 9700 §2.1.1, PKCE downgrade);
- a code used a second time revokes what its first use issued (RFC 6749 §4.1.2);
- token requests may come as forms or JSON (masto.js sends JSON).
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import timedelta
from typing import Any

import orjson
from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import (
    AbstractApplication,
    AccessToken,
    Application,
    RefreshToken,
    revoke_access_token,
)
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc6749.endpoints import (
    AuthorizationEndpoint,
    RevocationEndpoint,
    TokenEndpoint,
)
from oauthlib.oauth2.rfc6749.grant_types import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    RefreshTokenGrant,
)
from oauthlib.oauth2.rfc6749.grant_types.authorization_code import code_challenge_method_s256
from oauthlib.oauth2.rfc6749.tokens import BearerToken

from wikisocial.api import scopes as known_scopes
from wikisocial.api.models import AppProfile, ExchangedCode

logger = logging.getLogger(__name__)

OOB = "urn:ietf:wg:oauth:2.0:oob"
CODE_CHALLENGE = re.compile(r"[A-Za-z0-9._~-]{43,128}")
GRANT_TYPES = ("authorization_code", "client_credentials", "refresh_token")
# How long an exchanged code is remembered, to recognise it if it comes back.
EXCHANGED_CODES_KEPT = timedelta(days=1)


def checksum(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def app_scopes(app: Application | None) -> list[str]:
    """The scopes ``app`` registered for; every known scope for an app made elsewhere (the
    admin), which has no profile."""
    try:
        return app.api_profile.scope_list if app is not None else []
    except AppProfile.DoesNotExist:
        return list(known_scopes.ALL)


def scopes_allowed(requested: list[str], registered: list[str]) -> bool:
    """Whether every requested scope is known and covered by a registered one (an app that
    registered ``read`` may ask for ``read:statuses``)."""
    return all(
        name in known_scopes.ALL and known_scopes.covers(registered, name) for name in requested
    )


class MastodonValidator(OAuth2Validator):
    """django-oauth-toolkit's validator with Mastodon's rules (see the module docstring)."""

    def _load_application(self, client_id: str, request: OAuthRequest) -> Application | None:
        # A client id with a NUL (possible in HTTP Basic credentials, which the NUL check of
        # MastodonOAuthLibCore does not see) is no client's; PostgreSQL cannot even compare it.
        if client_id is not None and "\x00" in client_id:
            return None
        return super()._load_application(client_id, request)

    def validate_code(
        self,
        client_id: str,
        code: str,
        client: Application,
        request: OAuthRequest,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        if super().validate_code(client_id, code, client, request, *args, **kwargs):
            return True
        revoke_exchanged_code(code)
        return False

    def save_bearer_token(
        self, token: dict[str, Any], request: OAuthRequest, *args: Any, **kwargs: Any
    ) -> Any:
        saved = super().save_bearer_token(token, request, *args, **kwargs)
        if request.grant_type == "authorization_code":
            request.issued_token_checksum = checksum(token["access_token"])
        return saved

    def invalidate_authorization_code(
        self, client_id: str, code: str, request: OAuthRequest, *args: Any, **kwargs: Any
    ) -> None:
        """Retire the code and remember what it issued. If another request exchanged it in
        the meantime, this one's token (never handed out) goes, and the other's too."""
        issued = AccessToken.objects.filter(
            token_checksum=getattr(request, "issued_token_checksum", None),
            application=request.client,
        ).first()
        try:
            super().invalidate_authorization_code(client_id, code, request, *args, **kwargs)
        except errors.InvalidGrantError:
            if issued is not None:
                revoke_access_token(issued)
            revoke_exchanged_code(code)
            raise
        remember_exchanged_code(code, request.client, issued)

    def validate_grant_type(
        self,
        client_id: str,
        grant_type: str,
        client: Application,
        request: OAuthRequest,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        if request.client.authorization_grant_type == AbstractApplication.GRANT_AUTHORIZATION_CODE:
            return grant_type in GRANT_TYPES
        return super().validate_grant_type(client_id, grant_type, client, request, *args, **kwargs)

    def validate_response_type(
        self,
        client_id: str,
        response_type: str,
        client: Application,
        request: OAuthRequest,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        return response_type == "code" and client.allows_grant_type(
            AbstractApplication.GRANT_AUTHORIZATION_CODE
        )

    def validate_redirect_uri(
        self, client_id: str, redirect_uri: str, request: OAuthRequest, *args: Any, **kwargs: Any
    ) -> bool:
        return redirect_uri in request.client.redirect_uris.split()

    def validate_scopes(
        self,
        client_id: str,
        scopes: list[str],
        client: Application,
        request: OAuthRequest,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        return bool(scopes) and scopes_allowed(list(scopes), app_scopes(client))

    def get_default_scopes(
        self, client_id: str, request: OAuthRequest, *args: Any, **kwargs: Any
    ) -> list[str]:
        """Mastodon's default, ``read``; an app that did not register it gets its own scopes."""
        registered = app_scopes(request.client)
        return ["read"] if known_scopes.covers(registered, "read") else registered


def remember_exchanged_code(code: str, app: Application, issued: AccessToken | None) -> None:
    family = (
        RefreshToken.objects.filter(access_token=issued)
        .values_list("token_family", flat=True)
        .first()
        if issued is not None
        else None
    )
    ExchangedCode.objects.filter(created__lt=timezone.now() - EXCHANGED_CODES_KEPT).delete()
    ExchangedCode.objects.update_or_create(
        code_checksum=checksum(code),
        defaults={"application": app, "access_token": issued, "token_family": family},
    )


def revoke_exchanged_code(code: str) -> None:
    """A code that was already exchanged came back: revoke the token it issued and those
    refreshed from it (RFC 6749 §4.1.2, §10.5). Nothing happens for a code never exchanged."""
    exchanged = (
        ExchangedCode.objects.select_related("access_token")
        .filter(code_checksum=checksum(code))
        .first()
    )
    if exchanged is None:
        return
    logger.warning(
        "authorization code used again: revoking what it issued to application %s",
        exchanged.application_id,
    )
    if exchanged.access_token is not None:
        revoke_access_token(exchanged.access_token)
    if exchanged.token_family is not None:
        RefreshToken.revoke_family(exchanged.token_family)


def check_code_challenge(request: OAuthRequest) -> dict[str, Any]:
    """Refuse a PKCE challenge that is not one (RFC 7636: 43 to 128 unreserved characters)
    before it is stored with the authorization code."""
    challenge = request.code_challenge
    if challenge is not None and not CODE_CHALLENGE.fullmatch(challenge):
        raise errors.InvalidRequestError(description="Malformed code_challenge.", request=request)
    return {}


class S256AuthorizationCodeGrant(AuthorizationCodeGrant):
    """The authorization-code grant with PKCE's S256 method only: "plain" (and a challenge
    without a method, which means plain) is refused at the authorization request."""

    _code_challenge_methods = {"S256": code_challenge_method_s256}

    def __init__(self, request_validator: MastodonValidator) -> None:
        super().__init__(request_validator, post_auth=[check_code_challenge])

    def validate_token_request(self, request: OAuthRequest) -> None:
        super().validate_token_request(request)
        # oauthlib checks a verifier only against a stored challenge; a verifier for a code
        # issued without one means the challenge was stripped on the way (PKCE downgrade).
        if request.code_verifier is not None and (
            self.request_validator.get_code_challenge(request.code, request) is None
        ):
            raise errors.InvalidGrantError(
                description="code_verifier sent for a code issued without code_challenge.",
                request=request,
            )


class MastodonServer(AuthorizationEndpoint, TokenEndpoint, RevocationEndpoint):
    """The grants Mastodon offers, and no others (no implicit, password or device grant)."""

    def __init__(
        self,
        request_validator: MastodonValidator,
        token_expires_in: int | None = None,
        token_generator: Any = None,
        refresh_token_generator: Any = None,
        **_device_flow_settings: Any,
    ) -> None:
        code = S256AuthorizationCodeGrant(request_validator)
        bearer = BearerToken(
            request_validator, token_generator, token_expires_in, refresh_token_generator
        )
        AuthorizationEndpoint.__init__(
            self,
            default_response_type="code",
            response_types={"code": code},
            default_token_type=bearer,
        )
        TokenEndpoint.__init__(
            self,
            default_grant_type="authorization_code",
            grant_types={
                "authorization_code": code,
                "client_credentials": ClientCredentialsGrant(request_validator),
                "refresh_token": RefreshTokenGrant(request_validator),
            },
            default_token_type=bearer,
        )
        RevocationEndpoint.__init__(self, request_validator)


class MastodonOAuthLibCore(OAuthLibCore):
    """Reads token and revocation requests sent as JSON as well as forms, and refuses (with
    ValueError, like oauthlib for a query it cannot read) parameters holding a NUL, which no
    real one has and PostgreSQL cannot compare."""

    def _extract_params(self, request: HttpRequest) -> tuple[str, str, str, dict[str, Any]]:
        values = [v for _key, v in self.extract_body(request)]
        values += [v for _key, listed in request.GET.lists() for v in listed]
        if any("\x00" in value for value in values):
            raise ValueError("A parameter holds a NUL character")
        return super()._extract_params(request)

    def extract_body(self, request: HttpRequest) -> list[tuple[str, str]]:
        if (request.content_type or "") != "application/json":
            return super().extract_body(request)
        try:
            data = orjson.loads(request.body or b"{}")
        except orjson.JSONDecodeError:
            return []
        if not isinstance(data, dict):
            return []
        return [(key, _form_value(value)) for key, value in data.items() if value is not None]


def _form_value(value: Any) -> str:
    if isinstance(value, list):  # "scope": ["read", "write"]
        return " ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
