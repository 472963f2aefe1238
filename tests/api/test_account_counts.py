"""The Account entity reports real counts from the social graph and posting."""

from __future__ import annotations

import pytest

from wikisocial.api.tokens import create_personal_token
from wikisocial.posts import actions
from wikisocial.social import actions as social

pytestmark = pytest.mark.django_db


def test_verify_credentials_counts(client, make_user):
    ana, bea = make_user("ana"), make_user("bea")
    social.follow(bea.account, ana.account)
    actions.create_post(ana.account, actions.Draft(text="one"))
    actions.create_post(ana.account, actions.Draft(text="two"))
    type(ana.account).objects.filter(pk=ana.account.pk).update(locked=True)
    ana.account.refresh_from_db()
    social.follow(make_user("cem").account, ana.account)  # a request: ana is locked now
    token = create_personal_token(ana, ["read"])
    data = client.get(
        "/api/v1/accounts/verify_credentials", HTTP_AUTHORIZATION=f"Bearer {token}"
    ).json()
    assert data["followers_count"] == 1 and data["following_count"] == 0
    assert data["statuses_count"] == 2 and data["last_status_at"]
    assert data["source"]["follow_requests_count"] == 1
    assert data["locked"] is True
