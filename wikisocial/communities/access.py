"""What someone may do in a group. Every door (web, client API, inbox, command line) asks
these, so a banned member is refused the same way wherever they knock. Reading is decided by
``Group.objects.readable_by`` / ``Post.objects.visible_to``; these are about acting."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wikisocial.accounts.models import Account
from wikisocial.communities.models import (
    MODERATING_ROLES,
    Group,
    GroupBan,
    GroupKind,
    Membership,
    Topic,
)


def membership_of(account: Account | None, group: Group) -> Membership | None:
    if account is None:
        return None
    return Membership.objects.filter(group=group, account=account).first()


def is_member(account: Account | None, group: Group) -> bool:
    return account is not None and Membership.objects.filter(group=group, account=account).exists()


def ban_of(account: Account | None, group: Group) -> GroupBan | None:
    """The ban keeping ``account`` out of ``group``, if one is in force."""
    if account is None:
        return None
    return (
        GroupBan.objects.filter(group=group, account=account)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .first()
    )


def is_banned(account: Account | None, group: Group) -> bool:
    return ban_of(account, group) is not None


def can_read(account: Account | None, group: Group) -> bool:
    return Group.objects.readable_by(account).filter(pk=group.pk).exists()


def can_moderate(account: Account | None, group: Group) -> bool:
    """Group owners and moderators; for groups on this server, the instance's staff too (they
    answer for what the server hosts)."""
    if account is None:
        return False
    if group.is_local and account.user_id is not None and account.user.is_staff:
        return True
    return Membership.objects.filter(
        group=group, account=account, role__in=MODERATING_ROLES
    ).exists()


def can_invite(account: Account | None, group: Group) -> bool:
    """Moderators invite people into any group here, and members into a public one (where
    anyone may join anyway: an invitation is a nudge, not a key)."""
    if account is None or not group.is_local:
        return False
    if can_moderate(account, group):
        return True
    return group.kind == GroupKind.PUBLIC and is_member(account, group)


def check_can_post(account: Account, group: Group, topic: Topic | None = None) -> None:
    """Raise ValidationError (with a message to show) unless ``account`` may start a topic in
    ``group`` (``topic`` None) or reply in ``topic``. Public groups take posts from anyone who
    is not banned (as Lemmy communities do); the other kinds only from members. Moderators may
    reply in locked topics; nobody replies in a closed one."""
    if group.account.deleted_at is not None:
        raise ValidationError(_("This group no longer exists."), code="gone")
    if is_banned(account, group):
        raise ValidationError(_("You are banned from this group."), code="banned")
    moderator = can_moderate(account, group)
    if group.kind != GroupKind.PUBLIC and not moderator and not is_member(account, group):
        raise ValidationError(_("Only members may post in this group."), code="not_member")
    if topic is None:
        if group.posting_restricted_to_mods and not moderator:
            raise ValidationError(
                _("Only the group's moderators start topics here."), code="mods_only"
            )
        return
    if topic.closed_at is not None:
        raise ValidationError(_("This topic is closed."), code="closed")
    if topic.locked and not moderator:
        raise ValidationError(_("This topic is locked: only moderators may reply."), code="locked")
