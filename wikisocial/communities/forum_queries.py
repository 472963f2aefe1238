"""Reading a group's forum as a viewer sees it: the topic list (pinned first, sorted, filtered,
a page at a time), unread counts for the topics they track, a topic's replies as a tree or
flat, and the reactions on a page of posts. Whether a post may be seen is always
``Post.objects.visible_to``; these only arrange what it lets through."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Count, Q, QuerySet

from wikisocial.accounts.models import Account
from wikisocial.communities.models import (
    ForumCategory,
    Group,
    Reaction,
    ReactionKind,
    Topic,
    TopicTag,
    Watch,
    WatchLevel,
)
from wikisocial.core.pagination import as_id
from wikisocial.posts.models import Like, Post
from wikisocial.timelines.queries import thread

SORTS = ("latest", "newest", "helpful")
PAGE_SIZE = 20
# The field each sort orders by (then by the topic's id, newest first).
SORT_FIELDS = {"latest": "last_activity_at", "newest": "created_at", "helpful": "reactions_count"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass
class TopicPage:
    pinned: list[Topic]  # on the first page only, above the others
    topics: list[Topic]
    next_cursor: str | None  # ``?after=`` for the next page; None on the last one


@dataclass
class ListFilter:
    sort: str = "latest"
    category: ForumCategory | None = None
    tag: TopicTag | None = None
    show_muted: bool = False
    after: str = ""


def _base(viewer: Account | None, group: Group, wanted: ListFilter) -> QuerySet:
    """The group's topics whose first post the viewer may see, filtered."""
    visible = Post.objects.visible_to(viewer).filter(group=group).values("pk")
    qs = Topic.objects.filter(group=group, post_id__in=visible)
    if wanted.category is not None:
        qs = qs.filter(category=wanted.category)
    if wanted.tag is not None:
        qs = qs.filter(tags=wanted.tag)
    if viewer is not None and not wanted.show_muted:
        muted = Watch.objects.filter(account=viewer, level=WatchLevel.MUTED, topic__isnull=False)
        qs = qs.exclude(pk__in=muted.values("topic_id"))
    return qs.select_related("post__author", "category", "group__account").prefetch_related("tags")


def _cursor_value(topic: Topic, sort: str) -> int:
    if sort == "helpful":
        return topic.reactions_count
    return (getattr(topic, SORT_FIELDS[sort]) - _EPOCH) // _MICROSECOND


def _parse_cursor(text: str) -> tuple[int, int] | None:
    value, _sep, pk = (text or "").partition("_")
    value_id, pk_id = as_id(value), as_id(pk)
    return (value_id, pk_id) if value_id is not None and pk_id is not None else None


def _after(qs: QuerySet, sort: str, cursor: tuple[int, int]) -> QuerySet:
    field = SORT_FIELDS[sort]
    value = cursor[0] if sort == "helpful" else _EPOCH + cursor[0] * _MICROSECOND
    return qs.filter(Q(**{f"{field}__lt": value}) | Q(**{field: value, "post_id__lt": cursor[1]}))


def topic_page(viewer: Account | None, group: Group, wanted: ListFilter) -> TopicPage:
    """One page of the topic list: pinned topics first (on the first page), then the others
    by latest activity, newest first, or most reactions."""
    sort = wanted.sort if wanted.sort in SORTS else "latest"
    qs = _base(viewer, group, wanted)
    cursor = _parse_cursor(wanted.after)
    pinned = [] if cursor else list(qs.filter(pinned_at__isnull=False).order_by("-pinned_at"))
    rest = qs.filter(pinned_at__isnull=True)
    if cursor is not None:
        rest = _after(rest, sort, cursor)
    items = list(rest.order_by(f"-{SORT_FIELDS[sort]}", "-post_id")[: PAGE_SIZE + 1])
    more = len(items) > PAGE_SIZE
    items = items[:PAGE_SIZE]
    last = items[-1] if items else None
    next_cursor = f"{_cursor_value(last, sort)}_{last.post_id}" if more and last else None
    return TopicPage(pinned=pinned, topics=items, next_cursor=next_cursor)


def unread_counts(viewer: Account | None, topics: list[Topic]) -> dict[int, int]:
    """For the topics the viewer watches or tracks: how many replies they have not read."""
    if viewer is None or not topics:
        return {}
    watches = Watch.objects.filter(
        account=viewer,
        topic_id__in=[t.pk for t in topics],
        level__in=[WatchLevel.WATCHING, WatchLevel.TRACKING],
    ).values_list("topic_id", "last_read_post_id")
    wanted = Q()
    for topic_id, last_read in watches:
        wanted |= Q(thread_root_id=topic_id, pk__gt=last_read or 0)
    if not wanted:
        return {}
    rows = (
        Post.objects.visible_to(viewer)
        .filter(wanted)
        .exclude(author=viewer)
        .order_by()
        .values("thread_root_id")
        .annotate(n=Count("pk"))
    )
    return {row["thread_root_id"]: row["n"] for row in rows}


def watch_levels(viewer: Account | None, topics: list[Topic]) -> dict[int, str]:
    if viewer is None or not topics:
        return {}
    rows = Watch.objects.filter(account=viewer, topic_id__in=[t.pk for t in topics])
    return dict(rows.values_list("topic_id", "level"))


def replies(topic: Topic, viewer: Account | None, flat: bool) -> list[tuple[Post, int]]:
    """The topic's replies the viewer may see with their depth: as a tree (depth first,
    nested by ``in_reply_to``) or ``flat`` (in the order they were written, depth 0)."""
    _ancestors, descendants = thread(topic.post, viewer)
    if flat:
        return [(post, 0) for post, _depth in sorted(descendants, key=lambda d: d[0].pk)]
    return descendants


@dataclass
class ReactionCount:
    kind: str
    label: str
    count: int
    mine: bool


def reactions_on(viewer: Account | None, posts: list[Post]) -> dict[int, list[ReactionCount]]:
    """Per post: each reaction with its count and whether the viewer gave it (❤ is a like).
    Three queries for the whole page."""
    ids = [p.pk for p in posts]
    counts: dict[tuple[int, str], int] = {}
    for row in (
        Reaction.objects.filter(post_id__in=ids)
        .order_by()
        .values("post_id", "kind")
        .annotate(n=Count("pk"))
    ):
        counts[(row["post_id"], row["kind"])] = row["n"]
    mine: set[tuple[int, str]] = set()
    if viewer is not None:
        mine = set(
            Reaction.objects.filter(post_id__in=ids, account=viewer).values_list("post_id", "kind")
        )
        liked = Like.objects.filter(post_id__in=ids, account=viewer)
        mine |= {(pk, ReactionKind.HEART.value) for pk in liked.values_list("post_id", flat=True)}
    result = {}
    for post in posts:
        result[post.pk] = [
            ReactionCount(
                kind=kind.value,
                label=str(kind.label),
                count=post.likes_count
                if kind == ReactionKind.HEART
                else counts.get((post.pk, kind.value), 0),
                mine=(post.pk, kind.value) in mine,
            )
            for kind in ReactionKind
        ]
    return result
