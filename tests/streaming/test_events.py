"""Who gets what on the streaming API: the domain publishes after the commit, to the channels
of connected readers only, following the timelines' own rules (visibility, mutes, filters,
lists), with statuses serialised for each reader on private streams and once on public ones."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from tests.posts.helpers import png_upload, remote_account, write
from tests.streaming.conftest import sent
from wikisocial.filters.actions import KeywordChange, create_filter
from wikisocial.notifications.actions import update_policy
from wikisocial.posts import actions
from wikisocial.posts.models import Post, Visibility
from wikisocial.social.actions import follow, mute
from wikisocial.streaming import brokers
from wikisocial.streaming.channels import (
    direct,
    hashtag,
    list_channel,
    notifications,
    public,
    user,
)
from wikisocial.streaming.models import StreamMessage
from wikisocial.timelines.actions import add_to_list, create_list
from wikisocial.timelines.tasks import fan_out_post

pytestmark = pytest.mark.django_db

ALL_PUBLIC = [public(local=lo, media=m) for lo in (None, True, False) for m in (False, True)]


def home(person) -> str:
    return user(person.account.pk)


def payloads(channel: str, event: str = "update") -> list[dict]:
    return [json.loads(p) for _c, _e, p in sent(channel, event)]


def channels_sent(event: str | None = None) -> set[str]:
    return {channel for channel, _e, _p in sent(event=event)}


# --- new posts -------------------------------------------------------------------------------


def test_nothing_is_written_when_nobody_streams(ana, bea):
    follow(bea.account, ana.account)
    write(ana, "Hello #cats")
    assert StreamMessage.objects.count() == 0


def test_connected_followers_and_the_author_get_the_post_serialised_for_them(
    ana, bea, cem, connected
):
    follow(bea.account, ana.account)
    connected(home(ana), home(bea), home(cem))
    post = write(ana, "Hello followers")

    [mine] = payloads(home(bea))
    assert mine["id"] == str(post.pk)
    assert mine["content"] == "<p>Hello followers</p>"
    assert mine["favourited"] is False  # a viewer's fields: serialised for this reader
    assert [p["id"] for p in payloads(home(ana))] == [str(post.pk)]  # the author's own post
    assert payloads(home(cem)) == []  # not a follower


def test_public_posts_go_to_the_public_local_and_hashtag_streams(ana, connected):
    connected(*ALL_PUBLIC, hashtag("cats"), hashtag("cats", local=True), hashtag("dogs"))
    post = write(ana, "Hello #Cats")

    assert channels_sent() == {
        public(),
        public(local=True),
        hashtag("cats"),
        hashtag("cats", local=True),
    }
    [status] = payloads(public())
    assert status["id"] == str(post.pk)
    assert "favourited" not in status  # public streams: serialised once, without a viewer
    assert [s["id"] for s in payloads(hashtag("CATS"))] == [str(post.pk)]


def test_posts_with_images_also_go_to_the_media_streams(ana, connected):
    connected(*ALL_PUBLIC)
    media = actions.upload_media(ana.account, png_upload())
    write(ana, "A drawing", media_ids=[media.pk])
    assert channels_sent() == {
        public(),
        public(media=True),
        public(local=True),
        public(local=True, media=True),
    }


def test_remote_posts_go_to_the_federated_and_remote_streams(connected):
    connected(*ALL_PUBLIC, hashtag("cats", local=True))
    faraway = remote_account()
    post = Post.objects.create(
        author=faraway,
        local=False,
        uri="https://remote.example/notes/1",
        content_html="<p>Hi from afar</p>",
        created_at=timezone.now(),
    )
    fan_out_post.call(post.pk)
    assert channels_sent() == {public(), public(local=False)}


def test_followers_only_and_direct_posts_stay_off_public_streams(ana, bea, cem, connected):
    follow(bea.account, ana.account)
    connected(*ALL_PUBLIC, hashtag("x"), home(bea), home(cem), direct(cem.account.pk))

    private = write(ana, "For my followers #x", visibility=Visibility.FOLLOWERS)
    secret = write(ana, "Psst @cem #x", visibility=Visibility.DIRECT)

    assert channels_sent() == {home(bea), home(cem), direct(cem.account.pk)}
    assert [p["id"] for p in payloads(home(bea))] == [str(private.pk)]
    assert [p["id"] for p in payloads(home(cem))] == [str(secret.pk)]
    [conversation] = payloads(direct(cem.account.pk), "conversation")
    assert conversation["last_status"]["id"] == str(secret.pk)
    assert [a["username"] for a in conversation["accounts"]] == ["ana"]
    assert conversation["unread"] is True


def test_a_reply_to_someone_else_stays_off_public_streams_but_not_hashtags(ana, bea, connected):
    connected(public(), public(local=True), hashtag("x"))
    parent = write(bea, "A question")
    StreamMessage.objects.all().delete()
    write(ana, "An answer #x", in_reply_to=parent)
    assert channels_sent() == {hashtag("x")}


def test_a_muted_author_is_not_streamed_to_the_one_who_muted(ana, bea, connected):
    follow(bea.account, ana.account)
    mute(bea.account, ana.account)
    connected(home(bea))
    write(ana, "Hello")
    assert sent() == []


def test_filters_of_the_home_context_apply(ana, bea, cem, connected):
    follow(bea.account, ana.account)
    follow(cem.account, ana.account)
    create_filter(
        bea.account,
        title="No spoilers",
        context=["home"],
        action="hide",
        keywords=[KeywordChange(keyword="finale")],
    )
    create_filter(
        cem.account, title="Careful", context=["home"], keywords=[KeywordChange("finale")]
    )
    connected(home(bea), home(cem))
    write(ana, "What a finale!")

    assert payloads(home(bea)) == []  # hidden by her filter
    [status] = payloads(home(cem))
    assert [r["filter"]["title"] for r in status["filtered"]] == ["Careful"]


def test_a_boost_reaches_the_boosters_followers_not_the_public_streams(ana, bea, cem, connected):
    follow(cem.account, bea.account)
    connected(home(cem), public())
    post = write(ana, "Worth sharing")
    shared = actions.boost(bea.account, post)

    [status] = payloads(home(cem))
    assert status["id"] == str(shared.pk)
    assert status["reblog"]["id"] == str(post.pk)
    assert [s["id"] for s in payloads(public())] == [str(post.pk)]  # the original only


def test_list_streams_get_their_members_posts(ana, bea, cem, connected):
    follow(ana.account, bea.account)
    follow(ana.account, cem.account)
    friends = create_list(ana.account, "Friends")
    add_to_list(friends, [bea.account])
    connected(list_channel(friends.pk))

    post = write(bea, "Hello list")
    write(cem, "Not in the list")
    write(bea, "Psst @ana", visibility=Visibility.DIRECT)

    assert [s["id"] for s in payloads(list_channel(friends.pk))] == [str(post.pk)]
    assert "favourited" in payloads(list_channel(friends.pk))[0]  # serialised for its owner

    actions.edit_post(post, bea.account, actions.Draft(text="Hello again"))
    [edited] = payloads(list_channel(friends.pk), "status.update")
    assert edited["content"] == "<p>Hello again</p>"
    actions.delete_post(post, bea.account)
    assert sent(list_channel(friends.pk), "delete") == [
        (list_channel(friends.pk), "delete", str(post.pk))
    ]


def test_a_broken_broker_does_not_stop_anyone_posting(ana, bea, monkeypatch):
    def down(self, channels):
        raise ConnectionError("broker down")

    monkeypatch.setattr(brokers.DatabaseBroker, "live", down)
    follow(bea.account, ana.account)
    post = write(ana, "Still works")
    assert Post.objects.filter(pk=post.pk).exists()


# --- deletions and edits ---------------------------------------------------------------------


def test_a_deletion_goes_to_public_streams_and_to_feeds_holding_the_post_or_a_boost(
    ana, bea, cem, connected
):
    follow(bea.account, ana.account)
    follow(cem.account, bea.account)
    post = write(ana, "Soon gone #tag")
    shared = actions.boost(bea.account, post)
    connected(home(bea), home(cem), public(), public(local=True), hashtag("tag"))
    StreamMessage.objects.all().delete()

    actions.delete_post(post, ana.account)

    deletes = {(channel, payload) for channel, _e, payload in sent(event="delete")}
    assert deletes == {
        (home(bea), str(post.pk)),
        (home(bea), str(shared.pk)),  # her own boost, in her own feed
        (home(cem), str(shared.pk)),
        (public(), str(post.pk)),
        (public(local=True), str(post.pk)),
        (hashtag("tag"), str(post.pk)),
    }


def test_deleting_a_followers_only_post_tells_no_public_stream(ana, bea, connected):
    follow(bea.account, ana.account)
    post = write(ana, "Between us #tag", visibility=Visibility.FOLLOWERS)
    connected(home(bea), public(), hashtag("tag"))
    actions.delete_post(post, ana.account)
    assert sent(event="delete") == [(home(bea), "delete", str(post.pk))]


def test_an_edit_is_sent_to_each_reader_with_their_own_fields(ana, bea, cem, connected):
    follow(bea.account, ana.account)
    follow(cem.account, ana.account)
    post = write(ana, "First version")
    actions.like(bea.account, post)
    connected(home(bea), home(cem), public())
    StreamMessage.objects.all().delete()

    actions.edit_post(post, ana.account, actions.Draft(text="Second version"))

    [for_bea] = payloads(home(bea), "status.update")
    [for_cem] = payloads(home(cem), "status.update")
    [for_all] = payloads(public(), "status.update")
    assert for_bea["content"] == for_cem["content"] == "<p>Second version</p>"
    assert for_bea["favourited"] is True
    assert for_cem["favourited"] is False
    assert "favourited" not in for_all
    assert for_all["edited_at"] is not None


# --- notifications ---------------------------------------------------------------------------


def test_a_notification_goes_to_the_recipients_notification_channel(ana, bea, connected):
    connected(notifications(ana.account.pk), notifications(bea.account.pk))
    post = write(ana, "Like me")
    actions.like(bea.account, post)

    [entity] = payloads(notifications(ana.account.pk), "notification")
    assert entity["type"] == "favourite"
    assert entity["account"]["username"] == "bea"
    assert entity["status"]["id"] == str(post.pk)
    assert sent(notifications(bea.account.pk)) == []


def test_notifications_kept_aside_by_the_policy_are_not_streamed(ana, bea, connected):
    update_policy(ana.account, filter_not_following=True)
    connected(notifications(ana.account.pk))
    actions.like(bea.account, write(ana, "Like me"))
    assert sent() == []


# --- cost ------------------------------------------------------------------------------------


def test_when_nobody_streams_each_hook_costs_one_query(ana, bea, django_assert_num_queries):
    from wikisocial.streaming import events

    follow(bea.account, ana.account)
    post = write(ana, "Hello #cats")
    notification = notify_like(bea, post)
    with django_assert_num_queries(1):
        events.post_published(post)
    with django_assert_num_queries(1):
        events.home_updates(post, [ana.account.pk, bea.account.pk])
    with django_assert_num_queries(1):
        events.post_edited_soon(post)
    with django_assert_num_queries(1):
        events.post_deleted(post)
    with django_assert_num_queries(1):
        events.notification_created(notification)


def notify_like(person, post):
    from wikisocial.notifications.models import Notification

    actions.like(person.account, post)
    return Notification.objects.select_related("recipient").get(kind="favourite")
