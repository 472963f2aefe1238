"""Serve the web app with Granian (WSGI)."""

from __future__ import annotations

import errno
import socket

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wikisocial.core.metrics import multiprocess_dir_for, prepare_multiprocess_dir


def ensure_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                message = f"port {port} on {host} is in use; pick another with --port"
                raise CommandError(message) from exc
            raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc


def close_connections_before_fork() -> None:
    """Close this process's database connections and connection pools (the startup checks
    opened them): Granian forks the workers, and a pool (its connections, its threads) must
    not be shared across processes; each worker opens its own on first use."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.close()
        close_pool = getattr(connection, "close_pool", None)  # PostgreSQL's backend only
        if close_pool is not None:
            close_pool()


class Command(BaseCommand):
    help = "Serve the web application (WSGI, Granian)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="processes")
        parser.add_argument("--threads", type=int, default=4, help="threads per process")

    def handle(self, *args, host: str, port: int, workers: int, threads: int, **options) -> None:
        from granian import Granian
        from granian.constants import Interfaces

        ensure_port_free(host, port)
        if settings.METRICS_ENABLED:
            # The worker processes add up their request metrics in files there (and inherit
            # the variable pointing at it); emptied so a restart starts from zero. On a local
            # disk, one per host and port (PROMETHEUS_MULTIPROC_DIR when set).
            prepare_multiprocess_dir(multiprocess_dir_for(port))
        close_connections_before_fork()
        self.stdout.write(f"Serving on http://{host}:{port}/ ({workers} process(es))")
        Granian(
            "wikisocial.config.wsgi:application",
            address=host,
            port=port,
            interface=Interfaces.WSGI,
            workers=workers,
            blocking_threads=threads,
            # Granian's backpressure caps the connections a worker accepts, idle keep-alive
            # ones included, not the requests in progress: tied to the thread count, two idle
            # browsers stalled everyone else. Many connections wait cheaply; the threads
            # bound the work.
            backpressure=max(256, threads * 64),
            log_access=False,
            respawn_failed_workers=True,
        ).serve()
