from __future__ import annotations

import logging

from django.db import transaction

from wikisocial.core.tasks import on_queue
from wikisocial.posts.models import MediaAttachment, Poll, Post

logger = logging.getLogger(__name__)


@on_queue("default")
def close_poll(poll_id: int) -> None:
    from wikisocial.posts.actions import close_poll as close

    poll = Poll.objects.select_related("post", "post__author").filter(pk=poll_id).first()
    if poll is not None:
        close(poll)


@on_queue("default")
def purge_post(post_id: int) -> None:
    """After a deletion: the post leaves every feed and notification, its boosts go with it,
    and its text is blanked (the row stays as a tombstone for threads and federation)."""
    from wikisocial.notifications.models import Notification
    from wikisocial.timelines.models import FeedEntry

    post = Post.objects.filter(pk=post_id, deleted_at__isnull=False).first()
    if post is None:
        return
    with transaction.atomic():
        boosts = Post.objects.filter(boost_of=post, deleted_at__isnull=True)
        boost_ids = list(boosts.values_list("pk", flat=True))
        boosts.update(deleted_at=post.deleted_at)
        FeedEntry.objects.filter(post_id__in=[post.pk, *boost_ids]).delete()
        Notification.objects.filter(post=post).delete()
        Post.objects.filter(pk=post.pk).update(content="", content_html="", spoiler_text="")
        Poll.objects.filter(post=post).delete()
    logger.info("post %s purged", post_id)


@on_queue("default")
def delete_unattached_media(media_id: int) -> None:
    from wikisocial.posts.actions import remove_media_files

    media = MediaAttachment.objects.filter(pk=media_id, post__isnull=True).first()
    if media is not None:
        remove_media_files(media)


@on_queue("inbound")
def fetch_remote_media(media_id: int) -> None:
    """Keep a copy of a remote post's image here, re-encoded without metadata, so readers'
    browsers never ask the other server (which would learn who reads what). Anything that
    fails leaves the link to the original."""
    from io import BytesIO

    from django.conf import settings

    from wikisocial.core.http import FetchError, safe_request
    from wikisocial.core.images import ImageError, process_attachment

    media = MediaAttachment.objects.filter(pk=media_id, media_type="image", file="").first()
    if media is None or not media.remote_url:
        return
    try:
        response = safe_request(
            "GET", media.remote_url, max_bytes=settings.IMAGE_LIMITS["max_bytes"], timeout=20
        )
        if response.status != 200:
            raise FetchError("http_status", f"answered {response.status}")
        processed = process_attachment(BytesIO(response.body))
    except (FetchError, ImageError) as exc:
        logger.info("remote image %s not kept: %s", media.remote_url, exc)
        return
    media.file.save(processed.image.name, processed.image, save=False)
    media.thumbnail.save(processed.thumbnail.name, processed.thumbnail, save=False)
    media.blurhash = media.blurhash or processed.blurhash
    media.width, media.height = processed.image.width, processed.image.height
    media.save(update_fields=["file", "thumbnail", "blurhash", "width", "height"])


@on_queue("default")
def process_media(media_id: int) -> None:
    """Re-encode an image uploaded through the client API's v2 media endpoint."""
    from wikisocial.posts.actions import process_pending_media

    media = MediaAttachment.objects.filter(pk=media_id).first()
    if media is not None:
        process_pending_media(media)


@on_queue("default")
def forget_idempotency_key(key_id: int) -> None:
    """An hour after a post was made with an Idempotency-Key, the key may make a new one."""
    from wikisocial.posts.models import IdempotencyKey

    IdempotencyKey.objects.filter(pk=key_id).delete()
