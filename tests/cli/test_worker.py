"""`wikisocial worker` as real processes: the queues in priority order on the database and on
Redis (RQ), several workers at once, delayed tasks, and the periodic jobs claimed once per
period by racing processes, and a worker stopped with SIGTERM mid-delivery. Redis tests are
skipped without a server (failed with WIKISOCIAL_REQUIRE_REDIS=1); they use the Redis database
number tests/services.py gives this module."""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from redis import Redis

from tests.cli.helpers import (
    JSON_MARK,
    WIKISOCIAL,
    clean_env,
    fresh_databases,
    kill_group,
    migrated,
    migrated_template,
    run_cli,
    shell_json,
    wait_until,
)
from tests.services import flush_redis, redis_url, require_redis

DAY = 24 * 3600
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("worker-queues")]


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A data folder migrated once (SQLite); tests copy its database (``migrated``)."""
    return migrated_template(tmp_path_factory.mktemp("worker-template"))


def rq_env(redis: str) -> dict[str, str]:
    """A worker's environment on the Redis queues at ``redis`` (e-mails into files)."""
    return {
        "WIKISOCIAL_EMAIL_BACKEND": "file",
        "WIKISOCIAL_TASKS_BACKEND": "rq",
        "REDIS_URL": redis,
    }


@pytest.fixture
def redis(tmp_path) -> str:
    url = redis_url("worker")
    require_redis(url)
    flush_redis(url)
    yield url
    flush_redis(url)


def enqueue_mails(data: Path, env: dict[str, str], mails: list[dict]) -> list[str]:
    """Queue send_email for each of ``mails`` ({"subject", "queue", "to"?, "at"?: an ISO time
    to run it at}) from a real process; the task ids."""
    code = (
        "import json\n"
        "from datetime import datetime\n"
        "from wikisocial.core.tasks import PRIORITY, send_email\n"
        "ids = []\n"
        f"for m in {mails!r}:\n"
        "    t = send_email.using(queue_name=m['queue'], priority=PRIORITY[m['queue']])\n"
        "    if m.get('at'):\n"
        "        t = t.using(run_after=datetime.fromisoformat(m['at']))\n"
        "    ids.append(str(t.enqueue(m.get('to', ['x@example.org']), m['subject'], 'b').id))\n"
        f"print({JSON_MARK!r} + json.dumps(ids))\n"
    )
    return shell_json(data, code, **env)


def statuses(data: Path, env: dict[str, str], ids: list[str]) -> dict[str, list]:
    code = (
        "import json\n"
        "from django_tasks import default_task_backend as b\n"
        "out = {}\n"
        f"for i in {ids!r}:\n"
        "    r = b.get_result(i)\n"
        "    out[i] = [r.status, [e.exception_class_path for e in r.errors]]\n"
        f"print({JSON_MARK!r} + json.dumps(out))\n"
    )
    return shell_json(data, code, **env)


def started_at(data: Path, env: dict[str, str], task_id: str) -> datetime:
    """When the worker started the task (its own record of it)."""
    code = (
        "import json\n"
        "from django_tasks import default_task_backend as b\n"
        f"print({JSON_MARK!r} + json.dumps(b.get_result({task_id!r}).started_at.isoformat()))\n"
    )
    return datetime.fromisoformat(shell_json(data, code, **env))


def sent_order(log: str) -> list[str]:
    return re.findall(r"sent e-mail '([^']+)'", log)


def sent_subjects(data: Path) -> list[str]:
    outbox = data / "outbox"
    if not outbox.is_dir():
        return []
    # Every Subject line of every file (a file being written may not have one yet).
    return [
        s for p in outbox.iterdir() for s in re.findall(r"^Subject: (.*)$", p.read_text(), re.M)
    ]


MAILS = [
    {"subject": "out", "queue": "outbound"},
    {"subject": "in", "queue": "inbound"},
    {"subject": "broken", "queue": "default", "to": "not-a-list"},
    {"subject": "local", "queue": "default"},
]


def test_database_queue_takes_local_then_inbound_then_outbound(tmp_path, template):
    data = migrated(tmp_path, template)
    env = {"WIKISOCIAL_EMAIL_BACKEND": "file"}
    ids = enqueue_mails(data, env, MAILS)

    result = run_cli(["worker", "--batch"], data, env=clean_env(data, **env), timeout=90)

    assert result.returncode == 0, result.stderr
    assert sent_order(result.stderr) == ["local", "in", "out"]
    assert "TypeError" in result.stderr  # the broken one is logged, and the worker went on
    found = statuses(data, env, ids)
    assert found[ids[2]] == ["FAILED", ["builtins.TypeError"]]
    assert all(found[i][0] == "SUCCESSFUL" for i in (ids[0], ids[1], ids[3]))


