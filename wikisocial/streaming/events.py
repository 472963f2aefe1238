"""What the domain publishes to the streaming API, and to whom. Called after the commit, from
the fan-out task (new posts), the post actions (deletes, edits) and notifications.

Who may receive what is decided by the timelines' own reading rules: a user stream gets a post
when ``timelines.queries.home`` would show it to that reader (visibility, mutes, hidden
domains, exclusive lists), a list stream when ``list_timeline`` would, and public streams
get what the public timelines hold. Only channels someone is connected to are considered, so
serialising (once per connected reader, for the per-viewer fields) costs nothing when nobody
streams. Public streams are serialised once, without a viewer; the streaming server screens
them per viewer (blocks, mutes, hidden domains, filters: see filtering.py), as Mastodon's
does.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import orjson
from django.db.models import Q

from wikisocial.accounts.models import Account, public_account_q
from wikisocial.communities.models import readable_group_q
from wikisocial.core.pagination import Cursor
from wikisocial.posts.models import Post, Visibility
from wikisocial.streaming import brokers, channels
from wikisocial.streaming.brokers import Message

logger = logging.getLogger(__name__)

USER_CHANNEL = re.compile(r"^timeline:(\d+)$")
LIST_CHANNEL = re.compile(r"^timeline:list:(\d+)$")
PUBLIC_VISIBILITIES = (Visibility.PUBLIC, Visibility.LOCAL)
PUBLIC_PREFIXES = ("timeline:public", "timeline:hashtag:")


def _only(post_id: int) -> Cursor:
    """A page holding at most the post ``post_id``: asks a timeline whether it shows it."""
    return Cursor(max_id=post_id + 1, since_id=post_id - 1, limit=1)


def render(post: Post, viewer: Account | None, filter_context: str | None = None) -> str | None:
    """The Status entity as a JSON string (Mastodon sends it as a string in ``payload``), or
    None when one of the viewer's "hide" filters for ``filter_context`` matches it. ``post``
    is shared between viewers: its relations are loaded once, on the first call."""
    from wikisocial.api.serializers.statuses import statuses

    found = statuses([post], viewer, filter_context)
    return orjson.dumps(found[0]).decode() if found else None


def in_home(viewer: Account, post: Post) -> bool:
    from wikisocial.timelines.queries import home

    return any(p.pk == post.pk for p in home(viewer, _only(post.pk)).posts)


def public_channels(post: Post) -> list[str]:
    """The public and hashtag channels that show ``post`` (none for boosts, and none for
    posts only some may see: a post in a group anyone may not read included, whatever its
    stored visibility says)."""
    if post.is_boost or post.visibility not in PUBLIC_VISIBILITIES:
        return []
    in_open_group = Q(group__isnull=True) | readable_group_q(None, "group__")
    shown = Post.objects.alive().filter(pk=post.pk).filter(public_account_q("author__"))
    shown = shown.filter(in_open_group)
    if not shown.exists():
        return []
    names = [
        channels.hashtag(name, local=local)
        for name in post.hashtags.values_list("name", flat=True)
        for local in ((False, True) if post.local else (False,))
    ]
    if shown.public_timeline(list(PUBLIC_VISIBILITIES)).exists():
        media = post.media.exists()
        for local in (None, post.local):
            names.append(channels.public(local=local))
            if media:
                names.append(channels.public(local=local, media=True))
    return names


def _users(live: set[str]) -> dict[int, str]:
    """The user channels among ``live``, by account id."""
    return {int(match[1]): name for name in live if (match := USER_CHANNEL.match(name))}


def home_updates(post: Post, owner_ids: Iterable[int]) -> None:
    """``post`` has entered the home feeds of ``owner_ids``: an ``update`` for each of them
    who is streaming and whose home timeline shows it, serialised for them."""
    try:
        live = _live_channels()
        if not live:
            return
        users = _users(live)
        owner_ids = [pk for pk in owner_ids if pk in users or channels.direct(pk) in live]
        messages: list[Message] = []
        for viewer in Account.objects.filter(pk__in=[pk for pk in owner_ids if pk in users]):
            payload = render(post, viewer, "home") if in_home(viewer, post) else None
            if payload is not None:
                messages.append((users[viewer.pk], "update", payload))
        if post.visibility == Visibility.DIRECT:
            messages += _conversations(post, owner_ids, live)
        brokers.send(messages, checked=True)
    except Exception:
        logger.exception("streaming: cannot publish post %s to home streams", post.pk)


def _conversations(post: Post, owner_ids: list[int], live: set[str]) -> list[Message]:
    """``conversation`` (the Conversation entity) on the direct streams of the people in a
    direct post's conversation who are connected."""
    from wikisocial.api.views.conversations import conversation_entities
    from wikisocial.timelines.queries import conversation

    readers = [pk for pk in owner_ids if channels.direct(pk) in live]
    messages: list[Message] = []
    for viewer in Account.objects.filter(pk__in=readers):
        newest = conversation(viewer, post.thread_root_id or post.pk)
        if newest is not None:
            entity = conversation_entities([newest], viewer)[0]
            messages.append((channels.direct(viewer.pk), "conversation", _json(entity)))
    return messages


def _json(data: object) -> str:
    return orjson.dumps(data).decode()


