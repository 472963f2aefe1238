"""Background tasks shared by every domain, and the queues every task is put on."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.core.mail import send_mail
from django.db.models import Q
from django.utils import timezone
from django_tasks import task, task_backends
from django_tasks.base import Task, TaskResultStatus

from wikisocial.config.env import TASK_QUEUES

logger = logging.getLogger(__name__)

# Workers take local work first, then inbound, then outbound, in strict priority: a queue is
# served only while those before it are empty (not weighted, as Mastodon's Sidekiq queues are),
# so deliveries wait while inbound work never lets up; at scale, workers with `--queues
# outbound` keep them moving (docs/operations.md). The database queue orders by priority
# (whatever the queue), so each queue's tasks carry its priority; on Redis a worker listens to
# the queues in this order, which has the same effect.
PRIORITY = {name: 10 - 10 * rank for rank, name in enumerate(TASK_QUEUES)}  # 10, 0, -10


def on_queue(queue: str) -> Callable[[Callable], Task]:
    """@task on one of the queues: ``default`` (local work: fan-out, notifications, e-mail,
    local media), ``inbound`` (activities from other servers and what they make us fetch) or
    ``outbound`` (deliveries to other servers)."""
    if queue not in PRIORITY:
        raise ValueError(f"unknown task queue {queue!r}; one of {', '.join(TASK_QUEUES)}")
    return task(queue_name=queue, priority=PRIORITY[queue])


@on_queue("default")
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


KEEP_TASK_RESULTS = timedelta(days=1)
KEEP_FAILED_TASK_RESULTS = timedelta(days=7)
PRUNE_BATCH = 5000
PRUNE_MAX_BATCHES = 200  # a run stops after a million rows; the next hour goes on


def prune_task_results(now: datetime | None = None) -> int:
    """Delete the database queue's results of finished tasks (successful after a day, failed
    after a week): one row per task ever run would otherwise grow without end. A periodic job
    (core/periodic.py); nothing to do on the other backends. Returns how many went."""
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(task_backends["default"], DatabaseBackend):
        return 0

    now = now or timezone.now()
    old = DBTaskResult.objects.filter(
        Q(status=TaskResultStatus.SUCCESSFUL, finished_at__lt=now - KEEP_TASK_RESULTS)
        | Q(status=TaskResultStatus.FAILED, finished_at__lt=now - KEEP_FAILED_TASK_RESULTS)
    )
    deleted = 0
    for _ in range(PRUNE_MAX_BATCHES):
        batch = list(old.values_list("pk", flat=True)[:PRUNE_BATCH])
        if not batch:
            break
        deleted += DBTaskResult.objects.filter(pk__in=batch).delete()[0]
    return deleted
