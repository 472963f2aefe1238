"""Posts published on other servers, entering ours.

The federation inbox turns a document into an :class:`Incoming` (already sanitised, its people
and parent resolved); these functions store it with the same counters, notifications and feed
fan-out as a local post, and apply its edits. Deleting, liking and boosting use the ordinary
actions in ``posts.actions``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from wikisocial.accounts.models import Account
from wikisocial.posts.actions import _notify_edit, _notify_new_post, _snapshot
from wikisocial.posts.models import (
    Hashtag,
    MediaAttachment,
    Mention,
    Poll,
    PollOption,
    Post,
    Visibility,
)

if TYPE_CHECKING:
    from wikisocial.communities.models import Group

logger = logging.getLogger(__name__)

MAX_TAGS = 30
MAX_MEDIA = 10


@dataclass
class RemoteMedia:
    url: str
    media_type: str = "image"  # image, video, audio or unknown
    description: str = ""
    blurhash: str = ""
    width: int | None = None
    height: int | None = None


@dataclass
class RemotePoll:
    options: list[tuple[str, int]]  # (title, votes)
    multiple: bool
    expires_at: datetime
    voters_count: int = 0


@dataclass
class Incoming:
    """A remote post as its server published it, checked and sanitised."""

    uri: str
    url: str
    html: str
    created_at: datetime
    spoiler_text: str = ""
    sensitive: bool = False
    visibility: str = Visibility.PUBLIC
    language: str = ""
    in_reply_to: Post | None = None
    mentioned: list[Account] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)
    media: list[RemoteMedia] = field(default_factory=list)
    poll: RemotePoll | None = None
    # A post in a group (communities.Group; a topic when it answers nothing, with a title).
    group: Group | None = None
    title: str = ""


def _tags(post: Post, names: list[str]) -> None:
    tags = []
    for name in dict.fromkeys(names[:MAX_TAGS]):
        tag, _created = Hashtag.objects.get_or_create(name=name, defaults={"display_name": name})
        tags.append(tag)
    post.hashtags.set(tags)


def _media(post: Post, items: list[RemoteMedia]) -> None:
    """The post's attachments, as links to the original; images are copied here by a task."""
    from wikisocial.posts.tasks import delete_unattached_media, fetch_remote_media

    # Earlier attachments (and the copies of their images) go, through the usual clean-up.
    old = list(MediaAttachment.objects.filter(post=post).values_list("pk", flat=True))
    MediaAttachment.objects.filter(pk__in=old).update(post=None)
    for pk in old:
        transaction.on_commit(lambda pk=pk: delete_unattached_media.enqueue(pk))
    rows = MediaAttachment.objects.bulk_create(
        MediaAttachment(
            account_id=post.author_id,
            post=post,
            remote_url=item.url,
            media_type=item.media_type,
            description=item.description,
            blurhash=item.blurhash,
            width=item.width,
            height=item.height,
            position=position,
        )
        for position, item in enumerate(items[:MAX_MEDIA])
    )
    for row in rows:
        if row.media_type == "image":
            transaction.on_commit(lambda pk=row.pk: fetch_remote_media.enqueue(pk))


def _poll(post: Post, poll: RemotePoll | None) -> None:
    existing = Poll.objects.filter(post=post).first()
    if poll is None:
        if existing is not None:
            existing.delete()
        return
    titles = [title for title, _votes in poll.options]
    if existing is not None and [o.title for o in existing.options.all()] == titles:
        # The same poll: its counts moved on.
        Poll.objects.filter(pk=existing.pk).update(
            expires_at=poll.expires_at, voters_count=poll.voters_count
        )
        for option in existing.options.all():
            PollOption.objects.filter(pk=option.pk).update(
                votes_count=poll.options[option.position][1]
            )
        return
    if existing is not None:
        existing.delete()
    row = Poll.objects.create(
        post=post,
        multiple=poll.multiple,
        expires_at=poll.expires_at,
        voters_count=poll.voters_count,
    )
    PollOption.objects.bulk_create(
        PollOption(poll=row, position=i, title=title[:200], votes_count=max(votes, 0))
        for i, (title, votes) in enumerate(poll.options)
    )


