"""Periodic jobs: run once per period across all workers, however many there are.

Every `wikisocial worker` looks every few seconds for jobs that are due (`run_due`). A job
runs only in the worker that moved its `next_run_at` forward, in one conditional UPDATE
(`claim`): the database lets one UPDATE through per period and the others change no row. So
with N workers on N machines each job still runs once per period; if the worker running it
dies, the job runs again at its next period, in whichever worker claims it. "Due" is judged by
the database's clock (Now()), not the worker's: a machine whose clock is off neither runs a job
early nor pushes its next run out.

A new job (retention, digests …) is one line in JOBS: a name, the function (a dotted path, so
this module imports no domain) and its period in seconds, or the name of the setting holding
it. Jobs must be safe to run twice and to overlap (a run slower than its period may still be
going when the next one starts): the ones here claim their rows one by one.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connections
from django.db.models import F
from django.db.models.functions import Now
from django.utils.module_loading import import_string

from wikisocial.core.models import PeriodicRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    function: str  # dotted path of a function taking no argument
    every: int | str  # seconds, or the name of a setting holding them

    @property
    def period(self) -> timedelta:
        seconds = getattr(settings, self.every) if isinstance(self.every, str) else self.every
        return timedelta(seconds=seconds)


JOBS: tuple[Job, ...] = (
    # Deliveries whose task was lost or whose worker died; finished rows older than 30 days.
    Job("federation.delivery-sweep", "wikisocial.federation.delivery.sweep", "SWEEP_SECONDS"),
    # Inbox activities stored but never processed (their task was lost, their worker died).
    Job(
        "federation.inbox-sweep",
        "wikisocial.federation.dispatch.process_stalled",
        "SWEEP_SECONDS",
    ),
    # Results of finished tasks in the database queue (one row per task ever run).
    Job("tasks.prune-results", "wikisocial.core.tasks.prune_task_results", 3600),
    # The query planner's statistics on SQLite (PostgreSQL's autovacuum keeps its own).
    Job("db.statistics", "wikisocial.core.db.refresh_statistics", 6 * 3600),
)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


# A new job's row: due at once, whatever any clock says.
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def claim(job: Job, now: datetime | None = None) -> bool:
    """Take this period's run of ``job``: True for exactly one caller per period. ``now`` is
    the database's clock unless given (tests simulate periods with it)."""
    clock = Now() if now is None else now
    PeriodicRun.objects.bulk_create(
        [PeriodicRun(name=job.name, next_run_at=LONG_AGO)], ignore_conflicts=True
    )
    due = PeriodicRun.objects.filter(name=job.name, next_run_at__lte=clock)
    return bool(
        due.update(
            next_run_at=clock + job.period,
            runs=F("runs") + 1,
            last_started_at=clock,
            last_worker=worker_name(),
        )
    )


def due_jobs(jobs: tuple[Job, ...], now: datetime | None = None) -> list[Job]:
    """The jobs that may be due (no row yet, or next_run_at passed): a read, so idle checks
    take no write lock."""
    later = PeriodicRun.objects.filter(next_run_at__gt=Now() if now is None else now)
    not_due = set(later.values_list("name", flat=True))
    return [job for job in jobs if job.name not in not_due]


def run(job: Job) -> None:
    """Run ``job`` here and now (after claiming it); a failure is logged and recorded."""
    started = time.monotonic()
    error = ""
    try:
        result = import_string(job.function)()
    except Exception as exc:
        logger.exception("periodic job %s failed", job.name)
        error = f"{type(exc).__name__}: {exc}"[:2000]
    else:
        if result:
            logger.info("periodic job %s: %s", job.name, result)
    PeriodicRun.objects.filter(name=job.name).update(last_finished_at=Now(), last_error=error)
    logger.debug("periodic job %s took %.2fs", job.name, time.monotonic() - started)


def run_due(
    jobs: tuple[Job, ...] | None = None,
    now: datetime | None = None,
    stop: threading.Event | None = None,
) -> list[str]:
    """Run each job that is due and that this process claims; their names. Once ``stop`` is
    set no further job starts (the one running finishes)."""
    jobs = JOBS if jobs is None else jobs
    ran = []
    for job in due_jobs(jobs, now):
        if stop is not None and stop.is_set():
            break
        if claim(job, now):
            run(job)
            ran.append(job.name)
    return ran


def check_every(jobs: tuple[Job, ...] | None = None) -> float:
    """How often a worker looks for due jobs: often enough for the shortest period."""
    shortest = min(job.period.total_seconds() for job in (JOBS if jobs is None else jobs))
    return max(0.5, min(5.0, shortest / 2))


def run_forever(stop: threading.Event) -> None:
    """The worker's periodic thread: look for due jobs every few seconds until ``stop`` is
    set; the worker then joins it, so a job it was running (a sweep's POSTs) finishes and is
    recorded before the process exits. Never raises: a broken database is logged and tried
    again."""
    pause = check_every()
    while not stop.is_set():
        try:
            run_due(stop=stop)
        except Exception:
            logger.exception("periodic jobs: could not check what is due")
        finally:
            close_old_connections()  # this thread's, when broken or older than CONN_MAX_AGE
        stop.wait(pause)
    connections.close_all()  # this thread's own
