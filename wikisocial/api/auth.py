"""Bearer-token authentication for the client API (OAuth 2 tokens from django-oauth-toolkit)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.oauth2_backends import get_oauthlib_core

from wikisocial.accounts.actions import login_refusal_code

# Mastodon's wording, which clients may show; never the account's e-mail address.
REFUSALS = {
    "rejected": "Your login is currently disabled",
    "disabled": "Your login is currently disabled",
    "unconfirmed": "Your login is missing a confirmed e-mail address",
    "pending": "Your login is currently pending approval",
}


def require_token(
    *scopes: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Let the view run only with a valid token that has ``scopes``: 401 without a usable
    token, 403 when the token lacks a scope. Sets ``request.user`` and ``request.token``."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            core = get_oauthlib_core()
            valid, oauth_request = core.verify_request(request, scopes=[])
            token = getattr(oauth_request, "access_token", None)
            if not valid or token is None or not token.user:
                return JsonResponse({"error": "The access token is invalid"}, status=401)
            # The same rule as the log-in page: no token works for a user who may not log in
            # (address unconfirmed, sign-up pending or rejected, account disabled or deleted).
            refusal = login_refusal_code(token.user)
            if refusal is not None:
                return JsonResponse({"error": REFUSALS[refusal]}, status=401)
            granted = set(token.scope.split())
            if not set(scopes) <= granted:
                return JsonResponse(
                    {"error": "This action is outside the authorized scopes"}, status=403
                )
            request.user = token.user
            request.token = token
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
