"""What readers change about their timelines: read positions (markers), lists and their
members, and the state of their conversations. The web pages and the client API both call
these."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from wikisocial.accounts.models import Account
from wikisocial.core.markup import clean_text
from wikisocial.social.models import Follow
from wikisocial.timelines.models import ConversationState, List, ListMember, Marker

LIST_TITLE_LENGTH = 200


def save_marker(account: Account, timeline: str, last_read_id: int) -> Marker:
    """Move the read position forward (never back: an older page read later changes nothing)."""
    marker, created = Marker.objects.get_or_create(
        account=account, timeline=timeline, defaults={"last_read_id": last_read_id}
    )
    if not created and last_read_id > marker.last_read_id:
        Marker.objects.filter(pk=marker.pk, last_read_id__lt=last_read_id).update(
            last_read_id=last_read_id, version=F("version") + 1
        )
        marker.refresh_from_db()
    return marker


def read_position(account: Account, timeline: str) -> int:
    marker = Marker.objects.filter(account=account, timeline=timeline).first()
    return marker.last_read_id if marker else 0


# --- lists ------------------------------------------------------------------------------------


def _list_title(title: str) -> str:
    text = clean_text(title)
    if not text:
        raise ValidationError({"title": _("Title can't be blank")})
    if len(text) > LIST_TITLE_LENGTH:
        raise ValidationError({"title": _("Title is too long")})
    return text


def _replies_policy(value: str) -> str:
    if value not in List.RepliesPolicy.values:
        raise ValidationError(
            {"replies_policy": _("'%(value)s' is not a valid replies_policy") % {"value": value}}
        )
    return value


def create_list(
    account: Account,
    title: str,
    *,
    replies_policy: str = List.RepliesPolicy.LIST,
    exclusive: bool = False,
) -> List:
    return List.objects.create(
        account=account,
        title=_list_title(title),
        replies_policy=_replies_policy(replies_policy),
        exclusive=exclusive,
    )


def update_list(
    row: List,
    *,
    title: str | None = None,
    replies_policy: str | None = None,
    exclusive: bool | None = None,
) -> List:
    """Change what is given, keep the rest."""
    if title is not None:
        row.title = _list_title(title)
    if replies_policy is not None:
        row.replies_policy = _replies_policy(replies_policy)
    if exclusive is not None:
        row.exclusive = exclusive
    row.save()
    return row


def delete_list(row: List) -> None:
    row.delete()


def add_to_list(row: List, accounts: Iterable[Account]) -> None:
    """Add accounts the owner follows (or the owner). Raises Follow.DoesNotExist for an
    account the owner does not follow and ValidationError for one already in the list;
    then nobody is added."""
    with transaction.atomic():
        for account in accounts:
            follow = None
            if account.pk != row.account_id:
                follow = Follow.objects.get(follower_id=row.account_id, target=account)
            if ListMember.objects.filter(list=row, account=account).exists():
                raise ValidationError({"account": _("Account has already been taken")})
            ListMember.objects.create(list=row, account=account, follow=follow)


def remove_from_list(row: List, account_ids: Iterable[int]) -> None:
    ListMember.objects.filter(list=row, account_id__in=list(account_ids)).delete()


# --- conversations ----------------------------------------------------------------------------


def _move_state(account: Account, root_id: int, up_to: int, *fields: str) -> None:
    """Move the given positions of a conversation forward to ``up_to`` (never back)."""
    state, _created = ConversationState.objects.get_or_create(account=account, root_id=root_id)
    for name in fields:
        ConversationState.objects.filter(pk=state.pk, **{f"{name}__lt": up_to}).update(
            **{name: up_to}
        )


def mark_conversation_read(account: Account, root_id: int, last_post_id: int) -> None:
    """The conversation is read up to its newest post; a newer one makes it unread again."""
    _move_state(account, root_id, last_post_id, "read_up_to")


def remove_conversation(account: Account, root_id: int, last_post_id: int) -> None:
    """Take the conversation off the account's list (its posts stay); it comes back when a
    newer post arrives, as in Mastodon."""
    _move_state(account, root_id, last_post_id, "read_up_to", "hidden_up_to")


# --- groups -----------------------------------------------------------------------------------


def joined_group(account: Account, group_id: int) -> None:
    """Someone on this server became a member of a group: once that is committed, the
    group's latest topics enter their home feed (``communities.actions`` calls this)."""
    from wikisocial.timelines.tasks import backfill_group_feed

    if account.is_local:
        transaction.on_commit(lambda: backfill_group_feed.enqueue(account.pk, group_id))


def left_group(account: Account, group_id: int) -> None:
    """Someone on this server is no longer a member (left, removed, banned): the group's
    posts leave their home feed (their own stay)."""
    from wikisocial.timelines.tasks import remove_group_from_feed

    if account.is_local:
        transaction.on_commit(lambda: remove_group_from_feed.enqueue(account.pk, group_id))
