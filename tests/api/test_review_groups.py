"""Review of groups through the client API: what a reply's visibility may become, and what a
person the group banned may still do to its posts from an app."""

from __future__ import annotations

import pytest

from tests.communities.world import member, new_group, topic
from tests.posts.helpers import write
from wikisocial.communities import actions as communities
from wikisocial.posts import actions as posts
from wikisocial.posts.models import Post

pytestmark = pytest.mark.django_db


def reply(call, parent: Post, visibility: str, text: str = "From my phone"):
    data = {"status": text, "in_reply_to_id": str(parent.pk), "visibility": visibility}
    return call("POST", "/api/v1/statuses", data)


@pytest.mark.parametrize("visibility", ["direct", "private"])
def test_a_narrow_reply_is_never_published_to_an_open_group(api, ana, bea, visibility):
    """Someone answering a public group's post with a direct message (or for their followers)
    chose a small audience: the reply is refused, not published for everyone to read."""
    group = new_group(ana, "cats")
    made = topic(ana, group, "Whiskers")
    response = reply(api(bea), made.post, visibility, "Only for you, Ana")
    assert response.status_code == 422, response.content
    assert "anyone may read" in response.json()["error"]
    assert not Post.objects.filter(content="Only for you, Ana").exists()


@pytest.mark.parametrize("visibility", ["public", "unlisted"])
def test_a_public_reply_is_posted_in_an_open_group(api, ana, bea, visibility):
    group = new_group(ana, "cats")
    made = topic(ana, group, "Whiskers")
    response = reply(api(bea), made.post, visibility)
    assert response.status_code == 200, response.content
    assert Post.objects.get(pk=response.json()["id"]).group_id == group.pk


@pytest.mark.parametrize("visibility", ["public", "unlisted", "private"])
def test_a_reply_in_a_closed_group_is_for_its_members(api, ana, bea, visibility):
    group = new_group(ana, "quiet", kind="private")
    member(group, bea, ana)
    made = topic(ana, group, "Inside")
    response = reply(api(bea), made.post, visibility)
    assert response.status_code == 200, response.content
    assert response.json()["visibility"] == "private"


def test_a_direct_reply_is_not_shown_to_a_whole_closed_group(api, ana, bea):
    group = new_group(ana, "quiet", kind="private")
    member(group, bea, ana)
    made = topic(ana, group, "Inside")
    response = reply(api(bea), made.post, "direct", "@ana only for you")
    assert response.status_code == 422, response.content
    assert "read by all its members" in response.json()["error"]
    assert not Post.objects.filter(content="@ana only for you").exists()


def _banned_with_a_reply(ana, bea):
    group = new_group(ana, "cats")
    made = topic(ana, group, "Whiskers")
    answer = write(bea, "My answer", in_reply_to=made.post)
    voted = write(ana, "Which?", in_reply_to=made.post, poll=posts.PollDraft(options=["A", "B"]))
    communities.ban(ana.account, group, bea.account, "spam")
    return made, answer, voted


def test_a_banned_member_cant_edit_their_group_post_from_an_app(api, ana, bea):
    _made, answer, _voted = _banned_with_a_reply(ana, bea)
    response = api(bea)("PUT", f"/api/v1/statuses/{answer.pk}", {"status": "Spam now"})
    assert response.status_code == 422, response.content
    assert "banned" in response.json()["error"]
    answer.refresh_from_db()
    assert answer.content == "My answer" and answer.edited_at is None


def test_a_banned_member_cant_boost_or_vote_in_the_group(api, ana, bea):
    made, _answer, voted = _banned_with_a_reply(ana, bea)
    call = api(bea)
    assert call("POST", f"/api/v1/statuses/{made.post.pk}/reblog").status_code == 422
    assert not Post.objects.filter(boost_of=made.post).exists()
    vote = call("POST", f"/api/v1/polls/{voted.poll.pk}/votes", {"choices[]": ["0"]})
    assert vote.status_code == 422, vote.content
    voted.poll.refresh_from_db()
    assert voted.poll.voters_count == 0
    assert call("POST", f"/api/v1/statuses/{made.post.pk}/favourite").status_code == 422


def test_a_group_made_private_shows_and_treats_its_posts_as_private(api, ana, bea):
    """Posts written while the group was open are not public any more once it is closed:
    apps are told so (``visibility``), and members can't boost them to their followers."""
    group = new_group(ana, "cats")
    member(group, bea, ana)
    made = topic(ana, group, "Whiskers")
    answer = write(bea, "My answer", in_reply_to=made.post)
    draft = communities.GroupDraft(name="Cats", kind="private")
    communities.update_group(ana.account, group, draft)
    call = api(bea)
    for post in (made.post, answer):
        assert call("GET", f"/api/v1/statuses/{post.pk}").json()["visibility"] == "private"
    assert call("POST", f"/api/v1/statuses/{made.post.pk}/reblog").status_code == 422
    assert not Post.objects.filter(boost_of=made.post).exists()
    # Opened again, they are public again.
    communities.update_group(ana.account, group, communities.GroupDraft(name="Cats"))
    assert call("GET", f"/api/v1/statuses/{answer.pk}").json()["visibility"] == "public"
