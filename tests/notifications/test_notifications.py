"""Notifications: each kind, grouping, the unread count, the policy that keeps some aside,
e-mail, and withdrawal when the cause is undone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tests.posts.helpers import body, poll_post, write
from wikisocial.accounts.models import Account
from wikisocial.notifications import actions as notifications
from wikisocial.notifications.models import Kind, Notification, NotificationPolicy
from wikisocial.notifications.queries import grouped, unread_count
from wikisocial.posts import actions as posts
from wikisocial.posts.models import Poll
from wikisocial.posts.tasks import close_poll
from wikisocial.social import actions as social

pytestmark = pytest.mark.django_db


def kinds_for(user) -> list[tuple[str, str]]:
    rows = Notification.objects.filter(recipient=user.account).order_by("id")
    return [(n.kind, n.actor.username) for n in rows.select_related("actor")]


def nav_count(client) -> int:
    match = re.search(r'<span class="unread-count">(\d+)', body(client.get("/local")))
    return int(match.group(1)) if match else 0


# --- each kind ------------------------------------------------------------------------------


def test_mention(ana, bea, as_):
    post = write(bea, "Thanks @Ana!")
    assert kinds_for(ana) == [(Kind.MENTION, "bea")]
    assert Notification.objects.get().post == post
    page = body(as_(ana).get("/notifications"))
    assert "mentioned you" in page and "Thanks" in page and post.get_absolute_url() in page


def test_reply_is_one_notification_even_with_a_mention(ana, bea):
    post = write(ana, "Question")
    write(bea, "@ana answer", in_reply_to=post)
    assert kinds_for(ana) == [(Kind.REPLY, "bea")]


def test_mentions_in_a_direct_or_followers_only_post(ana, bea, cem):
    write(bea, "@ana between us", visibility="direct")
    write(bea, "@cem for my followers and you", visibility="private")
    assert kinds_for(ana) == [(Kind.MENTION, "bea")]
    assert kinds_for(cem) == [(Kind.MENTION, "bea")]


def test_follow_and_follow_request(ana, bea, cem, as_):
    social.follow(bea.account, ana.account)
    Account.objects.filter(pk=ana.account.pk).update(locked=True)
    ana.account.refresh_from_db()
    social.follow(cem.account, ana.account)
    assert kinds_for(ana) == [(Kind.FOLLOW, "bea"), (Kind.FOLLOW_REQUEST, "cem")]
    page = body(as_(ana).get("/notifications"))
    assert "followed you" in page and "asked to follow you" in page
    assert 'href="/follow-requests"' in page


def test_like_and_boost(ana, bea, as_):
    post = write(ana, "Popular")
    posts.like(bea.account, post)
    posts.boost(bea.account, post)
    assert kinds_for(ana) == [(Kind.LIKE, "bea"), (Kind.BOOST, "bea")]
    page = body(as_(ana).get("/notifications"))
    assert "liked your post" in page and "boosted your post" in page


def test_poll_ended(ana, bea, cem, as_, make_user):
    dan = make_user("dan")
    poll = poll_post(ana, ["a", "b"]).poll
    posts.vote(bea.account, poll, [0])
    posts.vote(cem.account, poll, [1])
    posts.close_poll(poll)  # not over yet: nothing
    assert not Notification.objects.filter(kind=Kind.POLL).exists()
    Poll.objects.filter(pk=poll.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    posts.close_poll(Poll.objects.get(pk=poll.pk))
    close_poll.enqueue(poll.pk)  # the scheduled task as well: still once
    assert kinds_for(bea) == [(Kind.POLL, "ana")] and kinds_for(cem) == [(Kind.POLL, "ana")]
    assert kinds_for(ana) == [(Kind.POLL, "ana")]  # the author hears it too
    assert kinds_for(dan) == []
    assert "a poll you took part in has ended" in body(as_(bea).get("/notifications"))


def test_an_edit_tells_who_boosted_or_replied(ana, bea, cem, make_user):
    dan = make_user("dan")
    post = write(ana, "Version 1")
    posts.boost(bea.account, post)
    write(cem, "reply", in_reply_to=post)
    posts.like(dan.account, post)
    posts.edit_post(post, ana.account, posts.Draft(text="Version 2"))
    assert (Kind.UPDATE, "ana") in kinds_for(bea)
    assert (Kind.UPDATE, "ana") in kinds_for(cem)
    assert not Notification.objects.filter(recipient=dan.account, kind=Kind.UPDATE).exists()
    assert not Notification.objects.filter(recipient=ana.account, kind=Kind.UPDATE).exists()


def test_nothing_for_ones_own_actions(ana):
    post = write(ana, "@ana talking to myself")
    write(ana, "and replying", in_reply_to=post)
    assert kinds_for(ana) == []


# --- grouping -------------------------------------------------------------------------------


@pytest.fixture
def likers(make_user):
    return [make_user(name) for name in ("bea", "cem", "dan", "eva")]


def test_likes_of_a_post_are_grouped(ana, likers, as_):
    post = write(ana, "Likeable")
    other = write(ana, "Another")
    for person in likers[:3]:
        posts.like(person.account, post)
    posts.like(likers[0].account, other)
    groups = grouped(ana.account)
    assert [(g.kind, g.post.pk, g.count) for g in groups] == [
        (Kind.LIKE, other.pk, 1),
        (Kind.LIKE, post.pk, 3),
    ]
    assert [a.username for a in groups[1].actors] == ["dan", "cem", "bea"]
    assert groups[1].others == 0
    page = body(as_(ana).get("/notifications"))
    assert page.count("liked your post") == 2
    group_text = " ".join(
        re.sub(
            r"<[^>]+>", " ", page.split("Likeable")[0].rsplit('<li class="notification', 1)[1]
        ).split()
    )
    assert "dan and 2 others liked your post" in group_text


def test_two_likes_name_both(ana, likers, as_):
    post = write(ana, "Likeable")
    for person in likers[:2]:
        posts.like(person.account, post)
    page = body(as_(ana).get("/notifications"))
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "cem and bea liked your post" in text


def test_a_large_group_counts_everyone(ana, likers, as_):
    post = write(ana, "Very likeable")
    for person in likers:
        posts.like(person.account, post)
    [group] = grouped(ana.account)
    assert group.count == 4
    page = body(as_(ana).get("/notifications"))
    assert "and 3 others" in page


def test_follows_of_a_day_are_grouped_and_mentions_are_not(ana, likers):
    for person in likers[:3]:
        social.follow(person.account, ana.account)
    write(likers[0], "@ana one")
    write(likers[0], "@ana two")
    groups = grouped(ana.account)
    assert [(g.kind, g.count) for g in groups] == [
        (Kind.MENTION, 1),
        (Kind.MENTION, 1),
        (Kind.FOLLOW, 3),
    ]
    assert [g.kind for g in grouped(ana.account, which="mentions")] == [Kind.MENTION] * 2


def test_the_mentions_tab(ana, bea, as_):
    write(bea, "@ana hello there")
    social.follow(bea.account, ana.account)
    page = body(as_(ana).get("/notifications?filter=mentions"))
    assert "mentioned you" in page and "followed you" not in page


# --- unread count ---------------------------------------------------------------------------


def test_the_unread_count_and_reading(ana, bea, as_):
    client = as_(ana)
    assert nav_count(client) == 0
    social.follow(bea.account, ana.account)
    write(bea, "@ana look")
    assert unread_count(ana.account) == 2
    assert nav_count(client) == 2
    page = body(client.get("/notifications"))
    assert page.count('class="notification unread"') == 2
    assert nav_count(client) == 0  # viewing the page marked them read
    assert 'class="notification unread"' not in body(client.get("/notifications"))
    write(bea, "@ana again")
    assert nav_count(client) == 1
    notifications.mark_read(ana.account, 0)  # never backwards
    assert unread_count(ana.account) == 1


def test_notifications_need_a_login(client):
    response = client.get("/notifications")
    assert response.status_code == 302 and "/auth/" in response["Location"]


def test_notifications_about_deleted_posts_go(ana, bea, as_):
    post = write(bea, "@ana soon deleted")
    posts.delete_post(post, bea.account)
    assert unread_count(ana.account) == 0
    assert "soon deleted" not in body(as_(ana).get("/notifications"))


# --- policy ---------------------------------------------------------------------------------


def test_keeping_aside_people_one_does_not_follow(ana, bea, cem, as_):
    social.follow(ana.account, cem.account)
    notifications.update_policy(ana.account, filter_not_following=True)
    write(bea, "@ana stranger here")
    write(cem, "@ana friend here")
    assert list(
        Notification.objects.filter(recipient=ana.account)
        .order_by("id")
        .values_list("actor", "filtered")
    ) == [(bea.account.pk, True), (cem.account.pk, False)]
    assert unread_count(ana.account) == 1
    client = as_(ana)
    page = body(client.get("/notifications"))
    assert "friend here" in page and "stranger here" not in page
    kept = body(client.get("/notifications?filter=kept"))
    assert "stranger here" in kept and "friend here" not in kept


def test_keeping_aside_new_accounts(ana, bea, cem, as_):
    Account.objects.filter(pk=cem.account.pk).update(created_at=timezone.now() - timedelta(days=60))
    cem.account.refresh_from_db()
    client = as_(ana)
    response = client.post("/settings/notifications", {"filter_new_accounts": "on"})
    assert response.status_code == 302
    assert NotificationPolicy.objects.get(account=ana.account).filter_new_accounts
    write(bea, "@ana brand new")
    write(cem, "@ana old timer")
    assert "old timer" in body(client.get("/notifications"))
    assert "brand new" not in body(client.get("/notifications"))
    assert "brand new" in body(client.get("/notifications?filter=kept"))


def test_the_policy_page(ana, as_):
    page = body(as_(ana).get("/settings/notifications"))
    for field in ("filter_not_following", "filter_new_accounts", "email_each"):
        assert f'name="{field}"' in page
    assert 'name="email_each" id="id_email_each" checked' not in page  # off by default


# --- e-mail ---------------------------------------------------------------------------------


def test_no_email_by_default(ana, bea, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        social.follow(bea.account, ana.account)
        posts.like(bea.account, write(ana, "x"))
    assert Notification.objects.count() == 2
    assert mail.outbox == []


def test_an_email_per_notification_when_asked(
    ana, bea, cem, as_, django_capture_on_commit_callbacks
):
    as_(ana).post("/settings/notifications", {"email_each": "on"})
    with django_capture_on_commit_callbacks(execute=True):
        social.follow(bea.account, ana.account)
        posts.like(bea.account, write(ana, "Liked post"))
    assert [m.to for m in mail.outbox] == [["ana@example.org"], ["ana@example.org"]]
    assert "bea followed you" in mail.outbox[0].subject
    assert "liked your post" in mail.outbox[1].subject
    assert "/notifications" in mail.outbox[1].body
    mail.outbox.clear()
    notifications.update_policy(ana.account, filter_not_following=True)
    with django_capture_on_commit_callbacks(execute=True):
        social.follow(cem.account, ana.account)  # kept aside: no e-mail either
    assert mail.outbox == []


def test_the_email_subject_is_plain_text(ana, bea):
    Account.objects.filter(pk=bea.account.pk).update(display_name="Bea & <Co>")
    bea.account.refresh_from_db()
    notifications.update_policy(ana.account, email_each=True)
    social.follow(bea.account, ana.account)
    assert mail.outbox[0].subject == "Bea & <Co> followed you"


def test_a_cancelled_follow_request_is_no_longer_notified(ana, bea, as_):
    Account.objects.filter(pk=ana.account.pk).update(locked=True)
    ana.account.refresh_from_db()
    social.follow(bea.account, ana.account)
    assert kinds_for(ana) == [(Kind.FOLLOW_REQUEST, "bea")]
    social.unfollow(bea.account, ana.account)
    assert unread_count(ana.account) == 0
    assert "asked to follow you" not in body(as_(ana).get("/notifications"))


# --- undo, mutes, blocks --------------------------------------------------------------------


def test_undoing_a_like_or_boost_withdraws_the_notification(ana, bea, cem, as_):
    post = write(ana, "Changeable minds")
    posts.like(bea.account, post)
    posts.like(cem.account, post)
    posts.boost(bea.account, post)
    posts.unlike(bea.account, post)
    posts.unboost(bea.account, post)
    assert kinds_for(ana) == [(Kind.LIKE, "cem")]
    client = as_(bea)
    client.post(post.get_absolute_url() + "/like")
    client.post(post.get_absolute_url() + "/like", {"undo": "1"})
    assert kinds_for(ana) == [(Kind.LIKE, "cem")]
    [group] = grouped(ana.account)
    assert group.count == 1


def test_muted_and_blocked_people_do_not_notify(ana, bea, cem, make_user):
    dan = make_user("dan")
    social.mute(ana.account, bea.account)
    social.mute(ana.account, dan.account, hide_notifications=False)
    social.block(ana.account, cem.account)
    for person in (bea, cem, dan):
        write(person, "@ana hello")
        if person != cem:
            social.follow(person.account, ana.account)
    assert kinds_for(ana) == [(Kind.MENTION, "dan"), (Kind.FOLLOW, "dan")]


def test_blocking_clears_the_blocked_persons_notifications(
    ana, bea, cem, as_, django_capture_on_commit_callbacks
):
    post = write(ana, "Hello")
    posts.like(bea.account, post)
    posts.like(cem.account, post)
    social.follow(bea.account, ana.account)
    with django_capture_on_commit_callbacks(execute=True):
        social.block(ana.account, bea.account)
    assert unread_count(ana.account) == 1
    [group] = grouped(ana.account)
    assert [a.username for a in group.actors] == ["cem"]
    assert "followed you" not in body(as_(ana).get("/notifications"))
