"""Reading notifications as people see them: grouped, newest first."""

from __future__ import annotations

from dataclasses import dataclass, field

from wikisocial.accounts.models import Account
from wikisocial.core.pagination import as_id
from wikisocial.notifications.models import Kind, Notification
from wikisocial.posts.models import Post
from wikisocial.timelines.actions import read_position
from wikisocial.timelines.models import Marker

MENTION_KINDS = [Kind.MENTION, Kind.REPLY]
SCAN = 300  # notifications read to build one page of groups
GROUPS_PER_PAGE = 40


@dataclass
class Group:
    kind: str
    post: Post | None
    actors: list[Account] = field(default_factory=list)
    count: int = 0
    latest_id: int = 0
    oldest_id: int = 0
    latest_at: object = None

    @property
    def others(self) -> int:
        return self.count - len(self.actors)


UNREAD_CAP = 40  # the badge says "40+" beyond this


def _visible_posts(viewer: Account, post_ids: set[int]) -> set[int]:
    """Of these posts, the ones the viewer may see (the notified post may have become private,
    been deleted, or its author blocked since): one query on at most a page of ids."""
    if not post_ids:
        return set()
    return set(Post.objects.visible_to(viewer).filter(pk__in=post_ids).values_list("pk", flat=True))


def _still_visible(viewer: Account, items: list[Notification]) -> list[Notification]:
    visible = _visible_posts(viewer, {n.post_id for n in items if n.post_id})
    return [n for n in items if n.post_id is None or n.post_id in visible]


def grouped(viewer: Account, *, which: str = "all", max_id: object = None) -> list[Group]:
    qs = Notification.objects.filter(recipient=viewer, filtered=(which == "kept"))
    if which == "mentions":
        qs = qs.filter(kind__in=MENTION_KINDS)
    cursor = as_id(max_id)
    if cursor is not None:
        qs = qs.filter(pk__lt=cursor)
    window = list(qs.select_related("actor", "post", "post__author").order_by("-id")[:SCAN])
    groups: dict[str, Group] = {}
    for item in _still_visible(viewer, window):
        key = item.group_key or f"single-{item.pk}"
        group = groups.get(key)
        if group is None:
            if len(groups) >= GROUPS_PER_PAGE:
                break
            group = groups[key] = Group(
                kind=item.kind, post=item.post, latest_id=item.pk, latest_at=item.created_at
            )
        group.count += 1
        group.oldest_id = item.pk
        if len(group.actors) < 3 and item.actor not in group.actors:
            group.actors.append(item.actor)
    return list(groups.values())


def unread_count(viewer: Account) -> int:
    """Unread notifications, counted up to UNREAD_CAP + 1 (show "40+")."""
    last_read = read_position(viewer, Marker.NOTIFICATIONS)
    newer = list(
        Notification.objects.filter(recipient=viewer, filtered=False, pk__gt=last_read)
        .only("id", "post_id")
        .order_by("-id")[: UNREAD_CAP + 1]
    )
    return len(_still_visible(viewer, newer))
