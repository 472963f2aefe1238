"""Group posts in home feeds and timelines: a new topic goes to the group's members on this
server (not to those who muted the group, and not to the author's followers as such), replies
stay in their topic, joining brings the latest topics in and leaving takes them out; the public
timelines leave group posts out, and the hashtag timelines show open groups' posts to all."""

from __future__ import annotations

import pytest

from tests.communities.world import member, new_group, topic
from tests.posts.helpers import write
from tests.timelines.helpers import Api, ids
from wikisocial.communities import actions as communities
from wikisocial.communities.models import Watch, WatchLevel
from wikisocial.social import actions as social
from wikisocial.timelines import queries
from wikisocial.timelines.fanout import GROUP_BACKFILL
from wikisocial.timelines.models import FeedEntry

pytestmark = pytest.mark.django_db


def feed_ids(person) -> set[int]:
    return set(FeedEntry.objects.filter(owner=person.account).values_list("post_id", flat=True))


def home_ids(person) -> list[int]:
    return [p.pk for p in queries.home(person.account, queries.Cursor(limit=40)).posts]


# --- new topics and replies --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["public", "restricted", "private", "hidden"])
def test_a_new_topic_reaches_the_members_not_the_authors_followers(ana, bea, cem, kind):
    group = new_group(ana, "club", kind=kind)
    member(group, bea, ana)
    social.follow(cem.account, ana.account)  # a follower who is not a member
    made = topic(ana, group, "News")
    assert made.post.pk in home_ids(bea)
    assert made.post.pk in home_ids(ana)
    assert made.post.pk not in feed_ids(cem)


def test_members_who_muted_the_group_dont_get_its_topics(ana, bea, cem):
    group = new_group(ana, "club")
    member(group, bea, ana)
    member(group, cem, ana)
    Watch.objects.create(account=bea.account, group=group, level=WatchLevel.MUTED)
    made = topic(ana, group, "News")
    assert made.post.pk not in feed_ids(bea)
    assert made.post.pk in feed_ids(cem)


def test_a_followed_hashtag_brings_no_group_topic(ana, bea):
    group = new_group(ana, "club")
    social.follow_hashtag(bea.account, "commons")
    made = topic(ana, group, "News", "About #commons")
    assert made.post.pk not in feed_ids(bea)


def test_replies_stay_in_their_topic_except_for_the_person_replied_to(ana, bea, cem, make_user):
    dan = make_user("dan")
    group = new_group(ana, "club")
    for person in (bea, cem, dan):
        member(group, person, ana)
    social.follow(ana.account, bea.account)  # Ana follows the one who answers her
    social.follow(dan.account, bea.account)  # a member following the replier
    made = topic(ana, group, "News")
    reply = write(bea, "Thanks", in_reply_to=made.post)
    assert reply.pk in feed_ids(ana)  # replied to, and follows Bea: as any reply
    assert reply.pk in feed_ids(bea)  # one's own
    assert reply.pk not in feed_ids(cem)
    assert reply.pk not in feed_ids(dan)  # follows Bea, but the reply lives in the topic


def test_a_reply_from_someone_not_followed_stays_out_of_the_home_feed(ana, bea):
    group = new_group(ana, "club")
    made = topic(ana, group, "News")
    reply = write(bea, "Hi", in_reply_to=made.post)
    assert reply.pk not in feed_ids(ana)


# --- joining and leaving ------------------------------------------------------------------------


def test_joining_brings_in_the_latest_topics(ana, bea):
    group = new_group(ana, "club")
    made = [topic(ana, group, f"Topic {n}") for n in range(GROUP_BACKFILL + 2)]
    reply = write(ana, "A reply", in_reply_to=made[-1].post)
    member(group, bea, ana)
    latest = {t.post.pk for t in made[-GROUP_BACKFILL:]}
    assert feed_ids(bea) == latest
    assert reply.pk not in feed_ids(bea)


def test_joining_a_private_group_on_approval_brings_in_its_topics(ana, bea):
    group = new_group(ana, "club", kind="private")
    made = topic(ana, group, "Inside")
    request = communities.join(bea.account, group)
    assert made.post.pk not in feed_ids(bea)  # only asked
    communities.approve(ana.account, request)
    assert made.post.pk in home_ids(bea)


