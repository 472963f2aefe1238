"""Reading timelines. Every timeline ends in ``Post.objects.visible_to(viewer)``: the feed table
says what is in a home feed, the visibility rule says what may be shown."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce

from wikisocial.accounts.models import Account
from wikisocial.communities.models import readable_group_q
from wikisocial.core.db import prepared_statements, reads_from_replica
from wikisocial.core.markup import normalize_hashtag
from wikisocial.core.pagination import Cursor, Page, paginate
from wikisocial.posts.models import Hashtag, MediaAttachment, Mention, Pin, Post, Visibility
from wikisocial.social.models import DomainBlock, Follow, Mute
from wikisocial.social.queries import domain_hidden, muted_ids
from wikisocial.timelines.models import ConversationState, FeedEntry, List, ListMember

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


@dataclass(frozen=True)
class Hides:
    """Whether the viewer mutes anyone, hides a domain or has an exclusive list. Most people
    do none of these, and a filter on an empty set still costs the database joins (feed rows
    to posts and accounts) and the ORM the time to build five subqueries."""

    mutes: bool = True
    domains: bool = True
    exclusive: bool = True


def hides(viewer: Account, *, lists: bool = False) -> Hides:
    """What ``viewer`` hides from timelines, in one query (``lists``: ask about exclusive
    lists too, which only the home feed applies)."""
    checks = {
        "hides_mutes": Exists(Mute.objects.active().filter(account=viewer)),
        "hides_domains": Exists(DomainBlock.objects.filter(account=viewer)),
    }
    if lists:
        checks["hides_exclusive"] = Exists(exclusive_members(viewer))
    found = Account.objects.filter(pk=viewer.pk).values(**checks).first()
    if found is None:
        return Hides()
    return Hides(**{name.removeprefix("hides_"): value for name, value in found.items()})


def _not_muted(
    qs: QuerySet, viewer: Account | None, field: str = "author", hidden: Hides | None = None
) -> QuerySet:
    if viewer is None:
        return qs
    hidden = hidden or hides(viewer)
    if hidden.mutes:
        qs = qs.exclude(**{f"{field}__in": muted_ids(viewer)})
    if hidden.domains:
        qs = qs.exclude(domain_hidden(viewer, field))
    return qs


def _with_media(qs: QuerySet) -> QuerySet:
    return qs.filter(Exists(MediaAttachment.objects.filter(post=OuterRef("pk"))))


def exclusive_members(viewer: Account) -> QuerySet:
    """Ids of the accounts in the viewer's exclusive lists (besides the viewer): their posts
    are read in those lists, not in the home feed (Mastodon 4.2)."""
    return (
        ListMember.objects.filter(list__account=viewer, list__exclusive=True)
        .exclude(account=viewer)
        .values("account_id")
    )


@reads_from_replica
def home(viewer: Account, cursor: Cursor) -> Timeline:
    hidden = hides(viewer, lists=True)
    entries = _not_muted(FeedEntry.objects.filter(owner=viewer), viewer, hidden=hidden)
    if hidden.mutes:
        entries = entries.exclude(post__boost_of__author__in=muted_ids(viewer))
    if hidden.domains:
        entries = entries.exclude(domain_hidden(viewer, "post__boost_of__author"))
    if hidden.exclusive:
        entries = entries.exclude(author__in=exclusive_members(viewer))
    page = paginate(entries.only("post_id"), cursor, key="post_id")
    ids = [entry.post_id for entry in page.items]
    with prepared_statements():
        found = {p.pk: p for p in with_related(Post.objects.visible_to(viewer).filter(pk__in=ids))}
    posts, shown = [], set()
    for pk in ids:
        post = found.get(pk)
        original = post.boost_of_id or post.pk if post else None
        if post is not None and original not in shown:  # one post, shown once per page
            shown.add(original)
            posts.append(post)
    return Timeline(posts, page)


def _listing(
    qs: QuerySet, viewer: Account | None, cursor: Cursor, *, prepared: bool = True
) -> Timeline:
    """A page of ``qs`` (muted and hidden authors left out); ``prepared``: run its queries as
    prepared statements with a generic plan (core/db.py), for queries whose best plan does
    not depend on the values in them."""
    with prepared_statements() if prepared else nullcontext():
        page = paginate(with_related(_not_muted(qs, viewer)), cursor)
    return Timeline(page.items, page)


@reads_from_replica
def local(viewer: Account | None, cursor: Cursor, *, only_media: bool = False) -> Timeline:
    qs = Post.objects.visible_to(viewer).filter(local=True).public_timeline(PUBLIC_VISIBILITIES)
    return _listing(_with_media(qs) if only_media else qs, viewer, cursor)


@reads_from_replica
def federated(
    viewer: Account | None, cursor: Cursor, *, remote_only: bool = False, only_media: bool = False
) -> Timeline:
    qs = Post.objects.visible_to(viewer).public_timeline(PUBLIC_VISIBILITIES)
    if remote_only:
        qs = qs.filter(local=False)
    return _listing(_with_media(qs) if only_media else qs, viewer, cursor)


def hashtags_known_to(qs: QuerySet, viewer: Account | None) -> QuerySet:
    """The hashtags of ``qs`` that ``viewer`` may learn exist: all but those used only in
    groups they can't read. A hashtag written only in a private group's posts is that
    group's business: search, autocompletion and the Tag entity don't know it."""
    uses = Post.hashtags.through.objects.filter(hashtag=OuterRef("pk"))
    readable = Q(post__group__isnull=True) | readable_group_q(viewer, "post__group__")
    return qs.filter(Exists(uses.filter(readable)) | ~Exists(uses.exclude(readable)))


TAGS_PER_OPTION = 4  # Mastodon's limit on any[], all[] and none[]


def _tag_names(names: Sequence[str]) -> list[str]:
    return [n for n in (normalize_hashtag(name.lstrip("#")) for name in names) if n][
        :TAGS_PER_OPTION
    ]


@reads_from_replica
def hashtag(
    name: str,
    viewer: Account | None,
    cursor: Cursor,
    *,
    any_of: Sequence[str] = (),
    all_of: Sequence[str] = (),
    none_of: Sequence[str] = (),
    local_only: bool | None = None,
    only_media: bool = False,
) -> Timeline:
    """Public posts tagged ``name`` (a normalised name), or any of ``any_of`` too, that also
    carry every tag of ``all_of`` and none of ``none_of``; ``local_only`` True: this server's
    posts, False: other servers' posts, None: both."""
    qs = Post.objects.visible_to(viewer).filter(
        visibility__in=PUBLIC_VISIBILITIES, boost_of__isnull=True
    )
    wanted, required, unwanted = (
        [name, *_tag_names(any_of)],
        _tag_names(all_of),
        _tag_names(none_of),
    )
    # By id, not by name: the planner then knows how common each tag is. Joined by name, a
    # tag on 5% of a million posts was planned as a rare one, and the page read them all.
    ids = dict(
        Hashtag.objects.filter(name__in=[*wanted, *required, *unwanted]).values_list("name", "id")
    )
    if not any(n in ids for n in wanted) or any(n not in ids for n in required):
        return _listing(qs.none(), viewer, cursor, prepared=False)
    uses = _tag_uses([ids[n] for n in wanted if n in ids])
    for other in required:
        uses = uses.filter(_tagged([ids[other]]))
    if any(n in ids for n in unwanted):
        uses = uses.exclude(_tagged([ids[n] for n in unwanted if n in ids]))
    if local_only is not None:
        uses = uses.filter(post__local=local_only)
    if only_media:
        uses = uses.filter(Exists(MediaAttachment.objects.filter(post=OuterRef("post_id"))))
    return _tagged_page(uses, qs, viewer, cursor)