def list_updates(post: Post, live: set[str], event: str = "update") -> list[Message]:
    """``event`` for the streams of lists that hold the author and would show ``post``
    (serialised for each list's owner)."""
    from wikisocial.timelines.models import List
    from wikisocial.timelines.queries import list_timeline

    if not any(LIST_CHANNEL.match(name) for name in live):
        return []
    wanted = [name for name in _list_channels(post) if name in live]
    messages: list[Message] = []
    ids = [int(match[1]) for name in wanted if (match := LIST_CHANNEL.match(name))]
    for members_of in List.objects.filter(pk__in=ids):
        if not list_timeline(members_of, _only(post.pk)).posts:
            continue
        payload = render(post, members_of.account, "home")
        if payload is not None:
            messages.append((channels.list_channel(members_of.pk), event, payload))
    return messages


def public_updates(post: Post, event: str, live: set[str]) -> list[Message]:
    """``event`` on the public and hashtag streams, serialised once without a viewer."""
    if not any(name.startswith(PUBLIC_PREFIXES) for name in live):
        return []
    wanted = sorted(name for name in public_channels(post) if name in live)
    if not wanted:
        return []
    payload = render(post, None)
    return [(name, event, payload) for name in wanted]


def post_published(post: Post) -> None:
    """A new post (or boost) is committed: the streams other than home feeds (those are
    written by the fan-out, batch by batch, see :func:`home_updates`)."""
    try:
        live = _live_channels()
        if live:
            messages = public_updates(post, "update", live) + list_updates(post, live)
            brokers.send(messages, checked=True)
    except Exception:
        logger.exception("streaming: cannot publish post %s", post.pk)


def _feed_listeners(post_ids: list[int], live: set[str]) -> list[tuple[str, int]]:
    """(user channel, post id) for connected readers whose home feed holds one of the posts."""
    from wikisocial.timelines.models import FeedEntry

    users = _users(live)
    if not users:
        return []
    rows = FeedEntry.objects.filter(post_id__in=post_ids, owner_id__in=list(users))
    return [(users[owner], pk) for owner, pk in rows.values_list("owner_id", "post_id")]


def _live_channels() -> set[str]:
    """Every channel someone is connected to (one query, or one Redis command: what all
    the publishing starts with, so that it costs nothing more when nobody streams)."""
    try:
        return brokers.get_broker().listening()
    except Exception:
        logger.exception("streaming: cannot ask the broker who is listening")
        return set()


def post_deleted(post: Post) -> None:
    """``delete`` (the id) to everyone streaming who may have it: the public and hashtag
    streams that showed it, lists, and home feeds holding it or a boost of it."""
    try:
        live = _live_channels()
        if not live:
            return
        boosts = list(
            Post.objects.filter(boost_of=post, deleted_at__isnull=True).values_list("pk", flat=True)
        )
        messages: list[Message] = [
            (name, "delete", str(pk)) for name, pk in _feed_listeners([post.pk, *boosts], live)
        ]
        names = _deleted_public_channels(post) + _list_channels(post)
        messages += [(name, "delete", str(post.pk)) for name in names if name in live]
        brokers.send(messages, checked=True)
    except Exception:
        logger.exception("streaming: cannot publish the deletion of post %s", post.pk)


def _deleted_public_channels(post: Post) -> list[str]:
    if post.is_boost or post.visibility not in PUBLIC_VISIBILITIES:
        return []
    names = [channels.public(local=local, media=m) for local in (None, post.local) for m in (0, 1)]
    tags = post.hashtags.values_list("name", flat=True)
    return names + [channels.hashtag(t, local=lo) for t in tags for lo in (False, True)]


def _list_channels(post: Post) -> list[str]:
    from wikisocial.timelines.models import List

    if post.visibility == Visibility.DIRECT:
        return []
    lists = List.objects.filter(members__account_id=post.author_id).values_list("pk", flat=True)
    return [channels.list_channel(pk) for pk in lists]


def post_edited_soon(post: Post) -> None:
    """After an edit's commit: if anyone streaming could have the post, a task sends them
    ``status.update`` (serialising in the worker, not in the request)."""
    from wikisocial.streaming.tasks import stream_edit

    try:
        live = _live_channels()
        if not live:
            return
        wanted = public_channels(post) + _list_channels(post)
        if any(name in live for name in wanted) or _feed_listeners([post.pk], live):
            stream_edit.enqueue(post.pk)
    except Exception:
        logger.exception("streaming: cannot publish the edit of post %s", post.pk)


def post_edited(post_id: int) -> None:
    """``status.update`` with the new version, per reader on user and list streams, once on
    public ones."""
    post = Post.objects.alive().select_related("author").filter(pk=post_id).first()
    live = _live_channels()
    if post is None or not live:
        return
    messages: list[Message] = []
    readers = {int(USER_CHANNEL.match(name)[1]) for name, _pk in _feed_listeners([post_id], live)}
    for viewer in Account.objects.filter(pk__in=readers):
        payload = render(post, viewer, "home") if in_home(viewer, post) else None
        if payload is not None:
            messages.append((channels.user(viewer.pk), "status.update", payload))
    messages += list_updates(post, live, "status.update")
    messages += public_updates(post, "status.update", live)
    brokers.send(messages, checked=True)


def notification_created(notification) -> None:
    """``notification`` to the recipient's user and notification streams (not for
    notifications the recipient's policy keeps aside)."""
    from wikisocial.api.views.notifications import notification_entities

    if notification.filtered:
        return
    try:
        recipient = notification.recipient
        live = brokers.live([channels.notifications(recipient.pk)])
        found = notification_entities([notification], recipient) if live else []
        if found:
            messages = [(name, "notification", _json(found[0])) for name in live]
            brokers.send(messages, checked=True)
    except Exception:
        logger.exception("streaming: cannot publish notification %s", notification.pk)
