"""The all-in-one mode: migrate, then serve the web app, the streaming API and the worker side
by side."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wikisocial.config import env
from wikisocial.core.management.commands.serve import ensure_port_free
from wikisocial.core.management.commands.worker import STOP_TIMEOUT

DEFAULT_STREAMING_PORT = 4000
# How long a child may take to stop after SIGTERM before it is killed: the worker finishes
# and records the deliveries in flight (worker.py STOP_TIMEOUT).
STOP_WAIT = STOP_TIMEOUT + 10


def die_with_parent() -> None:
    """In the child: ask Linux to send SIGTERM if `run` itself dies (even by SIGKILL)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def any_free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass
class Child:
    """A child that is started again when it dies (the worker, the streaming server),
    waiting longer each time it dies soon after starting."""

    name: str
    args: tuple[str, ...]
    proc: subprocess.Popen | None = None
    started: float = 0.0
    restarts: int = 0

    def delay(self) -> int:
        if time.monotonic() - self.started > 60:
            self.restarts = 0
        self.restarts += 1
        return min(30, 2**self.restarts)


class Command(BaseCommand):
    help = (
        "Migrate the database, then serve the site and the streaming API and run the "
        "background worker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--streaming-port",
            type=int,
            default=None,
            help=f"port of the streaming API (default {DEFAULT_STREAMING_PORT}, or a free one "
            "if that is taken)",
        )

    def streaming_port(self, host: str, asked: int | None) -> int:
        if asked is not None:
            ensure_port_free(host, asked)
            return asked
        try:
            ensure_port_free(host, DEFAULT_STREAMING_PORT)
            return DEFAULT_STREAMING_PORT
        except CommandError:
            port = any_free_port(host)
            self.stderr.write(
                f"port {DEFAULT_STREAMING_PORT} is in use: the streaming API is on port {port}"
            )
            return port

    def handle(self, *args, host: str, port: int, streaming_port: int | None, **options) -> None:
        ensure_port_free(host, port)
        stream_port = self.streaming_port(host, streaming_port)
        call_command("migrate", interactive=False, verbosity=1)
        stopping = False

        def stop(signum, frame) -> None:
            nonlocal stopping
            stopping = True

        # Handlers first: a signal that arrives while the children start still stops them.
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        python = [sys.executable, "-m", "wikisocial"]
        # Without WIKISOCIAL_DOMAIN, the instance is known by the address it serves on.
        child_env = {**os.environ}
        child_env.setdefault("WIKISOCIAL_DOMAIN", f"localhost:{port}")
        if env.is_local_domain(child_env["WIKISOCIAL_DOMAIN"]):
            # Clients find the streaming server through the instance's `streaming_api` URL;
            # on a public domain a reverse proxy serves it on the site's own address.
            shown = "localhost" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
            shown = f"[{shown}]" if ":" in shown else shown
            child_env.setdefault("WIKISOCIAL_STREAMING_URL", f"ws://{shown}:{stream_port}")

        def start(*args: str) -> subprocess.Popen:
            # Own process group: a Ctrl-C in the terminal reaches only `run`, which then stops
            # each child once, in order.
            return subprocess.Popen(
                [*python, *args], env=child_env, preexec_fn=die_with_parent, process_group=0
            )

        def pause(seconds: float) -> None:
            deadline = time.monotonic() + seconds
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.2)

        web = start("serve", "--host", host, "--port", str(port))
        children = [
            Child("worker", ("worker",)),
            Child("streaming", ("streaming", "--host", host, "--port", str(stream_port))),
        ]
        for child in children:
            child.proc, child.started = start(*child.args), time.monotonic()
        try:
            while not stopping and web.poll() is None:
                for child in children:
                    if child.proc.poll() is None:
                        continue
                    # The worker survives bad tasks, the streaming server bad connections; if
                    # the process itself dies, start it again.
                    delay = child.delay()
                    self.stderr.write(
                        f"{child.name} exited ({child.proc.returncode}); restarting in {delay}s"
                    )
                    pause(delay)
                    if stopping:
                        break
                    child.proc, child.started = start(*child.args), time.monotonic()
                pause(0.5)
        finally:
            procs = [web, *(child.proc for child in children)]
            for proc in procs:
                if proc.poll() is None:
                    proc.terminate()
            for proc in procs:
                try:
                    proc.wait(timeout=STOP_WAIT)
                except subprocess.TimeoutExpired:
                    proc.kill()
        if web.returncode not in (0, None, -signal.SIGTERM) and not stopping:
            sys.exit(web.returncode)
