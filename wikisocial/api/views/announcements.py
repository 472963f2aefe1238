"""Announcements from the operators (written in the admin): the ones in force, dismissing
them, and emoji reactions (Unicode emoji only: there are no custom emoji here)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.http import HttpRequest

from wikisocial.accounts.models import Account
from wikisocial.api.base import endpoint, not_found
from wikisocial.api.serializers import iso
from wikisocial.core.markup import render_markdown
from wikisocial.core.pagination import as_id
from wikisocial.instance import actions
from wikisocial.instance.models import Announcement, AnnouncementReaction, AnnouncementRead
from wikisocial.instance.queries import current_announcements

TAG = "announcements"


def announcement_entities(items: list[Announcement], viewer: Account) -> list[dict[str, Any]]:
    """Announcement entities, with the viewer's ``read`` and reactions, in three queries for
    the whole list."""
    ids = [a.pk for a in items]
    read = set(
        AnnouncementRead.objects.filter(account=viewer, announcement_id__in=ids).values_list(
            "announcement_id", flat=True
        )
    )
    reactions = list(
        AnnouncementReaction.objects.filter(announcement_id__in=ids)
        .order_by("id")
        .values_list("announcement_id", "name", "account_id")
    )
    counts = Counter((a, name) for a, name, _who in reactions)
    mine = {(a, name) for a, name, who in reactions if who == viewer.pk}
    return [_entity(item, item.pk in read, counts, mine) for item in items]


def _entity(item: Announcement, read: bool, counts: Counter, mine: set) -> dict[str, Any]:
    names = [name for a, name in counts if a == item.pk]  # first reacted first
    return {
        "id": str(item.pk),
        "content": render_markdown(item.text),
        "starts_at": iso(item.starts_at),
        "ends_at": iso(item.ends_at),
        "all_day": item.all_day,
        "published_at": iso(item.published_at or item.created_at),
        "updated_at": iso(item.updated_at),
        "read": read,
        "mentions": [],
        "statuses": [],
        "tags": [],
        "emojis": [],
        "reactions": [
            {"name": n, "count": counts[(item.pk, n)], "me": (item.pk, n) in mine} for n in names
        ],
    }


def _current(id: str) -> Announcement:
    pk = as_id(id)
    found = current_announcements().filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise not_found()
    return found


@endpoint("GET", "v1/announcements", scope="read", tag=TAG, summary="Announcements in force")
def list_announcements(request: HttpRequest) -> list[dict[str, Any]]:
    return announcement_entities(list(current_announcements()), request.account)


@endpoint(
    "POST",
    "v1/announcements/<id>/dismiss",
    scope="write:accounts",
    tag=TAG,
    summary="Mark an announcement as read",
)
def dismiss(request: HttpRequest, id: str) -> dict:
    actions.dismiss_announcement(request.account, _current(id))
    return {}


@endpoint(
    "PUT",
    "v1/announcements/<id>/reactions/<name>",
    scope="write:favourites",
    tag=TAG,
    summary="React to an announcement with a Unicode emoji",
)
def add_reaction(request: HttpRequest, id: str, name: str) -> dict:
    actions.react(request.account, _current(id), name)
    return {}


@endpoint(
    "DELETE",
    "v1/announcements/<id>/reactions/<name>",
    scope="write:favourites",
    tag=TAG,
    summary="Take one's reaction back",
)
def remove_reaction(request: HttpRequest, id: str, name: str) -> dict:
    actions.unreact(request.account, _current(id), name)
    return {}
