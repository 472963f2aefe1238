"""The real `wikisocial` command in child processes: the all-in-one server, start-up errors,
and the background worker. Each test has its own fresh data folder and the real settings."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.cli.helpers import (
    JSON_MARK,
    WIKISOCIAL,
    alive,
    clean_env,
    cmdline,
    descendants,
    free_port,
    http_get,
    kill_group,
    kill_pid,
    migrated,
    migrated_template,
    port_accepts,
    run_cli,
    shell_json,
    wait_for_http,
)

pytestmark = pytest.mark.e2e


def no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout


# --- wikisocial run ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A data folder migrated once; tests copy its database into their own fresh folder."""
    return migrated_template(tmp_path_factory.mktemp("template"), timeout=90)


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    log: Path
    family: set[int] = field(default_factory=set)

    def snapshot(self) -> set[int]:
        """Remember (and return) everything `run` has started, to check it all stops."""
        self.family |= descendants(self.proc.pid)
        return set(self.family)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextlib.contextmanager
def running(tmp_path: Path, data: Path, *args: str):
    """`wikisocial run` on a free loopback port, once it answers; always stopped after."""
    port = free_port()
    log = tmp_path / f"run-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*WIKISOCIAL, "run", "--host", "127.0.0.1", "--port", str(port), *args],
            env=clean_env(data),
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, to clean up after a failure
        )
    server = Server(proc, port, log)
    try:
        wait_for_http(proc, port, "/auth/signup", timeout=60, log=log)
        server.snapshot()
        yield server
    finally:
        if proc.poll() is None:
            server.snapshot()
        # While `run` or one of its children lives, the group id is theirs: kill the group.
        if proc.poll() is None or any(alive(pid) for pid in server.family):
            kill_group(proc)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        for pid in server.family:
            if alive(pid):
                kill_pid(pid)  # a straggler that left the group


def assert_all_stopped(server: Server, family: set[int], within: float = 20) -> None:
    deadline = time.monotonic() + within
    while any(alive(pid) for pid in family) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = {pid: cmdline(pid) for pid in family if alive(pid)}
    assert not left, f"still running: {left}\n{server.output()}"
    assert not port_accepts(server.port), f"something still listens on {server.port}"


def worker_children(pid: int) -> set[int]:
    """The background-worker processes among the children of `run` (pid)."""
    return {c for c in descendants(pid) if cmdline(c).rstrip().endswith(" worker") and alive(c)}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_run_migrates_serves_and_stops_on_sigterm(tmp_path):
    data = tmp_path / "fresh" / "nested" / "data"
    assert not data.parent.exists()

    with running(tmp_path, data) as server:
        port = server.port
        assert "Applying accounts.0001_initial... OK" in server.output()
        for path in ["/", "/admin/login/", "/about", "/auth/signup"]:
            status, _ = http_get(port, path)
            assert status == 200, (path, status)
        assert http_get(port, "/@nobody_here")[0] == 404

        # The data folder was made, with the database and an owner-only secret key.
        assert data.is_dir()
        assert (data / "wikisocial.sqlite3").is_file()
        secret = data / "secret_key"
        assert secret.is_file()
        assert secret.stat().st_mode & 0o777 == 0o600
        assert len(secret.read_text().strip()) >= 50

        # Another process on the same data folder: an account, then its profile and a token.
        created = run_cli(["accounts", "create", "ana", "--email", "ana@example.org"], data)
        assert created.returncode == 0, created.stderr
        status, body = http_get(port, "/@ana")
        assert status == 200
        assert b"ana" in body

        made = run_cli(["tokens", "create", "ana", "--scopes", "read"], data)
        assert made.returncode == 0, made.stderr
        token = made.stdout.strip()
        status, body = http_get(port, "/api/v1/accounts/verify_credentials", bearer(token))
        assert status == 200, body
        me = json.loads(body)
        assert me["username"] == "ana"
        # Without WIKISOCIAL_DOMAIN the instance is known by the address it serves on.
        assert me["url"] == f"http://localhost:{port}/@ana"
        assert me["avatar"].startswith(f"http://localhost:{port}/")
        status, body = http_get(port, "/api/v1/accounts/verify_credentials")
        assert status == 401
        assert "error" in json.loads(body)

        # run → serve (Granian and its worker process) and the background worker.
        family = server.snapshot()
        commands = [cmdline(pid) for pid in family]
        assert any(" serve " in c for c in commands), commands
        assert any(c.rstrip().endswith(" worker") for c in commands), commands

        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=20) == 0, server.output()
        assert_all_stopped(server, family, within=5)
        assert "Traceback" not in server.output()


