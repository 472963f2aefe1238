"""Who may read, edit and protect wiki pages. Every door asks here, so the rules are the same
for the web pages and anything added later.

Reading follows the group (``communities.access.can_read``); the instance wiki is open to all.
Editing depends on the page's protection:

| protection | instance wiki | group wiki |
| --- | --- | --- |
| none | anyone signed in whose account is active | anyone who may post in the group |
| members | the same, once their account is a few days old | the group's members |
| moderators | the instance's staff | the group's moderators |

Banned members never edit their group's wiki, whatever the protection.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from wikisocial.accounts.models import Account, ActorType, ApprovalState
from wikisocial.communities import access as group_access
from wikisocial.communities.models import Group
from wikisocial.wiki.models import Page, Protection

__all__ = [
    "NEW_ACCOUNT_AGE",
    "can_edit",
    "can_protect",
    "can_read",
    "edit_refusal",
]

# Semi-protection on the instance wiki keeps out accounts younger than this (MediaWiki's
# "autoconfirmed" age).
NEW_ACCOUNT_AGE = timedelta(days=4)


def can_read(viewer: Account | None, group: Group | None) -> bool:
    """Whether ``viewer`` may read the wiki of ``group`` (None: the instance wiki)."""
    return group is None or group_access.can_read(viewer, group)


def can_read_page(viewer: Account | None, page: Page) -> bool:
    return Page.objects.visible_to(viewer).filter(pk=page.pk).exists()


def _active_person(account: Account | None) -> bool:
    """A person (not a group) on this server whose login is approved, confirmed and active."""
    if account is None or account.deleted_at is not None or account.user_id is None:
        return False
    user = account.user
    return (
        account.actor_type != ActorType.GROUP
        and user.is_active
        and user.approval == ApprovalState.APPROVED
        and user.email_confirmed
    )


def _is_staff(account: Account) -> bool:
    return account.user_id is not None and account.user.is_staff


def _instance_refusal(account: Account, protection: str) -> str | None:
    if protection == Protection.MODERATORS and not _is_staff(account):
        return _("Only the server's staff may edit this page.")
    brand_new = account.created_at > timezone.now() - NEW_ACCOUNT_AGE
    if protection == Protection.MEMBERS and brand_new and not _is_staff(account):
        return _("This page is protected: new accounts may edit it after a few days.")
    return None


def _group_refusal(account: Account, group: Group, protection: str) -> str | None:
    if group_access.is_banned(account, group):
        return _("You are banned from this group.")
    if protection == Protection.MODERATORS:
        if not group_access.can_moderate(account, group):
            return _("Only the group's moderators may edit this page.")
    elif protection == Protection.MEMBERS:
        member = group_access.is_member(account, group)
        if not (member or group_access.can_moderate(account, group)):
            return _("Only the group's members may edit this page.")
    else:
        return _posting_refusal(account, group)
    return None


def _posting_refusal(account: Account, group: Group) -> str | None:
    """Whoever may post in the group may edit its open pages. (A group where only moderators
    start topics still has an open wiki: that setting is about the forum.)"""
    try:
        group_access.check_can_post(account, group)
    except ValidationError as error:
        if error.code != "mods_only":
            return error.messages[0]
    return None


def edit_refusal(account: Account | None, group: Group | None, protection: str) -> str | None:
    """Why ``account`` may not edit a page with ``protection`` in the wiki of ``group``
    (None: the instance wiki), as a sentence for them; None when they may."""
    if account is None:
        return _("Log in to edit this wiki.")
    if not _active_person(account):
        return _("Your account may not edit wikis.")
    if group is None:
        return _instance_refusal(account, protection)
    if not group.is_local or not group_access.can_read(account, group):
        return _("You may not edit this wiki.")
    return _group_refusal(account, group, protection)


def can_edit(account: Account | None, group: Group | None, protection: str) -> bool:
    return edit_refusal(account, group, protection) is None


def can_protect(account: Account | None, group: Group | None) -> bool:
    """Moderators of the group change protection, delete and restore pages; on the instance
    wiki, the staff."""
    if account is None or not _active_person(account):
        return False
    if group is None:
        return _is_staff(account)
    return group_access.can_moderate(account, group) and not group_access.is_banned(account, group)
