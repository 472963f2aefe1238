"""Registering a client application, as ``POST /api/v1/apps`` does.

Anyone may register an app (Mastodon clients do it before the user logs in). The app gets a
client id and a secret; only a hash of the secret is kept, so the registration answer is the
one chance to read it. Validation messages stay in English: the API is their only door.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import Application
from oauthlib.uri_validate import is_absolute_uri

from wikisocial.api.models import AppProfile
from wikisocial.api.oauth.server import OOB

MAX_NAME = 60
MAX_URI = 2000
MAX_REDIRECT_URIS = 20
# Schemes a browser would run rather than hand to an app (Mastodon refuses the same ones).
FORBIDDEN_SCHEMES = frozenset({"javascript", "vbscript", "data", "file"})
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


@dataclass(frozen=True)
class Registration:
    application: Application
    profile: AppProfile
    client_secret: str  # in clear, this once


def redirect_uri_error(uri: str) -> str | None:
    """Why ``uri`` cannot be a redirect URI, or None. Native apps use their own schemes
    (``com.example.app://callback``); ``urn:ietf:wg:oauth:2.0:oob`` shows the code instead."""
    if uri == OOB:
        return None
    if len(uri) > MAX_URI:
        return "is too long (maximum is 2000 characters)"
    if "#" in uri:
        return "cannot contain a fragment."
    scheme = _SCHEME.match(uri)
    if scheme is None or not is_absolute_uri(uri):
        return "must be an absolute URI."
    if scheme.group(1).lower() in FORBIDDEN_SCHEMES:
        return "is forbidden by the server."
    if scheme.group(1).lower() in ("http", "https") and not uri.split("://", 1)[-1].split("/")[0]:
        return "must be an absolute URI."
    return None


def split_redirect_uris(values: list[str]) -> list[str]:
    """Redirect URIs given as several values or one string with one URI per line (Mastodon
    accepts both), without duplicates, in order."""
    uris = [uri for value in values for uri in value.split()]
    return list(dict.fromkeys(uris))


def _has_control_characters(text: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


def _name_errors(name: str) -> list[str]:
    if not name:
        return ["Application name can't be blank"]
    if len(name) > MAX_NAME:
        return ["Application name is too long (maximum is 60 characters)"]
    if _has_control_characters(name):
        return ["Application name cannot contain control characters"]
    return []


def _redirect_uri_errors(redirect_uris: list[str]) -> list[str]:
    if not redirect_uris:
        return ["Redirect URI can't be blank"]
    if len(redirect_uris) > MAX_REDIRECT_URIS:
        return ["Redirect URI: too many (maximum is 20)"]
    problems = [f"Redirect URI {e}" for e in map(redirect_uri_error, redirect_uris) if e]
    return list(dict.fromkeys(problems))


def _website_errors(website: str) -> list[str]:
    if not website:
        return []
    if len(website) > MAX_URI:
        return ["Website is too long (maximum is 2000 characters)"]
    try:
        URLValidator(schemes=["http", "https"])(website)
    except ValidationError:
        return ["Website is not a valid URL"]
    return ["Website is not a valid URL"] if _has_control_characters(website) else []


def _validate(name: str, redirect_uris: list[str], website: str) -> None:
    errors = {
        "name": _name_errors(name),
        "redirect_uris": _redirect_uri_errors(redirect_uris),
        "website": _website_errors(website),
    }
    if any(errors.values()):
        raise ValidationError({field: found for field, found in errors.items() if found})


def register_app(
    name: str, redirect_uris: list[str], scopes: list[str], website: str = ""
) -> Registration:
    """Create an application allowed ``scopes`` (already checked against the known ones) and
    return it with its secret in clear. Raises ValidationError for a bad name, redirect URI
    or website."""
    name, website = name.strip(), website.strip()
    _validate(name, redirect_uris, website)
    secret = generate_client_secret()
    with transaction.atomic():
        app = Application.objects.create(
            name=name,
            redirect_uris=" ".join(redirect_uris),
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            client_secret=secret,  # hashed when saved
        )
        profile = AppProfile.objects.create(
            application=app, scopes=" ".join(scopes), website=website
        )
    return Registration(application=app, profile=profile, client_secret=secret)
