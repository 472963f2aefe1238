"""The state half of /metrics: what the database (or Redis) knows, read when /metrics is
scraped: task queues (depth, age of the oldest task), inbox items waiting, outbound
deliveries by state and the domains failing most. Every web process reports the same values
(scrape one target for those). The request histogram lives in metrics.py.

Label values are bounded: queue names, delivery states, and the worst ``METRICS_TOP_DOMAINS``
domains only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

# The same logger as metrics.py: "metrics: … could not be read" stays where operators look.
logger = logging.getLogger("wikisocial.core.metrics")

QUEUES = ("default", "inbound", "outbound")


def _age(moment: datetime | None, now: datetime) -> float:
    if moment is None:
        return 0.0
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (now - moment).total_seconds())


def _queue_names() -> list[str]:
    configured = settings.TASKS["default"].get("QUEUES") or []
    return list(dict.fromkeys([*QUEUES, *configured]))


def database_queue_stats(now: datetime) -> dict[str, tuple[int, int, float]]:
    """{queue: (due, scheduled for later, age in seconds of the oldest due task)} of the
    database backend (django-tasks-db's READY rows)."""
    from django.db.models import Case, Count, DateTimeField, F, Min, Q, When
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult, get_date_max

    never = get_date_max()
    due = Q(run_after=never) | Q(run_after__lte=now)
    since = Case(
        When(run_after=never, then=F("enqueued_at")),
        default=F("run_after"),
        output_field=DateTimeField(),
    )
    rows = (
        DBTaskResult.objects.filter(status=TaskResultStatus.READY)
        .values("queue_name")
        .annotate(
            due=Count("id", filter=due),
            later=Count("id", filter=~due),
            oldest=Min(since, filter=due),
        )
    )
    stats = {name: (0, 0, 0.0) for name in _queue_names()}
    for row in rows:
        stats[row["queue_name"]] = (row["due"], row["later"], _age(row["oldest"], now))
    return stats


def rq_queue_stats(now: datetime) -> dict[str, tuple[int, int, float]]:
    """The same for the RQ backend: each RQ queue's length, its scheduled jobs, and the
    enqueue time of the job at its head (the oldest)."""
    import django_rq
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    stats = {}
    for name in _queue_names():
        try:
            queue = django_rq.get_queue(name)
        except KeyError:  # not in RQ_QUEUES
            continue
        oldest = 0.0
        head = queue.get_job_ids(0, 1)
        if head:
            try:
                job = Job.fetch(head[0], connection=queue.connection)
                oldest = _age(job.enqueued_at, now)
            except NoSuchJobError:  # taken (and finished) meanwhile
                pass
        stats[name] = (queue.count, queue.scheduled_job_registry.count, oldest)
    return stats


def queue_stats(now: datetime) -> dict[str, tuple[int, int, float]]:
    """Per queue of the configured task backend (settings.TASKS): RQ or the database."""
    from django_tasks import task_backends
    from django_tasks_db import DatabaseBackend

    backend = task_backends["default"]
    if isinstance(backend, DatabaseBackend):
        return database_queue_stats(now)
    if _is_rq(backend):
        return rq_queue_stats(now)
    return {}  # tasks run in the request (tests): no queue


def _is_rq(backend: object) -> bool:
    try:
        from django_tasks_rq import RQBackend
    except ImportError:
        return False
    return isinstance(backend, RQBackend)


def _gauge(name: str, documentation: str, labels: list[str] | None = None) -> Any:
    from prometheus_client.core import GaugeMetricFamily

    return GaugeMetricFamily(name, documentation, labels=labels)


def queue_metrics(now: datetime) -> Iterator[Any]:
    depth = _gauge("wikisocial_tasks_queued", "Tasks due and waiting for a worker.", ["queue"])
    later = _gauge(
        "wikisocial_tasks_scheduled", "Tasks waiting for a later time (retries).", ["queue"]
    )
    age = _gauge(
        "wikisocial_tasks_oldest_age_seconds",
        "How long the oldest due task has waited.",
        ["queue"],
    )
    for name, (due, scheduled, oldest) in sorted(queue_stats(now).items()):
        depth.add_metric([name], due)
        later.add_metric([name], scheduled)
        age.add_metric([name], oldest)
    yield from (depth, later, age)


def inbox_metrics(now: datetime) -> Iterator[Any]:
    from django.db.models import Count, Min

    from wikisocial.federation.models import InboxItem

    waiting = InboxItem.objects.filter(processed_at__isnull=True).aggregate(
        n=Count("id"), oldest=Min("received_at")
    )
    count = _gauge("wikisocial_inbox_waiting", "Received activities not processed yet.")
    count.add_metric([], waiting["n"])
    age = _gauge("wikisocial_inbox_oldest_age_seconds", "Age of the oldest waiting activity.")
    age.add_metric([], _age(waiting["oldest"], now))
    yield from (count, age)


def delivery_metrics(now: datetime) -> Iterator[Any]:
    from django.db.models import Count

    from wikisocial.federation.models import Delivery

    states = [s for s in Delivery.State.values if s != Delivery.State.DELIVERED]
    counted = dict(
        Delivery.objects.filter(state__in=states)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    by_state = _gauge(
        "wikisocial_deliveries",
        "Outbound deliveries not delivered, by state (delivered ones are not counted).",
        ["state"],
    )
    for state in states:
        by_state.add_metric([state], counted.get(state, 0))
    retrying = _gauge(
        "wikisocial_deliveries_retrying", "Pending deliveries that failed at least once."
    )
    retrying.add_metric(
        [], Delivery.objects.filter(state=Delivery.State.PENDING, attempts__gt=0).count()
    )
    yield from (by_state, retrying)
    yield from domain_metrics(now)


def domain_metrics(now: datetime) -> Iterator[Any]:
    """The domains failing most (settings.METRICS_TOP_DOMAINS): consecutive failures and
    circuit state; and how many domains are failing, open or dead in all."""
    from django.db.models import Count, Q

    from wikisocial.federation.models import DomainHealth

    failing = DomainHealth.objects.filter(Q(consecutive_failures__gt=0) | Q(dead=True))
    totals = failing.aggregate(
        failing=Count("id"),
        open=Count("id", filter=Q(open_until__gt=now, dead=False)),
        dead=Count("id", filter=Q(dead=True)),
    )
    summary = _gauge("wikisocial_delivery_domains", "Remote domains by delivery health.", ["state"])
    for state in ("failing", "open", "dead"):
        summary.add_metric([state], totals[state])
    failures = _gauge(
        "wikisocial_delivery_domain_consecutive_failures",
        "Failed deliveries in a row, for the domains failing most.",
        ["domain"],
    )
    circuit = _gauge(
        "wikisocial_delivery_domain_circuit",
        "Circuit state of the domains failing most: 0 closed (trying), 1 open, 2 dead.",
        ["domain"],
    )
    worst = failing.order_by("-dead", "-consecutive_failures", "domain")
    for row in worst[: settings.METRICS_TOP_DOMAINS]:
        failures.add_metric([row.domain], row.consecutive_failures)
        state = 2 if row.dead else 1 if row.open_until and row.open_until > now else 0
        circuit.add_metric([row.domain], state)
    yield from (summary, failures, circuit)


class StateCollector:
    """Reads the queues, inbox and deliveries when /metrics is scraped. A part that fails
    (database or Redis down) is left out and counted in wikisocial_metrics_errors."""

    parts = (queue_metrics, inbox_metrics, delivery_metrics)

    def collect(self) -> Iterator[Any]:
        now = timezone.now()
        errors = _gauge(
            "wikisocial_metrics_errors", "Parts of this scrape that could not be read.", ["part"]
        )
        for part in self.parts:
            try:
                collected = list(part(now))
            except Exception:  # a scrape must answer even when the database does not
                logger.warning("metrics: %s could not be read", part.__name__, exc_info=True)
                errors.add_metric([part.__name__], 1)
                continue
            yield from collected
        yield errors
