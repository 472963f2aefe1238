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
from wikisocial.social.models import (
    AccountNote,
    Block,
    DismissedSuggestion,
    DomainBlock,
    Follow,
    FollowRequest,
    HashtagFollow,
    Mute,
)
from wikisocial.social.queries import is_blocked_between, is_domain_blocked_between

logger = logging.getLogger(__name__)


def _bump(account_id: int, field: str, by: int) -> None:
    Account.objects.filter(pk=account_id).update(**{field: F(field) + by})


def _follow_options(
    follower: Account,
    target: Account,
    show_boosts: bool | None,
    notify: bool | None,
    languages: list[str] | None,
) -> dict:
    """The options of a follow: those given, else those of the follow or request there is
    already, else the defaults (boosts shown, no notifications, every language)."""
    current = (
        Follow.objects.filter(follower=follower, target=target).first()
        or FollowRequest.objects.filter(follower=follower, target=target).first()
    )
    return {
        "show_boosts": show_boosts
        if show_boosts is not None
        else getattr(current, "show_boosts", True),
        "notify": notify if notify is not None else getattr(current, "notify", False),
        "languages": languages if languages is not None else getattr(current, "languages", []),
    }


def follow(
    follower: Account,
    target: Account,
    *,
    show_boosts: bool | None = None,
    notify: bool | None = None,
    languages: list[str] | None = None,
    uri: str = "",
) -> Follow | FollowRequest:
    """Follow ``target``, or ask to when the account is locked. Following again only updates
    the options (an option not given, None, stays as it was). Returns the Follow, or the
    FollowRequest waiting for approval. Refused (PermissionDenied) across a block, or when
    either side hides the other's domain.

    Across servers: following a remote account is always a request until its server accepts;
    a remote account's Follow (``uri``: the activity's id) of an open local account is
    accepted at once."""
    from wikisocial.notifications.actions import notify as send_notification
    from wikisocial.notifications.models import Kind

    if follower.pk == target.pk:
        raise ValidationError(_("You can't follow yourself."))
    if (
        target.deleted_at is not None
        or is_blocked_between(follower, target)
        or is_domain_blocked_between(follower, target)
    ):
        raise PermissionDenied
    options = _follow_options(follower, target, show_boosts, notify, languages)
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
            if not created:
                FollowRequest.objects.filter(pk=request.pk).update(**options)
                for key, value in options.items():
                    setattr(request, key, value)
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


def remove_follower(account: Account, follower: Account) -> None:
    """``follower`` no longer follows ``account``, by ``account``'s choice (Mastodon's "remove
    from followers"). A remote follower's server is sent a Reject of its Follow, so that it
    stops counting the follow too."""
    row = Follow.objects.filter(follower=follower, target=account).first()
    if row is None:
        return
    with transaction.atomic():
        unfollow(follower, account)
        outbound.follow_rejected(follower, account, row.uri)


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


def _domain(text: str) -> str:
    """``text`` as a remote domain (lower case, IDNA), or ValidationError."""
    from wikisocial.federation.resolve import is_own_domain, normalize_domain

    domain = normalize_domain(text)
    if domain is None:
        raise ValidationError({"domain": _("“%(domain)s” is not a domain.") % {"domain": text}})
    if is_own_domain(domain):
        raise ValidationError({"domain": _("You can't hide this server's own domain.")})
    return domain


def block_domain(account: Account, text: str) -> DomainBlock:
    """Hide the domain ``text``: its accounts' posts leave the public timelines and their
    notifications stop at once; followers there, their requests and their old notifications
    go in the background (there may be thousands), as on Mastodon. Accounts there that
    ``account`` follows keep reaching the home feed."""
    from wikisocial.social.tasks import after_domain_block

    domain = _domain(text)
    row, created = DomainBlock.objects.get_or_create(account=account, domain=domain)
    if created:
        transaction.on_commit(lambda: after_domain_block.enqueue(account.pk, domain))
    return row


def end_relations_with_domain(account: Account, domain: str) -> None:
    """What hiding ``domain`` ends: followers there are removed (their servers told), their
    follow requests refused, and notifications from there deleted."""
    from wikisocial.notifications.models import Notification

    followers = Follow.objects.filter(target=account, follower__domain=domain)
    for follow_row in followers.select_related("follower"):
        remove_follower(account, follow_row.follower)
    waiting = FollowRequest.objects.filter(target=account, follower__domain=domain)
    for request in waiting.select_related("follower"):
        reject_follow_request(account, request)
    Notification.objects.filter(recipient=account, actor__domain=domain).delete()


def unblock_domain(account: Account, text: str) -> None:
    from wikisocial.federation.resolve import normalize_domain

    domain = normalize_domain(text)
    if domain is not None:
        DomainBlock.objects.filter(account=account, domain=domain).delete()


NOTE_LIMIT = 2000


def set_note(account: Account, target: Account, comment: str) -> AccountNote | None:
    """Keep ``comment`` as ``account``'s private note on ``target``; an empty one removes it."""
    from wikisocial.core.markup import clean_text

    comment = clean_text(comment, multiline=True)
    if len(comment) > NOTE_LIMIT:
        raise ValidationError(
            {"comment": _("A note is at most %(limit)d characters.") % {"limit": NOTE_LIMIT}}
        )
    if not comment:
        AccountNote.objects.filter(account=account, target=target).delete()
        return None
    row, _created = AccountNote.objects.update_or_create(
        account=account, target=target, defaults={"comment": comment}
    )
    return row


def dismiss_suggestion(account: Account, target: Account) -> None:
    """``target`` is not suggested to ``account`` again."""
    DismissedSuggestion.objects.get_or_create(account=account, target=target)


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
    DomainBlock.objects.filter(account=account).delete()
    AccountNote.objects.filter(Q(account=account) | Q(target=account)).delete()
    DismissedSuggestion.objects.filter(Q(account=account) | Q(target=account)).delete()
    Account.objects.filter(pk=account.pk).update(followers_count=0, following_count=0)
