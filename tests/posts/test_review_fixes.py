"""Regression tests for problems a review of the posting code found."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.posts.helpers import fresh, poll_post, write
from wikisocial.notifications.models import Kind, Notification
from wikisocial.notifications.queries import UNREAD_CAP, unread_count
from wikisocial.posts import actions
from wikisocial.posts.models import MediaAttachment, Post
from wikisocial.posts.tasks import delete_unattached_media
from wikisocial.social import actions as social
from wikisocial.timelines.models import FeedEntry

pytestmark = pytest.mark.django_db


def test_a_disabled_authors_posts_are_hidden_with_the_profile(client, ana, bea):
    post = write(bea, "I will be disabled")
    bea.is_active = False
    bea.save(update_fields=["is_active"])
    assert client.get(post.get_absolute_url()).status_code == 404
    assert "I will be disabled" not in client.get("/local").text
    assert not Post.objects.visible_to(ana.account).filter(pk=post.pk).exists()


def test_unread_count_skips_what_is_no_longer_visible_and_caps(ana, bea):
    post = write(ana, "hello")
    actions.like(bea.account, post)
    assert unread_count(ana.account) == 1
    actions.delete_post(post, ana.account)
    assert unread_count(ana.account) == 0
    Notification.objects.bulk_create(
        Notification(recipient=ana.account, actor=bea.account, kind=Kind.FOLLOW, group_key="")
        for _ in range(UNREAD_CAP + 10)
    )
    assert unread_count(ana.account) == UNREAD_CAP + 1


def test_the_badge_says_forty_plus(logged_in, ana, bea):
    Notification.objects.bulk_create(
        Notification(recipient=ana.account, actor=bea.account, kind=Kind.FOLLOW, group_key="")
        for _ in range(UNREAD_CAP + 5)
    )
    assert f"{UNREAD_CAP}+" in logged_in.get("/local").text


def test_images_of_a_deleted_post_are_removed_after_the_redraft_window(ana):
    from tests.posts.helpers import png_upload

    media = actions.upload_media(ana.account, png_upload(), "a picture")
    post = write(ana, "with an image", media_ids=[media.pk])
    path = MediaAttachment.objects.get(pk=media.pk).file.path
    actions.delete_post(post, ana.account)
    delete_unattached_media.call(media.pk)  # what the worker runs a day later
    assert not MediaAttachment.objects.filter(pk=media.pk).exists()
    import os

    assert not os.path.exists(path)


def test_a_deep_thread_opens_with_a_fixed_number_of_queries(client, ana, settings):
    settings.POST_LIMITS = {**settings.POST_LIMITS, "post_rate": (1000, 3600)}
    root = parent = write(ana, "root")
    for i in range(300):
        parent = write(ana, f"reply {i}", in_reply_to=parent)
    assert client.get(root.get_absolute_url()).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(parent.get_absolute_url()).status_code == 200
    assert len(ctx.captured_queries) < 20


def test_deleting_twice_counts_once(ana):
    parent = write(ana, "parent")
    reply = write(ana, "reply", in_reply_to=parent)
    stale = Post.objects.get(pk=reply.pk)
    actions.delete_post(reply, ana.account)
    actions.delete_post(stale, ana.account)  # a second submit with an old copy
    ana.account.refresh_from_db()
    assert fresh(parent).replies_count == 0 and ana.account.posts_count == 1


def test_a_poll_changed_in_an_edit_runs_from_the_edit(ana):
    from datetime import timedelta

    from django.utils import timezone

    post = write(ana, "Question")
    Post.objects.filter(pk=post.pk).update(created_at=timezone.now() - timedelta(days=3))
    post = fresh(post)
    actions.edit_post(
        post,
        ana.account,
        actions.Draft(text="Question", poll=actions.PollDraft(["a", "b"], expires_in=3600)),
    )
    assert fresh(post).poll.expires_at > timezone.now()


def test_direct_replies_are_not_counted(client, ana, bea):
    post = write(ana, "public")
    write(bea, "@ana secret", in_reply_to=post, visibility="direct")
    assert fresh(post).replies_count == 0


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "/notifications?max_id=²", None),
        ("post", "/compose", {"text": "x", "visibility": "public", "media_id": "²"}),
        ("post", "/compose", {"text": "x", "visibility": "public", "media_id": "9" * 25}),
    ],
)
def test_odd_digits_are_not_a_500(logged_in, method, path, data):
    response = getattr(logged_in, method)(path, data) if data else logged_in.get(path)
    assert response.status_code < 500


def test_odd_digits_in_a_vote_are_not_a_500(logged_in, ana, bea):
    post = poll_post(bea)
    response = logged_in.post(post.get_absolute_url() + "/vote", {"choice": "²"})
    assert response.status_code == 302


def test_a_content_warning_hides_the_text_in_the_title(client, ana):
    post = write(ana, "the butler did it", spoiler_text="Ending of the novel")
    text = client.get(post.get_absolute_url()).text
    head = text.split("</head>")[0]
    assert "the butler did it" not in head and "Ending of the novel" in head


def test_a_post_and_its_boost_show_once_in_a_feed(ana, bea, cem):
    social.follow(cem.account, ana.account)
    social.follow(cem.account, bea.account)
    post = write(ana, "original")
    actions.boost(bea.account, post)
    rows = FeedEntry.objects.filter(owner=cem.account)
    assert rows.filter(post=post).exists()
    assert not rows.filter(post__boost_of=post).exists()


def test_unfollowing_keeps_direct_messages(ana, bea):
    social.follow(ana.account, bea.account)
    dm = write(bea, "@ana just for you", visibility="direct")
    social.unfollow(ana.account, bea.account)
    assert FeedEntry.objects.filter(owner=ana.account, post=dm).exists()


def test_older_pages_are_not_folded(logged_in, ana, bea):
    social.follow(ana.account, bea.account)
    posts = [write(bea, f"post {i}") for i in range(25)]
    logged_in.get("/")
    older = logged_in.get(f"/?max_id={posts[10].pk}").text
    assert "caught-up" not in older


def test_approving_a_request_tidies_the_notifications(ana, bea):
    from wikisocial.social.models import FollowRequest

    type(ana.account).objects.filter(pk=ana.account.pk).update(locked=True)
    ana.account.refresh_from_db()
    social.follow(bea.account, ana.account)
    social.approve_follow_request(ana.account, FollowRequest.objects.get())
    kinds = set(Notification.objects.filter(recipient=ana.account).values_list("kind", flat=True))
    assert kinds == set()


def test_deleting_from_the_posts_own_page_goes_to_the_profile(logged_in, ana):
    post = write(ana, "bye")
    response = logged_in.post(
        post.get_absolute_url() + "/delete", {"next": post.get_absolute_url()}
    )
    assert response.status_code == 302 and response["Location"] == "/@ana"


def test_deleting_a_boost_withdraws_its_notification(ana, bea):
    post = write(ana, "boost me")
    boost = actions.boost(bea.account, post)
    actions.delete_post(boost, bea.account)
    assert not Notification.objects.filter(kind=Kind.BOOST).exists()
    assert fresh(post).boosts_count == 0


def test_posting_too_fast_is_refused_and_keeps_the_text(logged_in, ana, settings):
    settings.POST_LIMITS = {**settings.POST_LIMITS, "post_rate": (2, 3600)}
    for i in range(2):
        assert (
            logged_in.post("/compose", {"text": f"n{i}", "visibility": "public"}).status_code == 302
        )
    response = logged_in.post("/compose", {"text": "one too many", "visibility": "public"})
    assert response.status_code == 400
    assert "posting very fast" in response.text and "one too many" in response.text
