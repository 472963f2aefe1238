"""Reading notifications as people see them: grouped, newest first."""

from __future__ import annotations

from dataclasses import dataclass, field

from wikisocial.accounts.models import Account
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


def visible_notifications(viewer: Account):
    """The viewer's notifications about things they may still see."""
    visible_posts = Post.objects.visible_to(viewer).values("pk")
    qs = Notification.objects.filter(recipient=viewer).select_related(
        "actor", "post", "post__author"
    )
    return qs.filter(post__isnull=True) | qs.filter(post__in=visible_posts)


def grouped(viewer: Account, *, which: str = "all", max_id: str | None = None) -> list[Group]:
    qs = visible_notifications(viewer).filter(filtered=(which == "kept"))
    if which == "mentions":
        qs = qs.filter(kind__in=MENTION_KINDS)
    if max_id and str(max_id).isdigit():
        qs = qs.filter(pk__lt=int(max_id))
    groups: dict[str, Group] = {}
    for item in qs.order_by("-id")[:SCAN]:
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
    last_read = read_position(viewer, Marker.NOTIFICATIONS)
    return visible_notifications(viewer).filter(filtered=False, pk__gt=last_read).count()
