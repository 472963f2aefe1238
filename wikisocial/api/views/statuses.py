"""Statuses: posting, reading, editing and deleting them, and what people do with them
(favourite, boost, bookmark, pin, mute the conversation)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from wikisocial.accounts.models import Account
from wikisocial.api import serializers
from wikisocial.api.base import (
    OPTIONAL,
    ApiError,
    Param,
    Reply,
    cursor,
    endpoint,
    not_found,
    paged,
)
from wikisocial.api.params import Params
from wikisocial.core.pagination import as_id, paginate
from wikisocial.posts import actions
from wikisocial.posts.models import MediaAttachment, Post, PostEdit, Visibility
from wikisocial.social.queries import muted_ids
from wikisocial.timelines.queries import thread

TAG = "statuses"
# Mastodon's limits for someone not logged in reading a thread.
ANONYMOUS_ANCESTORS = 40
ANONYMOUS_DESCENDANTS = 60
ANONYMOUS_DEPTH = 20
# At most this many statuses by id in one request (a page's maximum).
MAX_IDS = 40
SCHEDULING_REFUSED = "scheduled posts are not supported"

ID = (Param("id", required=True, description="The status id"),)
POLL_PARAM = Param(
    "poll",
    "object",
    "A poll instead of images: options (the choices), expires_in (seconds), multiple (several "
    "choices allowed); hide_totals is accepted and ignored (totals are always shown)",
)
EDIT_PARAMS = (
    Param("status", description="The text (Markdown subset)"),
    Param("spoiler_text", description="A content warning shown before the text"),
    Param("sensitive", "boolean", "Hide the images behind a warning"),
    Param("language", description="ISO 639 language code"),
    Param("media_ids", "array", "Uploaded images to attach (at most 4)"),
    POLL_PARAM,
)


# --- finding ----------------------------------------------------------------------------------


def path_id(value: str) -> int:
    """An id from the path, or 404."""
    pk = as_id(value)
    if pk is None:
        raise not_found()
    return pk


def visible_post(request: HttpRequest, value: str) -> Post:
    """The status ``value`` names if the caller may see it; 404 otherwise (never 403: whether
    a hidden post exists is not told)."""
    found = (
        Post.objects.visible_to(request.account)
        .select_related("boost_of")
        .filter(pk=path_id(value))
        .first()
    )
    if found is None:
        raise not_found()
    return found


def own_post(request: HttpRequest, value: str) -> Post:
    found = Post.objects.alive().filter(pk=path_id(value), author=request.account).first()
    if found is None:
        raise not_found()
    return found


def one(pk: int, viewer: Account | None) -> dict[str, Any]:
    """A status as it stands in the database now (after an action changed its counts)."""
    return serializers.status(Post.objects.get(pk=pk), viewer)


def _original(post: Post) -> Post:
    return post.boost_of if post.boost_of_id else post


# --- reading a draft from the request -------------------------------------------------------


def _media_ids(params: Params) -> list[int]:
    """Attachment ids; one that is not an id stays, as -1, so the post is refused for it."""
    values = [v for v in params.list("media_ids") if v not in ("", None)]
    return [pk if (pk := as_id(v)) is not None else -1 for v in values]


def _poll(params: Params) -> actions.PollDraft | None:
    poll = params.sub("poll")
    if not poll.data:
        return None
    return actions.PollDraft(
        options=poll.strs("options"),
        multiple=poll.bool("multiple"),
        expires_in=poll.int("expires_in", actions.PollDraft.expires_in),
    )


def parse_focus(text: str) -> tuple[float, float] | None:
    """Mastodon's focal point, ``"x,y"`` with both between -1 and 1; None when unreadable."""
    x, comma, y = str(text).partition(",")
    try:
        return (float(x), float(y)) if comma else None
    except ValueError:
        return None


