"""The all-in-one mode: migrate, then serve the web app and the worker side by side."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from wikisocial.core.management.commands.serve import ensure_port_free


def die_with_parent() -> None:
    """In the child: ask Linux to send SIGTERM if `run` itself dies (even by SIGKILL)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Command(BaseCommand):
    help = "Migrate the database, then serve the site and run the background worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, host: str, port: int, **options) -> None:
        ensure_port_free(host, port)
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
        worker = start("worker")
        restarts, worker_started = 0, time.monotonic()
        try:
            while not stopping and web.poll() is None:
                if worker.poll() is not None:
                    # The worker survives bad tasks; if the process itself dies, start it again,
                    # waiting longer each time it dies soon after starting.
                    if time.monotonic() - worker_started > 60:
                        restarts = 0
                    restarts += 1
                    delay = min(30, 2**restarts)
                    self.stderr.write(
                        f"worker exited ({worker.returncode}); restarting in {delay}s"
                    )
                    pause(delay)
                    if stopping:
                        break
                    worker, worker_started = start("worker"), time.monotonic()
                pause(0.5)
        finally:
            for proc in (web, worker):
                if proc.poll() is None:
                    proc.terminate()
            for proc in (web, worker):
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        if web.returncode not in (0, None, -signal.SIGTERM) and not stopping:
            sys.exit(web.returncode)
