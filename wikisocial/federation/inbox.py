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
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NamedTuple

import orjson
from django.core.cache import cache
from django.db import connection, transaction
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


def _rotated(headers: dict, found: dict[str, KeyRow]) -> bool:
    """Whether the key named by the signature was refreshed from its actor just now."""
    named = KEY_ID.search(headers.get("Signature", "") or headers.get("Signature-Input", ""))
    if named is None:
        return False
    key_id = named.group(1)
    row = found.get(key_id)
    if row is None:
        owner = key_owner(key_id)
        if owner is None:
            return False
        fetched_at = owner.fetched_at
    else:
        fetched_at = row.owner_fetched_at
    if fetched_at and fetched_at > timezone.now() - KEY_REFRESH:
        return False
    # A fetch that fails leaves fetched_at as it was: without this mark every forged request
    # would make us fetch the actor again (and cost a DNS lookup and a connection each).
    mark = f"inbox:key-refresh:{hashlib.sha256(key_id.encode()).hexdigest()}"
    if not cache.add(mark, 1, KEY_REFRESH.total_seconds()):
        return False
    return fetch_key(key_id) is not None


class KeyRow(NamedTuple):
    """What the inbox needs of a remote key and its owner."""

    public_key_pem: str
    owner_uri: str
    owner_fetched_at: datetime | None


def _key_sql() -> str:
    keys, accounts = RemoteKey._meta.db_table, Account._meta.db_table
    return (
        f'SELECT k.public_key_pem, a.uri, a.fetched_at FROM "{keys}" k '  # noqa: S608 (our tables)
        f'JOIN "{accounts}" a ON a.id = k.owner_id WHERE k.key_id = %s'
    )


def _key_row(key_id: str) -> KeyRow | None:
    """The key and its owner in one plain SQL query: every signed request asks it, and the
    ORM's building of the same query (select_related, model instances) cost about as much CPU
    as the RSA verification it serves."""
    with connection.cursor() as cursor:
        cursor.execute(_key_sql(), [key_id])
        found = cursor.fetchone()
    if found is None:
        return None
    pem, uri, fetched_at = found
    if fetched_at is not None and connection.vendor == "sqlite":  # naive UTC, or text
        fetched_at = connection.ops.convert_datetimefield_value(fetched_at, None, connection)
    return KeyRow(pem, uri, fetched_at)


def _remembering(found: dict[str, KeyRow]) -> Callable[[str], str | None]:
    """A key lookup for the verifier that keeps the row it found (with its owner), so that
    checking the activity's actor costs no second query."""

    def lookup(key_id: str) -> str | None:
        row = _key_row(key_id)
        if row is None:
            return None
        found[key_id] = row
        return row.public_key_pem

    return lookup


def _verified_key(request: HttpRequest, body: bytes) -> tuple[str, str | None]:
    """The key id of a valid signature, and the actor id (uri) of the key's owner."""
    headers = dict(request.headers)
    url = request.build_absolute_uri()
    found: dict[str, KeyRow] = {}
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
            if not _rotated(headers, found):
                raise
            found.clear()  # the key was fetched again: its row is read again
            verified = verify()
    except SignatureError as exc:
        raise Refused(401, f"signature refused: {exc}") from None
    row = found.get(verified.key_id)
    if row is not None:
        return verified.key_id, row.owner_uri
    owner = key_owner(verified.key_id)
    return verified.key_id, owner.uri if owner else None


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
    key_id, owner_uri = _verified_key(request, body)
    actor_id = _actor_id(activity)
    if owner_uri is None or owner_uri != actor_id:
        raise Refused(401, f"signed by {key_id}, but the activity's actor is {actor_id}")
    activity_id = activity.get("id")
    if not isinstance(activity_id, str) or host_of(activity_id) != host_of(actor_id):
        raise Refused(400, "the activity's id is missing or on another origin than its actor")
    if len(activity_id) > 500 or len(actor_id) > 500:
        raise Refused(400, "the activity's id or actor is longer than 500 characters")
    return activity, actor_id


