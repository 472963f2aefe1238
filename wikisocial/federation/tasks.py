from __future__ import annotations

import logging

from django.utils import timezone
from django_tasks import task

from wikisocial.federation.models import InboxItem

logger = logging.getLogger(__name__)


@task()
def process_inbox_item(item_id: int) -> None:
    """Hand a stored activity to its handler. Activity types without a handler yet are kept
    (marked "not handled") so they can be processed again when one lands."""
    from wikisocial.federation.dispatch import handle

    item = InboxItem.objects.filter(pk=item_id, processed_at__isnull=True).first()
    if item is None:
        return
    outcome = handle(item)
    InboxItem.objects.filter(pk=item.pk).update(processed_at=timezone.now(), outcome=outcome)
    logger.info("inbox %s %s: %s", item.activity_type, item.activity_id, outcome)


@task()
def send_delivery(delivery_id: int) -> None:
    """Try one outbound delivery (federation/delivery.py): a no-op unless it is due and free."""
    from wikisocial.federation.delivery import attempt

    attempt(delivery_id)
