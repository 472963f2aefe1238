"""Remote objects coming in: reading an ActivityStreams document into a post.

Everything read from a document is checked here: ids must be http(s) URLs, a post must live on
its author's origin, HTML is sanitised, text is cleaned and capped. The result goes through the
same domain actions as local posts (``posts.remote``).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.urls import Resolver404, ResolverMatch, resolve
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import escape

from wikisocial.accounts.models import Account
from wikisocial.core.http import FetchError, fetch_activitypub
from wikisocial.core.markup import clean_text, excerpt, normalize_hashtag, sanitize_html
from wikisocial.federation.actors import ActorError, fetch_actor, host_of, instance_signer
from wikisocial.federation.jsonld import PUBLIC, type_of
from wikisocial.posts.models import Post, Visibility
from wikisocial.posts.remote import Incoming, RemoteMedia, RemotePoll, receive_edit, receive_post

if TYPE_CHECKING:
    from wikisocial.communities.models import Group

logger = logging.getLogger(__name__)

POST_TYPES = {"Note", "Question", "Article", "Page", "Event", "Video", "Audio", "Image"}
# Types whose `name` is a title worth showing above the text.
TITLED_TYPES = POST_TYPES - {"Note", "Question"}
PUBLIC_IDS = {PUBLIC, "as:Public", "Public"}
MAX_HTML = 100_000
MAX_REPLY_DEPTH = 3  # parents fetched above a post we receive
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,3}$")
MEDIA_KINDS = {"image": "image", "video": "video", "audio": "audio"}


class ObjectError(Exception):
    """A document that can't be taken as a post; the message says why (for the log)."""


# --- reading values --------------------------------------------------------------------------


def as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def url_of(value: Any) -> str | None:
    """An id or link: a string, an object with an id/href, or the first of a list."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("id") or value.get("href")
    if isinstance(value, str) and value.startswith(("https://", "http://")) and len(value) <= 500:
        return value
    return None


def ids_of(value: Any) -> list[str]:
    return [u for u in (url_of(item) for item in as_list(value)) if u]


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = parse_datetime(value[:64])
    except (ValueError, OverflowError):
        return None
    if moment is None:
        return None
    if not timezone.is_aware(moment):
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment if EARLIEST <= moment <= LATEST else None
    except OverflowError:  # an offset that pushes the moment out of range
        return None


MAX_INT = 2**31 - 1
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _int(value: Any) -> int:
    """A count or size: non-negative, at most what a database integer holds."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        return 0
    return min(value, MAX_INT)


# --- our own objects, named by URL -----------------------------------------------------------


def our_route(url: str) -> ResolverMatch | None:
    """Which of our pages ``url`` names, when it is on this server (any scheme: ids found in
    the wild may have either); None for other servers' URLs and paths we don't serve."""
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url)
        if parts.netloc.lower() != settings.DOMAIN.lower():
            return None
        return resolve(unquote(parts.path) or "/")
    except (Resolver404, ValueError):
        return None


def is_ours(url: str) -> bool:
    """Whether ``url`` is on this server (whatever it names)."""
    return host_of(url) == settings.DOMAIN.lower()


def local_post(url: str) -> Post | None:
    match = our_route(url)
    if match is None or match.view_name != "web:post":
        return None
    return (
        Post.objects.select_related("author")
        .filter(pk=match.kwargs["post_id"], local=True, deleted_at__isnull=True)
        .filter(author__username__iexact=match.kwargs["username"])
        .first()
    )


def local_account(url: str) -> Account | None:
    """One of our accounts by its id: a profile, or a group's page (a group's actor id)."""
    match = our_route(url)
    if match is None:
        return None
    if match.view_name == "web:profile":
        username = match.kwargs["username"]
    elif match.view_name == "communities:group" and "@" not in match.kwargs["handle"]:
        username = match.kwargs["handle"]
    else:
        return None
    return (
        Account.objects.local().filter(username__iexact=username, deleted_at__isnull=True).first()
    )


def known_post(uri: str) -> Post | None:
    """A post we hold, by its ActivityPub id (ours or another server's)."""
    return local_post(uri) or Post.objects.select_related("author").filter(uri=uri).first()


def known_account(uri: str) -> Account | None:
    return local_account(uri) or Account.objects.filter(uri=uri).first()


# --- from a document to an Incoming ----------------------------------------------------------


def addressed(value: Any) -> set[str]:
    """Recipients' ids; the public collection may be written in short forms."""
    short = {v for v in as_list(value) if isinstance(v, str) and v in PUBLIC_IDS}
    return set(ids_of(value)) | short


