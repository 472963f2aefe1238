"""The Status entity and what it holds (MediaAttachment, Poll, mentions, tags), in two passes:
first everything the page needs is loaded for all its posts at once (:class:`Context`), then
each post is formatted without touching the database. A page of 40 statuses costs the same
number of queries as a page of one."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import prefetch_related_objects
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from wikisocial.accounts.models import Account
from wikisocial.api.serializers.accounts import absolute, account, iso
from wikisocial.api.serializers.filters import filter_result
from wikisocial.filters.matching import ActiveFilter, active_filters, matches
from wikisocial.posts.activitypub import object_id
from wikisocial.posts.models import MediaAttachment, Poll, PollVote, Post
from wikisocial.posts.queries import interactions

MEDIA_TYPES = ("image", "video", "gifv", "audio")

# Loaded for every post shown (the page's posts and the originals its boosts wrap) together,
# so the number of queries depends on what kinds of things a page holds, never on its length.
RELATED = ("author", "media", "poll__options", "mentions__account", "hashtags")


@dataclass
class Context:
    """Per-viewer facts about one page of posts."""

    viewer: Account | None
    liked: set[int] = field(default_factory=set)
    boosted: set[int] = field(default_factory=set)
    bookmarked: set[int] = field(default_factory=set)
    pinned: set[int] = field(default_factory=set)
    muted: set[int] = field(default_factory=set)
    own_votes: dict[int, list[int]] = field(default_factory=dict)
    # The viewer's filters for the timeline being read (none unless the caller names one).
    filters: list[ActiveFilter] = field(default_factory=list)


def _poll_of(post: Post) -> Poll | None:
    try:
        return post.poll
    except Poll.DoesNotExist:
        return None


def load(posts: list[Post], viewer: Account | None, filter_context: str | None = None) -> Context:
    """Load what formatting ``posts`` for ``viewer`` needs, in a fixed number of queries;
    with ``filter_context`` (home, public, thread, account, notifications), also the viewer's
    filters that apply there."""
    _prefetch(posts, viewer)
    context = Context(viewer)
    if viewer is None or not posts:
        return context
    facts = interactions(viewer, posts)
    context.liked = facts["liked"]
    context.boosted = facts["boosted"]
    context.bookmarked = facts["bookmarked"]
    context.pinned = facts["pinned"]
    context.muted = facts.get("muted", set())
    polls = [p.pk for p in (_poll_of(post.boost_of or post) for post in posts) if p is not None]
    votes: dict[int, list[int]] = defaultdict(list)
    for poll_id, position in PollVote.objects.filter(account=viewer, poll_id__in=polls).values_list(
        "poll_id", "option__position"
    ):
        votes[poll_id].append(position)
    context.own_votes = {k: sorted(v) for k, v in votes.items()}
    if filter_context is not None:
        context.filters = active_filters(viewer, filter_context)
    return context


def _prefetch(posts: list[Post], viewer: Account | None) -> None:
    prefetch_related_objects(posts, "boost_of")
    # By object, not by id: a post on the page and the same post inside a boost are two
    # objects, and each needs its related rows.
    every = [*posts, *(p.boost_of for p in posts if p.boost_of)]
    shown = list({id(p): p for p in every}.values())
    prefetch_related_objects(shown, *RELATED)
    # Forum posts show their topic's title and link to the topic page: loaded only when the
    # page holds any (a page without group posts costs no query more).
    in_groups = [p for p in shown if p.group_id is not None]
    if in_groups:
        prefetch_related_objects(in_groups, "topic", "group__account")
    # The app a post was sent with is shown to its author only (see _application).
    own = [p for p in shown if viewer is not None and p.author_id == viewer.pk]
    prefetch_related_objects([p for p in own if p.application_id], "application__api_profile")


def _application(post: Post, viewer: Account | None) -> dict[str, Any] | None:
    """The client app that published ``post``, for its author (other people see null, as
    on a Mastodon server whose users keep their app private)."""
    if viewer is None or post.author_id != viewer.pk or post.application_id is None:
        return None
    profile = getattr(post.application, "api_profile", None)
    return {"name": post.application.name, "website": (profile and profile.website) or None}


def _pinnable(post: Post, viewer: Account | None) -> bool:
    """Mastodon gives ``pinned`` only on the viewer's own posts that could be pinned."""
    return (
        viewer is not None
        and post.author_id == viewer.pk
        and not post.is_boost
        and post.can_be_pinned
    )