def receive_post(author: Account, incoming: Incoming) -> Post:
    """Store a remote post (once per uri): it reaches local followers' feeds, its thread, and
    notifies the local people it mentions or answers."""
    from wikisocial.timelines.tasks import fan_out_post

    if author.is_local:
        raise PermissionDenied
    existing = Post.objects.filter(uri=incoming.uri).first()
    if existing is not None:
        return existing
    parent = incoming.in_reply_to
    if incoming.group is not None:
        from wikisocial.communities.inbox import check_group_post

        check_group_post(author, incoming)  # the group's rules: ValidationError if not
    try:
        with transaction.atomic():
            post = Post.objects.create(
                author=author,
                local=False,
                uri=incoming.uri,
                url=incoming.url,
                content_html=incoming.html,
                spoiler_text=incoming.spoiler_text[:500],
                sensitive=incoming.sensitive or bool(incoming.spoiler_text),
                visibility=incoming.visibility,
                language=incoming.language[:16].lower(),
                in_reply_to=parent,
                in_reply_to_account_id=parent.author_id if parent else None,
                thread_root_id=(parent.thread_root_id or parent.pk) if parent else None,
                created_at=min(incoming.created_at, timezone.now()),
                group=incoming.group,
            )
            Mention.objects.bulk_create(
                Mention(post=post, account=a) for a in dict.fromkeys(incoming.mentioned)
            )
            _tags(post, incoming.hashtags)
            _media(post, incoming.media)
            _poll(post, incoming.poll)
            Account.objects.filter(pk=author.pk).update(
                posts_count=F("posts_count") + 1, last_post_at=post.created_at
            )
            if parent is not None and incoming.visibility != Visibility.DIRECT:
                Post.objects.filter(pk=parent.pk).update(replies_count=F("replies_count") + 1)
            _notify_new_post(post, list(dict.fromkeys(incoming.mentioned)))
            if incoming.group is not None:
                from wikisocial.communities.inbox import group_post_received

                group_post_received(post, incoming.title)
    except IntegrityError:  # the same post stored at the same moment by another worker
        return Post.objects.get(uri=incoming.uri)
    transaction.on_commit(lambda: fan_out_post.enqueue(post.pk))
    logger.info("remote post %s by %s (%s)", post.uri, author.handle, post.visibility)
    return post


def _mentions(post: Post, mentioned: list[Account]) -> None:
    """An edit may mention new people: they are told, as with a local edit."""
    from wikisocial.notifications.actions import notify
    from wikisocial.notifications.models import Kind

    wanted = {a.pk: a for a in mentioned}
    old = set(post.mentions.values_list("account_id", flat=True))
    post.mentions.exclude(account_id__in=wanted).delete()
    added = [a for pk, a in wanted.items() if pk not in old]
    Mention.objects.bulk_create(Mention(post=post, account=a) for a in added)
    for account in added:
        if Post.objects.visible_to(account).filter(pk=post.pk).exists():
            notify(account, Kind.MENTION, post.author, post)


def receive_edit(post: Post, author: Account, incoming: Incoming) -> Post:
    """Apply a remote author's edit: the earlier version stays in the history, and those who
    boosted or answered are told. A poll's new counts are not an edit of the text."""
    if post.author_id != author.pk or post.local or post.deleted_at is not None:
        raise PermissionDenied
    if post.group_id is not None:
        from wikisocial.communities.forum import check_group_edit

        check_group_edit(author, post)  # a group's ban holds for edits (ValidationError)
    changed = (
        post.content_html != incoming.html
        or post.spoiler_text != incoming.spoiler_text[:500]
        or post.sensitive != (incoming.sensitive or bool(incoming.spoiler_text))
    )
    with transaction.atomic():
        if changed and not post.edits.exists():
            _snapshot(post, post.created_at).save()
        post.content_html = incoming.html
        post.spoiler_text = incoming.spoiler_text[:500]
        post.sensitive = incoming.sensitive or bool(incoming.spoiler_text)
        if incoming.language:
            post.language = incoming.language[:16].lower()
        fields = ["content_html", "spoiler_text", "sensitive", "language"]
        if changed:
            post.edited_at = timezone.now()
            fields.append("edited_at")
        post.save(update_fields=fields)
        _tags(post, incoming.hashtags)
        _mentions(post, incoming.mentioned)
        known = list(MediaAttachment.objects.filter(post=post).values_list("remote_url", flat=True))
        if known != [m.url for m in incoming.media[:MAX_MEDIA]]:
            _media(post, incoming.media)
        _poll(post, incoming.poll)
        if changed:
            _snapshot(post, post.edited_at).save()
            _notify_edit(post)
    return post


def receive_vote(account: Account, post: Post, choice: str) -> bool:
    """A remote account's vote in a local poll (Mastodon sends one Note per chosen option).
    Returns whether it counted."""
    from wikisocial.posts.models import PollVote

    poll = Poll.objects.filter(post=post).first()
    if poll is None or not post.local or poll.expires_at <= timezone.now():
        return False
    if not Post.objects.visible_to(account).filter(pk=post.pk).exists():
        raise PermissionDenied
    if post.group_id is not None:
        from wikisocial.communities.forum import check_can_react

        check_can_react(account, post)  # not from someone the group banned
    option = poll.options.filter(title=choice).first()
    if option is None:
        return False
    with transaction.atomic():
        Poll.objects.select_for_update().get(pk=poll.pk)  # one vote at a time per poll
        earlier = PollVote.objects.filter(poll=poll, account=account)
        if earlier.filter(option=option).exists() or (earlier.exists() and not poll.multiple):
            return False
        first = not earlier.exists()
        PollVote.objects.create(poll=poll, option=option, account=account)
        PollOption.objects.filter(pk=option.pk).update(votes_count=F("votes_count") + 1)
        if first:
            Poll.objects.filter(pk=poll.pk).update(voters_count=F("voters_count") + 1)
    return True


def receive_featured(account: Account, post: Post, *, featured: bool) -> None:
    """A remote account pins (features) or unpins one of its posts. Their server sets the
    limits, not ours; the post must be the account's own and open to all."""
    from wikisocial.posts.models import Pin

    if account.is_local or post.author_id != account.pk or not post.can_be_pinned:
        raise PermissionDenied
    if featured:
        Pin.objects.get_or_create(account=account, post=post)
    else:
        Pin.objects.filter(account=account, post=post).delete()