def _visibility(document: dict, author: Account) -> str:
    to = set(ids_of(document.get("to"))) | {
        v for v in as_list(document.get("to")) if v in PUBLIC_IDS
    }
    cc = set(ids_of(document.get("cc"))) | {
        v for v in as_list(document.get("cc")) if v in PUBLIC_IDS
    }
    if to & PUBLIC_IDS:
        return Visibility.PUBLIC
    if cc & PUBLIC_IDS:
        return Visibility.UNLISTED
    recipients = to | cc
    if author.followers_url and author.followers_url in recipients:
        return Visibility.FOLLOWERS
    if not author.followers_url and any(known_account(r) is None for r in recipients):
        return Visibility.FOLLOWERS  # addressed to a collection we don't know: not to all
    return Visibility.DIRECT


def _html(document: dict, kind: str, *, titled: bool = True) -> tuple[str, str]:
    """Sanitised HTML, and the language it is in when the document says. A titled document's
    name heads the text, unless it is a group's topic (``titled`` False: the title is the
    topic's)."""
    content = document.get("content")
    language = ""
    content_map = document.get("contentMap")
    if isinstance(content_map, dict):
        for code, text in content_map.items():
            if isinstance(code, str) and LANGUAGE.match(code) and isinstance(text, str):
                language = code.replace("_", "-")
                if not isinstance(content, str):
                    content = text
                if text == content:
                    break
    if not isinstance(content, str):
        content = ""
    html = sanitize_html(content[:MAX_HTML])
    name = document.get("name")
    if titled and kind in TITLED_TYPES and isinstance(name, str) and name.strip():
        title = escape(clean_text(name)[:300])
        link = url_of(document.get("url")) or url_of(document.get("id"))
        heading = f'<p><a href="{escape(link)}"><strong>{title}</strong></a></p>'
        html = sanitize_html(heading) + html
    return html, language


def _spoiler(document: dict) -> str:
    summary = document.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        return ""
    return clean_text(excerpt(sanitize_html(summary[:MAX_HTML]), 500))


def _media(document: dict) -> list[RemoteMedia]:
    items = []
    for item in as_list(document.get("attachment")):
        if type_of(item) not in {
            "Document",
            "Image",
            "Video",
            "Audio",
        }:
            continue
        url = url_of(item.get("url"))
        if url is None:
            continue
        media_type = item.get("mediaType") if isinstance(item.get("mediaType"), str) else ""
        kind = MEDIA_KINDS.get(media_type.split("/")[0]) or MEDIA_KINDS.get(
            type_of(item).lower(), "unknown"
        )
        name = item.get("name")
        blurhash = item.get("blurhash")
        items.append(
            RemoteMedia(
                url=url,
                media_type=kind,
                description=clean_text(name, multiline=True)[:1500]
                if isinstance(name, str)
                else "",
                blurhash=blurhash[:100] if isinstance(blurhash, str) else "",
                width=_int(item.get("width")) or None,
                height=_int(item.get("height")) or None,
            )
        )
    return items


def _poll(document: dict, created_at: datetime) -> RemotePoll | None:
    if type_of(document) != "Question":
        return None
    multiple = "anyOf" in document
    choices = as_list(document.get("anyOf") if multiple else document.get("oneOf"))
    options = []
    for choice in choices[:20]:
        if isinstance(choice, dict) and isinstance(choice.get("name"), str):
            replies = choice.get("replies") if isinstance(choice.get("replies"), dict) else {}
            options.append((clean_text(choice["name"])[:200], _int(replies.get("totalItems"))))
    if len(options) < 1:
        return None
    ends = _when(document.get("closed")) or _when(document.get("endTime"))
    if ends is None:
        # A poll without an end (Misskey allows them) stays open; ours need a date.
        ends = created_at + timedelta(days=3650)
    return RemotePoll(
        options=options,
        multiple=multiple,
        expires_at=ends,
        voters_count=_int(document.get("votersCount")),
    )


def _people_and_tags(document: dict, visibility: str) -> tuple[list[Account], list[str]]:
    mentioned: list[Account] = []
    hashtags: list[str] = []
    for tag in as_list(document.get("tag"))[:100]:
        if not isinstance(tag, dict):
            continue
        if tag.get("type") == "Mention":
            href = url_of(tag.get("href"))
            account = known_account(href) if href else None
            if account is not None and account.actor_type != "Group":
                mentioned.append(account)
        elif tag.get("type") == "Hashtag" and isinstance(tag.get("name"), str):
            name = normalize_hashtag(clean_text(tag["name"]).lstrip("#"))
            if name and len(name) <= 100 and any(c.isalnum() for c in name):
                hashtags.append(name)
    # Local people a post is addressed to can see it, whether or not it names them.
    for recipient in ids_of(document.get("to")) + ids_of(document.get("cc")):
        account = local_account(recipient)
        if account is not None and account.actor_type != "Group":  # a group is no reader
            mentioned.append(account)
    return list(dict.fromkeys(mentioned)), hashtags


def attributed_ids(document: dict) -> list[str]:
    """Who a document says wrote it (PeerTube lists the channel and the account)."""
    return ids_of(document.get("attributedTo"))