def _media_attributes(params: Params, draft: actions.Draft) -> None:
    """``media_attributes[]``: new alt texts and focal points for the images being kept."""
    for item in params.list("media_attributes"):
        if not isinstance(item, dict):
            continue
        attributes = Params(item)
        pk = as_id(attributes.str("id"))
        if pk is None or pk not in draft.media_ids:
            continue
        if "description" in attributes:
            draft.media_descriptions[pk] = attributes.str("description")
        focus = parse_focus(attributes.str("focus")) if "focus" in attributes else None
        if focus is not None:
            draft.media_focus[pk] = focus


def _reply_target(request: HttpRequest) -> Post | None:
    pk = request.params.id("in_reply_to_id")
    if pk is None:
        return None
    parent = Post.objects.visible_to(request.account).select_related("boost_of").filter(pk=pk)
    found = parent.first()
    if found is None:
        raise not_found()
    return _original(found)


def new_draft(request: HttpRequest) -> actions.Draft:
    """What ``POST /statuses`` asks for; what it leaves out comes from the author's posting
    defaults (visibility, sensitive, language), as on Mastodon."""
    params, account, token = request.params, request.account, request.token
    return actions.Draft(
        text=params.str("status"),
        spoiler_text=params.str("spoiler_text"),
        sensitive=params.bool("sensitive", getattr(account, "default_sensitive", False)),
        visibility=params.str("visibility")
        or getattr(account, "default_visibility", "")
        or Visibility.PUBLIC,
        language=params.str("language") or getattr(account, "default_language", ""),
        in_reply_to=_reply_target(request),
        media_ids=_media_ids(params),
        poll=_poll(params),
        application=token.application if token is not None else None,
    )


def _kept_poll(post: Post) -> actions.PollDraft | None:
    """The poll a post has, as a draft that leaves it as it is (same choices and kind)."""
    poll = getattr(post, "poll", None)
    if poll is None:
        return None
    shortest, longest = actions.LIMITS["poll_duration"]
    runs = int((poll.expires_at - post.created_at).total_seconds())
    return actions.PollDraft(
        options=[o.title for o in poll.options.all()],
        multiple=poll.multiple,
        expires_in=max(shortest, min(longest, runs)),
    )


def edit_draft(request: HttpRequest, post: Post) -> actions.Draft:
    """What ``PUT /statuses/:id`` asks for; what it leaves out stays as it is (Mastodon)."""
    params = request.params
    draft = actions.Draft(
        text=params.str("status") if "status" in params else post.content,
        spoiler_text=(
            params.str("spoiler_text") if "spoiler_text" in params else post.spoiler_text
        ),
        sensitive=params.bool("sensitive") if "sensitive" in params else post.sensitive,
        visibility=post.visibility,
        language=params.str("language"),
        media_ids=(
            _media_ids(params)
            if "media_ids" in params or "media_ids[]" in params
            else list(post.media.values_list("pk", flat=True))
        ),
        poll=_poll(params) if "poll" in params else _kept_poll(post),
    )
    _media_attributes(params, draft)
    return draft


# --- posting, reading, editing, deleting ---------------------------------------------------


@endpoint(
    "POST",
    "v1/statuses",
    scope="write:statuses",
    params=(
        *EDIT_PARAMS,
        Param("in_reply_to_id", description="The status this one answers"),
        Param(
            "visibility",
            description="Who may see it",
            enum=("public", "unlisted", "private", "direct", "local"),
        ),
        Param("scheduled_at", description="Refused: scheduled posts are not supported"),
    ),
    tag=TAG,
)
def create_status(request: HttpRequest) -> dict[str, Any]:
    """Publish a status. With an ``Idempotency-Key`` header, the same key sent again within
    an hour returns the first status instead of posting twice."""
    if request.params.str("scheduled_at"):
        raise ApiError(422, SCHEDULING_REFUSED)
    draft = new_draft(request)
    key = request.headers.get("Idempotency-Key", "").strip()
    if key:
        post = actions.create_post_once(request.account, draft, key)
    else:
        post = actions.create_post(request.account, draft)
    if post.deleted_at is not None:  # made with this key, deleted since (as Mastodon: 404)
        raise not_found()
    return one(post.pk, request.account)


