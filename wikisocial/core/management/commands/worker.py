"""Run background tasks from the database queue."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the background worker (tasks queued in the database)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="run what is queued, then exit")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        parser.add_argument("--queue", default="default")

    def handle(self, *args, batch: bool, interval: float, queue: str, **options) -> None:
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
