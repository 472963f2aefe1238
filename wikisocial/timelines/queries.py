"""Reading timelines. Every timeline ends in ``Post.objects.visible_to(viewer)``: the feed table
says what is in a home feed, the visibility rule says what may be shown."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from wikisocial.accounts.models import Account
from wikisocial.core.pagination import Cursor, Page, paginate
from wikisocial.posts.models import MediaAttachment, Pin, Post, Visibility
from wikisocial.social.queries import muted_ids
from wikisocial.timelines.models import FeedEntry

PUBLIC_VISIBILITIES = [Visibility.PUBLIC, Visibility.LOCAL]


@dataclass
class Timeline:
    posts: list[Post]
    page: Page


def with_related(qs: QuerySet) -> QuerySet:
    """What showing a post needs, loaded for the whole page at once."""
    return qs.select_related(
        "author", "boost_of", "boost_of__author", "boost_of__poll", "poll", "in_reply_to_account"
    ).prefetch_related("media", "boost_of__media", "poll__options", "boost_of__poll__options")


def _not_muted(qs: QuerySet, viewer: Account | None, field: str = "author") -> QuerySet:
    if viewer is None:
        return qs
    return qs.exclude(**{f"{field}__in": muted_ids(viewer)})


def home(viewer: Account, cursor: Cursor) -> Timeline:
    entries = _not_muted(FeedEntry.objects.filter(owner=viewer), viewer).exclude(
        post__boost_of__author__in=muted_ids(viewer)
    )
    page = paginate(entries.only("post_id"), cursor, key="post_id")
    ids = [entry.post_id for entry in page.items]
    found = {p.pk: p for p in with_related(Post.objects.visible_to(viewer).filter(pk__in=ids))}
    posts, shown = [], set()
    for pk in ids:
        post = found.get(pk)
        original = post.boost_of_id or post.pk if post else None
        if post is not None and original not in shown:  # one post, shown once per page
            shown.add(original)
            posts.append(post)
    return Timeline(posts, page)


def _listing(qs: QuerySet, viewer: Account | None, cursor: Cursor) -> Timeline:
    page = paginate(with_related(_not_muted(qs, viewer)), cursor)
    return Timeline(page.items, page)


def local(viewer: Account | None, cursor: Cursor) -> Timeline:
    qs = Post.objects.visible_to(viewer).filter(local=True).public_timeline(PUBLIC_VISIBILITIES)
    return _listing(qs, viewer, cursor)


def federated(viewer: Account | None, cursor: Cursor, *, remote_only: bool = False) -> Timeline:
    qs = Post.objects.visible_to(viewer).public_timeline(PUBLIC_VISIBILITIES)
    if remote_only:
        qs = qs.filter(local=False)
    return _listing(qs, viewer, cursor)


def hashtag(name: str, viewer: Account | None, cursor: Cursor) -> Timeline:
    qs = Post.objects.visible_to(viewer).filter(
        hashtags__name=name, visibility__in=PUBLIC_VISIBILITIES, boost_of__isnull=True
    )
    return _listing(qs, viewer, cursor)


PROFILE_TABS = ("posts", "replies", "media")


def profile(
    account: Account, viewer: Account | None, cursor: Cursor, tab: str = "posts"
) -> Timeline:
    qs = Post.objects.visible_to(viewer).filter(author=account)
    if tab == "posts":
        qs = qs.filter(Q(in_reply_to_account__isnull=True) | Q(in_reply_to_account=account))
    elif tab == "media":
        qs = qs.filter(Exists(MediaAttachment.objects.filter(post=OuterRef("pk"))))
    page = paginate(with_related(qs), cursor)
    return Timeline(page.items, page)


def pinned(account: Account, viewer: Account | None) -> list[Post]:
    ids = Pin.objects.filter(account=account).values("post_id")
    return list(with_related(Post.objects.visible_to(viewer).filter(pk__in=ids)).order_by("-id"))


def wall(owner: Account, viewer: Account | None, cursor: Cursor) -> Timeline:
    qs = Post.objects.visible_to(viewer).filter(
        wall_owner=owner,
        hidden_from_wall=False,
        visibility__in=[Visibility.PUBLIC, Visibility.UNLISTED],
    )
    return _listing(qs, viewer, cursor)


THREAD_LIMIT = 1000  # posts of one conversation shown on a thread page


def thread(post: Post, viewer: Account | None) -> tuple[list[Post], list[tuple[Post, int]]]:
    """Ancestors (oldest first) and descendants (depth-first, with their depth) of ``post``,
    from one query over the conversation, whatever its depth."""
    root_id = post.thread_root_id or post.pk
    family = {
        p.pk: p
        for p in with_related(
            Post.objects.visible_to(viewer).filter(Q(thread_root_id=root_id) | Q(pk=root_id))
        ).order_by("id")[:THREAD_LIMIT]
    }
    ancestors: list[Post] = []
    seen = {post.pk}
    parent_id = post.in_reply_to_id
    while parent_id in family and parent_id not in seen:
        parent = family[parent_id]
        ancestors.insert(0, parent)
        seen.add(parent_id)
        parent_id = parent.in_reply_to_id
    children: dict[int, list[Post]] = {}
    for item in family.values():
        if item.in_reply_to_id:
            children.setdefault(item.in_reply_to_id, []).append(item)
    descendants: list[tuple[Post, int]] = []
    stack = [(child, 1) for child in reversed(children.get(post.pk, []))]
    while stack:
        node, depth = stack.pop()
        if node.pk in seen:
            continue
        seen.add(node.pk)
        descendants.append((node, depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(node.pk, [])))
    return ancestors, descendants
