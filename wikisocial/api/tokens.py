"""OAuth access tokens made outside the authorisation flow: for bots and operators."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from oauth2_provider.models import AccessToken, Application, set_token_value

from wikisocial.accounts.models import User

PERSONAL_APP_NAME = "Personal access token"
TOKEN_LIFETIME = timedelta(days=365 * 100)  # personal tokens last until revoked


def parse_scopes(text: str) -> list[str]:
    scopes = sorted(set(text.split()))
    known = settings.OAUTH2_PROVIDER["SCOPES"]
    unknown = [s for s in scopes if s not in known]
    if not scopes:
        raise ValidationError(_("Give at least one scope, for example: read write follow."))
    if unknown:
        raise ValidationError(
            ngettext(
                "Unknown scope: %(unknown)s. Known: %(known)s.",
                "Unknown scopes: %(unknown)s. Known: %(known)s.",
                len(unknown),
            )
            % {"unknown": ", ".join(unknown), "known": ", ".join(known)}
        )
    return scopes


def create_personal_token(user: User, scopes: list[str], name: str = "") -> str:
    """Make a token for ``user`` with ``scopes`` and return it. Only a checksum is stored, so
    the returned value is the one chance to copy it."""
    if not user.is_active:
        raise ValidationError(_("The account %(name)s is not active.") % {"name": user.username})
    raw = secrets.token_urlsafe(32)
    with transaction.atomic():
        app = Application.objects.create(
            name=name or PERSONAL_APP_NAME,
            user=user,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
            redirect_uris="",
        )
        token = AccessToken(
            user=user,
            application=app,
            scope=" ".join(scopes),
            expires=timezone.now() + TOKEN_LIFETIME,
        )
        set_token_value(token, raw)
        token.save()
    return raw
