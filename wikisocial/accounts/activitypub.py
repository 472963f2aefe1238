"""Accounts as ActivityPub actors (outbound). Inbound actor handling comes with the inbox."""

from __future__ import annotations

from django.urls import reverse

from wikisocial.accounts.models import Account, ActorType
from wikisocial.core.markup import render_plain
from wikisocial.federation.keys import key_of
from wikisocial.federation.urls_util import absolute, actor_id


def media_url(image) -> str | None:
    return absolute(image.url) if image else None


def actor_to_ap(account: Account) -> dict:
    """Person (or Service for bots) with everything Mastodon and others read."""
    me = actor_id(account)
    key = key_of(account)
    document = {
        "id": me,
        "type": ActorType.SERVICE if account.bot else ActorType.PERSON,
        "preferredUsername": account.username,
        "name": account.display_name,
        "summary": account.bio_html,
        "url": me,
        "inbox": f"{me}/inbox",
        "outbox": f"{me}/outbox",
        "followers": absolute(reverse("web:followers", kwargs={"username": account.username})),
        "following": absolute(reverse("web:following", kwargs={"username": account.username})),
        "featured": f"{me}/featured",
        "endpoints": {"sharedInbox": absolute(reverse("federation:shared-inbox"))},
        "manuallyApprovesFollowers": account.locked,
        "discoverable": True,
        "indexable": True,
        "published": account.created_at.isoformat().replace("+00:00", "Z"),
        "publicKey": {"id": f"{me}#main-key", "owner": me, "publicKeyPem": key.public_key_pem},
        "attachment": [
            {"type": "PropertyValue", "name": f["name"], "value": render_plain(f["value"])}
            for f in account.fields
        ],
        "tag": [],
        "alsoKnownAs": [],
    }
    if account.avatar:
        document["icon"] = {"type": "Image", "url": media_url(account.avatar)}
    if account.header:
        document["image"] = {"type": "Image", "url": media_url(account.header)}
    return document