# Local accounts known to exist, by lower-cased name, with when that was last read: a personal
# inbox is POSTed to for every activity addressed to someone, and both inboxes take the same
# path, so a name seen a moment ago is not read again. Only hits are kept (an unknown name is
# read each time), for a short while (a deleted account's inbox answers 404 soon after).
LOCAL_NAME_TTL = 30.0  # seconds
LOCAL_NAMES_KEPT = 10_000
_local_names: dict[str, float] = {}


def _local_account_exists(username: str) -> bool:
    """Case-insensitive, through the unique index on LOWER(username) (``iexact`` would be a
    LIKE, which SQLite answers by scanning every local account)."""
    name, now = username.lower(), time.monotonic()
    seen = _local_names.get(name)
    if seen is not None and now - seen < LOCAL_NAME_TTL:
        return True
    local = Account.objects.visible_to(None).local().annotate(lower_name=Lower("username"))
    if not local.filter(lower_name=name).exists():
        _local_names.pop(name, None)
        return False
    if len(_local_names) >= LOCAL_NAMES_KEPT:
        _local_names.clear()
    _local_names[name] = now
    return True


def _insert_sql() -> str:
    table = InboxItem._meta.db_table
    document = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    return (
        f'INSERT INTO "{table}" (activity_id, activity_type, actor_uri, document, received_at, '  # noqa: S608
        f"processed_at, outcome) VALUES (%s, %s, %s, {document}, %s, NULL, '') "
        "ON CONFLICT (activity_id) DO NOTHING RETURNING id"
    )


def store(activity: dict, actor_id: str) -> int | None:
    """Keep a checked activity: the new item's id, or None when its id was seen before. One
    statement (no savepoint, no IntegrityError to catch); a replay changes nothing."""
    received_at = connection.ops.adapt_datetimefield_value(timezone.now())
    params = [
        activity["id"],
        activity["type"][:100],
        actor_id,
        orjson.dumps(activity).decode(),
        received_at,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(), params)
        row = cursor.fetchone()
    return row[0] if row else None


def _queue_in_same_transaction() -> bool:
    """Whether the processing task is a row of this database (django_tasks_db): then the item
    and its task are written in one transaction, one commit instead of two, and neither is
    ever kept without the other. Another queue (Redis) gets the task after the commit, so a
    worker never looks for an item it cannot see yet."""
    from django_tasks_db import DatabaseBackend

    from wikisocial.federation.tasks import process_inbox_item

    return isinstance(process_inbox_item.get_backend(), DatabaseBackend)


def accept(activity: dict, actor_id: str) -> int | None:
    """Store a checked activity and queue its processing (federation/dispatch.py); None when
    it was seen before (nothing more to do)."""
    from wikisocial.federation.tasks import process_inbox_item

    if _queue_in_same_transaction():
        with transaction.atomic():
            item_id = store(activity, actor_id)
            if item_id is not None:
                process_inbox_item.enqueue(item_id)
        return item_id
    item_id = store(activity, actor_id)
    if item_id is not None:
        transaction.on_commit(lambda: process_inbox_item.enqueue(item_id))
    return item_id


@csrf_exempt
@require_POST
def inbox(request: HttpRequest, username: str | None = None) -> HttpResponse:
    """Personal inboxes (/@name/inbox) and the shared inbox (/inbox) take the same path."""
    if username is not None and not _local_account_exists(username):
        return JsonResponse({"error": "no such account"}, status=404)
    try:
        activity, actor_id = check(request)
    except Refused as refused:
        logger.info("inbox refused (%d): %s", refused.status, refused.reason)
        return JsonResponse({"error": refused.reason}, status=refused.status)
    if accept(activity, actor_id) is None:
        logger.info("inbox: %s seen before, nothing more to do", activity["id"])
    return HttpResponse(status=202)
