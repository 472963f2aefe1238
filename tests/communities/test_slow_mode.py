"""Slow mode: set by a moderator, or switched on automatically when a topic heats up (many
replies from few people in a short time), shown on the topic, and over on its own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.communities.test_forum import answer, fresh, start
from wikisocial.communities import actions, forum
from wikisocial.communities.models import GroupLogEntry, LogAction, Topic
from wikisocial.posts import actions as posts
from wikisocial.posts.models import Post

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(ana, bea, cem, make_group):
    group = make_group(ana.account, "wikiproject_med")
    actions.join(bea.account, group)
    actions.join(cem.account, group)
    return group


@pytest.fixture
def topic(group, bea):
    return start(bea, group)


def _age(post: Post, seconds: int) -> None:
    """Pretend ``post`` was written ``seconds`` ago."""
    Post.objects.filter(pk=post.pk).update(created_at=timezone.now() - timedelta(seconds=seconds))


# --- set by a moderator ---------------------------------------------------------------------


def test_members_wait_between_replies_in_slow_mode(group, ana, bea, cem, topic):
    forum.set_slow_mode(ana.account, topic, 600)
    first = answer(bea, topic.post)
    with pytest.raises(ValidationError, match="slow mode") as caught:
        answer(bea, topic.post)
    assert "10 minutes" in str(caught.value) and "Your text is kept" in str(caught.value)
    assert answer(cem, topic.post)  # each person waits for their own reply
    _age(first, 601)
    assert answer(bea, topic.post)


def test_moderators_are_exempt(ana, topic):
    forum.set_slow_mode(ana.account, topic, 600)
    answer(ana, topic.post)
    assert answer(ana, topic.post)
    assert forum.slow_mode_wait(ana.account, fresh(topic)) == 0


def test_deleting_a_reply_does_not_skip_the_wait(ana, bea, topic):
    forum.set_slow_mode(ana.account, topic, 300)
    posts.delete_post(answer(bea, topic.post), bea.account)
    with pytest.raises(ValidationError, match="slow mode"):
        answer(bea, topic.post)
    assert 0 < forum.slow_mode_wait(bea.account, fresh(topic)) <= 300


def test_slow_mode_holds_for_replies_from_every_door(ana, bea, topic):
    """A Mastodon app replies through create_post with in_reply_to: the same check."""
    forum.set_slow_mode(ana.account, topic, 300)
    reply = answer(bea, topic.post)
    with pytest.raises(ValidationError) as caught:
        posts.create_post(bea.account, posts.Draft(text="again", in_reply_to=reply))
    assert "slow mode" in caught.value.message_dict["group"][0]


def test_only_moderators_set_slow_mode_within_a_day(group, ana, bea, topic):
    with pytest.raises(PermissionDenied):
        forum.set_slow_mode(bea.account, topic, 60)
    with pytest.raises(ValidationError):
        forum.set_slow_mode(ana.account, topic, 2 * 24 * 3600)
    forum.set_slow_mode(ana.account, topic, 3600)
    forum.set_slow_mode(ana.account, topic, 0)
    details = [e.detail for e in GroupLogEntry.objects.filter(action=LogAction.SLOW_MODE)]
    assert sorted(details) == sorted([f"{topic.title}: 1 hour", f"{topic.title}: off"])
    assert not forum.slow_mode_active(fresh(topic))


# --- automatic ------------------------------------------------------------------------------


def _heat_up(topic: Topic, people: list, replies: int) -> None:
    for i in range(replies):
        answer(people[i % len(people)], topic.post, f"reply {i}")


def test_a_heated_topic_slows_down_by_itself_for_an_hour(group, ana, bea, cem, topic):
    before = timezone.now()
    _heat_up(topic, [bea, cem], forum.AUTO_SLOW_MODE["replies"] - 1)
    assert not forum.slow_mode_active(fresh(topic))
    answer(bea, topic.post, "one more")
    topic = fresh(topic)
    assert topic.slow_mode_auto and forum.slow_mode_active(topic)
    assert topic.slow_mode_seconds == forum.AUTO_SLOW_MODE["interval"]
    hour = forum.AUTO_SLOW_MODE["duration"]
    assert before + hour <= topic.slow_mode_until <= timezone.now() + hour
    entry = GroupLogEntry.objects.get(group=group, action=LogAction.SLOW_MODE)
    assert entry.actor is None and "automatic" in entry.detail
    with pytest.raises(ValidationError, match="slow mode"):
        answer(bea, topic.post)
    assert answer(ana, topic.post)  # moderators are exempt


def test_many_people_answering_is_not_heat(group, make_user, topic):
    crowd = []
    for name in ("p1", "p2", "p3", "p4", "p5"):
        person = make_user(name)
        actions.join(person.account, group)
        crowd.append(person)
    _heat_up(topic, crowd, forum.AUTO_SLOW_MODE["replies"] + 3)
    assert not fresh(topic).slow_mode_auto


def test_replies_older_than_the_window_do_not_count(group, bea, cem, topic):
    _heat_up(topic, [bea, cem], forum.AUTO_SLOW_MODE["replies"] - 1)
    window = int(forum.AUTO_SLOW_MODE["window"].total_seconds())
    for post in Post.objects.filter(thread_root=topic.post):
        _age(post, window + 60)
    answer(bea, topic.post)
    assert not forum.slow_mode_active(fresh(topic))


def test_automatic_slow_mode_ends_on_its_own_and_may_come_back(group, bea, cem, topic):
    _heat_up(topic, [bea, cem], forum.AUTO_SLOW_MODE["replies"])
    Topic.objects.filter(pk=topic.pk).update(slow_mode_until=timezone.now() - timedelta(seconds=1))
    assert not forum.slow_mode_active(fresh(topic))
    assert answer(bea, topic.post)  # not refused any more
    # still heated: it switches on again, logged again
    assert forum.slow_mode_active(fresh(topic))
    assert GroupLogEntry.objects.filter(action=LogAction.SLOW_MODE).count() == 2


def test_a_moderator_turning_it_off_keeps_it_off(group, ana, bea, cem, topic):
    _heat_up(topic, [bea, cem], forum.AUTO_SLOW_MODE["replies"])
    forum.set_slow_mode(ana.account, fresh(topic), 0)
    answer(cem, topic.post)
    answer(bea, topic.post)
    assert not forum.slow_mode_active(fresh(topic))


def test_a_moderators_slow_mode_is_not_replaced(group, ana, bea, cem, topic):
    forum.set_slow_mode(ana.account, topic, 1)
    for i in range(forum.AUTO_SLOW_MODE["replies"] + 1):
        Post.objects.filter(thread_root=topic.post).update(
            created_at=timezone.now() - timedelta(seconds=5)
        )
        answer([bea, cem][i % 2], topic.post)
    topic = fresh(topic)
    assert topic.slow_mode_seconds == 1 and not topic.slow_mode_auto


# --- on the pages ---------------------------------------------------------------------------


def test_the_topic_shows_automatic_slow_mode_and_the_wait(client, group, bea, cem, topic):
    _heat_up(topic, [bea, cem], forum.AUTO_SLOW_MODE["replies"])
    until = timezone.localtime(fresh(topic).slow_mode_until).strftime("%H:%M")
    client.force_login(bea)
    page = client.get(f"/g/{group.url_handle}/t/{topic.pk}").text
    assert f"Automatic slow mode until {until}." in page
    assert "Each member waits 5 minutes between two replies here." in page
    assert "Slow mode: you can reply again in about 5 minutes." in page
    listing = client.get(f"/g/{group.url_handle}").text
    assert "Automatic slow mode" in listing


def test_a_reply_refused_by_slow_mode_keeps_its_text(client, group, ana, bea, topic):
    forum.set_slow_mode(ana.account, topic, 600)
    answer(bea, topic.post)
    client.force_login(bea)
    response = client.post(
        f"/g/{group.url_handle}/t/{topic.pk}",
        {"text": "My careful answer", "in_reply_to": topic.pk},
    )
    assert response.status_code == 400
    assert "This topic is in slow mode" in response.text
    assert "My careful answer</textarea>" in response.text
    assert Post.objects.filter(thread_root=topic.post).count() == 1


def test_moderators_set_slow_mode_from_the_topic(client, group, ana, bea, topic):
    client.force_login(ana)
    url = f"/g/{group.url_handle}/t/{topic.pk}"
    response = client.post(f"{url}/slow-mode", {"seconds": "300"})
    assert response.status_code == 302 and fresh(topic).slow_mode_seconds == 300
    assert "Slow mode." in client.get(url).text
    client.post(f"{url}/slow-mode", {"seconds": "7"})  # not one of the choices
    assert fresh(topic).slow_mode_seconds == 300
    client.force_login(bea)
    assert client.post(f"{url}/slow-mode", {"seconds": "0"}).status_code == 404
    assert fresh(topic).slow_mode_seconds == 300