def _tag_uses(tag_ids: list[int]) -> QuerySet:
    """Rows of the post–hashtag table for these tags whose post may be on a hashtag timeline
    at all (public, not a boost, not deleted): the first step of :func:`_tagged_page`."""
    return Post.hashtags.through.objects.filter(
        hashtag_id__in=tag_ids,
        post__visibility__in=PUBLIC_VISIBILITIES,
        post__boost_of__isnull=True,
        post__deleted_at__isnull=True,
    )


def _tagged(tag_ids: list[int]) -> Exists:
    """The post of a post–hashtag row carries one of these hashtags (ids)."""
    through = Post.hashtags.through.objects
    return Exists(through.filter(post_id=OuterRef("post_id"), hashtag_id__in=tag_ids))


TAG_ROUNDS = 4  # candidate pages read for one hashtag-timeline page at most


def _tagged_page(uses: QuerySet, qs: QuerySet, viewer: Account | None, cursor: Cursor) -> Timeline:
    """A page of the posts of ``qs`` among those ``uses`` (rows of the post–hashtag table)
    name, in two steps, as the home feed: a page of post ids from the (hashtag, post) index
    (posts migration 0005) with the timeline's own filters, then the posts among them that
    the visibility rule lets through (blocked, muted, hidden authors and groups leave), by id.
    Joined in one query, the planner had to guess how common the tag was: a rare tag's page
    walked the posts from the newest down (seconds at a million posts). When the rule leaves
    too few, the next candidates are read (further down, or further up with ``min_id``), up
    to TAG_ROUNDS pages; a page cut short still leads on from the last candidate read."""
    shown = with_related(_not_muted(qs, viewer))
    upward = cursor.min_id is not None
    batch = replace(cursor, limit=cursor.limit * 2)
    posts: list[Post] = []
    for _ in range(TAG_ROUNDS):
        candidates = paginate(uses.only("post_id"), batch, key="post_id")
        ids = list(dict.fromkeys(use.post_id for use in candidates.items))
        with prepared_statements():
            found = {p.pk: p for p in shown.filter(pk__in=ids)} if ids else {}
        got = [found[pk] for pk in ids if pk in found]
        posts = got + posts if upward else posts + got  # newest first
        done = len(candidates.items) < batch.limit
        if done or len(posts) >= cursor.limit:
            break
        if upward:
            batch = replace(batch, min_id=candidates.prev_min_id)
        else:
            batch = replace(batch, max_id=candidates.next_max_id)
    # With min_id, the page just above it: the oldest of what was read.
    posts = posts[-cursor.limit :] if upward else posts[: cursor.limit]
    whole = done or len(posts) == cursor.limit
    if whole:
        page = Page(posts, posts[-1].pk if posts else None, posts[0].pk if posts else None)
    elif upward:  # the rounds ran out going up: poll again from the newest candidate read
        page = Page(posts, posts[-1].pk if posts else None, candidates.prev_min_id, more=True)
    else:  # the rounds ran out going down: the next page starts below the last one read
        first = posts[0].pk if posts else None
        page = Page(posts, candidates.next_max_id, first, more=True)
    return Timeline(posts, page)