@endpoint(
    "GET",
    "v1/statuses",
    auth=OPTIONAL,
    scope="read:statuses",
    params=(Param("id", "array", "Status ids (at most 40)", required=True),),
    tag=TAG,
)
def get_statuses(request: HttpRequest) -> list[dict[str, Any]]:
    """Several statuses by id, in the order asked; those missing or hidden are left out."""
    wanted = list(dict.fromkeys(request.params.ids("id")))[:MAX_IDS]
    found = {p.pk: p for p in Post.objects.visible_to(request.account).filter(pk__in=wanted)}
    return serializers.statuses([found[pk] for pk in wanted if pk in found], request.account)


@endpoint("GET", "v1/statuses/<id>", auth=OPTIONAL, scope="read:statuses", params=ID, tag=TAG)
def get_status(request: HttpRequest, id: str) -> dict[str, Any]:
    """One status, if the caller may see it."""
    return serializers.status(visible_post(request, id), request.account)


@endpoint(
    "PUT",
    "v1/statuses/<id>",
    scope="write:statuses",
    params=(
        *ID,
        *EDIT_PARAMS,
        Param(
            "media_attributes",
            "array",
            "New alt text (description) and focal point (focus, 'x,y') of kept images, by id",
            items="object",
        ),
    ),
    tag=TAG,
)
def edit_status(request: HttpRequest, id: str) -> dict[str, Any]:
    """Edit one's own status; every version stays in its history."""
    post = own_post(request, id)
    if post.is_boost:
        raise not_found()
    actions.edit_post(post, request.account, edit_draft(request, post))
    return one(post.pk, request.account)


@endpoint(
    "DELETE",
    "v1/statuses/<id>",
    scope="write:statuses",
    params=(
        *ID,
        Param(
            "delete_media",
            "boolean",
            "Accepted; images are always kept a day for a redraft, then removed",
        ),
    ),
    tag=TAG,
)
def delete_status(request: HttpRequest, id: str) -> dict[str, Any]:
    """Delete one's own status; the answer carries its source ``text`` for a redraft."""
    post = own_post(request, id)
    data = serializers.status(post, request.account)
    actions.delete_post(post, request.account)
    data.pop("content", None)
    data["text"] = post.content
    return data


@endpoint("GET", "v1/statuses/<id>/source", scope="read:statuses", params=ID, tag=TAG)
def status_source(request: HttpRequest, id: str) -> dict[str, Any]:
    """What the author wrote, to edit it."""
    post = _original(visible_post(request, id))
    return {"id": str(post.pk), "text": post.content, "spoiler_text": post.spoiler_text}


def _status_edit(
    version: PostEdit | Post, author: dict[str, Any], media: list[MediaAttachment]
) -> dict[str, Any]:
    """The StatusEdit entity. Versions keep alt texts, not which images they had: a version
    is shown with the post's images, described as they were then."""
    descriptions = (
        version.media_descriptions
        if isinstance(version, PostEdit)
        else [m.description for m in media]
    )
    shown = []
    for item, description in zip(media, descriptions, strict=False):
        entity = serializers.media_attachment(item)
        entity["description"] = description or None
        shown.append(entity)
    data: dict[str, Any] = {
        "content": version.content_html,
        "spoiler_text": version.spoiler_text,
        "sensitive": version.sensitive,
        "created_at": serializers.iso(version.created_at),
        "account": author,
        "media_attachments": shown,
        "emojis": [],
    }
    if isinstance(version, PostEdit):
        options = version.poll_options
    else:
        poll = getattr(version, "poll", None)
        options = [o.title for o in poll.options.all()] if poll is not None else None
    if options:
        data["poll"] = {"options": [{"title": title} for title in options]}
    return data


@endpoint(
    "GET", "v1/statuses/<id>/history", auth=OPTIONAL, scope="read:statuses", params=ID, tag=TAG
)
def status_history(request: HttpRequest, id: str) -> list[dict[str, Any]]:
    """Every version of a status, the first one first and the current one last."""
    post = _original(visible_post(request, id))
    author = serializers.account(post.author)
    media = list(post.media.all())
    versions = list(post.edits.all())
    if not versions:
        return [_status_edit(post, author, media)]
    return [_status_edit(v, author, media) for v in versions]


