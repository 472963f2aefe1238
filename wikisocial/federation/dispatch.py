"""Inbound activities to their handlers (``handlers.HANDLERS``, one small function per type).

Each activity is handled in one transaction: a refusal or an error leaves nothing behind.
Unknown types are accepted by the inbox and ignored here, with a log line.
"""

from __future__ import annotations

import logging

from django.db import transaction

from wikisocial.federation.handlers import HANDLERS, REFUSALS, actor_of
from wikisocial.federation.models import InboxItem

logger = logging.getLogger(__name__)


def handle(item: InboxItem) -> str:
    """Process one stored activity; returns what happened, for the log and the item."""
    activity = item.document
    handler = HANDLERS.get(item.activity_type)
    if handler is None:
        return f"ignored: unknown type {item.activity_type!r}"
    actor = actor_of(activity)
    if actor is None or actor.uri != item.actor_uri:
        return "refused: the actor is not known here"
    if actor.deleted_at is not None:
        return "refused: the actor's account is deleted"
    try:
        with transaction.atomic():
            return handler(activity, actor)[:200]
    except REFUSALS as exc:
        reason = getattr(exc, "messages", None) or [str(exc) or type(exc).__name__]
        return f"refused: {' '.join(reason)}"[:200]
