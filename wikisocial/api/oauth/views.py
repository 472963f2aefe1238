"""The OAuth 2 doors Mastodon clients use: the consent page, token, revocation, userinfo and
the authorization-server metadata (RFC 8414).

The grant work is django-oauth-toolkit's (``get_oauthlib_core()`` with the server and
validator of ``server.py``); these views turn Mastodon's expectations into its calls and its
answers into Mastodon's shapes: a token answer carries ``created_at`` and no ``expires_in``
(tokens last until revoked), errors are RFC 6749 JSON, revocation answers ``{}``. An address
that keeps failing at the token and revocation doors (wrong secrets, codes, refresh tokens) is
made to wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError
from oauth2_provider.http import OAuth2ResponseRedirect
from oauth2_provider.models import Application
from oauth2_provider.oauth2_backends import get_oauthlib_core
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import add_params_to_uri

from wikisocial.api import scopes as known_scopes
from wikisocial.api import serializers
from wikisocial.api.base import USER, ApiError, authenticate, check_scope, json_response
from wikisocial.api.oauth.server import OOB, checksum
from wikisocial.core.ratelimit import Limit, client_ip, count_hit

# What the consent form carries from the GET to the POST; oauthlib validates it again there.
FORM_FIELDS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "state",
    "code_challenge",
    "code_challenge_method",
)
RESPONSE_MODES = ("query", "fragment")
# Failed token or revocation requests one address may make before it waits out the window:
# enough for a client's mistakes, far too few to guess a code, a secret or a refresh token.
FAILURES = Limit(30, 5 * 60)


def cors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let browser-based clients (web apps on other origins) call this endpoint. It takes
    no cookies, only client credentials and bearer tokens, so any origin may."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response["Access-Control-Allow-Headers"] = request.headers.get(
                "Access-Control-Request-Headers", "Authorization, Content-Type"
            )
            response["Access-Control-Max-Age"] = "86400"
        else:
            response = view(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        return response

    return wrapped


# --- the consent page ------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    """Show the person what the app asks for (GET) and act on their answer (POST). The
    request is validated by oauthlib both times: client, exact redirect URI, response type,
    PKCE method, scopes within the app's."""
    if not request.user.is_authenticated:
        name = (
            Application.objects.filter(client_id=request.GET.get("client_id", "")[:200])
            .values_list("name", flat=True)
            .first()
        )
        if name:  # the log-in page says why it is asked for
            text = _("Log in to let “%(app)s” use your account; you choose next.")
            messages.info(request, text % {"app": name})
        return redirect_to_login(request.get_full_path())
    try:
        scopes, credentials = get_oauthlib_core().validate_authorization_request(request)
    except FatalClientError as error:
        return _error_page(request, error)
    except OAuthToolkitError as error:
        return _error_redirect(request, error)
    except ValueError:  # a query string oauthlib cannot read
        return _error_page(request, None)
    app = Application.objects.select_related("api_profile").get(client_id=credentials["client_id"])
    if request.method == "POST":
        return _decide(request, app, scopes, credentials)
    return _consent_page(request, app, scopes, credentials)


def _consent_page(
    request: HttpRequest, app: Application, scopes: list[str], credentials: dict[str, Any]
) -> HttpResponse:
    fields = {name: credentials.get(name) for name in FORM_FIELDS}
    if request.GET.get("response_mode") in RESPONSE_MODES:
        fields["response_mode"] = request.GET["response_mode"]
    context = {
        "app": app,
        "website": getattr(getattr(app, "api_profile", None), "website_link", ""),
        "scopes": [(name, known_scopes.ALL[name]) for name in scopes],
        "scope": " ".join(scopes),
        "fields": {name: value for name, value in fields.items() if value},
        "oob": credentials["redirect_uri"] == OOB,
        "redirect_host": urlsplit(credentials["redirect_uri"]).netloc,
    }
    return render(request, "oauth/authorize.html", context)


