from __future__ import annotations

import logging

from wikisocial.core.tasks import on_queue

logger = logging.getLogger(__name__)

# The modules these tasks call import this one (to queue them): they are imported inside each
# task.


@on_queue("inbound")
def process_inbox_item(item_id: int) -> None:
    """Hand a stored activity to its handler (federation/dispatch.py)."""
    from wikisocial.federation.dispatch import process

    process(item_id)


@on_queue("outbound")
def send_delivery(delivery_id: int) -> None:
    """Try one outbound delivery (federation/delivery.py): a no-op unless it is due and free.
    Retries are queued this way, one row each, for their own time."""
    from wikisocial.federation.delivery import attempt

    attempt(delivery_id)


@on_queue("outbound")
def send_deliveries(delivery_ids: list[int]) -> None:
    """Try a batch of new outbound deliveries (up to delivery.TASK_BATCH), POSTed concurrently
    (federation/sending.py): rows not due or held by another worker are left alone."""
    from wikisocial.federation.sending import STRAGGLER_WAIT, send_many

    # A backend that runs tasks at once, in the caller's thread (tests), gets every outcome
    # recorded before this returns; a worker records POSTs slower than STRAGGLER_WAIT behind
    # the task, while it runs the next one.
    deferred = send_deliveries.get_backend().supports_defer
    send_many(delivery_ids, wait=STRAGGLER_WAIT if deferred else None)