def test_redis_queues_in_priority_order_and_one_queue_alone(tmp_path, template, redis):
    data = migrated(tmp_path, template)
    env = rq_env(redis)
    ids = enqueue_mails(data, env, MAILS)

    only_out = run_cli(
        ["worker", "--batch", "--queues", "outbound"], data, env=clean_env(data, **env)
    )
    assert only_out.returncode == 0, only_out.stderr
    assert sent_order(only_out.stderr) == ["out"]

    rest = run_cli(["worker", "--batch"], data, env=clean_env(data, **env), timeout=90)
    assert rest.returncode == 0, rest.stderr
    assert sent_order(rest.stderr) == ["local", "in"]
    assert "TypeError" in rest.stderr
    found = statuses(data, env, ids)
    assert found[ids[2]] == ["FAILED", ["builtins.TypeError"]]
    assert all(found[i][0] == "SUCCESSFUL" for i in (ids[0], ids[1], ids[3]))
    assert sorted(sent_subjects(data)) == ["in", "local", "out"]
    # Redis keeps a failed task a week (not RQ's year), a successful one ten minutes.
    store = Redis.from_url(redis)
    assert 6.9 * DAY < store.ttl(f"rq:job:{ids[2]}") <= 7 * DAY
    assert 0 < store.ttl(f"rq:job:{ids[3]}") <= 600


@contextlib.contextmanager
def workers(data: Path, env: dict[str, str], count: int, *args: str):
    """``count`` `wikisocial worker` processes, each in a session of its own; stopped after."""
    procs = []
    try:
        for n in range(count):
            log = (data.parent / f"worker{n}.log").open("w")
            procs.append(
                subprocess.Popen(
                    [*WIKISOCIAL, "worker", *args],
                    env=clean_env(data, **env),
                    cwd=tempfile.gettempdir(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        yield procs
    finally:
        for proc in procs:
            kill_group(proc)
            proc.wait(timeout=10)


def test_two_redis_workers_share_the_queue_and_run_delayed_tasks(tmp_path, template, redis):
    data = migrated(tmp_path, template)
    env = rq_env(redis)
    mails = [{"subject": f"m{n}", "queue": "default"} for n in range(30)]
    later = datetime.now(UTC) + timedelta(seconds=4)
    mails.append({"subject": "later", "queue": "outbound", "at": later.isoformat()})
    with workers(data, env, 2) as procs:
        logs = [data.parent / f"worker{n}.log" for n in range(2)]
        wait_until(
            lambda: all("Listening on" in log.read_text() for log in logs),
            "both workers listening",
            timeout=90,
        )
        ids = enqueue_mails(data, env, mails)
        wait_until(
            lambda: len(sent_subjects(data)) >= 31 or any(p.poll() is not None for p in procs),
            "31 e-mails sent by two workers",
            timeout=90,
        )
        assert all(p.poll() is None for p in procs), "a worker exited"
        time.sleep(1)  # a duplicate would show by now
    subjects = sent_subjects(data)
    assert sorted(subjects) == sorted(m["subject"] for m in mails), subjects
    # The delayed one waited for its time (RQ schedules to the whole second).
    assert started_at(data, env, ids[-1]) >= later.replace(microsecond=0)
    assert all("sent e-mail" in log.read_text() for log in logs), "one worker did everything"


RACE_CODE = """
import json, time
from datetime import datetime, timedelta
from wikisocial.core import periodic
job = periodic.Job("test.race", "wikisocial.core.periodic.worker_name", 60)
start = datetime.fromisoformat({start!r})
time.sleep(max(0.0, {go} - time.time()))
ran = []
for period in range({periods}):
    for _ in range(3):
        now = start + timedelta(seconds=60 * period)
        ran += [period for _ in periodic.run_due((job,), now=now)]
print({mark!r} + json.dumps(ran))
"""


def test_racing_worker_processes_claim_each_period_once(tmp_path, template):
    """Four processes (as four workers on four machines) check the same job in the same
    simulated periods, at the same moment: each period runs in exactly one of them. On
    SQLite (a file, as in production) or, in the PostgreSQL pass, a database of its own."""
    db_urls, drop = fresh_databases("periodic", ["race"])
    try:
        data = migrated(tmp_path, template)
        env = {"DATABASE_URL": db_urls["race"]} if db_urls else {}
        if db_urls:
            assert run_cli(["migrate", "-v0"], data, env=clean_env(data, **env)).returncode == 0
        periods = 5
        code = RACE_CODE.format(
            start="2030-01-01T00:00:00+00:00",
            go=time.time() + 12,
            periods=periods,
            mark=JSON_MARK,
        )
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(lambda _: shell_json(data, code, **env), range(4), timeout=120))
        ran = sorted(p for result in results for p in result)
        assert ran == list(range(periods)), results
        runs = shell_json(
            data,
            "import json\nfrom wikisocial.core.models import PeriodicRun\n"
            f"print({JSON_MARK!r} + json.dumps(PeriodicRun.objects.get(name='test.race').runs))",
            **env,
        )
        assert runs == periods
    finally:
        drop()


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--queues", "nope"], {}, "queues are default, inbound, outbound"),
        ([], {"WIKISOCIAL_TASKS_BACKEND": "rq"}, "WIKISOCIAL_TASKS_BACKEND=rq needs REDIS_URL"),
        ([], {"WIKISOCIAL_DELIVERY_LEASE_SECONDS": "0"}, "WIKISOCIAL_DELIVERY_LEASE_SECONDS"),
        ([], {"WIKISOCIAL_SWEEP_SECONDS": "soon"}, "WIKISOCIAL_SWEEP_SECONDS"),
    ],
)
def test_bad_worker_settings_are_one_line_errors(tmp_path, template, args, env, message):
    data = migrated(tmp_path, template)
    result = run_cli(["worker", "--batch", *args], data, env=clean_env(data, **env))
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr


