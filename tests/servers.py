"""Real WikiSocial servers for the end-to-end and browser tests: each instance is its own
`wikisocial run` (web server and worker) with its own data folder, database, domain and port
on loopback, talking ActivityPub over real HTTP with WIKISOCIAL_DEV_FEDERATION=1.

With DATABASE_URL pointing at PostgreSQL each instance gets a database of its own, dropped
when the instances stop; without it, each uses SQLite in its data folder.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.cli.helpers import (
    JSON_MARK,
    clean_env,
    free_port,
    fresh_databases,
    kill_group,
    run_cli,
    spawn,
    wait_for_http,
)

START_TIMEOUT = 120  # seconds for an instance to migrate and answer


class RunningServer:
    """What every real server the tests start has: its process (`wikisocial run`, in a
    session of its own) and its log."""

    proc: subprocess.Popen | None
    log: Path

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=20)
        kill_group(self.proc)  # whatever `run` left behind (web server, worker)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)

    def tail(self, lines: int = 60) -> str:
        """The log's last lines, without the list of migrations applied."""
        try:
            text = self.log.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        kept = [line for line in text.splitlines() if not line.startswith("  Applying ")]
        return "\n".join(kept[-lines:])


@dataclass
class Instance(RunningServer):
    name: str
    port: int
    data: Path
    log: Path
    env: dict[str, str]
    proc: subprocess.Popen | None = None

    @property
    def domain(self) -> str:
        return f"localhost:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.domain}"

    def handle(self, username: str) -> str:
        return f"@{username}@{self.domain}"

    def start(self) -> None:
        self.proc = spawn(["run", "--port", str(self.port)], self.env, self.log)

    def wait_ready(self) -> None:
        assert self.proc is not None
        wait_for_http(self.proc, self.port, "/about", timeout=START_TIMEOUT, log=self.log)

    def create_account(self, username: str, password: str, *extra: str) -> None:
        """An account made on the command line (confirmed; it has not accepted the code of
        conduct yet). ``extra``: more arguments for `wikisocial accounts create`."""
        result = run_cli(
            [
                "accounts",
                "create",
                username,
                "--email",
                f"{username}@example.org",
                "--password-stdin",
                *extra,
            ],
            self.data,
            input=password + "\n",
            env=self.env,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def shell_json(self, code: str):
        """Run ``code`` in `wikisocial shell` against this instance; it prints JSON_MARK and
        a JSON value, which is returned."""
        result = run_cli(["shell", "-c", code], self.data, env=self.env)
        assert result.returncode == 0, result.stderr
        for line in reversed(result.stdout.splitlines()):
            if line.startswith(JSON_MARK):
                return json.loads(line[len(JSON_MARK) :])
        raise AssertionError(f"no {JSON_MARK} line in:\n{result.stdout}\n{result.stderr}")

    def outbox(self) -> Path:
        """The folder the file e-mail backend writes this instance's e-mails to."""
        return self.data / "outbox"


@contextlib.contextmanager
def running_instances(
    root: Path, names: list[str], stem: str, **extra_env: str
) -> Iterator[dict[str, Instance]]:
    """Start one instance per name (in parallel), wait until each answers, yield them by
    name, and stop them (and drop their databases) afterwards. ``extra_env`` goes to every
    instance's environment."""
    db_urls, drop_databases = fresh_databases(stem, names)

    def new_instance(name: str) -> Instance:
        port = free_port()
        data = root / name
        extra = {
            "WIKISOCIAL_DOMAIN": f"localhost:{port}",
            "WIKISOCIAL_DEV_FEDERATION": "1",
            "WIKISOCIAL_EMAIL_BACKEND": "file",
            **extra_env,
        }
        if name in db_urls:
            extra["DATABASE_URL"] = db_urls[name]
        return Instance(name, port, data, root / f"{name}.log", clean_env(data, **extra))

    instances = {name: new_instance(name) for name in names}
    try:
        for instance in instances.values():
            instance.start()
        for name in names:
            for attempt in range(3):
                try:
                    instances[name].wait_ready()
                    break
                except AssertionError:
                    # Another process may take a free port before the server binds it.
                    if attempt == 2 or "is in use" not in instances[name].tail():
                        raise
                    instances[name].stop()
                    instances[name] = new_instance(name)
                    instances[name].start()
        yield instances
    finally:
        for instance in instances.values():
            instance.stop()
        drop_databases()
