"""The inbox door: every activity is checked before it is kept.

In order: the size (refused before reading), the JSON, the HTTP signature (over the body's
digest, Host, date and request target; an unknown key makes us fetch its actor once), the
activity's actor (it must be the key's owner) and its id (same origin as the actor). Only then
is it stored, once per id, and processed by a background task; the sender gets 202.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from datetime import timedelta

import orjson
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from wikisocial.accounts.models import Account
from wikisocial.federation.actors import fetch_key, host_of, key_owner
from wikisocial.federation.models import InboxItem, RemoteKey
from wikisocial.federation.signatures import SignatureError, UnknownKeyError, verify_any

logger = logging.getLogger(__name__)

MAX_BODY = 1_000_000  # bytes; Mastodon accepts about as much


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _body(request: HttpRequest) -> bytes:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY:
        raise Refused(413, f"body of {declared} bytes is over the limit")
    body = request.body
    if len(body) > MAX_BODY:
        raise Refused(413, "body over the limit")
    return body


def _activity(body: bytes) -> dict:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:  # also refuses nesting deeper than orjson's limit
        raise Refused(400, f"not JSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("type"), str):
        raise Refused(400, "not an activity (a JSON object with a type)")
    return document


KEY_ID = re.compile(r'keyid="([^"]{1,500})"', re.IGNORECASE)
# A signature that fails with a key we hold may come after a key rotation: the actor is
# fetched again, at most this often.
KEY_REFRESH = timedelta(minutes=10)


def _rotated(headers: dict) -> bool:
    """Whether the key named by the signature was refreshed from its actor just now."""
    found = KEY_ID.search(headers.get("Signature", "") or headers.get("Signature-Input", ""))
    if found is None:
        return False
    key_id = found.group(1)
    owner = key_owner(key_id)
    if owner is None or (owner.fetched_at and owner.fetched_at > timezone.now() - KEY_REFRESH):
        return False
    # A fetch that fails leaves fetched_at as it was: without this mark every forged request
    # would make us fetch the actor again (and cost a DNS lookup and a connection each).
    mark = f"inbox:key-refresh:{hashlib.sha256(key_id.encode()).hexdigest()}"
    if not cache.add(mark, 1, KEY_REFRESH.total_seconds()):
        return False
    return fetch_key(key_id) is not None


def _remembering(found: dict[str, RemoteKey]) -> Callable[[str], str | None]:
    """A key lookup for the verifier that keeps the row it found (with its owner), so that
    checking the activity's actor costs no second query."""

    def lookup(key_id: str) -> str | None:
        row = RemoteKey.objects.select_related("owner").filter(key_id=key_id).first()
        if row is None:
            return None
        found[key_id] = row
        return row.public_key_pem

    return lookup


def _verified_key(request: HttpRequest, body: bytes) -> tuple[str, Account | None]:
    """The key id of a valid signature, and the key's owner."""
    headers = dict(request.headers)
    url = request.build_absolute_uri()
    found: dict[str, RemoteKey] = {}
    lookup = _remembering(found)

    def verify():
        return verify_any(request.method, url, headers, body, lookup)

    try:
        try:
            verified = verify()
        except UnknownKeyError as unknown:
            if fetch_key(unknown.key_id) is None:
                reason = f"unknown key {unknown.key_id}, and its actor could not be fetched"
                raise Refused(401, reason) from None
            verified = verify()
        except SignatureError:
            if not _rotated(headers):
                raise
            verified = verify()
    except SignatureError as exc:
        raise Refused(401, f"signature refused: {exc}") from None
    row = found.get(verified.key_id)
    return verified.key_id, row.owner if row else key_owner(verified.key_id)


def _actor_id(activity: dict) -> str:
    actor = activity.get("actor")
    if isinstance(actor, dict):
        actor = actor.get("id")
    if not isinstance(actor, str):
        raise Refused(400, "the activity has no actor")
    return actor


def check(request: HttpRequest) -> tuple[dict, str]:
    """The activity and its actor's id, or Refused with a status and the reason."""
    body = _body(request)
    activity = _activity(body)
    key_id, owner = _verified_key(request, body)
    actor_id = _actor_id(activity)
    if owner is None or owner.uri != actor_id:
        raise Refused(401, f"signed by {key_id}, but the activity's actor is {actor_id}")
    activity_id = activity.get("id")
    if not isinstance(activity_id, str) or host_of(activity_id) != host_of(actor_id):
        raise Refused(400, "the activity's id is missing or on another origin than its actor")
    if len(activity_id) > 500 or len(actor_id) > 500:
        raise Refused(400, "the activity's id or actor is longer than 500 characters")
    return activity, actor_id


def _local_account_exists(username: str) -> bool:
    """Case-insensitive, through the unique index on LOWER(username) (``iexact`` would be a
    LIKE, which SQLite answers by scanning every local account)."""
    local = Account.objects.visible_to(None).local().annotate(lower_name=Lower("username"))
    return local.filter(lower_name=username.lower()).exists()


@csrf_exempt
@require_POST
def inbox(request: HttpRequest, username: str | None = None) -> HttpResponse:
    """Personal inboxes (/@name/inbox) and the shared inbox (/inbox) take the same path."""
    from wikisocial.federation.tasks import process_inbox_item

    if username is not None and not _local_account_exists(username):
        return JsonResponse({"error": "no such account"}, status=404)
    try:
        activity, actor_id = check(request)
    except Refused as refused:
        logger.info("inbox refused (%d): %s", refused.status, refused.reason)
        return JsonResponse({"error": refused.reason}, status=refused.status)
    try:
        with transaction.atomic():
            item = InboxItem.objects.create(
                activity_id=activity["id"],
                activity_type=activity["type"][:100],
                actor_uri=actor_id,
                document=activity,
            )
    except IntegrityError:
        logger.info("inbox: %s seen before, nothing more to do", activity["id"])
        return HttpResponse(status=202)
    transaction.on_commit(lambda: process_inbox_item.enqueue(item.pk))
    _revive(host_of(actor_id))
    return HttpResponse(status=202)


def _revive(domain: str) -> None:
    """A server we had given up on is talking to us: deliver to it again."""
    from wikisocial.federation.delivery import domain_alive
    from wikisocial.federation.models import DomainHealth

    if DomainHealth.objects.filter(domain=domain, dead=True).exists():
        domain_alive(domain)
        logger.info("domain %s is back: deliveries to it resume", domain)
