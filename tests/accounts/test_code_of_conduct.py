"""A new version of the code of conduct is accepted by everyone before they go on."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from wikisocial.instance.models import CodeOfConduct

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_version(db):
    cache.clear()
    current = CodeOfConduct.current()
    version = CodeOfConduct.objects.create(
        version=current.version + 1,
        text="Be excellent. **New clause.**",
        summary_of_changes="A clause",
    )
    yield version
    cache.clear()


def test_members_accept_a_new_version_before_going_on(logged_in, user, new_version):
    response = logged_in.get("/settings/profile")
    assert response.status_code == 302
    assert response.url.startswith("/settings/code-of-conduct?next=")
    page = logged_in.get(response.url)
    assert "<strong>New clause.</strong>" in page.text and "A clause" in page.text
    # The API, log-out and public pages stay reachable meanwhile.
    assert logged_in.get("/about").status_code == 200
    refused = logged_in.post(
        "/settings/code-of-conduct", {"version": new_version.version, "next": "/settings/profile"}
    )
    assert refused.status_code == 400
    accepted = logged_in.post(
        "/settings/code-of-conduct",
        {"version": new_version.version, "accept": "on", "next": "/settings/profile"},
    )
    assert accepted.status_code == 302 and accepted.url == "/settings/profile"
    assert user.coc_acceptances.filter(version=new_version).exists()
    assert user.coc_acceptances.count() == 2  # the history of acceptances is kept
    assert logged_in.get("/settings/profile").status_code == 200


def test_next_cannot_leave_the_site(logged_in, new_version):
    response = logged_in.post(
        "/settings/code-of-conduct",
        {"version": new_version.version, "accept": "on", "next": "https://evil.example/"},
    )
    assert response.url == "/"


def test_all_versions_stay_readable(client, new_version):
    text = client.get("/about/code-of-conduct").text
    assert "New clause." in text and "Version 1" in text
    old = client.get("/about/code-of-conduct?version=1")
    assert "earlier version" in old.text
    assert client.get("/about/code-of-conduct?version=99").status_code == 404
    assert client.get("/about/code-of-conduct?version=x").status_code == 404


def test_signup_records_the_version_accepted(client, new_version):
    client.post(
        "/auth/signup",
        {
            "username": "newbie",
            "email": "newbie@example.org",
            "password1": "a long enough passphrase",
            "password2": "a long enough passphrase",
            "code_version": new_version.version,
            "accept_code": "on",
        },
    )
    from wikisocial.accounts.models import User

    assert User.objects.get(username="newbie").coc_acceptances.get().version == new_version
