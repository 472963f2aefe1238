"""Background tasks shared by every domain."""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def send_email(to: list[str], subject: str, body: str) -> None:
    """Send one plain-text e-mail. Raises on failure so the worker records it as failed."""
    send_mail(subject, body, None, to, fail_silently=False)
    logger.info("sent e-mail %r to %d recipient(s)", subject, len(to))


def enqueue_at(task_obj, when, *args) -> None:
    """Run ``task_obj(*args)`` at ``when``, where the task backend can wait (the database and
    Redis queues can). With one that can't (tasks run at once, as in tests) nothing is queued:
    the caller must not depend on it happening then."""
    if task_obj.get_backend().supports_defer:
        task_obj.using(run_after=when).enqueue(*args)
    else:
        logger.debug("not scheduling %s for %s: the task backend cannot defer", task_obj, when)
