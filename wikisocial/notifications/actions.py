"""Making notifications. Grouping keys, mutes, blocks and each person's policy apply here, so
every source of notifications (local actions, federation) behaves the same."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from wikisocial.accounts.models import Account
from wikisocial.notifications.models import Kind, Notification, NotificationPolicy

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

    if policy.filter_new_accounts and actor.created_at > timezone.now() - NEW_ACCOUNT_AGE:
        return True
    return (
        policy.filter_not_following
        and not Follow.objects.filter(follower=recipient, target=actor).exists()
    )


def _silenced(recipient: Account, actor: Account) -> bool:
    from wikisocial.social.models import Mute
    from wikisocial.social.queries import is_blocked_between

    return (
        is_blocked_between(recipient, actor)
        or Mute.objects.active()
        .filter(account=recipient, target=actor, hide_notifications=True)
        .exists()
    )


def notify(
    recipient: Account, kind: str, actor: Account, post=None, *, about_self: bool = False
) -> Notification | None:
    """Tell ``recipient`` (a local account) that ``actor`` did ``kind``. Nothing for one's own
    actions (unless ``about_self``: the end of one's own poll), for remote recipients, or from
    people the recipient blocked or muted."""
    if not recipient.is_local or recipient.deleted_at is not None:
        return None
    if recipient.pk == actor.pk and not about_self:
        return None
    if _silenced(recipient, actor):
        return None
    now = timezone.now()
    policy = policy_of(recipient)
    notification = Notification.objects.create(
        recipient=recipient,
        kind=kind,
        actor=actor,
        post=post,
        group_key=group_key(kind, post.pk if post else None, now) or "",
        filtered=_kept_aside(recipient, actor, policy),
    )
    if policy.email_each and not notification.filtered:
        _email(recipient, notification)
    return notification


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
