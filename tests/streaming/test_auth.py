"""Who may stream: the client API's tokens, with Mastodon's streaming messages. Every stream
needs a token acting for a user whose login works; a revoked token ends the stream at its
next check; a list stream is its owner's only."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, set_token_value

from wikisocial.api.tokens import create_personal_token
from wikisocial.social.actions import follow
from wikisocial.streaming.auth import authenticate, owns_list, still_valid
from wikisocial.streaming.channels import StreamError
from wikisocial.timelines.actions import create_list

pytestmark = pytest.mark.django_db


def refused(raw) -> str:
    with pytest.raises(StreamError) as raised:
        authenticate(raw)
    assert raised.value.status == 401
    return raised.value.message


def test_a_users_token_gives_the_viewer_and_its_scopes(ana):
    raw = create_personal_token(ana, ["read:statuses", "write"])
    viewer = authenticate(raw)
    assert viewer.account_id == ana.account.pk
    assert viewer.scopes == {"read:statuses", "write"}
    assert still_valid(viewer)


def test_missing_and_unknown_tokens():
    assert refused(None) == "Missing access token"
    assert refused("") == "Missing access token"
    assert refused("not-a-token") == "Invalid access token"


def test_an_apps_own_token_is_not_enough(ana):
    app = Application.objects.create(
        name="bot",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )
    raw = secrets.token_urlsafe(32)
    token = AccessToken(application=app, scope="read", expires=timezone.now() + timedelta(days=1))
    set_token_value(token, raw)
    token.save()
    assert refused(raw) == "Invalid access token"


def test_a_disabled_login_and_a_revoked_token(ana):
    raw = create_personal_token(ana, ["read"])
    viewer = authenticate(raw)
    AccessToken.objects.filter(pk=viewer.token_id).delete()
    assert not still_valid(viewer)

    raw = create_personal_token(ana, ["read"])
    viewer = authenticate(raw)
    ana.is_active = False
    ana.save(update_fields=["is_active"])
    assert refused(raw) == "Your login is currently disabled"
    assert not still_valid(viewer)


def test_an_expired_token(ana):
    raw = create_personal_token(ana, ["read"])
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert refused(raw) == "Invalid access token"


def test_list_streams_are_their_owners(ana, bea):
    follow(ana.account, bea.account)
    mine = create_list(ana.account, "Mine")
    assert owns_list(ana.account.pk, str(mine.pk))
    assert not owns_list(bea.account.pk, str(mine.pk))
    assert not owns_list(ana.account.pk, "nonsense")
    assert not owns_list(ana.account.pk, str(mine.pk + 1000))
