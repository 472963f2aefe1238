"""OAuth access tokens seen from their owner's side: personal tokens made outside the
authorisation flow (for bots and operators), and the apps a person has authorised.

A personal token lives in an application of its own, owned by the person, with the
client-credentials grant; apps registered through ``POST /api/v1/apps`` have no owner. That
is how the two kinds are told apart in the settings pages.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from oauth2_provider.models import AccessToken, Application, Grant, RefreshToken, set_token_value

from wikisocial.accounts.models import User
from wikisocial.api.models import AppProfile

PERSONAL_APP_NAME = "Personal access token"
TOKEN_LIFETIME = timedelta(days=365 * 100)  # personal tokens last until revoked
PERSONAL = Q(authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS, user__isnull=False)


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
        AppProfile.objects.create(application=app, scopes=" ".join(scopes))
        token = AccessToken(
            user=user,
            application=app,
            scope=" ".join(scopes),
            expires=timezone.now() + TOKEN_LIFETIME,
        )
        set_token_value(token, raw)
        token.save()
    return raw


@dataclass(frozen=True)
class PersonalToken:
    application: Application
    scopes: list[str]
    created: datetime


def personal_tokens(user: User) -> list[PersonalToken]:
    """``user``'s personal tokens, newest first (two queries)."""
    apps = (
        Application.objects.filter(PERSONAL, user=user)
        .prefetch_related("accesstoken_set")
        .order_by("-created", "-pk")
    )
    return [
        PersonalToken(
            application=app,
            scopes=_union(token.scope for token in app.accesstoken_set.all()),
            created=app.created,
        )
        for app in apps
    ]


def revoke_personal_token(user: User, application_id: int) -> bool:
    """Delete one of ``user``'s personal tokens (its application goes with it). False when
    there is no such token of theirs."""
    deleted, _rows = Application.objects.filter(PERSONAL, user=user, pk=application_id).delete()
    return deleted > 0


@dataclass(frozen=True)
class Authorisation:
    application: Application
    website: str
    scopes: list[str]
    first_authorised: datetime
    last_authorised: datetime


def authorised_apps(user: User) -> list[Authorisation]:
    """The apps holding tokens that act for ``user`` (not their personal tokens), most
    recently authorised first, with the union of the scopes granted (one query)."""
    tokens = (
        AccessToken.objects.filter(user=user, application__isnull=False)
        .exclude(application__in=Application.objects.filter(PERSONAL))
        .select_related("application", "application__api_profile")
        .order_by("created", "pk")
    )
    grouped: dict[int, list[AccessToken]] = {}
    for token in tokens:
        grouped.setdefault(token.application_id, []).append(token)
    found = [_authorisation(rows) for rows in grouped.values()]
    return sorted(found, key=lambda a: a.last_authorised, reverse=True)


def _authorisation(tokens: list[AccessToken]) -> Authorisation:
    app = tokens[0].application
    profile = getattr(app, "api_profile", None)
    return Authorisation(
        application=app,
        website=profile.website_link if profile else "",
        scopes=_union(token.scope for token in tokens),
        first_authorised=tokens[0].created,
        last_authorised=tokens[-1].created,
    )


def revoke_authorisation(user: User, application_id: int) -> bool:
    """Withdraw everything ``user`` granted the app: its access and refresh tokens and any
    authorisation code not yet exchanged. False when the app held nothing of theirs."""
    mine = Q(user=user, application_id=application_id)
    with transaction.atomic():
        access, _rows = AccessToken.objects.filter(mine).delete()
        refresh, _rows = RefreshToken.objects.filter(mine).delete()
        codes, _rows = Grant.objects.filter(mine).delete()
    return access + refresh + codes > 0


def _union(scope_strings: Iterable[str]) -> list[str]:
    names: dict[str, None] = {}
    for text in scope_strings:
        names.update(dict.fromkeys(text.split()))
    return list(names)
