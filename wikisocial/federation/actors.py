"""Remote actors: fetching them (signed by the instance actor), storing them as accounts, and
finding their keys for signature checks."""

from __future__ import annotations

import logging
import re
from urllib.parse import urldefrag, urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from wikisocial.accounts.models import Account, ActorType
from wikisocial.accounts.tasks import fetch_profile_image
from wikisocial.core.http import FetchError, fetch_activitypub
from wikisocial.core.markup import clean_text, excerpt, sanitize_html
from wikisocial.federation.jsonld import type_of
from wikisocial.federation.keys import key_of
from wikisocial.federation.models import RemoteKey
from wikisocial.federation.signatures import load_private_key, sign_request
from wikisocial.federation.urls_util import instance_actor_id

logger = logging.getLogger(__name__)

ACTOR_TYPES = {"Person", "Service", "Group", "Application", "Organization"}
# What a remote username may hold to be written @name@domain and put in a URL.
USERNAME = re.compile(r"[^\s/@?#%\\<>\"']{1,255}")


class ActorError(Exception):
    """A remote actor could not be fetched or is not acceptable; the message says why."""


def instance_signer(method: str, url: str, headers: dict, body: bytes | None) -> dict:
    """Sign an outbound request as the instance actor (fetches made on no one's behalf)."""
    key = key_of(None)
    return sign_request(
        method,
        url,
        headers,
        body,
        f"{instance_actor_id()}#main-key",
        load_private_key(key.private_key_pem),
    )


def host_of(url: str) -> str:
    """host[:port], lower-case: what an actor's domain is in our tables."""
    return urlsplit(url).netloc.lower()


def _text(value: object, limit: int) -> str:
    return clean_text(value, multiline=False)[:limit] if isinstance(value, str) else ""


def _url(value: object) -> str:
    if isinstance(value, dict):
        value = value.get("href") or value.get("url")
    if isinstance(value, str) and value.startswith(("https://", "http://")) and len(value) <= 500:
        return value
    return ""


def store_actor(document: dict) -> Account:
    """Create or update the account of a remote actor from its (already fetched and id-checked)
    document, with its key."""
    actor_id = document.get("id")
    kind = type_of(document)
    username = _text(document.get("preferredUsername"), 255)
    if not isinstance(actor_id, str) or kind not in ACTOR_TYPES or not username:
        raise ActorError("not an actor with an id, a type and a preferredUsername")
    if not USERNAME.fullmatch(username) or _url(actor_id) != actor_id:
        raise ActorError(f"not a username we can write as @name@domain: {username!r}")
    inbox = _url(document.get("inbox"))
    if not inbox:
        raise ActorError("the actor has no inbox")
    endpoints = document.get("endpoints") if isinstance(document.get("endpoints"), dict) else {}
    fields = {
        "username": username,
        "display_name": _text(document.get("name"), 100),
        "bio_html": sanitize_html(document["summary"])
        if isinstance(document.get("summary"), str)
        else "",
        "remote_url": _url(document.get("url")) or actor_id,
        "inbox_url": inbox,
        "shared_inbox_url": _url(endpoints.get("sharedInbox")),
        "followers_url": _url(document.get("followers")),
        "fields": _fields(document.get("attachment")),
        "locked": bool(document.get("manuallyApprovesFollowers")),
        "actor_type": kind if kind in ActorType.values else ActorType.PERSON,
        "fetched_at": timezone.now(),
    }
    domain = host_of(actor_id)
    with transaction.atomic():
        account = Account.objects.filter(uri=actor_id).first()
        if account is None:
            account = Account.objects.filter(domain=domain, username__iexact=username).first()
        if account is None:
            account = Account(uri=actor_id, domain=domain)
        for name, value in fields.items():
            setattr(account, name, value)
        account.uri = actor_id
        images = _images(account, document)
        account.save()
        _store_key(account, actor_id, document.get("publicKey"))
        if account.actor_type == ActorType.GROUP:
            from wikisocial.communities.inbox import remote_group_stored

            remote_group_stored(account, document)  # a community one may join from here
    for kind in images:
        transaction.on_commit(lambda kind=kind: fetch_profile_image.enqueue(account.pk, kind))
    return account


def _fields(attachment: object) -> list[dict[str, str]]:
    """Profile fields (PropertyValue), as text: a value's HTML is usually one link."""
    limits = settings.PROFILE_LIMITS
    fields = []
    for item in attachment if isinstance(attachment, list) else []:
        if not isinstance(item, dict) or item.get("type") != "PropertyValue":
            continue
        name, value = item.get("name"), item.get("value")
        if isinstance(name, str) and isinstance(value, str):
            fields.append(
                {
                    "name": _text(name, limits["field_name"]),
                    "value": clean_text(excerpt(sanitize_html(value[:5000]), 5000))[
                        : limits["field_value"]
                    ],
                }
            )
    return fields[: limits["fields"]]


def _images(account: Account, document: dict) -> list[str]:
    """Note where the actor's avatar (icon) and header (image) are; return those that changed,
    for the worker to copy here."""
    changed = []
    for kind, key in (("avatar", "icon"), ("header", "image")):
        url = _url(document.get(key))
        if url != getattr(account, f"{kind}_remote_url"):
            setattr(account, f"{kind}_remote_url", url)
            changed.append(kind)
    return changed


def _store_key(account: Account, actor_id: str, key: object) -> None:
    keys = key if isinstance(key, list) else [key]
    for item in keys:
        if not isinstance(item, dict):
            continue
        key_id, pem = item.get("id"), item.get("publicKeyPem")
        owner = item.get("owner", actor_id)
        if isinstance(key_id, str) and isinstance(pem, str) and owner == actor_id:
            if host_of(key_id) != host_of(actor_id):
                continue  # a key must live with its actor
            RemoteKey.objects.update_or_create(
                key_id=key_id, defaults={"owner": account, "public_key_pem": pem}
            )


def known_key(key_id: str) -> str | None:
    row = RemoteKey.objects.filter(key_id=key_id).first()
    return row.public_key_pem if row else None


def fetch_key(key_id: str) -> str | None:
    """Fetch the actor a keyId belongs to (the URL without its fragment), store it, and return
    the key; None when that fails (the caller refuses the request)."""
    actor_url = urldefrag(key_id).url
    try:
        document = fetch_activitypub(actor_url, signer=instance_signer)
        store_actor(document)
    except (FetchError, ActorError) as exc:
        logger.info("could not fetch the key %s: %s", key_id, exc)
        return None
    return known_key(key_id)


def fetch_actor(uri: str) -> Account:
    """The account of the actor ``uri``: known, or fetched (signed by the instance actor) and
    stored. Raises ActorError."""
    known = Account.objects.filter(uri=uri).first()
    if known is not None:
        return known
    try:
        document = fetch_activitypub(uri, signer=instance_signer)
    except FetchError as exc:
        raise ActorError(f"could not fetch {uri}: {exc.message}") from None
    return store_actor(document)


def key_owner(key_id: str) -> Account | None:
    row = RemoteKey.objects.select_related("owner").filter(key_id=key_id).first()
    return row.owner if row else None
