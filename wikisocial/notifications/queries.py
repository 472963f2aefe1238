"""Reading notifications as people see them: grouped, newest first."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from wikisocial.accounts.models import Account
from wikisocial.core.pagination import Cursor, as_id
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
    """Those about posts and groups the viewer may still see (a hidden group one declined or
    left is gone; being removed from it is still told)."""
    from wikisocial.communities.models import Group as Community

    visible = _visible_posts(viewer, {n.post_id for n in items if n.post_id})
    asked = {n.group_id for n in items if n.group_id and n.kind != Kind.GROUP_REMOVED}
    known = set(
        Community.objects.visible_to(viewer).filter(pk__in=asked).values_list("pk", flat=True)
    )
    return [
        n
        for n in items
        if (n.post_id is None or n.post_id in visible)
        and (n.group_id is None or n.kind == Kind.GROUP_REMOVED or n.group_id in known)
    ]


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
        .only("id", "post_id", "group_id", "kind")
        .order_by("-id")[: UNREAD_CAP + 1]
    )
    return len(_still_visible(viewer, newer))


# --- Mastodon's view of notifications (the client API) ---------------------------------------

# Mastodon's notification types and the kinds each stands for (a reply is a mention there).
API_TYPES: dict[str, tuple[str, ...]] = {
    "mention": (Kind.MENTION, Kind.REPLY),
    "reblog": (Kind.BOOST,),
    "follow": (Kind.FOLLOW,),
    "follow_request": (Kind.FOLLOW_REQUEST,),
    "favourite": (Kind.LIKE,),
    "poll": (Kind.POLL,),
    "update": (Kind.UPDATE,),
}
# What Mastodon groups by default; a client may ask for fewer (or for the other kinds that
# carry a group key here, follow requests of a day and edits of a post) with ``grouped_types[]``.
GROUPABLE_TYPES = frozenset({"favourite", "reblog", "follow"})
KEYED_TYPES = GROUPABLE_TYPES | {"follow_request", "update"}
SAMPLE_ACCOUNTS = 8  # accounts shown per group, newest first (Mastodon's number)
SCAN_CHUNK = 100
SCAN_LIMIT = 1000  # notifications read at most to fill one page of groups
UNGROUPED = "ungrouped-"


def api_type(kind: str) -> str:
    return "mention" if kind == Kind.REPLY else str(kind)


def kinds_for(types: list[str], exclude_types: list[str]) -> list[str] | None:
    """Our kinds for Mastodon's ``types[]`` and ``exclude_types[]`` (unknown names are
    ignored); None means every kind."""
    if not types and not exclude_types:
        return None
    wanted = [t for t in (types or API_TYPES) if t in API_TYPES and t not in exclude_types]
    return [kind for t in wanted for kind in API_TYPES[t]]


def api_group_key(item: Notification, grouped_types: frozenset[str] = GROUPABLE_TYPES) -> str:
    """The group a notification is shown in: its own group key for the kinds grouped, else
    ``ungrouped-<id>``."""
    if item.group_key and api_type(item.kind) in grouped_types:
        return item.group_key
    return f"{UNGROUPED}{item.pk}"


def by_group_key(qs: QuerySet, key: str) -> QuerySet:
    """The notifications of ``qs`` in group ``key``."""
    if key.startswith(UNGROUPED):
        pk = as_id(key.removeprefix(UNGROUPED))
        return qs.filter(pk=pk) if pk is not None else qs.none()
    return qs.filter(group_key=key) if key else qs.none()


def browsable(
    viewer: Account,
    *,
    kinds: list[str] | None = None,
    sender_id: int | None = None,
    include_filtered: bool = False,
) -> QuerySet:
    """``viewer``'s notifications as a client lists them: from accounts that still exist,
    about posts the viewer may still see (the one visibility rule, asked in SQL so a page is
    never cut short). Kept-aside ones only when asked for, or when asking about one sender
    (as Mastodon does)."""
    qs = Notification.objects.filter(recipient=viewer, actor__deleted_at__isnull=True)
    if sender_id is not None:
        qs = qs.filter(actor_id=sender_id)
    elif not include_filtered:
        qs = qs.filter(filtered=False)
    if kinds is not None:
        qs = qs.filter(kind__in=kinds)
    visible = Post.objects.visible_to(viewer).filter(pk=OuterRef("post_id"))
    return qs.alias(post_visible=Exists(visible)).filter(
        Q(post__isnull=True) | Q(post_visible=True)
    )


def _scan(qs: QuerySet, upward: bool) -> Iterator[Notification]:
    """``qs`` newest first (``upward``: oldest first), read in chunks, at most SCAN_LIMIT."""
    last = None
    for _chunk in range(SCAN_LIMIT // SCAN_CHUNK):
        part = qs if last is None else qs.filter(pk__gt=last) if upward else qs.filter(pk__lt=last)
        chunk = list(part.order_by("id" if upward else "-id")[:SCAN_CHUNK])
        yield from chunk
        if len(chunk) < SCAN_CHUNK:
            return
        last = chunk[-1].pk


def representatives(
    qs: QuerySet, cursor: Cursor, grouped_types: frozenset[str] = GROUPABLE_TYPES
) -> list[Notification]:
    """One notification per group, for a page of ``cursor.limit`` groups, newest first: the
    newest of each group below ``max_id`` (with ``min_id``: the oldest above it, as Mastodon
    pages upwards)."""
    if cursor.max_id is not None:
        qs = qs.filter(pk__lt=cursor.max_id)
    upward = cursor.min_id is not None
    low = cursor.min_id if upward else cursor.since_id
    if low is not None:
        qs = qs.filter(pk__gt=low)
    chosen: dict[str, Notification] = {}
    for item in _scan(qs, upward):
        chosen.setdefault(api_group_key(item, grouped_types), item)
        if len(chosen) >= cursor.limit:
            break
    items = list(chosen.values())
    return items[::-1] if upward else items


@dataclass
class ApiGroup:
    """A notification group as the client API shows it."""

    key: str
    notification: Notification  # the group's representative on this page
    count: int
    latest_id: int
    sample_ids: list[int]
    page_min_id: int | None = None  # None when not paginating (one group asked for)
    latest_at: object = None


def _bounds(items: list[Notification], cursor: Cursor) -> tuple[int, int | None]:
    """The id range a page of groups covers (Mastodon's): a short page is the last one, and
    reaches down to ``since_id`` (or up to ``max_id`` when paging upwards)."""
    low, high = items[-1].pk, items[0].pk
    if len(items) < cursor.limit:
        if cursor.min_id is not None:
            return low, (cursor.max_id - 1 if cursor.max_id is not None else None)
        return (cursor.since_id + 1 if cursor.since_id is not None else 0), high
    return low, high


def _group_numbers(qs: QuerySet, keys: list[str], low: int, high: int | None) -> dict:
    """Per group key: how many, the newest id and time (up to ``high``), the oldest id from
    ``low``, and up to SAMPLE_ACCOUNTS senders, newest first. Two queries for a page."""
    if not keys:
        return {}
    rows = qs.filter(group_key__in=keys)
    if high is not None:
        rows = rows.filter(pk__lte=high)
    numbers = {
        row["group_key"]: {**row, "samples": []}
        for row in rows.order_by()
        .values("group_key")
        .annotate(
            count=Count("pk"),
            latest=Max("pk"),
            latest_at=Max("created_at"),
            page_min=Min("pk", filter=Q(pk__gte=low)),
        )
    }
    ranked = rows.annotate(
        rank=Window(RowNumber(), partition_by=[F("group_key")], order_by=F("pk").desc())
    ).filter(rank__lte=SAMPLE_ACCOUNTS)
    samples = ranked.values_list("group_key", "rank", "actor_id")
    for key, _rank, actor_id in sorted(samples):
        numbers[key]["samples"].append(actor_id)
    return numbers


def api_groups(
    qs: QuerySet,
    items: list[Notification],
    cursor: Cursor | None,
    grouped_types: frozenset[str] = GROUPABLE_TYPES,
) -> list[ApiGroup]:
    """The groups of a page of representatives (``cursor`` None: one group, not paginated)."""
    if not items:
        return []
    low, high = _bounds(items, cursor) if cursor is not None else (0, None)
    keys = [api_group_key(i, grouped_types) for i in items]
    numbers = _group_numbers(qs, [k for k in keys if not k.startswith(UNGROUPED)], low, high)
    groups = []
    for key, item in zip(keys, items, strict=True):
        found = numbers.get(key)
        if found is None:  # a group of one
            found = {"count": 1, "latest": item.pk, "latest_at": item.created_at}
            found |= {"page_min": item.pk, "samples": [item.actor_id]}
        groups.append(
            ApiGroup(
                key=key,
                notification=item,
                count=found["count"],
                latest_id=found["latest"],
                sample_ids=list(dict.fromkeys(found["samples"])),
                page_min_id=found["page_min"] if cursor is not None else None,
                latest_at=found["latest_at"],
            )
        )
    return groups


def unread_total(
    viewer: Account, qs: QuerySet, limit: int, grouped_types: frozenset[str] | None = None
) -> int:
    """Notifications of ``qs`` newer than the read marker, counted up to ``limit`` (with
    ``grouped_types``: the groups they form)."""
    last_read = read_position(viewer, Marker.NOTIFICATIONS)
    if grouped_types is not None:
        return len(representatives(qs, Cursor(min_id=last_read, limit=limit), grouped_types))
    return len(qs.filter(pk__gt=last_read).values_list("pk", flat=True)[:limit])


@dataclass
class Request:
    """What the policy kept aside from one sender (Mastodon's notification request); its id
    is the newest kept-aside notification's."""

    id: int
    sender: Account
    count: int
    first_at: object
    last_at: object
    last_post_id: int | None


def kept_aside(viewer: Account) -> QuerySet:
    return browsable(viewer, include_filtered=True).filter(filtered=True)


def requests(viewer: Account, cursor: Cursor, sender: Account | None = None) -> list[Request]:
    """A page of senders whose notifications were kept aside, the most recent first (or the
    request of one ``sender``)."""
    qs = kept_aside(viewer)
    if sender is not None:
        qs = qs.filter(actor=sender)
    rows = (
        qs.order_by()
        .values("actor_id")
        .annotate(
            latest=Max("pk"),
            count=Count("pk"),
            first_at=Min("created_at"),
            last_at=Max("created_at"),
            last_post=Max("post_id"),
        )
    )
    if cursor.max_id is not None:
        rows = rows.filter(latest__lt=cursor.max_id)
    low = cursor.min_id if cursor.min_id is not None else cursor.since_id
    if low is not None:
        rows = rows.filter(latest__gt=low)
    if cursor.min_id is not None:
        found = list(rows.order_by("latest")[: cursor.limit])[::-1]
    else:
        found = list(rows.order_by("-latest")[: cursor.limit])
    senders = Account.objects.in_bulk([row["actor_id"] for row in found])
    return [
        Request(
            id=row["latest"],
            sender=senders[row["actor_id"]],
            count=row["count"],
            first_at=row["first_at"],
            last_at=row["last_at"],
            last_post_id=row["last_post"],
        )
        for row in found
    ]


def request_sender(viewer: Account, request_id: object) -> Account | None:
    """The sender of the request ``request_id`` (any of its kept-aside notifications' ids)."""
    pk = as_id(request_id)
    found = kept_aside(viewer).filter(pk=pk).select_related("actor").first() if pk else None
    return found.actor if found else None


def pending_summary(viewer: Account) -> tuple[int, int]:
    """(senders, notifications) kept aside for ``viewer``."""
    totals = kept_aside(viewer).aggregate(
        senders=Count("actor_id", distinct=True), notifications=Count("pk")
    )
    return totals["senders"], totals["notifications"]
