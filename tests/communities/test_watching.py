"""Watching levels per group and per topic (watching, tracking, normal, muted), their
defaults, the notifications they feed, unread counts, and who is never told."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.communities.test_forum import answer, start
from tests.posts.helpers import remote_account
from wikisocial.communities import actions, forum, forum_queries
from wikisocial.communities.models import Topic, Watch, WatchLevel
from wikisocial.notifications.models import Kind, Notification
from wikisocial.posts.models import ConversationMute, Post

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(ana, make_group):
    return make_group(ana.account, "wikiproject_med")


def kinds(user) -> list[tuple[str, int | None]]:
    """(kind, post id) of what ``user`` was told, oldest first."""
    rows = Notification.objects.filter(recipient=user.account).order_by("id")
    return [(n.kind, n.post_id) for n in rows]


def level(user, **target) -> str:
    return forum.watch_level(user.account, **target)


# --- defaults -------------------------------------------------------------------------------


def test_starting_watches_and_replying_tracks(group, ana, bea):
    topic = start(ana, group)
    reply = answer(bea, topic.post)
    assert level(ana, topic=topic) == WatchLevel.WATCHING
    assert level(bea, topic=topic) == WatchLevel.TRACKING
    assert Watch.objects.get(account=bea.account, topic=topic).last_read_post_id == reply.pk
    answer(ana, reply)
    assert level(ana, topic=topic) == WatchLevel.WATCHING  # never lowered by a reply


def test_a_chosen_level_is_kept_when_replying(group, ana, bea):
    topic = start(ana, group)
    forum.set_watch(bea.account, WatchLevel.NORMAL, topic=topic)
    answer(bea, topic.post)
    assert level(bea, topic=topic) == WatchLevel.NORMAL


def test_people_who_never_chose_are_normal(group, bea):
    assert level(bea, group=group) == WatchLevel.NORMAL
    assert forum.watch_level(None, group=group) == WatchLevel.NORMAL


# --- notifications --------------------------------------------------------------------------


def test_group_watchers_hear_of_each_new_topic(group, ana, bea, cem):
    forum.set_watch(bea.account, WatchLevel.WATCHING, group=group)
    forum.set_watch(cem.account, WatchLevel.TRACKING, group=group)
    first = start(ana, group, "One")
    second = start(ana, group, "Two")
    assert kinds(bea) == [(Kind.GROUP_TOPIC, first.pk), (Kind.GROUP_TOPIC, second.pk)]
    assert Notification.objects.filter(recipient=bea.account).first().group == group
    assert kinds(cem) == []
    assert kinds(ana) == []  # not for one's own topic


def test_a_watcher_mentioned_in_the_topic_is_told_once(group, ana, bea):
    forum.set_watch(bea.account, WatchLevel.WATCHING, group=group)
    topic = start(ana, group, text="What do you think, @bea?")
    assert kinds(bea) == [(Kind.MENTION, topic.pk)]


def test_topic_watchers_hear_of_each_reply_others_only_what_concerns_them(group, ana, bea, cem):
    topic = start(ana, group)  # ana watches it
    to_ana = answer(bea, topic.post, "First")  # bea now tracks it
    to_bea = answer(cem, to_ana, "Answering bea")
    mention = answer(cem, topic.post, "cc @bea")
    assert kinds(ana) == [
        (Kind.REPLY, to_ana.pk),
        (Kind.GROUP_REPLY, to_bea.pk),
        (Kind.REPLY, mention.pk),  # it answers her topic's first post
    ]
    assert kinds(bea) == [(Kind.REPLY, to_bea.pk), (Kind.MENTION, mention.pk)]
    forum.set_watch(cem.account, WatchLevel.NORMAL, topic=topic)
    answer(ana, topic.post, "Thanks all")
    assert not Notification.objects.filter(recipient=cem.account).exists()


def test_muted_topics_tell_nothing(group, ana, bea, cem):
    topic = start(ana, group)
    mine = answer(bea, topic.post)
    forum.set_watch(bea.account, WatchLevel.MUTED, topic=topic)
    assert ConversationMute.objects.filter(account=bea.account, thread_root=topic.post).exists()
    answer(cem, mine, "A reply to bea, mentioning @bea")
    assert kinds(bea) == []
    forum.set_watch(bea.account, WatchLevel.WATCHING, topic=topic)
    assert not ConversationMute.objects.filter(account=bea.account).exists()
    answer(cem, topic.post, "Now she hears")
    assert [k for k, _post in kinds(bea)] == [Kind.GROUP_REPLY]


def test_a_muted_group_tells_nothing_of_new_topics(group, ana, bea):
    forum.set_watch(bea.account, WatchLevel.MUTED, group=group)
    start(ana, group)
    assert kinds(bea) == []


def test_nobody_is_told_what_they_may_not_read(ana, bea, cem, make_group):
    private = make_group(ana.account, "secret_club", kind="private")
    actions.join(bea.account, private)
    actions.approve(ana.account, private.join_requests.get(account=bea.account))
    forum.set_watch(bea.account, WatchLevel.WATCHING, group=private)
    topic = start(ana, private)
    assert kinds(bea) == [(Kind.JOIN_APPROVED, None), (Kind.GROUP_TOPIC, topic.pk)]
    forum.set_watch(bea.account, WatchLevel.WATCHING, topic=topic)
    actions.leave(bea.account, private)
    start(ana, private, "After she left")
    answer(ana, topic.post, "After she left")
    assert len(kinds(bea)) == 2


def test_banned_watchers_are_not_told(group, ana, bea, cem):
    forum.set_watch(bea.account, WatchLevel.WATCHING, group=group)
    topic = start(ana, group)
    forum.set_watch(bea.account, WatchLevel.WATCHING, topic=topic)
    actions.ban(ana.account, group, bea.account, "spam")
    start(ana, group, "Another")
    answer(cem, topic.post)
    assert kinds(bea) == [(Kind.GROUP_TOPIC, topic.pk)]


def test_posts_from_other_servers_feed_the_same_notifications(group, ana, bea):
    """The inbox stores a remote reply and calls group_post_created, as create_post does."""
    topic = start(ana, group)
    forum.set_watch(bea.account, WatchLevel.WATCHING, topic=topic)
    faraway = remote_account()
    reply = Post.objects.create(
        author=faraway,
        local=False,
        uri="https://remote.example/notes/1",
        content_html="<p>Hello from afar</p>",
        in_reply_to=topic.post,
        in_reply_to_account=ana.account,
        thread_root=topic.post,
        group=group,
        created_at=timezone.now(),
    )
    forum.group_post_created(reply)
    assert kinds(bea) == [(Kind.GROUP_REPLY, reply.pk)]
    assert Topic.objects.get(pk=topic.pk).replies_count == 1
    assert not Watch.objects.filter(account=faraway).exists()


# --- choosing a level -----------------------------------------------------------------------


def test_one_may_only_watch_what_one_may_read(ana, bea, make_group):
    private = make_group(ana.account, "secret_club", kind="private")
    with pytest.raises(PermissionDenied):
        forum.set_watch(bea.account, WatchLevel.WATCHING, group=private)
    topic = start(ana, private)
    with pytest.raises(PermissionDenied):
        forum.set_watch(bea.account, WatchLevel.WATCHING, topic=topic)
    with pytest.raises(ValidationError):
        forum.set_watch(ana.account, "loud", group=private)
    assert not Watch.objects.filter(account=bea.account).exists()


# --- unread counts --------------------------------------------------------------------------


def test_tracking_shows_unread_replies_until_the_topic_is_read(client, group, ana, bea, cem):
    topic = start(ana, group)
    answer(bea, topic.post)  # bea tracks it
    quiet = start(ana, group, "Quiet")
    answer(cem, topic.post)
    answer(cem, topic.post)
    assert forum_queries.unread_counts(bea.account, [topic, quiet]) == {topic.pk: 2}
    assert forum_queries.unread_counts(cem.account, [topic]) == {}  # own replies count as read
    client.force_login(bea)
    listing = client.get("/g/wikiproject_med").text
    assert '2<span class="visually-hidden"> new replies</span>' in listing
    client.get(f"/g/wikiproject_med/t/{topic.pk}")
    assert forum_queries.unread_counts(bea.account, [topic]) == {}
    assert 'title="new replies"' not in client.get("/g/wikiproject_med").text


# --- the pages ------------------------------------------------------------------------------


def test_choosing_levels_on_the_group_and_topic_pages(client, group, ana, bea):
    topic = start(ana, group)
    client.force_login(bea)
    home = client.get("/g/wikiproject_med").text
    assert 'action="/g/wikiproject_med/watch"' in home and 'name="level"' in home
    response = client.post("/g/wikiproject_med/watch", {"level": "watching"})
    assert response.status_code == 302 and level(bea, group=group) == WatchLevel.WATCHING
    page = client.get(f"/g/wikiproject_med/t/{topic.pk}").text
    assert f'name="topic" value="{topic.pk}"' in page
    client.post("/g/wikiproject_med/watch", {"level": "muted", "topic": topic.pk})
    assert level(bea, topic=topic) == WatchLevel.MUTED
    assert "Which sources" not in client.get("/g/wikiproject_med").text
    assert "Which sources" in client.get("/g/wikiproject_med?muted=1").text
    client.post("/g/wikiproject_med/watch", {"level": "loud"})
    assert level(bea, group=group) == WatchLevel.WATCHING


def test_watching_a_group_one_may_not_read_is_a_404(client, ana, bea, make_group):
    make_group(ana.account, "secret_club", kind="private")
    make_group(ana.account, "hidden_club", kind="hidden")
    client.force_login(bea)
    for handle in ("secret_club", "hidden_club"):
        assert client.post(f"/g/{handle}/watch", {"level": "watching"}).status_code == 404
    assert not Watch.objects.exists()


def test_the_notifications_page_names_the_topic_and_the_group(client, group, ana, bea):
    forum.set_watch(bea.account, WatchLevel.WATCHING, group=group)
    topic = start(ana, group, "Lead images")
    forum.set_watch(bea.account, WatchLevel.WATCHING, topic=topic)
    reply = answer(ana, topic.post, "More")
    client.force_login(bea)
    page = client.get("/notifications").text
    assert "started a topic" in page and "replied in" in page
    assert f'href="/g/wikiproject_med/t/{topic.pk}"><bdi>Lead images</bdi></a>' in page
    assert f'href="/g/wikiproject_med/t/{topic.pk}#post-{reply.pk}"' in page
    assert 'in <a href="/g/wikiproject_med"><bdi>Wikiproject Med</bdi></a>' in page
