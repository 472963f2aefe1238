"""OAuth scopes as Mastodon defines them: four top-level scopes and their granular forms.

A token granted ``read`` may do everything a ``read:statuses`` token may; ``follow`` is the
old name for the relationship parts of read and write, and Mastodon still accepts it for them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

TOP = {
    "read": _("read all your account's data"),
    "write": _("modify all your account's data"),
    "follow": _("modify account relationships"),
    "push": _("receive your push notifications"),
    "profile": _("read only your account's basic information"),
}

GRANULAR = {
    "read:accounts": _("see accounts' information"),
    "read:blocks": _("see your blocks"),
    "read:bookmarks": _("see your bookmarks"),
    "read:favourites": _("see your favourites"),
    "read:filters": _("see your filters"),
    "read:follows": _("see your follows"),
    "read:lists": _("see your lists"),
    "read:mutes": _("see your mutes"),
    "read:notifications": _("see your notifications"),
    "read:search": _("search on your behalf"),
    "read:statuses": _("see all posts"),
    "write:accounts": _("modify your profile"),
    "write:blocks": _("block accounts and domains"),
    "write:bookmarks": _("bookmark posts"),
    "write:conversations": _("mute and delete conversations"),
    "write:favourites": _("favourite posts"),
    "write:filters": _("create filters"),
    "write:follows": _("follow people"),
    "write:lists": _("create lists"),
    "write:media": _("upload media files"),
    "write:mutes": _("mute people and conversations"),
    "write:notifications": _("clear your notifications"),
    "write:reports": _("report other people"),
    "write:statuses": _("publish posts"),
}

ALL = {**TOP, **GRANULAR}

# The granular scopes the legacy ``follow`` scope stands for.
FOLLOW_COVERS = frozenset(
    {
        "read:blocks",
        "read:follows",
        "read:mutes",
        "write:blocks",
        "write:follows",
        "write:mutes",
    }
)


def covers(granted: Iterable[str], required: str) -> bool:
    """Whether a token with ``granted`` scopes may act under ``required``."""
    have = set(granted)
    if required in have:
        return True
    parent = required.split(":", 1)[0]
    if ":" in required and parent in have:
        return True
    if required in FOLLOW_COVERS and "follow" in have:
        return True
    # ``profile`` is the narrow form of read:accounts for verify_credentials only; a token with
    # read or read:accounts may also use the endpoints that ask for ``profile``.
    return required == "profile" and bool(have & {"read", "read:accounts"})


def parse(text: str) -> list[str] | None:
    """The scopes in a space- or plus-separated string, or None if one is unknown."""
    names = [s for s in text.replace("+", " ").split() if s]
    if any(name not in ALL for name in names):
        return None
    return list(dict.fromkeys(names))
