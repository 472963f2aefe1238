"""Channel names (what the broker carries) and the streams clients ask for (what the
Mastodon API names), with the scope each stream needs.

Channels use Mastodon's own names (``timeline:<account id>``, ``timeline:public:local`` …) so
that anyone who knows Mastodon's streaming server recognises them in Redis.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from wikisocial.api.scopes import covers
from wikisocial.core.markup import normalize_hashtag

PUBLIC = "timeline:public"
PUBLIC_LOCAL = "timeline:public:local"
PUBLIC_REMOTE = "timeline:public:remote"
MEDIA = ":media"

# Streams anyone with a valid token may read; they are filtered per viewer (blocks, mutes).
PUBLIC_STREAMS = frozenset(
    {
        "public",
        "public:media",
        "public:local",
        "public:local:media",
        "public:remote",
        "public:remote:media",
        "hashtag",
        "hashtag:local",
    }
)
PRIVATE_STREAMS = frozenset({"user", "user:notification", "list", "direct"})

# The HTTP (server-sent events) paths under /api/v1/streaming/ and their stream names.
PATHS = {
    "user": "user",
    "user/notification": "user:notification",
    "public": "public",
    "public/local": "public:local",
    "public/remote": "public:remote",
    "hashtag": "hashtag",
    "hashtag/local": "hashtag:local",
    "list": "list",
    "direct": "direct",
}

TRUE_VALUES = {"1", "t", "true", "on", "yes", "y"}


def user(account_id: int) -> str:
    """Home-timeline updates, deletes and edits for one account."""
    return f"timeline:{account_id}"


def notifications(account_id: int) -> str:
    return f"timeline:{account_id}:notifications"


def direct(account_id: int) -> str:
    return f"timeline:direct:{account_id}"


def hashtag(name: str, *, local: bool = False) -> str:
    return f"timeline:hashtag:{normalize_hashtag(name)}{':local' if local else ''}"


def list_channel(list_id: int | str) -> str:
    return f"timeline:list:{list_id}"


def public(*, local: bool | None = None, media: bool = False) -> str:
    """``local``: None for the whole federated stream, True/False for local/remote only."""
    base = PUBLIC if local is None else (PUBLIC_LOCAL if local else PUBLIC_REMOTE)
    return base + (MEDIA if media else "")


class StreamError(Exception):
    """A stream cannot be opened: Mastodon's status and message for it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Subscription:
    """One stream a client reads: its name as WebSocket messages give it (``["hashtag",
    "cats"]``), the channels that feed it, and whether public-stream filtering applies."""

    stream: tuple[str, ...]
    channels: tuple[str, ...]
    filtered: bool


def stream_for_path(path: str, only_media: bool) -> str | None:
    """The stream an HTTP path under /api/v1/streaming/ names (None when it names none)."""
    name = PATHS.get(path.strip("/"))
    if name in ("public", "public:local", "public:remote") and only_media:
        name += ":media"
    return name


def is_true(value: str | None) -> bool:
    return (value or "").strip().lower() in TRUE_VALUES


def check_scopes(name: str, granted: Iterable[str]) -> None:
    """Mastodon's rule: public streams need only a valid token; the others ``read`` or
    ``read:statuses``; the notification stream ``read`` or ``read:notifications``."""
    if name in PUBLIC_STREAMS:
        return
    required = "read:notifications" if name == "user:notification" else "read:statuses"
    if not covers(granted, required):
        raise StreamError(401, "Access token does not have the required scopes")


def subscription(
    name: str, params: dict[str, str], account_id: int, granted: Iterable[str]
) -> Subscription:
    """What stream ``name`` with ``params`` (tag, list, only_media) means for this viewer.
    List ownership is checked by the caller (it needs the database)."""
    granted = list(granted)
    if name not in PUBLIC_STREAMS and name not in PRIVATE_STREAMS:
        raise StreamError(400, "Unknown stream type")
    check_scopes(name, granted)
    if name == "user":
        channels = [user(account_id)]
        if covers(granted, "read:notifications"):
            channels.append(notifications(account_id))
        return Subscription(("user",), tuple(channels), filtered=False)
    if name == "user:notification":
        return Subscription((name,), (notifications(account_id),), filtered=False)
    if name == "direct":
        return Subscription((name,), (direct(account_id),), filtered=False)
    if name == "list":
        list_id = (params.get("list") or "").strip()
        if not list_id:
            raise StreamError(400, "Missing list name parameter")
        return Subscription((name, list_id), (list_channel(list_id),), filtered=False)
    if name.startswith("hashtag"):
        tag = (params.get("tag") or "").strip().lstrip("#")
        if not tag:
            raise StreamError(400, "Missing tag name parameter")
        channel = hashtag(tag, local=name == "hashtag:local")
        return Subscription((name, tag), (channel,), filtered=True)
    media = name.endswith(":media") or is_true(params.get("only_media"))
    local = {"public": None, "public:local": True, "public:remote": False}[
        name.removesuffix(":media")
    ]
    label = name.removesuffix(":media") + (":media" if media else "")
    return Subscription((label,), (public(local=local, media=media),), filtered=True)