def _author(document: dict) -> Account:
    authors = attributed_ids(document)
    object_id = url_of(document.get("id"))
    for uri in authors:
        if object_id and host_of(uri) == host_of(object_id):
            account = known_account(uri) or fetch_actor(uri)
            if account.actor_type != "Group":
                return account
    raise ObjectError("no author on the object's own origin")


def _parent(document: dict, depth: int) -> Post | None:
    uri = url_of(document.get("inReplyTo"))
    if uri is None:
        return None
    parent = known_post(uri)
    if parent is None and depth < MAX_REPLY_DEPTH:
        try:
            parent = fetch_post(uri, depth=depth + 1)
        except ObjectError as exc:
            logger.info("the parent %s of a post could not be fetched: %s", uri, exc)
    return parent


def _title(document: dict, kind: str) -> str:
    name = document.get("name")
    if kind not in TITLED_TYPES or not isinstance(name, str):
        return ""
    return clean_text(name)[:200]


def _group(
    document: dict, parent: Post | None, hint: Group | None, visibility: str
) -> Group | None:
    """The group a post is in (``communities.inbox.group_of_document``): None for most."""
    from wikisocial.communities.inbox import group_of_document

    public = visibility in (Visibility.PUBLIC, Visibility.UNLISTED)
    return group_of_document(document, parent, hint, public=public)


def incoming(
    document: dict, author: Account, *, depth: int = 0, group: Group | None = None
) -> Incoming:
    """A document read into an Incoming post. ``group``: the group announcing it, if any (its
    group is otherwise found from its parent or its addressing)."""
    kind = type_of(document)
    object_id = url_of(document.get("id"))
    if kind not in POST_TYPES or object_id is None:
        raise ObjectError(f"not a post we can show: {kind!r}")
    visibility = _visibility(document, author)
    parent = _parent(document, depth)
    group = _group(document, parent, group, visibility)
    title = _title(document, kind) if group is not None else ""
    html, language = _html(document, kind, titled=group is None)
    mentioned, hashtags = _people_and_tags(document, visibility)
    created_at = _when(document.get("published")) or timezone.now()
    media = _media(document)
    poll = _poll(document, created_at)
    if not html and not media and poll is None and not title:
        raise ObjectError("the post has no content, media or poll")
    if group is not None:
        from wikisocial.communities.forum import visibility_in

        visibility = visibility_in(group)
    return Incoming(
        uri=object_id,
        url=url_of(document.get("url")) or object_id,
        html=html,
        created_at=created_at,
        spoiler_text=_spoiler(document),
        sensitive=document.get("sensitive") is True,
        visibility=visibility,
        language=language,
        in_reply_to=parent,
        mentioned=mentioned,
        hashtags=hashtags,
        media=media,
        poll=poll,
        group=group,
        title=title,
    )


# --- storing ---------------------------------------------------------------------------------


def post_from_document(document: dict, *, depth: int = 0, group: Group | None = None) -> Post:
    """Store (once) a remote post from a document that came from its origin: fetched from its
    id, or embedded in an activity signed by its author (or by the group announcing it, on
    the same origin: ``group``)."""
    object_id = url_of(document.get("id"))
    if object_id is None:
        raise ObjectError("the object has no id")
    if is_ours(object_id):
        raise ObjectError("the object claims to be ours")
    try:
        author = _author(document)
    except ActorError as exc:
        raise ObjectError(f"its author could not be fetched: {exc}") from None
    existing = Post.objects.filter(uri=object_id).first()
    if existing is not None:
        if existing.author_id != author.pk:
            raise ObjectError(f"{object_id} exists already with another author")
        return existing
    if author.deleted_at is not None:
        raise ObjectError("its author's account is deleted")
    return receive_post(author, incoming(document, author, depth=depth, group=group))


def update_from_document(document: dict, actor: Account) -> Post | None:
    """Apply an Update of a post by its author; None when we don't hold the post."""
    object_id = url_of(document.get("id"))
    if object_id is None:
        raise ObjectError("the object has no id")
    post = Post.objects.filter(uri=object_id, local=False).first()
    if post is None:
        return None
    if post.author_id != actor.pk or actor.uri not in attributed_ids(document):
        raise ObjectError("an update of someone else's post")
    return receive_edit(post, actor, incoming(document, actor))


def fetch_post(url: str, *, depth: int = 0, group: Group | None = None) -> Post:
    """The post at ``url``: one we hold, or fetched from its server (signed by the instance
    actor) and stored (in ``group``, when a group announced it)."""
    known = known_post(url)
    if known is not None:
        return known
    try:
        document = fetch_activitypub(url, signer=instance_signer)
    except FetchError as exc:
        raise ObjectError(f"could not fetch {url}: {exc.message}") from None
    return post_from_document(document, depth=depth, group=group)


__all__ = [
    "ObjectError",
    "as_list",
    "attributed_ids",
    "fetch_post",
    "ids_of",
    "is_ours",
    "known_account",
    "known_post",
    "local_account",
    "local_post",
    "our_route",
    "post_from_document",
    "update_from_document",
    "url_of",
]