@reads_from_replica
def list_timeline(members_of: List, cursor: Cursor) -> Timeline:
    """Posts and boosts of the list's members that its owner may see, with the replies its
    ``replies_policy`` lets through (replies to oneself and to the owner always pass)."""
    owner = members_of.account
    members = ListMember.objects.filter(list=members_of).values("account_id")
    qs = (
        Post.objects.visible_to(owner)
        .filter(author__in=members)
        .exclude(visibility=Visibility.DIRECT)
        .exclude(boost_of__author__in=muted_ids(owner))
    )
    replies = (
        Q(in_reply_to_account__isnull=True)
        | Q(in_reply_to_account=F("author"))
        | Q(in_reply_to_account=owner)
    )
    if members_of.replies_policy == List.RepliesPolicy.FOLLOWED:
        followed = Follow.objects.filter(follower=owner).values("target_id")
        replies |= Q(in_reply_to_account__in=followed)
    elif members_of.replies_policy == List.RepliesPolicy.LIST:
        replies |= Q(in_reply_to_account__in=members)
    # Boosts from people the owner follows "without boosts" stay out, as in the home feed.
    quiet = Follow.objects.filter(follower=owner, show_boosts=False).values("target_id")
    qs = qs.filter(replies).exclude(boost_of__isnull=False, author__in=quiet)
    return _listing(qs, owner, cursor)