def test_the_delivery_lease_comes_from_the_environment(tmp_path, template):
    data = migrated(tmp_path, template)
    code = (
        "from wikisocial.federation import delivery\n"
        f"print({JSON_MARK!r} + str(delivery.LEASE.total_seconds()))"
    )
    assert shell_json(data, code, WIKISOCIAL_DELIVERY_LEASE_SECONDS="45") == 45.0
    assert shell_json(data, code) == 300.0


# --- a clean stop mid-delivery ----------------------------------------------------------------

SLOW_INBOX_SECONDS = 3.0
SLOW_INBOXES = 5


@contextlib.contextmanager
def slow_inbox() -> Iterator[dict]:
    """A loopback server whose inboxes (/users/s<n>/inbox) answer 202 after
    SLOW_INBOX_SECONDS; counts the POSTs it got ("received") and answered ("answered")."""
    counts = {"received": 0, "answered": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                counts["received"] += 1
            time.sleep(SLOW_INBOX_SECONDS)
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()
            with lock:
                counts["answered"] += 1

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    counts["base"] = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield counts
    finally:
        server.shutdown()
        server.server_close()


def queue_deliveries(data: Path, env: dict[str, str], inboxes: list[str]) -> int:
    code = (
        "from wikisocial.federation.delivery import deliver\n"
        "activity = {'@context': 'https://www.w3.org/ns/activitystreams', 'type': 'Note',\n"
        "            'id': 'http://localhost:8000/test/stop-1', 'content': 'hi'}\n"
        f"print({JSON_MARK!r} + str(deliver(activity, None, {inboxes!r})))\n"
    )
    return shell_json(data, code, **env)


def delivery_states(data: Path, env: dict[str, str]) -> dict[str, int]:
    code = (
        "import json\n"
        "from collections import Counter\n"
        "from wikisocial.federation.models import Delivery\n"
        "states = Counter(Delivery.objects.values_list('state', flat=True))\n"
        f"print({JSON_MARK!r} + json.dumps(states))\n"
    )
    return shell_json(data, code, **env)


@pytest.mark.parametrize("backend", ["database", "rq"])
def test_a_worker_stopped_with_sigterm_records_the_deliveries_in_flight(
    tmp_path, template, request, backend
):
    """SIGTERM while POSTs to a slow inbox are in flight: the worker waits for them and
    records them before it exits, so none stays in *sending* (to be sent again when its lease
    expires)."""
    data = migrated(tmp_path, template)
    env = {"WIKISOCIAL_DEV_FEDERATION": "1"}
    if backend == "rq":
        env |= {"WIKISOCIAL_TASKS_BACKEND": "rq", "REDIS_URL": request.getfixturevalue("redis")}
    with slow_inbox() as inbox:
        urls = [f"{inbox['base']}/users/s{n}/inbox" for n in range(SLOW_INBOXES)]
        assert queue_deliveries(data, env, urls) == SLOW_INBOXES
        with workers(data, env, 1) as (proc,):
            wait_until(
                lambda: inbox["received"] == SLOW_INBOXES or proc.poll() is not None,
                "the worker POSTing to every inbox",
                timeout=90,
                interval=0.05,
            )
            assert inbox["answered"] == 0, "too late: the inbox answered already"
            stopped_at = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=40)
            took = time.monotonic() - stopped_at
        log = (data.parent / "worker0.log").read_text()
    assert code == 0, log
    assert took < SLOW_INBOX_SECONDS + 15, took
    assert delivery_states(data, env) == {"delivered": SLOW_INBOXES}, log
