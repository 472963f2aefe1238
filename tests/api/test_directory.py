"""The profile directory: local accounts that chose to be found, by activity or age."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.posts.helpers import remote_account, write
from wikisocial.accounts.models import Account

pytestmark = pytest.mark.django_db


def usernames(client, **query) -> list[str]:
    response = client.get("/api/v1/directory", query)
    assert response.status_code == 200
    return [a["username"] for a in response.json()]


def test_directory(client, make_user):
    ana, bea, cem, dan = (make_user(n) for n in ("ana", "bea", "cem", "dan"))
    Account.objects.filter(pk=dan.account.pk).update(discoverable=False)
    remote_account("far")
    now = timezone.now()
    for i, who in enumerate((ana, bea, cem)):
        Account.objects.filter(pk=who.account.pk).update(created_at=now - timedelta(days=i))
    write(bea, "I post")
    assert usernames(client) == ["bea", "cem", "ana"]  # posted first, then the newest
    assert usernames(client, order="new") == ["ana", "bea", "cem"]
    assert usernames(client, order="new", offset=1, limit=1) == ["bea"]
    assert usernames(client, local="false", limit=500) == ["bea", "cem", "ana"]
