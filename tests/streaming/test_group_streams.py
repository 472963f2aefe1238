"""Group posts on the streaming API: a closed group's posts never reach a non-member's stream
(user, public, hashtag, list, notifications), an open group's topics reach the hashtag streams
(not the public ones), and the streaming process screens public payloads by the group's
reading rule too, for whatever reaches it."""

from __future__ import annotations

import json

import pytest

from tests.communities.world import member, new_group, topic
from tests.posts.helpers import write
from tests.streaming.conftest import sent
from wikisocial.accounts.models import Account
from wikisocial.communities.models import Group
from wikisocial.notifications.actions import notify
from wikisocial.notifications.models import Kind
from wikisocial.posts import actions
from wikisocial.social.actions import follow
from wikisocial.streaming.channels import hashtag, list_channel, notifications, public, user
from wikisocial.streaming.events import render
from wikisocial.streaming.filtering import screen
from wikisocial.timelines.actions import add_to_list, create_list

pytestmark = pytest.mark.django_db

ALL_PUBLIC = [public(local=lo, media=m) for lo in (None, True, False) for m in (False, True)]


def home(person) -> str:
    return user(person.account.pk)


def payload_ids(channel: str, event: str = "update") -> list[str]:
    return [json.loads(p)["id"] for _c, _e, p in sent(channel, event)]


def everyone(*people) -> set[int]:
    return {p.account.pk for p in people}


# --- what is published -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["private", "hidden"])
def test_a_closed_groups_post_reaches_no_outsiders_stream(ana, bea, cem, connected, kind):
    group = new_group(ana, "inner", kind=kind)
    member(group, cem, ana)
    follow(bea.account, ana.account)
    friends = create_list(bea.account, "Friends")
    add_to_list(friends, [ana.account])
    tags = [hashtag("plans"), hashtag("plans", local=True)]
    connected(home(bea), home(cem), list_channel(friends.pk), *ALL_PUBLIC, *tags)
    connected(notifications(bea.account.pk))

    made = topic(ana, group, "Inside", "Secret #plans @bea")
    reply = write(cem, "Agreed #plans", in_reply_to=made.post)
    actions.edit_post(made.post, ana.account, actions.Draft(text="Changed #plans @bea"))

    assert payload_ids(home(cem)) == [str(made.post.pk), str(reply.pk)]  # a member, her reply
    outsiders = [home(bea), list_channel(friends.pk), *ALL_PUBLIC, *tags]
    for channel in outsiders:
        assert sent(channel) == [], channel
    assert sent(notifications(bea.account.pk)) == []  # mentioned, but may not read it
    assert str(reply.pk) not in {p for _c, _e, p in sent()}


def test_an_open_groups_topic_reaches_hashtag_streams_not_public_ones(ana, bea, connected):
    group = new_group(ana, "club", kind="restricted")
    connected(*ALL_PUBLIC, hashtag("plans"), hashtag("plans", local=True), home(bea))
    follow(bea.account, ana.account)
    made = topic(ana, group, "Open", "Open #plans")
    assert payload_ids(hashtag("plans")) == [str(made.post.pk)]
    assert payload_ids(hashtag("plans", local=True)) == [str(made.post.pk)]
    for channel in ALL_PUBLIC:
        assert sent(channel) == [], channel
    assert sent(home(bea)) == []  # a follower of the author, not a member


def test_an_edit_after_the_group_closed_reaches_no_hashtag_stream(ana, connected):
    group = new_group(ana, "club")
    made = topic(ana, group, "Was open", "Open #plans")
    Group.objects.filter(pk=group.pk).update(kind="private")
    connected(hashtag("plans"))
    actions.edit_post(made.post, ana.account, actions.Draft(text="Now closed #plans"))
    assert sent(hashtag("plans")) == []


def test_group_notifications_stream_as_statuses_and_the_others_not_at_all(ana, bea, connected):
    group = new_group(ana, "club", kind="restricted")
    made = topic(bea, new_group(bea, "dogs"), "Barking")
    connected(notifications(ana.account.pk))
    notify(ana.account, Kind.GROUP_TOPIC, bea.account, made.post, group=made.group)
    notify(ana.account, Kind.JOIN_REQUEST, bea.account, group=group)
    notify(ana.account, Kind.WIKI_EDIT, bea.account, group=group)
    streamed = [json.loads(p) for _c, _e, p in sent(notifications(ana.account.pk))]
    assert [(n["type"], n["status"]["id"]) for n in streamed] == [("status", str(made.post.pk))]


# --- screening in the streaming process ---------------------------------------------------------


def test_screening_holds_a_closed_groups_status_back_from_outsiders(ana, bea, cem, make_user):
    dan = make_user("dan")
    group = new_group(ana, "inner", kind="private")
    member(group, cem, ana)
    made = topic(ana, group, "Inside")
    payload = render(made.post, ana.account)
    hidden = screen(payload, everyone(ana, bea, cem, dan)).hidden
    assert hidden == everyone(bea, dan)


def test_screening_lets_an_open_groups_status_through(ana, bea):
    made = topic(ana, new_group(ana, "club"), "Open")
    assert screen(render(made.post, None), everyone(ana, bea)).hidden == set()


def test_screening_holds_back_a_deleted_groups_status_from_everyone(ana, bea):
    group = new_group(ana, "club")
    made = topic(ana, group, "Gone soon")
    payload = render(made.post, None)
    Account.objects.filter(pk=group.account_id).update(deleted_at=made.post.created_at)
    assert screen(payload, everyone(ana, bea)).hidden == everyone(ana, bea)


def test_screening_judges_a_boost_by_the_group_of_what_it_boosts(ana, bea, cem):
    group = new_group(ana, "club")
    member(group, cem, ana)
    made = topic(ana, group, "Was open")
    boost = actions.boost(cem.account, made.post)
    payload = render(boost, None)
    Group.objects.filter(pk=group.pk).update(kind="private")
    assert screen(payload, everyone(bea, cem)).hidden == everyone(bea)
