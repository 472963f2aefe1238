"""Following, follow requests, blocks and mutes. Every door (web, API, inbox) calls these."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wikisocial.accounts.models import Account
from wikisocial.federation import outbound
from wikisocial.social.models import Block, Follow, FollowRequest, HashtagFollow, Mute
from wikisocial.social.queries import is_blocked_between

logger = logging.getLogger(__name__)


def _bump(account_id: int, field: str, by: int) -> None:
    Account.objects.filter(pk=account_id).update(**{field: F(field) + by})


def follow(
    follower: Account,
    target: Account,
    *,
    show_boosts: bool = True,
    notify: bool = False,
    languages: list[str] | None = None,
    uri: str = "",
) -> Follow | FollowRequest:
    """Follow ``target``, or ask to when the account is locked. Following again only updates
    the options. Returns the Follow, or the FollowRequest waiting for approval.

    Across servers: following a remote account is always a request until its server accepts;
    a remote account's Follow (``uri``: the activity's id) of an open local account is
    accepted at once."""
    from wikisocial.notifications.actions import notify as send_notification
    from wikisocial.notifications.models import Kind

    if follower.pk == target.pk:
        raise ValidationError(_("You can't follow yourself."))
    if target.deleted_at is not None or is_blocked_between(follower, target):
        raise PermissionDenied
    options = {"show_boosts": show_boosts, "notify": notify, "languages": languages or []}
    existing = Follow.objects.filter(follower=follower, target=target).first()
    if existing is not None:
        Follow.objects.filter(pk=existing.pk).update(**options)
        existing.refresh_from_db()
        # A server that asks again has lost our answer: it gets it again.
        outbound.follow_accepted(follower, target, uri or existing.uri)
        return existing
    if target.locked or not target.is_local:
        if not uri and follower.is_local and not target.is_local:
            uri = outbound.new_follow_uri(follower)
        with transaction.atomic():
            request, created = FollowRequest.objects.get_or_create(
                follower=follower, target=target, defaults={**options, "uri": uri}
            )
            if created:
                send_notification(target, Kind.FOLLOW_REQUEST, follower)
            elif follower.is_local and not target.is_local:
                # Asked again: the other server may have lost the first Follow, or never got
                # it. A new id, so it is a new activity for the delivery queue and for them.
                request.uri = outbound.new_follow_uri(follower)
                FollowRequest.objects.filter(pk=request.pk).update(uri=request.uri)
            elif uri:
                FollowRequest.objects.filter(pk=request.pk).update(uri=uri)
                request.uri = uri
            outbound.follow_requested(follower, target, request.uri)
        return request
    with transaction.atomic():
        row = _create_follow(follower, target, {**options, "uri": uri})
        outbound.follow_accepted(follower, target, row.uri)
    return row


def _create_follow(
    follower: Account, target: Account, options: dict, *, approved: bool = False
) -> Follow:
    """``approved``: the target accepted a request, so they need no "followed you"."""
    from wikisocial.notifications.actions import notify as send_notification
    from wikisocial.notifications.models import Kind
    from wikisocial.timelines.tasks import backfill_feed

    with transaction.atomic():
        follow_row, created = Follow.objects.get_or_create(
            follower=follower, target=target, defaults=options
        )
        if created:
            _bump(follower.pk, "following_count", 1)
            _bump(target.pk, "followers_count", 1)
            FollowRequest.objects.filter(follower=follower, target=target).delete()
    if created and not approved:
        send_notification(target, Kind.FOLLOW, follower)
    if created and follower.is_local:
        transaction.on_commit(lambda: backfill_feed.enqueue(follower.pk, target.pk))
    return follow_row


def unfollow(follower: Account, target: Account) -> None:
    from wikisocial.notifications.actions import withdraw
    from wikisocial.notifications.models import Kind
    from wikisocial.timelines.tasks import remove_from_feed

    with transaction.atomic():
        rows = [
            *Follow.objects.filter(follower=follower, target=target),
            *FollowRequest.objects.filter(follower=follower, target=target),
        ]
        deleted, _rows = Follow.objects.filter(follower=follower, target=target).delete()
        asked, _rows = FollowRequest.objects.filter(follower=follower, target=target).delete()
        if rows:
            outbound.unfollowed(follower, target, rows[0].uri)
        if asked:
            withdraw(Kind.FOLLOW_REQUEST, follower, recipient=target)
        if deleted:
            _bump(follower.pk, "following_count", -1)
            _bump(target.pk, "followers_count", -1)
    if deleted and follower.is_local:
        transaction.on_commit(lambda: remove_from_feed.enqueue(follower.pk, target.pk))


def approve_follow_request(target: Account, request: FollowRequest) -> Follow:
    if request.target_id != target.pk:
        raise PermissionDenied
    from wikisocial.notifications.actions import withdraw
    from wikisocial.notifications.models import Kind

    options = {
        "show_boosts": request.show_boosts,
        "notify": request.notify,
        "languages": request.languages,
        "uri": request.uri,
    }
    with transaction.atomic():
        follow_row = _create_follow(request.follower, target, options, approved=True)
        withdraw(Kind.FOLLOW_REQUEST, request.follower, recipient=target)
        outbound.follow_accepted(request.follower, target, request.uri)
    return follow_row


def reject_follow_request(target: Account, request: FollowRequest) -> None:
    from wikisocial.notifications.actions import withdraw
    from wikisocial.notifications.models import Kind

    if request.target_id != target.pk:
        raise PermissionDenied
    with transaction.atomic():
        request.delete()
        withdraw(Kind.FOLLOW_REQUEST, request.follower, recipient=target)
        outbound.follow_rejected(request.follower, target, request.uri)


def block(account: Account, target: Account, *, uri: str = "") -> Block:
    """Block ``target``: follows end both ways, and each disappears from the other's view.
    ``uri``: the Block activity's id, for a block made on another server."""
    from wikisocial.timelines.tasks import remove_from_feed

    if account.pk == target.pk:
        raise ValidationError(_("You can't block yourself."))
    from wikisocial.notifications.models import Notification

    with transaction.atomic():
        row, created = Block.objects.get_or_create(
            account=account, target=target, defaults={"uri": uri}
        )
        if created:
            outbound.blocked(account, target, row.pk)
        # What they did before the block goes too (as on Mastodon).
        Notification.objects.filter(recipient=account, actor=target).delete()
        unfollow(account, target)
        unfollow(target, account)
        FollowRequest.objects.filter(follower=account, target=target).delete()
        FollowRequest.objects.filter(follower=target, target=account).delete()
    if account.is_local:
        transaction.on_commit(lambda: remove_from_feed.enqueue(account.pk, target.pk))
    return row


