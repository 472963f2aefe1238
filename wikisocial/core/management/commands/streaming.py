"""Serve the streaming API (ASGI, Granian)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from wikisocial.core.management.commands.serve import ensure_port_free

# Connections Granian admits beyond the streaming server's own limit, so that the server can
# answer the ones over its limit with a 503 rather than leave them waiting.
SPARE_CONNECTIONS = 64
STOP_TIMEOUT = 10  # seconds


class Command(BaseCommand):
    help = "Serve the streaming API (/api/v1/streaming: server-sent events and WebSocket)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=4000)

    def handle(self, *args, host: str, port: int, **options) -> None:
        from granian import Granian
        from granian.constants import Interfaces

        from wikisocial.cli import check_database, check_migrated

        check_database()
        check_migrated()
        ensure_port_free(host, port)
        broker = "Redis" if settings.STREAMING_REDIS_URL else "the database"
        self.stdout.write(f"Streaming on http://{host}:{port}/api/v1/streaming (via {broker})")
        Granian(
            "wikisocial.config.asgi:application",
            address=host,
            port=port,
            interface=Interfaces.ASGI,
            workers=1,
            websockets=True,
            backpressure=settings.STREAMING_MAX_CONNECTIONS + SPARE_CONNECTIONS,
            log_access=False,
            respawn_failed_workers=True,
            # Streams are closed on SIGTERM; one that still hangs is cut after this long.
            workers_kill_timeout=STOP_TIMEOUT,
        ).serve()