def _fit(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The size of the thumbnail made from an image of ``size`` (scaled down into ``box``)."""
    scale = min(1.0, box[0] / size[0], box[1] / size[1])
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def media_attachment(item: MediaAttachment) -> dict[str, Any]:
    """The MediaAttachment entity; ``url`` is None while the file is still being processed."""
    url = absolute(item.file.url) if item.file else None
    preview = absolute(item.thumbnail.url) if item.thumbnail else url
    if url is None and item.remote_url:
        # A remote file not copied yet: Mastodon then gives the original's address.
        url = preview = item.remote_url
    meta: dict[str, Any] = {"focus": {"x": item.focus_x, "y": item.focus_y}}
    if item.width and item.height:
        meta["original"] = {
            "width": item.width,
            "height": item.height,
            "size": f"{item.width}x{item.height}",
            "aspect": item.width / item.height,
        }
        small = _fit((item.width, item.height), settings.IMAGE_LIMITS["attachment_thumbnail"])
        meta["small"] = {
            "width": small[0],
            "height": small[1],
            "size": f"{small[0]}x{small[1]}",
            "aspect": small[0] / small[1],
        }
    return {
        "id": str(item.pk),
        "type": item.media_type if item.media_type in MEDIA_TYPES else "unknown",
        "url": url,
        "preview_url": preview,
        "remote_url": item.remote_url or None,
        "preview_remote_url": None,
        "text_url": None,
        "meta": meta,
        "description": item.description or None,
        "blurhash": item.blurhash or None,
    }


def poll(obj: Poll, context: Context, author_id: int | None = None) -> dict[str, Any]:
    """The Poll entity (``author_id``: the post's author, when the caller has it at hand)."""
    options = sorted(obj.options.all(), key=lambda o: o.position)
    data: dict[str, Any] = {
        "id": str(obj.pk),
        "expires_at": iso(obj.expires_at),
        "expired": obj.expires_at <= timezone.now(),
        "multiple": obj.multiple,
        "votes_count": sum(o.votes_count for o in options),
        "voters_count": obj.voters_count,
        "options": [{"title": o.title, "votes_count": o.votes_count} for o in options],
        "emojis": [],
    }
    if context.viewer is not None:
        own = context.own_votes.get(obj.pk, [])
        author = author_id if author_id is not None else obj.post.author_id
        data["voted"] = bool(own) or author == context.viewer.pk
        data["own_votes"] = own
    return data


def _mention(acc: Account) -> dict[str, Any]:
    return {
        "id": str(acc.pk),
        "username": acc.username,
        "url": absolute(acc.get_absolute_url()) if acc.is_local else (acc.remote_url or acc.uri),
        "acct": acc.username if acc.is_local else f"{acc.username}@{acc.domain}",
    }


def _tag(tag: Any) -> dict[str, str]:
    return {
        "name": tag.display_name or tag.name,
        "url": absolute(reverse("web:hashtag", kwargs={"name": tag.name})),
    }


def _topic(post: Post) -> Any:
    """The forum topic ``post`` starts, if it is a group post that starts one."""
    if post.group_id is None:
        return None
    try:
        return post.topic
    except ObjectDoesNotExist:
        return None


def _content(post: Post, topic: Any) -> str:
    """The post's HTML; a topic's starts with its title, so Mastodon apps (which have no
    title field) show it."""
    if topic is None:
        return post.content_html
    return format_html("<p><strong>{}</strong></p>", topic.title) + post.content_html


def _web_url(post: Post, topic: Any) -> str:
    """Where the post is read on the web: a topic of one of our groups on its topic page,
    other posts of ours on their own page, remote ones where their server shows them."""
    if topic is not None and post.group.account.is_local:
        handle = post.group.account.url_handle
        return absolute(
            reverse("communities:topic", kwargs={"handle": handle, "topic_id": post.pk})
        )
    return absolute(post.get_absolute_url()) if post.local else (post.url or post.uri)


def _status(post: Post, context: Context) -> dict[str, Any]:
    original = post.boost_of or post
    topic = _topic(post)
    found_poll = _poll_of(post)
    data: dict[str, Any] = {
        "id": str(post.pk),
        "created_at": iso(post.created_at),
        "in_reply_to_id": str(post.in_reply_to_id) if post.in_reply_to_id else None,
        "in_reply_to_account_id": (
            str(post.in_reply_to_account_id) if post.in_reply_to_account_id else None
        ),
        "sensitive": post.sensitive,
        "spoiler_text": post.spoiler_text,
        "visibility": post.visibility,
        "language": post.language or None,
        "uri": object_id(post),
        "url": _web_url(post, topic),
        "replies_count": post.replies_count,
        "reblogs_count": post.boosts_count,
        "favourites_count": post.likes_count,
        "quotes_count": 0,
        "edited_at": iso(post.edited_at),
        "content": _content(post, topic),
        "filtered": [filter_result(m) for m in matches(post, context.filters)],
        "reblog": None,
        "application": _application(post, context.viewer),
        "account": account(post.author),
        "media_attachments": [media_attachment(m) for m in post.media.all()],
        "mentions": [_mention(m.account) for m in post.mentions.all()],
        "tags": [_tag(t) for t in post.hashtags.all()],
        "emojis": [],
        "tagged_collections": [],
        "quote": None,
        "card": None,
        "poll": poll(found_poll, context, post.author_id) if found_poll is not None else None,
        "quote_approval": {"automatic": [], "manual": [], "current_user": "denied"},
    }
    if context.viewer is not None:
        data["favourited"] = original.pk in context.liked
        data["reblogged"] = original.pk in context.boosted
        data["muted"] = (original.thread_root_id or original.pk) in context.muted
        data["bookmarked"] = original.pk in context.bookmarked
        if _pinnable(post, context.viewer):
            data["pinned"] = original.pk in context.pinned
    return data


def status_with(post: Post, context: Context) -> dict[str, Any]:
    """One Status from an already loaded context; a boost wraps its original."""
    data = _status(post, context)
    if post.boost_of is not None:
        data["reblog"] = _status(post.boost_of, context)
        for key in ("favourited", "reblogged", "muted", "bookmarked"):
            if key in data["reblog"]:
                data[key] = data["reblog"][key]
    return data


def _hidden(data: dict[str, Any]) -> bool:
    return any(r["filter"]["filter_action"] == "hide" for r in data["filtered"])


def statuses(
    posts: list[Post], viewer: Account | None, context: str | None = None
) -> list[dict[str, Any]]:
    """Statuses for a page of posts, in the order given. With ``context`` (the timeline being
    read: home, public, thread, account, notifications), ``filtered`` lists the viewer's
    filters for it that each status matches, and statuses a "hide" filter matches are left
    out."""
    loaded = load(posts, viewer, context)
    data = [status_with(post, loaded) for post in posts]
    return data if context is None else [d for d in data if not _hidden(d)]


def status(post: Post, viewer: Account | None) -> dict[str, Any]:
    return statuses([post], viewer)[0]
