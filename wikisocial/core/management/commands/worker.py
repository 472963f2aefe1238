"""Run background tasks from the database queue, and sweep outbound deliveries beside them."""

from __future__ import annotations

import logging
import threading
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections

logger = logging.getLogger("wikisocial.federation.delivery")


def sweep_once() -> None:
    """One sweep of federation's durable queues: overdue deliveries (federation/delivery.py
    `sweep`) and inbox activities left unprocessed (federation/dispatch.py). A failure is
    logged, never raised."""
    from wikisocial.federation.delivery import sweep
    from wikisocial.federation.dispatch import process_stalled

    try:
        tried = sweep()
        if tried:
            logger.info("delivery sweep tried %d overdue delivery(ies)", tried)
        handled = process_stalled()
        if handled:
            logger.info("inbox sweep processed %d stalled activity(ies)", handled)
    except Exception:
        logger.exception("federation sweep failed")
    finally:
        connections.close_all()  # this thread's connections only


def sweep_forever(interval: float) -> None:
    while True:
        sweep_once()
        time.sleep(interval)


class Command(BaseCommand):
    help = "Run the background worker (tasks queued in the database, and the delivery sweep)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="run what is queued, then exit")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        parser.add_argument("--queue", default="default")
        parser.add_argument(
            "--sweep-interval",
            type=float,
            default=60.0,
            help="seconds between sweeps of overdue deliveries (0: none)",
        )

    def handle(
        self, *args, batch: bool, interval: float, queue: str, sweep_interval: float, **options
    ) -> None:
        if batch:
            sweep_once()
        elif sweep_interval > 0:
            sweeper = threading.Thread(
                target=sweep_forever, args=(sweep_interval,), name="delivery-sweep", daemon=True
            )
            sweeper.start()
        extra = ["--batch"] if batch else []
        call_command(
            "db_worker",
            "--queue-name",
            queue,
            "--interval",
            str(interval),
            "--no-startup-delay",
            "--no-reload",
            *extra,
        )
