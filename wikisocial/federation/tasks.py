from __future__ import annotations

import logging

from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def process_inbox_item(item_id: int) -> None:
    """Hand a stored activity to its handler (federation/dispatch.py)."""
    from wikisocial.federation.dispatch import process

    process(item_id)


@task()
def send_delivery(delivery_id: int) -> None:
    """Try one outbound delivery (federation/delivery.py): a no-op unless it is due and free."""
    from wikisocial.federation.delivery import attempt

    attempt(delivery_id)
