"""Mastodon API entities, built from our models."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.templatetags.static import static

from wikisocial.accounts.models import Account, ActorType
from wikisocial.core.markup import render_plain


def absolute(url: str) -> str:
    """``url`` with this instance's scheme and domain when it is a path."""
    return url if url.startswith(("http://", "https://")) else settings.SITE_URL + url


def media_url(field: FieldFile, default: str) -> str:
    """The absolute URL of an uploaded file, or of the static ``default`` when there is none."""
    return absolute(field.url if field else static(default))


def account(obj: Account) -> dict[str, Any]:
    """The Mastodon Account entity."""
    url = absolute(obj.get_absolute_url())
    avatar = media_url(obj.avatar, "web/avatar-default.png")
    header = media_url(obj.header, "web/header-default.png")
    return {
        "id": str(obj.pk),
        "username": obj.username,
        "acct": obj.username if obj.is_local else f"{obj.username}@{obj.domain}",
        "display_name": obj.display_name,
        "locked": obj.locked,
        "bot": obj.actor_type == ActorType.SERVICE,
        "group": obj.actor_type == ActorType.GROUP,
        "discoverable": True,
        "indexable": True,
        "created_at": obj.created_at.replace(hour=0, minute=0, second=0, microsecond=0)
        .isoformat()
        .replace("+00:00", ".000Z"),
        "note": obj.bio_html,
        # Remote accounts: their own profile page and ActivityPub id, as Mastodon gives them.
        "url": url if obj.is_local else (obj.remote_url or obj.uri),
        "uri": url if obj.is_local else obj.uri,
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "followers_count": obj.followers_count,
        "following_count": obj.following_count,
        "statuses_count": obj.posts_count,
        # Mastodon gives the day only.
        "last_status_at": obj.last_post_at.date().isoformat() if obj.last_post_at else None,
        "hide_collections": obj.hide_network,
        "noindex": False,
        "emojis": [],
        "roles": [],
        "fields": [
            {"name": f["name"], "value": render_plain(f["value"]), "verified_at": None}
            for f in obj.fields
        ],
    }


def credential_account(obj: Account) -> dict[str, Any]:
    """The Account entity with ``source`` and ``role``, for the account's own token."""
    data = account(obj)
    data["source"] = {
        "privacy": "public",
        "sensitive": False,
        "language": (obj.user.locale if obj.user else "") or None,
        "note": obj.bio,
        "fields": [{**f, "verified_at": None} for f in obj.fields],
        "follow_requests_count": obj.follow_requests.count(),
        "hide_collections": obj.hide_network,
        "discoverable": True,
        "indexable": True,
    }
    data["role"] = {
        "id": "-99",
        "name": "",
        "permissions": "0",
        "color": "",
        "highlighted": False,
    }
    return data