@endpoint(
    "GET", "v1/statuses/<id>/context", auth=OPTIONAL, scope="read:statuses", params=ID, tag=TAG
)
def status_context(request: HttpRequest, id: str) -> dict[str, list[dict[str, Any]]]:
    """The statuses a status answers (oldest first) and those answering it (depth first)."""
    post = _original(visible_post(request, id))
    viewer = request.account
    ancestors, descendants = thread(post, viewer)
    if viewer is None:
        ancestors = ancestors[-ANONYMOUS_ANCESTORS:]
        descendants = [d for d in descendants if d[1] <= ANONYMOUS_DEPTH][:ANONYMOUS_DESCENDANTS]
    below = [item for item, _depth in descendants]
    if viewer is not None:
        muted = set(muted_ids(viewer).values_list("target_id", flat=True))
        below = [p for p in below if p.author_id not in muted or p.author_id == viewer.pk]
    shown = serializers.statuses([*ancestors, *below], viewer, "thread")
    by_id = {s["id"]: s for s in shown}
    return {
        "ancestors": [by_id[str(p.pk)] for p in ancestors if str(p.pk) in by_id],
        "descendants": [by_id[str(p.pk)] for p in below if str(p.pk) in by_id],
    }


# --- who favourited and boosted ------------------------------------------------------------


def _account_viewer(request: HttpRequest):
    return request.account.user if request.account is not None else None


@endpoint(
    "GET",
    "v1/statuses/<id>/favourited_by",
    auth=OPTIONAL,
    scope="read:statuses",
    params=ID,
    tag=TAG,
    paginated=True,
)
def favourited_by(request: HttpRequest, id: str) -> Reply:
    """Who favourited a status (by favourite, the latest first; at most 80 a page)."""
    from wikisocial.posts.models import Like

    post = _original(visible_post(request, id))
    shown = Account.objects.visible_to(_account_viewer(request)).values("pk")
    likes = Like.objects.filter(post=post, account_id__in=shown).select_related("account")
    page = paginate(likes, cursor(request, default=40, maximum=80))
    data = serializers.accounts([like.account for like in page.items])
    return paged(request, data, page.next_max_id, page.prev_min_id)


@endpoint(
    "GET",
    "v1/statuses/<id>/reblogged_by",
    auth=OPTIONAL,
    scope="read:statuses",
    params=ID,
    tag=TAG,
    paginated=True,
)
def reblogged_by(request: HttpRequest, id: str) -> Reply:
    """Who boosted a status (by boost, the latest first; at most 80 a page)."""
    post = _original(visible_post(request, id))
    shown = Account.objects.visible_to(_account_viewer(request)).values("pk")
    boosts = (
        Post.objects.alive().filter(boost_of=post, author_id__in=shown).select_related("author")
    )
    page = paginate(boosts, cursor(request, default=40, maximum=80))
    data = serializers.accounts([boost.author for boost in page.items])
    return paged(request, data, page.next_max_id, page.prev_min_id)


# --- favourite, boost, bookmark, pin, mute ----------------------------------------------------


def _act(request: HttpRequest, id: str, action) -> dict[str, Any]:
    """Find the status the caller may see, do ``action(account, post)``, answer with it."""
    post = visible_post(request, id)
    try:
        action(request.account, post)
    except PermissionDenied:
        raise not_found() from None
    return one(post.pk, request.account)


def _on_original(action):
    return lambda account, post: action(account, _original(post))


@endpoint("POST", "v1/statuses/<id>/favourite", scope="write:favourites", params=ID, tag=TAG)
def favourite(request: HttpRequest, id: str) -> dict[str, Any]:
    """Favourite a status (again: no change)."""
    return _act(request, id, actions.like)


