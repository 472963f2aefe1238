"""Tasks on Redis (WIKISOCIAL_TASKS_BACKEND=rq): django-tasks-rq's backend, and the RQ worker
that `wikisocial worker` runs. Imported only when that backend is configured."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.checks import CheckMessage
from django.db import close_old_connections
from django_rq.queues import get_queues
from django_tasks_rq.backend import Job as BaseJob
from django_tasks_rq.backend import RQBackend as BaseRQBackend
from redis.client import Pipeline
from rq.queue import Queue
from rq.worker import SimpleWorker

# How often (seconds) a worker does RQ's upkeep: cleaning registries and taking over the
# scheduler when the worker that ran it died (RQ's default, 10 minutes, would leave delayed
# tasks waiting that long after a crash). An idle worker wakes from waiting on Redis every
# WORKER_TTL - 15 seconds to do it, and counts as dead WORKER_TTL seconds after its last sign.
MAINTENANCE_INTERVAL = 60
WORKER_TTL = MAINTENANCE_INTERVAL + 15
# How long Redis keeps a task's job and result: a failed one a week (as the database queue
# does, core/tasks.py; RQ's own default is a year, in Redis' memory), a successful one ten
# minutes (nothing reads it later; at thousands of tasks a minute more would fill memory).
FAILURE_TTL = 7 * 24 * 3600
RESULT_TTL = 600


class RQBackend(BaseRQBackend):
    """django-tasks-rq's backend, accepting the priorities our tasks carry for the database
    queue (core/tasks.py PRIORITY). On Redis the priority is the queue itself: a worker
    listens to the queues in TASK_QUEUES order, so local work still goes first."""

    supports_priority = True

    def check(self, **kwargs: Any) -> Iterable[CheckMessage]:
        # django-tasks-rq asks for the django_rq app; its queues work without it (they read
        # RQ_QUEUES), and leaving it out keeps the schema the same on every backend.
        for message in super().check(**kwargs):
            if "django_rq app not installed" not in message.msg:
                yield message


class Job(BaseJob):
    """django-tasks-rq's job, kept FAILURE_TTL once failed (django-tasks-rq sets no
    failure_ttl, so RQ would keep it a year). Set when a worker starts the job, in the same
    Redis write, so it holds for a job that fails in the worker and for one whose worker was
    killed (failed later by RQ's clean-up, which reads the stored value)."""

    def prepare_for_execution(self, worker_name: str, pipeline: Pipeline) -> None:
        super().prepare_for_execution(worker_name, pipeline)
        if self.failure_ttl is None:
            self.failure_ttl = FAILURE_TTL
            pipeline.hset(self.key, "failure_ttl", FAILURE_TTL)


class Worker(SimpleWorker):
    """An RQ worker that runs each job in its own process instead of forking per job.

    RQ's default worker forks a "work horse" for every job. For our tasks (one delivery, one
    inbox activity: milliseconds of work) that fork dominates: copying the page tables of a
    Django process, then in the child a new PostgreSQL connection (a server process, TLS,
    authentication), a new Redis connection and the signing keys parsed again, all thrown away
    when the child exits. Run in place, a worker keeps its connections and caches from job to
    job. What the fork buys, isolation of a job that crashes the interpreter or leaks memory,
    matters little here: the tasks are ours, short, and keep their durable state in the
    database; a job running past its timeout is still stopped (SIGALRM in this process); and
    `wikisocial run` or the service manager restarts a worker process that dies. To scale,
    run more worker processes (each uses one core)."""

    def execute_job(self, job: Job, queue: Queue) -> None:
        # As Django does around each request: drop connections that broke or grew too old.
        close_old_connections()
        try:
            super().execute_job(job, queue)
        finally:
            close_old_connections()


def work(queue_names: list[str], *, burst: bool = False) -> None:
    """Serve ``queue_names`` (taken in that order) until stopped; with ``burst``, until they
    are empty. The worker also runs RQ's scheduler, which moves delayed tasks (retries,
    run_after) onto their queue when due; a lock in Redis lets one worker at a time do it."""
    queues = get_queues(*queue_names, job_class=Job)
    worker = Worker(
        queues,
        connection=queues[0].connection,
        job_class=Job,
        maintenance_interval=MAINTENANCE_INTERVAL,
        worker_ttl=WORKER_TTL,
        default_result_ttl=RESULT_TTL,
    )
    worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
