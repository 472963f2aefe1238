"""Dismissing notifications, accepting or dismissing what the policy kept aside, and the
Mastodon-facing reading helpers (types, group keys, pages of groups)."""

from __future__ import annotations

import pytest

from tests.posts.helpers import remote_account, write
from wikisocial.core.pagination import Cursor
from wikisocial.notifications import actions
from wikisocial.notifications.models import Kind, Notification, NotificationPermission
from wikisocial.notifications.queries import (
    api_group_key,
    api_type,
    browsable,
    by_group_key,
    kinds_for,
    pending_summary,
    representatives,
)
from wikisocial.posts import actions as posts

pytestmark = pytest.mark.django_db


def test_mastodon_types():
    assert api_type(Kind.REPLY) == "mention" and api_type(Kind.LIKE) == "favourite"
    assert kinds_for([], []) is None
    assert kinds_for(["mention"], []) == [Kind.MENTION, Kind.REPLY]
    assert set(kinds_for([], ["mention", "reblog"])) == {
        Kind.FOLLOW,
        Kind.FOLLOW_REQUEST,
        Kind.LIKE,
        Kind.POLL,
        Kind.UPDATE,
    }
    assert kinds_for(["status", "admin.report"], []) == []


def test_group_keys(ana, bea):
    post = write(ana, "Hi")
    like = posts.like(bea.account, post)
    liked = Notification.objects.get(kind=Kind.LIKE)
    assert like and api_group_key(liked) == f"favourite-{post.pk}"
    assert api_group_key(liked, frozenset({"follow"})) == f"ungrouped-{liked.pk}"
    mine = Notification.objects.filter(recipient=ana.account)
    assert list(by_group_key(mine, f"favourite-{post.pk}")) == [liked]
    assert list(by_group_key(mine, f"ungrouped-{liked.pk}")) == [liked]
    assert list(by_group_key(mine, "ungrouped-x")) == []
    assert list(by_group_key(mine, "")) == []


def test_dismiss_one_a_group_or_all(ana, bea, cem):
    post = write(ana, "Hi")
    posts.like(bea.account, post)
    posts.like(cem.account, post)
    write(bea, "@ana hello")
    mention = Notification.objects.get(kind=Kind.MENTION)
    assert actions.dismiss_group(cem.account, f"favourite-{post.pk}") == 0  # not cem's
    assert actions.dismiss_group(ana.account, f"favourite-{post.pk}") == 2
    assert list(Notification.objects.all()) == [mention]
    actions.dismiss(bea.account, mention)  # someone else's: nothing
    assert Notification.objects.exists()
    actions.dismiss(ana.account, mention)
    assert not Notification.objects.exists()
    write(bea, "@ana again")
    actions.clear(ana.account)
    assert not Notification.objects.exists()


def test_accepting_a_sender_lets_their_notifications_through(ana, bea, cem):
    actions.update_policy(ana.account, filter_not_following=True)
    write(bea, "@ana one")
    write(cem, "@ana two")
    assert pending_summary(ana.account) == (2, 2)
    actions.accept_requests(ana.account, [bea.account])
    assert NotificationPermission.objects.filter(recipient=ana.account).count() == 1
    assert pending_summary(ana.account) == (1, 1)
    later = write(bea, "@ana three")
    assert not Notification.objects.get(post=later).filtered
    actions.dismiss_requests(ana.account, [cem.account])
    assert pending_summary(ana.account) == (0, 0)
    assert Notification.objects.filter(recipient=ana.account).count() == 2


def test_a_page_of_groups_takes_one_notification_per_group(ana):
    post = write(ana, "Popular")
    senders = [remote_account(f"far{i}") for i in range(5)]
    for sender in senders:
        actions.notify(ana.account, Kind.LIKE, sender, post)
    for sender in senders[:2]:
        actions.notify(ana.account, Kind.FOLLOW, sender)
    qs = browsable(ana.account)
    newest = representatives(qs, Cursor(limit=10))
    assert [n.kind for n in newest] == [Kind.FOLLOW, Kind.LIKE]
    assert newest[1].actor_id == senders[-1].pk  # the newest like stands for its group
    oldest_first = Notification.objects.order_by("id").first()
    upward = representatives(qs, Cursor(min_id=oldest_first.pk, limit=10))
    assert [n.kind for n in upward] == [Kind.FOLLOW, Kind.LIKE]
    assert upward[1].actor_id == senders[1].pk  # paging up: the oldest above min_id
    assert len(representatives(qs, Cursor(limit=1))) == 1