def test_joining_a_muted_group_brings_in_nothing(ana, bea):
    group = new_group(ana, "club")
    topic(ana, group, "News")
    Watch.objects.create(account=bea.account, group=group, level=WatchLevel.MUTED)
    member(group, bea, ana)
    assert feed_ids(bea) == set()


@pytest.mark.parametrize("how", ["leave", "remove", "ban"])
def test_leaving_takes_the_groups_posts_out_but_ones_own(ana, bea, how):
    group = new_group(ana, "club", kind="private")
    member(group, bea, ana)
    theirs = topic(ana, group, "News")
    mine = topic(bea, group, "Mine")
    outside = write(ana, "Not in a group")
    social.follow(bea.account, ana.account)
    assert {theirs.post.pk, mine.post.pk, outside.pk} <= feed_ids(bea)
    if how == "leave":
        communities.leave(bea.account, group)
    elif how == "remove":
        communities.remove_member(ana.account, group, bea.account)
    else:
        communities.ban(ana.account, group, bea.account, "spam")
    assert theirs.post.pk not in feed_ids(bea)
    assert {mine.post.pk, outside.pk} <= feed_ids(bea)


def test_unfollowing_an_author_keeps_their_topics_of_ones_groups(ana, bea):
    group = new_group(ana, "club")
    member(group, bea, ana)
    social.follow(bea.account, ana.account)
    made = topic(ana, group, "News")
    plain = write(ana, "Plain")
    social.unfollow(bea.account, ana.account)
    assert made.post.pk in feed_ids(bea)
    assert plain.pk not in feed_ids(bea)


def test_following_an_author_brings_in_none_of_their_group_posts(ana, bea):
    group = new_group(ana, "club")
    made = topic(ana, group, "News")
    plain = write(ana, "Plain")
    social.follow(bea.account, ana.account)
    assert plain.pk in feed_ids(bea)
    assert made.post.pk not in feed_ids(bea)


# --- public and hashtag timelines ---------------------------------------------------------------


def test_the_public_timelines_leave_group_posts_out(client, ana, bea):
    group = new_group(ana, "club")
    made = topic(ana, group, "News", "Newsworthy #commons")
    plain = write(ana, "Plain #commons")
    for local in ("true", "false"):
        found = ids(Api(client, bea).get("/api/v1/timelines/public", {"local": local}))
        assert found == [plain.pk]
        assert made.post.pk not in ids(Api(client).get("/api/v1/timelines/public"))
    page = client.get("/local").content.decode()
    assert "Plain" in page and "Newsworthy" not in page


def test_hashtag_timelines_show_open_groups_posts_to_all_and_closed_ones_to_nobody(
    client, ana, bea
):
    open_group = new_group(ana, "club", kind="restricted")
    closed = new_group(ana, "inner", kind="private")
    shown = topic(ana, open_group, "Open", "Openly #commons")
    hidden = topic(ana, closed, "Closed", "Secretly #commons")
    anonymous = ids(Api(client).get("/api/v1/timelines/tag/commons"))
    assert anonymous == [shown.post.pk]
    assert ids(Api(client, bea).get("/api/v1/timelines/tag/commons")) == [shown.post.pk]
    assert hidden.post.pk not in ids(Api(client, ana).get("/api/v1/timelines/tag/commons"))
    page = client.get("/tags/commons").content.decode()
    assert "Openly" in page and "Secretly" not in page


def test_a_group_made_private_leaves_the_hashtag_timeline(client, ana):
    group = new_group(ana, "club")
    made = topic(ana, group, "Was open", "#commons")
    assert ids(Api(client).get("/api/v1/timelines/tag/commons")) == [made.post.pk]
    group.kind = "private"
    group.save(update_fields=["kind"])
    assert ids(Api(client).get("/api/v1/timelines/tag/commons")) == []


def test_a_members_home_timeline_shows_topics_with_their_titles(client, ana, bea):
    group = new_group(ana, "club", kind="private")
    member(group, bea, ana)
    made = topic(ana, group, "News", "Read this")
    [status] = Api(client, bea).get("/api/v1/timelines/home")
    assert status["id"] == str(made.post.pk)
    assert status["content"] == "<p><strong>News</strong></p><p>Read this</p>"