# --- direct posts and conversations ----------------------------------------------------------


def _direct_posts(viewer: Account) -> QuerySet:
    """Direct posts the viewer wrote or is mentioned in (the visibility rule says which)."""
    return Post.objects.visible_to(viewer).filter(
        visibility=Visibility.DIRECT, boost_of__isnull=True
    )


def direct(viewer: Account, cursor: Cursor) -> Timeline:
    """Direct posts to and from the viewer, newest first (Mastodon's old direct timeline)."""
    return _listing(_direct_posts(viewer), viewer, cursor)


def _in_thread(root: object) -> Q:
    return Q(pk=root) | Q(thread_root_id=root)


def _conversations(viewer: Account) -> QuerySet:
    """A conversation is the thread (``root``: its first post) of direct posts the viewer
    takes part in; each is represented by its newest post, annotated ``seen`` when the viewer
    read up to it. Conversations the viewer removed stay away until a newer post comes."""
    newer = _direct_posts(viewer).filter(_in_thread(OuterRef("root")), id__gt=OuterRef("id"))
    states = ConversationState.objects.filter(account=viewer, root_id=OuterRef("root"))
    return (
        _direct_posts(viewer)
        .annotate(root=Coalesce("thread_root_id", "id"))
        .filter(~Exists(newer))
        .exclude(Exists(states.filter(hidden_up_to__gte=OuterRef("id"))))
        .annotate(seen=Exists(states.filter(read_up_to__gte=OuterRef("id"))))
    )


def conversations(viewer: Account, cursor: Cursor) -> Timeline:
    """The viewer's conversations, the one with the newest post first, paginated by the id
    of that post (as Mastodon paginates them)."""
    page = paginate(with_related(_conversations(viewer)), cursor)
    return Timeline(page.items, page)


def conversation(viewer: Account, root_id: int) -> Post | None:
    """The newest post of the viewer's conversation ``root_id`` (annotated like those of
    :func:`conversations`), or None when there is none or the viewer removed it."""
    qs = _conversations(viewer).filter(_in_thread(root_id))
    return with_related(qs).order_by("-id").first()


def participants(viewer: Account, roots: Sequence[int]) -> dict[int, list[Account]]:
    """The people in each conversation besides the viewer (authors and mentioned accounts of
    its direct posts the viewer sees), in three queries for a whole page; a conversation
    with oneself has the viewer as its only participant, as in Mastodon."""
    threads = Q(pk__in=roots) | Q(thread_root_id__in=roots)
    posts = _direct_posts(viewer).filter(threads)
    root = Coalesce("thread_root_id", "id")
    pairs = list(posts.annotate(root=root).values_list("root", "author_id"))
    mentions = Mention.objects.filter(post__in=posts.values("pk")).annotate(
        root=Coalesce("post__thread_root_id", "post_id")
    )
    pairs += list(mentions.values_list("root", "account_id"))
    ids = {account_id for _root, account_id in pairs} - {viewer.pk}
    found = {a.pk: a for a in Account.objects.filter(pk__in=ids)}
    people: dict[int, list[Account]] = {root_id: [] for root_id in roots}
    for root_id, account_id in sorted(pairs, key=lambda pair: pair[1]):
        account = found.get(account_id)
        if account is not None and account not in people.setdefault(root_id, []):
            people[root_id].append(account)
    return {root_id: accounts or [viewer] for root_id, accounts in people.items()}


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