def _decide(
    request: HttpRequest, app: Application, scopes: list[str], credentials: dict[str, Any]
) -> HttpResponse:
    allow = request.POST.get("decision") == "approve"
    given = {name: credentials[name] for name in FORM_FIELDS if credentials.get(name)}
    given.setdefault("state", None)
    if request.POST.get("response_mode") in RESPONSE_MODES:
        given["response_mode"] = request.POST["response_mode"]
    try:
        uri, _headers, _body, _status = get_oauthlib_core().create_authorization_response(
            request, scopes, given, allow
        )
    except FatalClientError as error:
        return _error_page(request, error)
    except OAuthToolkitError as error:
        return _error_redirect(request, error)
    if credentials["redirect_uri"] == OOB:
        code = parse_qs(urlsplit(uri).query).get("code", [""])[0]
        minutes = max(1, oauth2_settings.AUTHORIZATION_CODE_EXPIRE_SECONDS // 60)
        return render(request, "oauth/code.html", {"app": app, "code": code, "minutes": minutes})
    return _redirect(uri)


def _redirect(uri: str) -> HttpResponse:
    """Back to the app. The URI is one it registered (oauthlib checked it), so its scheme,
    whatever it is (native apps use their own), is allowed."""
    return OAuth2ResponseRedirect(uri, [urlsplit(uri).scheme])


def _error_redirect(request: HttpRequest, error: OAuthToolkitError) -> HttpResponse:
    """A refusal the app should hear about (denied, unknown scope…), at its redirect URI."""
    oauth_error = error.oauthlib_error
    target = oauth_error.redirect_uri
    if not target:
        return _error_page(request, error)
    if target == OOB:
        status = 200 if oauth_error.error == "access_denied" else 400
        return render(request, "oauth/code.html", {"error": oauth_error.error}, status=status)
    fragment = getattr(oauth_error, "response_mode", None) == "fragment"
    return _redirect(add_params_to_uri(target, oauth_error.twotuples, fragment=fragment))


def _error_page(request: HttpRequest, error: OAuthToolkitError | None) -> HttpResponse:
    """A request that must not send the browser anywhere (unknown client, redirect URI not
    registered): say so on our own page."""
    oauth_error = error.oauthlib_error if error is not None else None
    context = {
        "error": oauth_error.error if oauth_error else "invalid_request",
        "description": oauth_error.description if oauth_error else "",
    }
    return render(request, "oauth/error.html", context, status=400)


# --- client endpoints --------------------------------------------------------------------------


# RFC 6749's descriptions (as Doorkeeper words them, which Mastodon clients show), for the
# errors oauthlib raises without one.
ERROR_DESCRIPTIONS = {
    "invalid_client": "Client authentication failed due to unknown client, no client "
    "authentication included, or unsupported authentication method.",
    "invalid_grant": "The provided authorization grant is invalid, expired, revoked, does not "
    "match the redirection URI used in the authorization request, or was issued to another "
    "client.",
    "invalid_request": "The request is missing a required parameter, includes an unsupported "
    "parameter value, or is otherwise malformed.",
    "invalid_scope": "The requested scope is invalid, unknown, or malformed.",
    "unauthorized_client": "The client is not authorized to perform this request using this "
    "method.",
    "unsupported_grant_type": "The authorization grant type is not supported by the "
    "authorization server.",
    "unsupported_token_type": "The authorization server does not support the revocation of "
    "the presented token type.",
}


def _oauth_json(data: dict[str, Any], status: int, headers: dict[str, str]) -> HttpResponse:
    if "error" in data and not data.get("error_description"):
        data = {**data, "error_description": ERROR_DESCRIPTIONS.get(data["error"], data["error"])}
    response = json_response(data, status)
    for name, value in headers.items():
        if name.lower() != "content-type":
            response[name] = value
    response["Cache-Control"] = "no-store"
    return response


def _mastodon_token(data: dict[str, Any]) -> dict[str, Any]:
    """oauthlib's token answer in Mastodon's shape."""
    token = {
        "access_token": data["access_token"],
        "token_type": "Bearer",
        "scope": data.get("scope", ""),
        "created_at": int(time.time()),
    }
    if data.get("refresh_token"):
        token["refresh_token"] = data["refresh_token"]
    return token


def _bad_request() -> HttpResponse:
    data = {"error": "invalid_request", "error_description": "The request could not be read."}
    return _oauth_json(data, 400, {})


def throttle_failures(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Count the failed requests (400, 401) of each address; once it has made FAILURES,
    refuse every request from it, unread, with 429 for a window (settings.API_RATE_LIMITS)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.API_RATE_LIMITS:
            return view(request, *args, **kwargs)
        address = client_ip(request)
        blocked = f"oauth-blocked:{checksum(address)}"
        if cache.get(blocked):
            data = {
                "error": "Too many requests",
                "error_description": "Too many failed requests. Try again in a few minutes.",
            }
            return _oauth_json(data, 429, {"Retry-After": str(FAILURES.seconds)})
        response = view(request, *args, **kwargs)
        if response.status_code in (400, 401):
            failures = count_hit(f"oauth-failures:ip:{address}", FAILURES.seconds)
            if failures >= FAILURES.count:
                cache.set(blocked, True, FAILURES.seconds)
        return response

    return wrapped


@csrf_exempt
@cors
@throttle_failures
@require_POST
def token(request: HttpRequest) -> HttpResponse:
    """Exchange a code, client credentials or a refresh token for an access token."""
    try:
        _uri, headers, body, status = get_oauthlib_core().create_token_response(request)
    except ValueError:
        return _bad_request()
    data = orjson.loads(body) if body else {}
    if status == 200:
        data = _mastodon_token(data)
    return _oauth_json(data, status, headers)


@csrf_exempt
@cors
@throttle_failures
@require_POST
def revoke(request: HttpRequest) -> HttpResponse:
    """Revoke a token the client holds (RFC 7009): ``{}`` also for a token unknown to us or
    not the client's, so nothing is learnt about other tokens."""
    try:
        _uri, headers, body, status = get_oauthlib_core().create_revocation_response(request)
    except ValueError:
        return _bad_request()
    data = orjson.loads(body) if status != 200 and body else {}
    return _oauth_json(data, status, headers)


@csrf_exempt
@cors
@require_http_methods(["GET", "POST"])
def userinfo(request: HttpRequest) -> HttpResponse:
    """Who the token acts for, in OpenID Connect's terms (Mastodon's ``/oauth/userinfo``)."""
    try:
        authenticate(request, USER)
        check_scope(request, "profile")
    except ApiError as error:
        response = json_response({"error": error.message}, error.status)
        response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    account = request.account
    entity = serializers.account(account)
    return json_response(
        {
            "iss": settings.SITE_URL + "/",
            "sub": entity["uri"],
            "name": account.display_name or account.username,
            "preferred_username": account.username,
            "profile": entity["url"],
            "picture": entity["avatar"],
        }
    )


@cors
@require_safe
def server_metadata(request: HttpRequest) -> HttpResponse:
    """RFC 8414 authorization-server metadata, with Mastodon's fields."""
    site = settings.SITE_URL
    return json_response(
        {
            "issuer": site + "/",
            "authorization_endpoint": site + reverse("oauth:authorize"),
            "token_endpoint": site + reverse("oauth:token"),
            "revocation_endpoint": site + reverse("oauth:revoke"),
            "userinfo_endpoint": site + reverse("oauth:userinfo"),
            "scopes_supported": list(known_scopes.ALL),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query", "fragment"],
            "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
            "code_challenge_methods_supported": ["S256"],
            "service_documentation": "https://docs.joinmastodon.org/",
            "app_registration_endpoint": site + "/api/v1/apps",
        }
    )