def test_run_restarts_a_dead_worker(tmp_path, template):
    with running(tmp_path, migrated(tmp_path, template)) as server:
        # Let the first worker finish starting: on a loaded machine it may still be importing
        # Django, and one killed then never says "Starting worker" at all.
        deadline = time.monotonic() + 60
        while "Starting worker" not in server.output() and time.monotonic() < deadline:
            time.sleep(0.2)
        [first] = worker_children(server.proc.pid)

        kill_pid(first)  # the worker process dies (not a task: the process)
        deadline = time.monotonic() + 60
        while server.output().count("Starting worker") < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert server.output().count("Starting worker") == 2, server.output()
        assert "worker exited (-9)" in server.output()
        [second] = worker_children(server.proc.pid)
        assert second != first
        assert http_get(server.port, "/about")[0] == 200

        family = server.snapshot()
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=20) == 0, server.output()
        assert_all_stopped(server, family, within=5)


def test_run_stops_everything_on_ctrl_c(tmp_path, template):
    with running(tmp_path, migrated(tmp_path, template)) as server:
        # Let the background worker finish starting (a Ctrl-C while Django is still being
        # imported ends that process with a KeyboardInterrupt traceback).
        deadline = time.monotonic() + 15
        while "Starting worker" not in server.output() and time.monotonic() < deadline:
            time.sleep(0.1)
        family = server.snapshot()

        # Ctrl-C in a terminal interrupts the whole foreground process group.
        os.killpg(server.proc.pid, signal.SIGINT)
        assert server.proc.wait(timeout=20) == 0, server.output()
        assert_all_stopped(server, family, within=5)
        assert "Traceback" not in server.output()


def test_children_stop_when_run_is_killed(tmp_path, template):
    with running(tmp_path, migrated(tmp_path, template)) as server:
        family = server.snapshot()
        assert len(family) >= 2

        os.kill(server.proc.pid, signal.SIGKILL)  # no chance to clean up after itself
        assert server.proc.wait(timeout=5) == -signal.SIGKILL
        assert_all_stopped(server, family, within=20)


@pytest.mark.parametrize("command", ["run", "serve"])
def test_a_port_in_use_is_refused_with_a_message(tmp_path, template, command):
    # `run` starts on a new data folder; `serve` expects a migrated database.
    data = tmp_path / "data" if command == "run" else migrated(tmp_path, template)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]

        result = run_cli([command, "--port", str(port)], data, timeout=60)

    assert result.returncode != 0
    assert "in use" in result.stderr
    assert str(port) in result.stderr
    no_traceback(result)
    # `run` checks the port before migrating: nothing was set up for a server that cannot start.
    assert "Applying" not in result.stdout


# --- start-up errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://nobody@127.0.0.1:1/nothing",
        "postgresql://u:secret@127.0.0.1:1/x",
        "postgres://u:p%40ss%3Asecret@127.0.0.1:1/x?sslmode=disable",
    ],
)
@pytest.mark.parametrize("command", [["migrate"], ["run", "--port", "1"]])
def test_unreachable_database_is_a_one_line_error(tmp_path, url, command):
    data = tmp_path / "data"
    result = run_cli(command, data, env=clean_env(data, DATABASE_URL=url), timeout=60)

    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("wikisocial: cannot connect to the database"), result.stderr
    assert "127.0.0.1" in result.stderr
    assert "DATABASE_URL" in result.stderr
    no_traceback(result)
    assert "secret" not in result.stderr + result.stdout
    if "u:" in url:
        assert "u@127.0.0.1:1" in result.stderr


def test_password_in_the_query_string_is_not_printed(tmp_path):
    data = tmp_path / "data"
    url = "postgresql://u@127.0.0.1:1/x?password=secret"
    result = run_cli(["migrate"], data, env=clean_env(data, DATABASE_URL=url))

    assert result.returncode == 2
    assert "secret" not in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WIKISOCIAL_DOMAIN", "bad/domain"),
        ("WIKISOCIAL_DOMAIN", "example.org:http"),
        ("WIKISOCIAL_TASKS_BACKEND", "nope"),
        ("WIKISOCIAL_EMAIL_BACKEND", "pigeon"),
        ("WIKISOCIAL_DEBUG", "maybe"),
        ("EMAIL_PORT", "twenty-five"),
        ("WIKISOCIAL_MAX_REQUEST_BYTES", "lots"),
        ("DATABASE_URL", "nonsense://somewhere/db"),
    ],
)
def test_a_bad_setting_is_a_one_line_error(tmp_path, name, value):
    data = tmp_path / "data"
    result = run_cli(["migrate"], data, env=clean_env(data, **{name: value}))

    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"wikisocial: {name} "), lines[0]
    no_traceback(result)
    assert not (data / "wikisocial.sqlite3").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["accounts", "list"],
        ["worker", "--batch"],
        ["serve", "--port", "1"],
        ["tokens", "create", "x"],
    ],
)
def test_commands_before_migrate_say_to_migrate(tmp_path, command):
    result = run_cli(command, tmp_path / "data")

    assert result.returncode == 2
    no_traceback(result)
    assert result.stderr.startswith("wikisocial: "), result.stderr
    assert "`wikisocial migrate`" in result.stderr


