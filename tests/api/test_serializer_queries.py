"""The status serialiser loads a page in bulk: 40 statuses cost exactly the queries 2 do, when
both pages hold the same kinds of things (boosts, polls, images, mentions, tags, replies, the
viewer's favourites, boosts, bookmarks, pins, votes and muted conversations, an app)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oauth2_provider.models import Application

from tests.api.statuses_client import png_upload
from wikisocial.api import serializers
from wikisocial.posts import actions
from wikisocial.posts.models import Post

pytestmark = pytest.mark.django_db


def _poll_post(author, parent, text: str) -> Post:
    draft = actions.Draft(
        text=text, in_reply_to=parent, poll=actions.PollDraft(options=["yes", "no"])
    )
    return actions.create_post(author, draft)


def _media_post(author, parent, text: str, app: Application) -> Post:
    media = actions.upload_media(author, png_upload(), "alt")
    draft = actions.Draft(text=text, in_reply_to=parent, media_ids=[media.pk], application=app)
    return actions.create_post(author, draft)


def pair(ana, bea, cem, root: Post, app: Application, n: int) -> list[Post]:
    """Two statuses holding every kind of thing: cem's boost of bea's poll (a reply that
    mentions ana, tagged, voted in, favourited, bookmarked, muted by ana) and ana's own
    picture (a reply mentioning bea, tagged, pinned, posted with an app)."""
    poll = _poll_post(bea, root, f"@ana #poll question {n}")
    actions.vote(ana, poll.poll, [0])
    actions.like(ana, poll)
    actions.bookmark(ana, poll)
    actions.mute_conversation(ana, poll)
    boost = actions.boost(cem, poll)
    picture = _media_post(ana, root, f"@bea #pic picture {n}", app)
    actions.pin(ana, picture)
    actions.boost(ana, picture)
    return [boost, picture]


@pytest.fixture
def people(make_user):
    return make_user("ana").account, make_user("bea").account, make_user("cem").account


def fresh(posts: list[Post]) -> list[Post]:
    """The posts as a caller gets them from a plain query (nothing loaded with them)."""
    by_id = Post.objects.in_bulk([p.pk for p in posts])
    return [by_id[p.pk] for p in posts]


def count(posts: list[Post], viewer) -> int:
    with CaptureQueriesContext(connection) as queries:
        serializers.statuses(posts, viewer)
    return len(queries)


@pytest.mark.parametrize("logged_in", [True, False], ids=["viewer", "anonymous"])
def test_forty_statuses_cost_what_two_do(people, monkeypatch, django_assert_num_queries, logged_in):
    monkeypatch.setitem(actions.LIMITS, "pins", 40)
    ana, bea, cem = people
    app = Application.objects.create(
        name="Tooter", client_type="public", authorization_grant_type="authorization-code"
    )
    root = actions.create_post(bea, actions.Draft(text="root"))
    viewer = ana if logged_in else None
    two = pair(ana, bea, cem, root, app, 0)
    forty: list[Post] = []
    for n in range(1, 20):
        forty += pair(ana, bea, cem, root, app, n)
    # A status also shown inside a boost on the same page, and a plainer one: neither adds
    # anything to load.
    forty.append(forty[0].boost_of)
    forty.append(actions.create_post(bea, actions.Draft(text="plain #tag", spoiler_text="cw")))
    assert len(forty) == 40

    expected = count(fresh(two), viewer)
    page = fresh(forty)
    with django_assert_num_queries(expected):
        data = serializers.statuses(page, viewer)
    assert len(data) == 40
    boosted, picture = data[0], data[1]
    assert boosted["reblog"]["poll"]["options"][0]["title"] == "yes"
    assert picture["media_attachments"][0]["description"] == "alt"
    assert [t["name"] for t in picture["tags"]] == ["pic"]
    if logged_in:
        assert boosted["favourited"] and boosted["bookmarked"] and boosted["muted"]
        assert boosted["reblog"]["poll"]["own_votes"] == [0]
        assert picture["pinned"] and picture["reblogged"]
        assert picture["application"] == {"name": "Tooter", "website": None}
    else:
        assert "favourited" not in boosted and picture["application"] is None


def test_the_count_does_not_grow_with_the_page(people, monkeypatch):
    """The same in numbers: pages of 2, 10 and 40 of the same mix."""
    monkeypatch.setitem(actions.LIMITS, "pins", 40)
    ana, bea, cem = people
    app = Application.objects.create(
        name="Tooter", client_type="public", authorization_grant_type="authorization-code"
    )
    root = actions.create_post(bea, actions.Draft(text="root"))
    posts: list[Post] = []
    for n in range(20):
        posts += pair(ana, bea, cem, root, app, n)
    costs = {size: count(fresh(posts[:size]), ana) for size in (2, 10, 40)}
    assert len(set(costs.values())) == 1, costs
