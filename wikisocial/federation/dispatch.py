"""Inbound activities to their handlers (``handlers.HANDLERS``, one small function per type).

A handler first fetches what it needs (actors, objects, parents) with no transaction open, so
a slow remote server never holds the database's write lock; then it changes things through
domain actions, each one transaction. Handlers are idempotent: an activity handled again
(after a crash, by the sweep) has no second effect. Unknown types are accepted by the inbox
and ignored here, with a log line.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from wikisocial.federation.actors import host_of
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
        return handler(activity, actor)[:200]
    except REFUSALS as exc:
        reason = getattr(exc, "messages", None) or [str(exc) or type(exc).__name__]
        return f"refused: {' '.join(reason)}"[:200]
    except Exception as exc:  # a bug or a payload we did not foresee: kept, logged, not retried
        logger.exception("inbox %s %s failed", item.activity_type, item.activity_id)
        return f"error: {type(exc).__name__}: {exc}"[:200]


def process(item_id: int) -> str | None:
    """Handle one stored activity, then mark it processed: a worker that dies half-way leaves
    it unprocessed, and the sweep hands it over again. None when it was done already."""
    item = InboxItem.objects.filter(pk=item_id, processed_at__isnull=True).first()
    if item is None:
        return None
    # Before handling: an answer the handler queues (an Accept) must not be held back as
    # for a dead domain.
    _revive(host_of(item.actor_uri))
    outcome = handle(item)
    InboxItem.objects.filter(pk=item.pk).update(processed_at=timezone.now(), outcome=outcome)
    logger.info("inbox %s %s: %s", item.activity_type, item.activity_id, outcome)
    return outcome


def _revive(domain: str) -> None:
    """A server we had given up on is talking to us (its signed activity was accepted):
    deliver to it again. Here rather than in the inbox request, which stays a key lookup and
    an insert."""
    from wikisocial.federation.delivery import domain_alive
    from wikisocial.federation.models import DomainHealth

    if DomainHealth.objects.filter(domain=domain, dead=True).exists():
        domain_alive(domain)
        logger.info("domain %s is back: deliveries to it resume", domain)


STALLED_AFTER = timedelta(minutes=2)
SWEEP_LIMIT = 500


def process_stalled(now=None) -> int:
    """Activities stored but never processed (their task was lost, or its worker died):
    processed now, oldest first. Run by the worker's sweep."""
    cutoff = (now or timezone.now()) - STALLED_AFTER
    pending = InboxItem.objects.filter(processed_at__isnull=True, received_at__lt=cutoff)
    ids = list(pending.order_by("id").values_list("pk", flat=True)[:SWEEP_LIMIT])
    return sum(process(pk) is not None for pk in ids)
