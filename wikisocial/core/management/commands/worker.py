"""Run background tasks from whichever queue backend is configured (the database, or Redis
with WIKISOCIAL_TASKS_BACKEND=rq), and the periodic jobs beside them.

Stopping (SIGTERM, SIGINT): the queue stops taking tasks and lets the one running finish;
then the periodic thread is told to stop and joined, and the deliveries still in flight are
waited for and recorded (federation/sending.py), so a clean stop leaves none in *sending*.
A second signal stops at once.
"""

from __future__ import annotations

import argparse
import logging
import resource
import threading
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wikisocial.config.env import TASK_QUEUES
from wikisocial.core import periodic

logger = logging.getLogger("wikisocial.core.worker")

# Seconds a stopping worker gives the periodic thread and the stop hooks together: a POST
# takes at most 10 s (federation/delivery.py TIMEOUT), so this covers the slowest in flight.
# `wikisocial run` and the service manager must wait longer than this before SIGKILL.
STOP_TIMEOUT = 20.0


def queue_names(value: str) -> list[str]:
    """``--queues``: names from TASK_QUEUES, comma-separated; kept in TASK_QUEUES order (the
    priority order), whatever order they were given in."""
    names = {name.strip() for name in value.split(",") if name.strip()}
    unknown = names - set(TASK_QUEUES)
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"queues are {', '.join(TASK_QUEUES)} (comma-separated), not {value!r}"
        )
    return [name for name in TASK_QUEUES if name in names]


def backend_kind() -> str:
    path = settings.TASKS["default"]["BACKEND"]
    if path == "wikisocial.core.rq.RQBackend":
        return "rq"
    if path == "django_tasks_db.DatabaseBackend":
        return "database"
    raise CommandError(
        "WIKISOCIAL_TASKS_BACKEND is immediate: tasks run where they are queued, there is "
        "nothing for a worker to do"
    )


def run_periodic_once() -> None:
    """`--batch`: every periodic job once, now, whether due or not (it runs what an operator
    asks for; the schedule moves on as after any run)."""
    for job in periodic.JOBS:
        periodic.run(job)


def start_periodic(stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(
        target=periodic.run_forever, args=(stop,), name="periodic-jobs", daemon=True
    )
    thread.start()
    return thread


def stop_cleanly(stop: threading.Event, thread: threading.Thread | None) -> None:
    """After the queue loop ended: stop and join the periodic thread (a sweep it runs may be
    sending), then let the deliveries still in flight end and record them, all within
    STOP_TIMEOUT."""
    from wikisocial.federation import sending

    deadline = time.monotonic() + STOP_TIMEOUT
    stop.set()
    if thread is not None:
        thread.join(timeout=STOP_TIMEOUT)
        if thread.is_alive():
            logger.warning("the periodic jobs did not stop within %.0fs", STOP_TIMEOUT)
    left = sending.shutdown(max(1.0, deadline - time.monotonic()))
    if left:
        logger.warning("stopped with %d delivery(ies) unrecorded: sent again after the lease", left)


def open_files_allowed() -> int:
    """Raise this process's limit on open files to the most it may have: a worker's sending
    threads (federation/sending.py) hold up to 512 connections, and the kept ones up to 256
    more, past the usual soft limit of 1,024. Returns the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65_536)
    if soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError):
            logger.warning("cannot raise the open-files limit above %d", soft)
            return soft
    return max(soft, wanted)


class Command(BaseCommand):
    help = (
        "Run the background worker: the task queues (all, in priority order: "
        f"{', '.join(TASK_QUEUES)}), and the periodic jobs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queues",
            type=queue_names,
            default=list(TASK_QUEUES),
            help=f"queues to serve, comma-separated (default: all, {','.join(TASK_QUEUES)})",
        )
        parser.add_argument("--batch", action="store_true", help="run what is queued, then exit")
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="seconds between polls of the database queue (Redis needs no polling)",
        )
        parser.add_argument(
            "--periodic",
            dest="with_periodic",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="run the periodic jobs in this process too (each runs once per period "
            "across all workers, whichever claims it)",
        )

    def handle(
        self,
        *args,
        queues: list[str],
        batch: bool,
        interval: float,
        with_periodic: bool,
        **options,
    ) -> None:
        kind = backend_kind()
        open_files_allowed()
        stop = threading.Event()
        thread = None
        if batch and with_periodic:
            run_periodic_once()
        elif with_periodic:
            thread = start_periodic(stop)
        try:
            self.serve_queues(kind, queues, batch, interval)
        finally:
            stop_cleanly(stop, thread)

    def serve_queues(self, kind: str, queues: list[str], batch: bool, interval: float) -> None:
        """Until stopped (or, with ``batch``, until the queues are empty)."""
        if kind == "rq":
            from wikisocial.core.rq import work

            self.stderr.write(f"Starting worker (Redis) queues={','.join(queues)}")
            work(queues, burst=batch)
            return
        extra = ["--batch"] if batch else []
        call_command(
            "db_worker",
            "--queue-name",
            ",".join(queues),
            "--interval",
            str(interval),
            "--no-startup-delay",
            "--no-reload",
            *extra,
        )
