"""Who gets a post in their home feed, and writing it there in batches.

Home feeds are materialised (one FeedEntry per reader and post) so that reading a feed is one
index range scan whatever the reader follows; see docs/architecture.md for the numbers behind
the choice. Writing happens in a background task, in batches, so an account with 100,000
followers costs the poster nothing.

Posts in groups follow the group, not the author: a new topic goes to the group's members on
this server (except those who muted the group), whatever kind the group is, and not to the
author's followers as such (they may be members, or read the group's page). A reply in a
group lives in its topic: it reaches only the person replied to, if they follow its author,
as any reply does. Joining a group brings its latest topics into one's feed; leaving takes
the group's posts out again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db import connection, transaction
from django.db.models import Q, QuerySet

from wikisocial.accounts.models import Account
from wikisocial.communities.models import Group, Membership, Watch, WatchLevel
from wikisocial.core.db import list_rows
from wikisocial.posts.models import Post, Visibility
from wikisocial.social.models import Block, Follow, HashtagFollow
from wikisocial.streaming import events as streaming
from wikisocial.timelines.models import FeedEntry

BATCH = 5000
TRANSACTION_ROWS = 20_000


def _followers(post: Post) -> QuerySet:
    """Ids of local followers whose home feed gets ``post``."""
    follows = Follow.objects.filter(target_id=post.author_id, follower__domain="")
    if post.is_boost:
        follows = follows.filter(show_boosts=True)
    if post.in_reply_to_account_id and post.in_reply_to_account_id != post.author_id:
        # A reply to someone else reaches those who follow both (Mastodon's rule too), and the
        # person replied to.
        replied_to = post.in_reply_to_account_id
        follows = follows.filter(
            Q(follower__following_set__target_id=replied_to) | Q(follower_id=replied_to)
        ).distinct()
    return follows.values_list("follower_id", "languages")


def _group_audience(post: Post) -> Iterator[int]:
    """Local readers of a post in a group: the members, for a topic (not those who muted the
    group); the person replied to, for a reply, if they follow its author (the rule for every
    reply)."""
    if post.in_reply_to_id is None:
        muted = Watch.objects.filter(group_id=post.group_id, level=WatchLevel.MUTED)
        members = (
            Membership.objects.filter(group_id=post.group_id, account__domain="")
            .exclude(account_id__in=muted.values("account_id"))
            .values_list("account_id", flat=True)
        )
        yield from members.iterator(chunk_size=BATCH)
    elif post.in_reply_to_account_id and post.in_reply_to_account_id != post.author_id:
        replied_to = post.in_reply_to_account_id
        if Follow.objects.filter(
            follower_id=replied_to, follower__domain="", target_id=post.author_id
        ).exists():
            yield replied_to


def audience(post: Post) -> Iterator[int]:
    """Local account ids whose home feed gets ``post`` (may repeat; the insert ignores repeats)."""
    if post.local:
        yield post.author_id
    if post.group_id is not None:
        yield from _group_audience(post)
        return
    if post.visibility == Visibility.DIRECT:
        yield from post.mentions.filter(account__domain="").values_list("account_id", flat=True)
        return
    for follower_id, languages in _followers(post).iterator(chunk_size=BATCH):
        if not languages or not post.language or post.language in languages:
            yield follower_id
    if post.visibility == Visibility.FOLLOWERS:
        yield from post.mentions.filter(account__domain="").values_list("account_id", flat=True)
    if post.visibility == Visibility.PUBLIC and not post.is_boost:
        tag_ids = list(post.hashtags.values_list("id", flat=True))
        if tag_ids:
            yield from (
                HashtagFollow.objects.filter(hashtag_id__in=tag_ids, account__domain="")
                .values_list("account_id", flat=True)
                .distinct()
                .iterator(chunk_size=BATCH)
            )


def _blocking(author_id: int) -> set[int]:
    rows = Block.objects.filter(Q(account_id=author_id) | Q(target_id=author_id))
    return {a if a != author_id else t for a, t in rows.values_list("account_id", "target_id")}


def _batches(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    batch: list[int] = []
    for pk in ids:
        batch.append(pk)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _already_have(owners: set[int], original_id: int) -> set[int]:
    """Readers whose feed holds this post already, or a boost of it: a second boost of the same
    post would show it twice."""
    copies = Post.objects.filter(Q(pk=original_id) | Q(boost_of_id=original_id)).values("pk")
    return set(
        FeedEntry.objects.filter(owner_id__in=owners, post_id__in=copies).values_list(
            "owner_id", flat=True
        )
    )


def _insert(owner_ids: list[int], post: Post) -> None:
    """Write one feed row per owner, skipping those that exist: one statement, the ids as one
    parameter (core/db.py ``list_rows``)."""
    rows = list_rows(connection, owner_ids, sql_type="bigint", alias="owner")
    if rows is None:
        FeedEntry.objects.bulk_create(
            [FeedEntry(owner_id=i, post_id=post.pk, author_id=post.author_id) for i in owner_ids],
            ignore_conflicts=True,
        )
        return
    source, ids = rows
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO timelines_feedentry (owner_id, post_id, author_id) "  # noqa: S608
            f"SELECT owner.value, %s, %s FROM {source} WHERE true ON CONFLICT DO NOTHING",
            [post.pk, post.author_id, ids],
        )


def fan_out(post: Post) -> int:
    """Write ``post`` into every home feed it belongs in; returns how many rows were offered."""
    excluded = _blocking(post.author_id)
    if post.is_boost:
        excluded |= _blocking(post.boost_of.author_id)
    count = 0
    # One transaction per TRANSACTION_ROWS rows: a commit costs more than a batch insert.
    readers = (i for i in audience(post) if i not in excluded)
    for group in _batches(readers, TRANSACTION_ROWS):
        written: list[int] = []
        with transaction.atomic():
            for batch in _batches(group, BATCH):
                owners = set(batch)
                if post.is_boost:
                    owners -= _already_have(owners, post.boost_of_id)
                _insert(sorted(owners), post)
                written.extend(owners)
        # Readers connected to the streaming API get it now (the others cost one lookup).
        transaction.on_commit(lambda written=written: streaming.home_updates(post, written))
        count += len(group)
    return count


def backfill(reader: Account, author: Account, limit: int = 40) -> None:
    """After a follow: the author's recent posts enter the reader's feed, filtered as the
    follow asks (boosts, languages)."""
    follow = Follow.objects.filter(follower=reader, target=author).first()
    posts = (
        Post.objects.visible_to(reader)
        .filter(author=author, group__isnull=True)
        .filter(Q(in_reply_to_account__isnull=True) | Q(in_reply_to_account=author))
        .exclude(visibility=Visibility.DIRECT)
    )
    if follow is not None and not follow.show_boosts:
        posts = posts.filter(boost_of__isnull=True)
    if follow is not None and follow.languages:
        posts = posts.filter(Q(language__in=follow.languages) | Q(language=""))
    ids = posts.order_by("-id").values_list("id", flat=True)[:limit]
    FeedEntry.objects.bulk_create(
        [FeedEntry(owner=reader, post_id=pk, author=author) for pk in ids],
        ignore_conflicts=True,
    )


def remove(reader_id: int, author_id: int) -> None:
    """After an unfollow: the author's posts leave the reader's feed, except those that
    mention the reader (which came because of the mention, not the follow) and the topics of
    groups the reader belongs to (which came with the group)."""
    if reader_id != author_id:
        FeedEntry.objects.filter(owner_id=reader_id, author_id=author_id).exclude(
            post__mentions__account_id=reader_id
        ).exclude(
            post__group__in=Membership.objects.filter(account_id=reader_id).values("group_id")
        ).delete()


GROUP_BACKFILL = 20  # topics of a group brought into the feed of someone who joins it


def backfill_group(reader: Account, group: Group, limit: int = GROUP_BACKFILL) -> None:
    """After joining: the group's latest topics the reader may read enter their feed (not
    for a group they muted)."""
    if Watch.objects.filter(account=reader, group=group, level=WatchLevel.MUTED).exists():
        return
    topics = Post.objects.visible_to(reader).filter(
        group=group, in_reply_to__isnull=True, boost_of__isnull=True, topic__isnull=False
    )
    rows = topics.order_by("-id").values_list("id", "author_id")[:limit]
    FeedEntry.objects.bulk_create(
        [FeedEntry(owner=reader, post_id=pk, author_id=author) for pk, author in rows],
        ignore_conflicts=True,
    )


def remove_group(reader_id: int, group_id: int) -> None:
    """After leaving (or being removed from) a group: its posts leave the reader's feed,
    except their own."""
    FeedEntry.objects.filter(owner_id=reader_id, post__group_id=group_id).exclude(
        author_id=reader_id
    ).delete()