def unblock(account: Account, target: Account) -> None:
    with transaction.atomic():
        for row in Block.objects.filter(account=account, target=target):
            pk = row.pk
            row.delete()
            outbound.unblocked(account, target, pk)


def mute(
    account: Account,
    target: Account,
    *,
    hide_notifications: bool = True,
    duration: timedelta | None = None,
) -> Mute:
    if account.pk == target.pk:
        raise ValidationError(_("You can't mute yourself."))
    expires_at = timezone.now() + duration if duration else None
    row, _created = Mute.objects.update_or_create(
        account=account,
        target=target,
        defaults={"hide_notifications": hide_notifications, "expires_at": expires_at},
    )
    return row


def unmute(account: Account, target: Account) -> None:
    Mute.objects.filter(account=account, target=target).delete()


def follow_hashtag(account: Account, name: str) -> HashtagFollow:
    from wikisocial.posts.actions import hashtag_named

    tag = hashtag_named(name)
    if tag is None:
        raise ValidationError(_("“%(name)s” is not a hashtag.") % {"name": name})
    row, _created = HashtagFollow.objects.get_or_create(account=account, hashtag=tag)
    return row


def unfollow_hashtag(account: Account, name: str) -> None:
    from wikisocial.core.markup import normalize_hashtag

    HashtagFollow.objects.filter(
        account=account, hashtag__name=normalize_hashtag(name.lstrip("#"))
    ).delete()


def end_all_relations(account: Account) -> None:
    """A deleted account follows nobody and is followed by nobody; its blocks, mutes and
    requests go, and the other side's counts go down."""
    following = Follow.objects.filter(follower=account)
    Account.objects.filter(pk__in=following.values("target_id")).update(
        followers_count=F("followers_count") - 1
    )
    followers = Follow.objects.filter(target=account)
    Account.objects.filter(pk__in=followers.values("follower_id")).update(
        following_count=F("following_count") - 1
    )
    following.delete()
    followers.delete()
    FollowRequest.objects.filter(Q(follower=account) | Q(target=account)).delete()
    Block.objects.filter(Q(account=account) | Q(target=account)).delete()
    Mute.objects.filter(Q(account=account) | Q(target=account)).delete()
    HashtagFollow.objects.filter(account=account).delete()
    Account.objects.filter(pk=account.pk).update(followers_count=0, following_count=0)
