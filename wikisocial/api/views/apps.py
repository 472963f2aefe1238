"""Apps: registering a client application, and checking an app's own token."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from oauth2_provider.models import Application

from wikisocial.api import scopes
from wikisocial.api.base import APP, INVALID_TOKEN, NONE, ApiError, Param, endpoint
from wikisocial.api.oauth.applications import register_app, split_redirect_uris

# Mastodon's public key for Web Push. Push subscriptions are not offered, so there is none;
# the field stays because clients read it.
VAPID_KEY = ""


def application(app: Application, registered: list[str], website: str) -> dict[str, Any]:
    """The Mastodon Application entity."""
    uris = app.redirect_uris.split()
    return {
        "id": str(app.pk),
        "name": app.name,
        "website": website or None,
        "scopes": registered,
        "redirect_uris": uris,
        "vapid_key": VAPID_KEY,
        "redirect_uri": "\n".join(uris),
    }


@endpoint(
    "POST",
    "v1/apps",
    auth=NONE,
    params=(
        Param("client_name", required=True, description="A name for the application"),
        Param(
            "redirect_uris",
            "array",
            "Where the user is sent after authorising: one URI, several (an array or one per "
            "line), or urn:ietf:wg:oauth:2.0:oob to be shown the code",
            required=True,
        ),
        Param("scopes", description='Space-separated scopes; "read" when not given'),
        Param("website", description="The application's home page"),
    ),
    tag="apps",
)
def create_app(request: HttpRequest) -> dict[str, Any]:
    """Register a client application and get its client id and secret."""
    params = request.params
    wanted = " ".join(params.strs("scopes")) if isinstance(params.raw("scopes"), list) else None
    parsed = scopes.parse(wanted if wanted is not None else params.str("scopes", "read"))
    if parsed is None:
        raise ApiError(422, "Validation failed: Scopes must contain only known scopes")
    if not parsed:
        parsed = ["read"]
    found = register_app(
        name=params.str("client_name"),
        redirect_uris=split_redirect_uris(params.strs("redirect_uris")),
        scopes=parsed,
        website=params.str("website"),
    )
    app = found.application
    return {
        **application(app, found.profile.scope_list, found.profile.website),
        "client_id": app.client_id,
        "client_secret": found.client_secret,
        "client_secret_expires_at": 0,
    }


@endpoint("GET", "v1/apps/verify_credentials", auth=APP, tag="apps")
def verify_app_credentials(request: HttpRequest) -> dict[str, Any]:
    """The application the token belongs to."""
    app = request.token.application
    if app is None:
        raise ApiError(401, INVALID_TOKEN)
    profile = getattr(app, "api_profile", None)
    if profile is None:  # an app made in the admin: it may use what its token was given
        return application(app, request.token.scope.split(), "")
    return application(app, profile.scope_list, profile.website)
