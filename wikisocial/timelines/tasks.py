from __future__ import annotations

import logging

from wikisocial.accounts.models import Account
from wikisocial.core.tasks import on_queue
from wikisocial.posts.models import Post
from wikisocial.streaming import events as streaming
from wikisocial.timelines import fanout

logger = logging.getLogger(__name__)


@on_queue("default")
def fan_out_post(post_id: int) -> None:
    post = Post.objects.alive().select_related("author").filter(pk=post_id).first()
    if post is None:
        return
    from wikisocial.posts.language import ensure_language

    ensure_language(post)
    streaming.post_published(post)  # public, hashtag and list streams; home ones in fan_out
    count = fanout.fan_out(post)
    logger.info("post %s fanned out to %d feed(s)", post_id, count)


@on_queue("default")
def backfill_feed(reader_id: int, author_id: int) -> None:
    reader = Account.objects.filter(pk=reader_id).first()
    author = Account.objects.filter(pk=author_id).first()
    if reader is not None and author is not None:
        fanout.backfill(reader, author)


@on_queue("default")
def remove_from_feed(reader_id: int, author_id: int) -> None:
    fanout.remove(reader_id, author_id)


@on_queue("default")
def backfill_group_feed(reader_id: int, group_id: int) -> None:
    from wikisocial.communities.models import Group

    reader = Account.objects.filter(pk=reader_id).first()
    group = Group.objects.filter(pk=group_id).first()
    if reader is not None and group is not None:
        fanout.backfill_group(reader, group)


@on_queue("default")
def remove_group_from_feed(reader_id: int, group_id: int) -> None:
    fanout.remove_group(reader_id, group_id)
