"""The Account and CredentialAccount entities."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import prefetch_related_objects
from django.db.models.fields.files import FieldFile
from django.templatetags.static import static
from django.urls import reverse

from wikisocial.accounts.models import Account, ActorType
from wikisocial.communities.models import GroupKind
from wikisocial.core.markup import render_plain


def absolute(url: str) -> str:
    """``url`` with this instance's scheme and domain when it is a path."""
    return url if url.startswith(("http://", "https://")) else settings.SITE_URL + url


def media_url(field: FieldFile, default: str) -> str:
    """The absolute URL of an uploaded file, or of the static ``default`` when there is none."""
    return absolute(field.url if field else _static(default, settings.STATIC_URL))


@functools.lru_cache(maxsize=64)
def _static(path: str, static_url: str) -> str:
    """``static(path)``, once per process (and static URL): looking the hashed name up in the
    manifest took a tenth of a timeline page's serialisation, twice per account."""
    return static(path)


def iso(moment: Any) -> str | None:
    """Mastodon's timestamps: UTC, milliseconds, ``Z``."""
    if moment is None:
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def group_of(obj: Account) -> Any:
    """The group an account is the actor of (None for people, and for a remote group actor
    we hold no group row for). Asked only of group actors, so lists of people cost nothing."""
    if obj.actor_type != ActorType.GROUP:
        return None
    try:
        return obj.group
    except ObjectDoesNotExist:
        return None


def _as_group(data: dict[str, Any], obj: Account) -> dict[str, Any]:
    """One of our groups as Mastodon shows a Lemmy community: its members are its followers,
    its topics its statuses (counted only where anyone may read them: a private group's
    activity is its members' business), locked when joining is not immediate, and ``url``
    is the group page. A remote group keeps what its server said."""
    group = group_of(obj) if obj.is_local else None
    if group is None:
        return data
    data["followers_count"] = group.members_count
    data["following_count"] = 0
    data["statuses_count"] = group.topics_count if group.is_open else 0
    last = group.last_activity_at if group.is_open else None
    data["last_status_at"] = last.date().isoformat() if last else None
    data["locked"] = group.kind != GroupKind.PUBLIC
    data["url"] = absolute(reverse("communities:group", kwargs={"handle": obj.username}))
    return data


def account(obj: Account) -> dict[str, Any]:
    """The Mastodon Account entity."""
    url = absolute(obj.get_absolute_url())
    # Remote images are served from our copy (fetched in the background), never hotlinked.
    avatar = media_url(obj.avatar, "web/avatar-default.png")
    header = media_url(obj.header, "web/header-default.png")
    discoverable = obj.discoverable
    data = {
        "id": str(obj.pk),
        "username": obj.username,
        "acct": obj.username if obj.is_local else f"{obj.username}@{obj.domain}",
        "display_name": obj.display_name,
        "locked": obj.locked,
        "bot": obj.actor_type == ActorType.SERVICE,
        "discoverable": discoverable,
        "indexable": discoverable,
        "group": obj.actor_type == ActorType.GROUP,
        # Mastodon gives the day only.
        "created_at": iso(obj.created_at.replace(hour=0, minute=0, second=0, microsecond=0)),
        "note": obj.bio_html,
        # Remote accounts: their own profile page and ActivityPub id, as Mastodon gives them.
        "url": url if obj.is_local else (obj.remote_url or obj.uri),
        "uri": url if obj.is_local else obj.uri,
        "avatar": avatar,
        "avatar_static": avatar,
        "avatar_description": "",
        "header": header,
        "header_static": header,
        "header_description": "",
        "followers_count": obj.followers_count,
        "following_count": obj.following_count,
        "statuses_count": obj.posts_count,
        "last_status_at": obj.last_post_at.date().isoformat() if obj.last_post_at else None,
        "hide_collections": obj.hide_network,
        "show_media": True,
        "show_media_replies": True,
        "show_featured": True,
        "noindex": not discoverable,
        # Quote posts are not supported: nobody may quote.
        "feature_approval": {"automatic": [], "manual": [], "current_user": "denied"},
        "emojis": [],
        "roles": [],
        "fields": [
            {"name": f["name"], "value": render_plain(f["value"]), "verified_at": None}
            for f in obj.fields
        ],
    }
    return _as_group(data, obj)


def accounts(objs: list[Account]) -> list[dict[str, Any]]:
    """Account entities for a list; the groups among them loaded in one query (none when
    there are none)."""
    groups = [obj for obj in objs if obj.actor_type == ActorType.GROUP and obj.is_local]
    if groups:
        prefetch_related_objects(groups, "group")
    return [account(obj) for obj in objs]


def credential_account(obj: Account) -> dict[str, Any]:
    """The Account entity with ``source`` and ``role``, for the account's own token."""
    data = account(obj)
    user = obj.user
    data["source"] = {
        "privacy": obj.default_visibility,
        "sensitive": obj.default_sensitive,
        "language": obj.default_language or (user.locale if user else "") or None,
        "note": obj.bio,
        "fields": [{**f, "verified_at": None} for f in obj.fields],
        "follow_requests_count": obj.follow_requests.count(),
        "hide_collections": obj.hide_network,
        "discoverable": data["discoverable"],
        "indexable": data["indexable"],
        "attribution_domains": [],
        "quote_policy": "nobody",
    }
    data["role"] = {
        "id": "-99",
        "name": "",
        "permissions": "0",
        "color": "",
        "highlighted": False,
        "collection_limit": 0,  # Mastodon 4.6's collections of accounts: none here
    }
    return data
