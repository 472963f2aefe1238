"""/api/v1/trends/{tags,statuses,links}: well-formed, computed from this server's recent
public posts."""

from __future__ import annotations

import pytest

# The people fixtures (tests/api/conftest.py does not provide them); tests take them
# as arguments, which ruff reads as redefinitions.
from tests.posts.helpers import write
from tests.timelines.helpers import Api
from wikisocial.accounts.models import Account
from wikisocial.posts import actions as posts

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    def make(user=None, scopes=("read", "write")):
        return Api(client, user, scopes)

    return make


def test_trending_tags_by_people_then_uses(api, ana, bea, cem):
    for _ in range(3):
        write(ana, "#solo again")
    write(ana, "#shared by ana")
    write(bea, "#shared by bea")
    write(cem, "#hidden", visibility="private")
    data = api().get("/api/v1/trends/tags")
    assert [t["name"] for t in data] == ["shared", "solo"]
    assert data[0]["history"][0]["accounts"] == "2"
    assert api().get("/api/v1/trends") == data
    assert [t["name"] for t in api().get("/api/v1/trends/tags", {"limit": 1})] == ["shared"]
    page = api().call("get", "/api/v1/trends/tags", {"limit": 1, "offset": 1})
    assert [t["name"] for t in page.json()] == ["solo"] and "offset=2" in page["Link"]
    assert api().get("/api/v1/trends/tags", {"offset": 5}) == []
    assert len(api().get("/api/v1/trends/tags", {"limit": "lots", "offset": "-1"})) == 2


def test_undiscoverable_people_do_not_trend(api, ana):
    Account.objects.filter(pk=ana.account.pk).update(discoverable=False)
    write(ana, "#quiet")
    assert api().get("/api/v1/trends/tags") == []


def test_trending_statuses_by_likes_and_boosts(api, ana, bea, cem):
    liked = write(ana, "liked once")
    popular = write(bea, "liked and boosted")
    write(cem, "nobody cares")
    posts.like(bea.account, liked)
    posts.like(ana.account, popular)
    posts.boost(cem.account, popular)
    data = api(cem).get("/api/v1/trends/statuses")
    assert [int(s["id"]) for s in data] == [popular.pk, liked.pk]
    assert data[0]["reblogged"] is True
    assert [int(s["id"]) for s in api().get("/api/v1/trends/statuses", {"offset": 1})] == [liked.pk]


def test_trending_links_are_an_empty_list(api):
    assert api().get("/api/v1/trends/links") == []
