"""Bearer-token authentication for the client API (OAuth 2 tokens from django-oauth-toolkit)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.oauth2_backends import get_oauthlib_core


def require_token(*scopes: str) -> Callable:
    """Let the view run only with a valid token that has ``scopes``: 401 without a usable
    token, 403 when the token lacks a scope. Sets ``request.user`` and ``request.token``."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            core = get_oauthlib_core()
            valid, oauth_request = core.verify_request(request, scopes=[])
            token = getattr(oauth_request, "access_token", None)
            if not valid or token is None or not token.user or not token.user.is_active:
                return JsonResponse({"error": "The access token is invalid"}, status=401)
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