def test_a_data_folder_that_cannot_be_made_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run_cli(["migrate"], blocker / "data")

    assert result.returncode == 2
    assert result.stderr.startswith("wikisocial: cannot create the data folder"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    no_traceback(result)


# --- the background worker -----------------------------------------------------------------


def enqueue(data: Path, *calls: dict) -> list[str]:
    """Queue send_email(**kwargs) for each of ``calls`` from a real process; their ids."""
    code = (
        "import json\n"
        "from wikisocial.core.tasks import send_email\n"
        f"ids = [str(send_email.enqueue(**kw).id) for kw in {list(calls)!r}]\n"
        f"print({JSON_MARK!r} + json.dumps(ids))\n"
    )
    return shell_json(data, code)


def task_rows(data: Path) -> dict[str, dict]:
    code = (
        "import json\n"
        "from django_tasks_db.models import DBTaskResult\n"
        f"print({JSON_MARK!r} + json.dumps({{str(r.id): {{'status': r.status, "
        "'exception': r.exception_class_path, 'workers': r.worker_ids}"
        " for r in DBTaskResult.objects.all()}))\n"
    )
    return shell_json(data, code)


def sent_mail(data: Path) -> list[str]:
    outbox = data / "outbox"
    return [p.read_text() for p in sorted(outbox.iterdir())] if outbox.is_dir() else []


def worker_batch(data: Path, **env: str) -> subprocess.CompletedProcess:
    return run_cli(["worker", "--batch"], data, env=clean_env(data, **env), timeout=60)


def test_worker_survives_a_failing_task_and_logs_it(tmp_path, template):
    data = migrated(tmp_path, template)
    # The failing one is queued first: the worker must carry on to the next.
    bad, good = enqueue(
        data,
        {"to": "not-a-list@example.org", "subject": "broken", "body": "x"},  # TypeError
        {"to": ["bea@example.org"], "subject": "Good news", "body": "It works."},
    )

    result = worker_batch(data, WIKISOCIAL_EMAIL_BACKEND="file")

    assert result.returncode == 0, result.stderr
    rows = task_rows(data)
    assert rows[bad]["status"] == "FAILED"
    assert rows[bad]["exception"] == "builtins.TypeError"
    assert rows[good]["status"] == "SUCCESSFUL"
    assert rows[good]["exception"] == ""
    assert rows[bad]["workers"] == rows[good]["workers"]  # one process ran both
    assert f"Task id={bad}" in result.stderr
    assert "state=FAILED" in result.stderr
    assert "TypeError" in result.stderr
    assert f"Task id={good}" in result.stderr and "state=SUCCESSFUL" in result.stderr
    mails = sent_mail(data)
    assert len(mails) == 1
    assert "Subject: Good news" in mails[0]
    assert "To: bea@example.org" in mails[0]
    assert "It works." in mails[0]


def test_worker_records_an_smtp_failure_then_sends_when_mail_works(tmp_path, template):
    data = migrated(tmp_path, template)
    [bad] = enqueue(data, {"to": ["cy@example.org"], "subject": "Lost", "body": "x"})
    closed = free_port()

    failing = worker_batch(
        data,
        WIKISOCIAL_EMAIL_BACKEND="smtp",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(closed),
        EMAIL_TIMEOUT="5",
    )

    assert failing.returncode == 0, failing.stderr
    assert f"Task id={bad}" in failing.stderr and "state=FAILED" in failing.stderr
    assert "ConnectionRefusedError" in failing.stderr
    assert task_rows(data)[bad]["status"] == "FAILED"
    assert sent_mail(data) == []

    [good] = enqueue(data, {"to": ["cy@example.org"], "subject": "Found", "body": "y"})
    working = worker_batch(data, WIKISOCIAL_EMAIL_BACKEND="file")

    assert working.returncode == 0, working.stderr
    rows = task_rows(data)
    assert rows[good]["status"] == "SUCCESSFUL"
    assert rows[bad]["status"] == "FAILED"  # a failed task is recorded, not retried
    assert rows[bad]["exception"] == "builtins.ConnectionRefusedError"
    mails = sent_mail(data)
    assert len(mails) == 1 and "Subject: Found" in mails[0]
