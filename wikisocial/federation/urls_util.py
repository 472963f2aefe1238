"""The ActivityPub ids of our actors and objects. An actor's id is its profile URL (a group's is
its page, ``/g/<handle>``) and a post's id is its page URL: the same URL answers a browser with
HTML and a server with ActivityStreams JSON (content negotiation)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from wikisocial.accounts.models import Account, ActorType


def absolute(path: str) -> str:
    """``path`` on this instance's origin; a full URL (media on S3 storage) stays as it is."""
    if path.startswith(("https://", "http://")):
        return path
    return settings.SITE_URL + path


def actor_id(account: Account) -> str:
    """A remote actor's id is the one its server gave it."""
    if not account.is_local:
        return account.uri
    if account.actor_type == ActorType.GROUP:
        return group_actor_id(account.username)
    return absolute(reverse("web:profile", kwargs={"username": account.username}))


def instance_actor_id() -> str:
    return absolute(reverse("federation:instance-actor"))


def group_actor_id(handle: str) -> str:
    """A group of ours is the actor at its forum's address (FEP-1b12 ``Group``)."""
    return absolute(reverse("communities:group", kwargs={"handle": handle}))