@endpoint("POST", "v1/statuses/<id>/unfavourite", scope="write:favourites", params=ID, tag=TAG)
def unfavourite(request: HttpRequest, id: str) -> dict[str, Any]:
    """Take a favourite back (none: no change)."""
    return _act(request, id, actions.unlike)


@endpoint(
    "POST",
    "v1/statuses/<id>/reblog",
    scope="write:statuses",
    params=(
        *ID,
        Param(
            "visibility", description="Who sees the boost", enum=("public", "unlisted", "private")
        ),
    ),
    tag=TAG,
)
def reblog(request: HttpRequest, id: str) -> dict[str, Any]:
    """Boost a status; the answer is the boost, with the status inside ``reblog``."""
    post = visible_post(request, id)
    visibility = request.params.str("visibility") or Visibility.PUBLIC
    try:
        boost = actions.boost(request.account, post, visibility)
    except PermissionDenied:
        raise not_found() from None
    return one(boost.pk, request.account)


@endpoint("POST", "v1/statuses/<id>/unreblog", scope="write:statuses", params=ID, tag=TAG)
def unreblog(request: HttpRequest, id: str) -> dict[str, Any]:
    """Take a boost back; the answer is the status that was boosted."""
    pk = path_id(id)
    own_boost = Post.objects.alive().filter(pk=pk, author=request.account, boost_of__isnull=False)
    original_id = own_boost.values_list("boost_of_id", flat=True).first() or pk
    post = visible_post(request, str(original_id))
    actions.unboost(request.account, post)
    return one(_original(post).pk, request.account)


@endpoint("POST", "v1/statuses/<id>/bookmark", scope="write:bookmarks", params=ID, tag=TAG)
def bookmark(request: HttpRequest, id: str) -> dict[str, Any]:
    """Bookmark a status (privately)."""
    return _act(request, id, _on_original(actions.bookmark))


@endpoint("POST", "v1/statuses/<id>/unbookmark", scope="write:bookmarks", params=ID, tag=TAG)
def unbookmark(request: HttpRequest, id: str) -> dict[str, Any]:
    """Remove a bookmark."""
    return _act(request, id, _on_original(actions.unbookmark))


# Mastodon's messages for a status that cannot be pinned.
PIN_REFUSALS = {
    "reblog": "Validation failed: A boost cannot be pinned",
    "ownership": "Validation failed: Someone else's post cannot be pinned",
    "direct": "Validation failed: Posts that are only visible to mentioned users cannot be pinned",
}


def _pin_refusal(post: Post, account: Account) -> str | None:
    if post.is_boost:
        return PIN_REFUSALS["reblog"]
    if post.author_id != account.pk:
        return PIN_REFUSALS["ownership"]
    if post.visibility == Visibility.DIRECT:
        return PIN_REFUSALS["direct"]
    return None


@endpoint("POST", "v1/statuses/<id>/pin", scope="write:accounts", params=ID, tag=TAG)
def pin(request: HttpRequest, id: str) -> dict[str, Any]:
    """Show one's own public or unlisted status at the top of one's profile (at most 5)."""
    post = visible_post(request, id)
    refusal = _pin_refusal(post, request.account)
    if refusal is not None:
        raise ApiError(422, refusal)
    actions.pin(request.account, post)
    return one(post.pk, request.account)


@endpoint("POST", "v1/statuses/<id>/unpin", scope="write:accounts", params=ID, tag=TAG)
def unpin(request: HttpRequest, id: str) -> dict[str, Any]:
    """Stop showing a status at the top of one's profile."""
    return _act(request, id, actions.unpin)


@endpoint("POST", "v1/statuses/<id>/mute", scope="write:mutes", params=ID, tag=TAG)
def mute(request: HttpRequest, id: str) -> dict[str, Any]:
    """No more notifications from the conversation this status belongs to."""
    return _act(request, id, actions.mute_conversation)


@endpoint("POST", "v1/statuses/<id>/unmute", scope="write:mutes", params=ID, tag=TAG)
def unmute(request: HttpRequest, id: str) -> dict[str, Any]:
    """Notifications from the conversation again."""
    return _act(request, id, actions.unmute_conversation)
