"""/api/v1/tags/:name (with a week of use), follow and unfollow, /api/v1/followed_tags."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

# The people fixtures (tests/api/conftest.py does not provide them); tests take them
# as arguments, which ruff reads as redefinitions.
from tests.posts.helpers import write
from tests.timelines.helpers import Api, count_queries
from wikisocial.core.ids import new_id
from wikisocial.posts.models import Hashtag, Post
from wikisocial.social.models import HashtagFollow

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    def make(user=None, scopes=("read", "write", "follow")):
        return Api(client, user, scopes)

    return make


def midnight(days_ago: int) -> int:
    today = datetime.combine(timezone.now().astimezone(UTC).date(), time(), tzinfo=UTC)
    return int((today - timedelta(days=days_ago)).timestamp())


def test_a_tag_with_its_week(api, ana, bea, cem):
    write(ana, "#Caturday one")
    write(ana, "#caturday two")
    write(bea, "#caturday three")
    write(cem, "#caturday secret", visibility="private")  # not a public use
    long_ago = timezone.now() - timedelta(days=10)
    old = Post.objects.create(
        id=new_id(long_ago),
        author=cem.account,
        content_html="<p>#caturday</p>",
        created_at=long_ago,
    )
    old.hashtags.add(Hashtag.objects.get(name="caturday"))
    tag = api().get("/api/v1/tags/Caturday")
    assert tag["name"] == "caturday" and tag["url"].endswith("/tags/caturday")
    assert tag["id"] and "following" not in tag
    assert len(tag["history"]) == 7
    assert tag["history"][0] == {"day": str(midnight(0)), "accounts": "2", "uses": "3"}
    assert tag["history"][6] == {"day": str(midnight(6)), "accounts": "0", "uses": "0"}
    assert api(ana).get("/api/v1/tags/caturday")["following"] is False


def test_unknown_and_invalid_tags(api, ana):
    unused = api(ana).get("/api/v1/tags/NeverUsed")
    assert unused["name"] == "NeverUsed" and "id" not in unused
    assert unused["following"] is False and {d["uses"] for d in unused["history"]} == {"0"}
    for bad in ("%20", "123", "a-b", "x" * 101):
        api().call("get", f"/api/v1/tags/{bad}", expect=404)


def test_follow_and_unfollow(api, ana, bea):
    caller = api(ana)
    followed = caller.post("/api/v1/tags/Commons/follow")
    assert followed["following"] is True and followed["name"] == "Commons"  # as first written
    assert caller.post("/api/v1/tags/commons/follow")["following"] is True  # idempotent
    picture = write(bea, "#commons picture")
    home = caller.get("/api/v1/timelines/home")
    assert [int(s["id"]) for s in home] == [picture.pk]
    assert caller.post("/api/v1/tags/COMMONS/unfollow")["following"] is False
    assert caller.post("/api/v1/tags/commons/unfollow")["following"] is False
    assert not HashtagFollow.objects.exists()
    caller.call("post", "/api/v1/tags/123/follow", expect=404)
    api(ana, scopes=("read",)).call("post", "/api/v1/tags/x/follow", expect=403)
    api().call("post", "/api/v1/tags/x/follow", expect=401)


def test_followed_tags_pages(api, ana):
    caller = api(ana)
    for name in ("one", "two", "three"):
        caller.post(f"/api/v1/tags/{name}/follow")
    everything = caller.get("/api/v1/followed_tags")
    assert [t["name"] for t in everything] == ["three", "two", "one"]
    assert all(t["following"] is True for t in everything)
    first = caller.call("get", "/api/v1/followed_tags", {"limit": 2})
    assert [t["name"] for t in first.json()] == ["three", "two"]
    link = first["Link"]
    max_id = link.split("max_id=")[1].split(">")[0]
    rest = caller.get("/api/v1/followed_tags", {"limit": 2, "max_id": max_id})
    assert [t["name"] for t in rest] == ["one"]
    small = count_queries(lambda: caller.get("/api/v1/followed_tags", {"limit": 1}))
    assert count_queries(lambda: caller.get("/api/v1/followed_tags", {"limit": 200})) == small
    api().call("get", "/api/v1/followed_tags", expect=401)
