"""Making notifications. Grouping keys, mutes, blocks and each person's policy apply here, so
every source of notifications (local actions, federation) behaves the same."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from wikisocial.accounts.models import Account
from wikisocial.notifications.models import (
    Kind,
    Notification,
    NotificationPermission,
    NotificationPolicy,
)

NEW_ACCOUNT_AGE = timedelta(days=30)
# Kinds shown as one group per post ("Ana and 4 others liked your post").
GROUPED_BY_POST = {Kind.LIKE, Kind.BOOST, Kind.UPDATE}


def group_key(kind: str, post_id: int | None, when) -> str:
    if kind in GROUPED_BY_POST and post_id:
        return f"{kind}-{post_id}"
    if kind in (Kind.FOLLOW, Kind.FOLLOW_REQUEST):
        return f"{kind}-{when:%Y-%m-%d}"  # the day's new followers, together
    return ""


def policy_of(account: Account) -> NotificationPolicy:
    policy = getattr(account, "_policy_cache", None)
    if policy is None:
        policy, _created = NotificationPolicy.objects.get_or_create(account=account)
    return policy


def _kept_aside(recipient: Account, actor: Account, policy: NotificationPolicy) -> bool:
    from wikisocial.social.models import Follow

    if not (policy.filter_new_accounts or policy.filter_not_following):
        return False
    if NotificationPermission.objects.filter(recipient=recipient, sender=actor).exists():
        return False  # the recipient accepted this account's notifications
    if policy.filter_new_accounts and actor.created_at > timezone.now() - NEW_ACCOUNT_AGE:
        return True
    return (
        policy.filter_not_following
        and not Follow.objects.filter(follower=recipient, target=actor).exists()
    )


def _silenced(recipient: Account, actor: Account) -> bool:
    from wikisocial.social.models import Mute
    from wikisocial.social.queries import hides_domain_of, is_blocked_between

    return (
        is_blocked_between(recipient, actor)
        or Mute.objects.active()
        .filter(account=recipient, target=actor, hide_notifications=True)
        .exists()
        or hides_domain_of(recipient, actor)
    )


def _conversation_muted(recipient: Account, post) -> bool:
    """The recipient muted the conversation the post belongs to (Mastodon's "mute
    conversation"): nothing about its posts reaches them any more."""
    from wikisocial.posts.queries import conversation_muted

    return conversation_muted(recipient, post)


def notify(
    recipient: Account,
    kind: str,
    actor: Account,
    post=None,
    *,
    about_self: bool = False,
    group=None,
    wiki_page=None,
) -> Notification | None:
    """Tell ``recipient`` (a local account) that ``actor`` did ``kind`` (to ``post``, in
    ``group``, on ``wiki_page``). Nothing for one's own actions (unless ``about_self``: the end
    of one's own poll), for remote recipients, or from people the recipient blocked or
    muted."""
    if not recipient.is_local or recipient.deleted_at is not None:
        return None
    if recipient.pk == actor.pk and not about_self:
        return None
    if _silenced(recipient, actor):
        return None
    if post is not None and _conversation_muted(recipient, post):
        return None
    now = timezone.now()
    policy = policy_of(recipient)
    notification = Notification.objects.create(
        recipient=recipient,
        kind=kind,
        actor=actor,
        post=post,
        group=group,
        wiki_page=wiki_page,
        group_key=group_key(kind, post.pk if post else None, now) or "",
        filtered=_kept_aside(recipient, actor, policy),
    )
    if policy.email_each and not notification.filtered:
        _email(recipient, notification)
    _stream(notification)
    return notification


def _stream(notification: Notification) -> None:
    """Streaming clients of the recipient get the notification once it is committed."""
    from django.db import transaction

    from wikisocial.streaming.events import notification_created

    transaction.on_commit(lambda: notification_created(notification))


def _email(recipient: Account, notification: Notification) -> None:
    from wikisocial.core.mail import queue_email

    user = recipient.user
    if user is None or not user.email:
        return
    queue_email(
        user.email,
        "notifications/email/notification",
        {"notification": notification, "site_url": settings.SITE_URL},
        user.locale,
    )


def withdraw(kind: str, actor: Account, post=None, recipient: Account | None = None) -> None:
    """Remove a notification whose cause was undone (an unlike, an unboost, an unfollow)."""
    qs = Notification.objects.filter(kind=kind, actor=actor, post=post)
    if recipient is not None:
        qs = qs.filter(recipient=recipient)
    qs.delete()


def mark_read(account: Account, up_to_id: int) -> None:
    from wikisocial.timelines.actions import save_marker
    from wikisocial.timelines.models import Marker

    save_marker(account, Marker.NOTIFICATIONS, up_to_id)


def update_policy(account: Account, **changes: bool) -> NotificationPolicy:
    policy = policy_of(account)
    for key, value in changes.items():
        setattr(policy, key, value)
    policy.save()
    return policy


def dismiss(recipient: Account, notification: Notification) -> None:
    """Remove one of ``recipient``'s notifications from their list."""
    Notification.objects.filter(recipient=recipient, pk=notification.pk).delete()


def dismiss_group(recipient: Account, key: str) -> int:
    """Remove a whole group of notifications (``ungrouped-<id>``: that one); how many went."""
    from wikisocial.notifications.queries import by_group_key

    deleted, _per_model = by_group_key(
        Notification.objects.filter(recipient=recipient), key
    ).delete()
    return deleted


def clear(recipient: Account) -> None:
    """Remove all of ``recipient``'s notifications, kept-aside ones included."""
    Notification.objects.filter(recipient=recipient).delete()


def accept_requests(recipient: Account, senders: list[Account]) -> None:
    """Accept what the policy kept aside from ``senders``: their notifications join the list,
    and later ones are no longer kept aside."""
    for sender in senders:
        NotificationPermission.objects.get_or_create(recipient=recipient, sender=sender)
    Notification.objects.filter(recipient=recipient, actor__in=senders, filtered=True).update(
        filtered=False
    )


def dismiss_requests(recipient: Account, senders: list[Account]) -> None:
    """Throw away what the policy kept aside from ``senders`` (later ones are kept aside
    again)."""
    Notification.objects.filter(recipient=recipient, actor__in=senders, filtered=True).delete()
