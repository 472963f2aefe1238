"""The production layout on loopback, federating with an ordinary instance, and a worker killed
mid-delivery.

Instance A runs as in production (docs/operations.md, "Production layout"): its own
PostgreSQL database, Redis (a database number of its own, flushed at start and end) for the
cache and the task queues, `wikisocial migrate`, `wikisocial serve --workers 2` (two web
processes) and two `wikisocial worker` processes on the RQ backend. Instance B is an ordinary
`wikisocial run` (tests/servers.py). ana (on A) and bob (on B) follow each other, post, reply,
like and delete, through the web pages, with the steps of tests/e2e/test_federation.py.

Then one of A's workers is killed (SIGKILL, with its process group: a machine lost) while it
is sending: a sink on loopback plays many remote inboxes that answer slowly, ana's burst of
posts goes to all of them, and the kill comes when that worker is inside some POSTs and some
but not all deliveries were answered. Every (activity, inbox) pair must arrive, and nothing
twice but the deliveries the killed worker held (the POSTs it was inside of, sent again once
their lease expired and recorded with attempts = 2; receivers drop the repeat by its activity
id). A worker that sends one delivery at a time holds one; one that sends a task's deliveries
concurrently (federation/delivery.py) may hold several. B shows each post once.

Runs in the PostgreSQL pass (DATABASE_URL=postgresql://…) with Redis; skipped with a message
without them, failed instead with WIKISOCIAL_REQUIRE_REDIS=1 (CI) when Redis is missing.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.cli.helpers import (
    JSON_MARK,
    clean_env,
    descendants,
    free_port,
    fresh_databases,
    kill_group,
    spawn,
    unique_word,
    wait_until,
)
from tests.e2e.test_federation import (
    PASSWORD,
    Browser,
    Federation,
    LogsOnFailure,
    action_count,
    articles,
    delivered_post,
    follow_open_account,
    post_path,
)
from tests.servers import Instance, running_instances
from tests.services import flush_redis, postgres_url, redis_url, require_redis

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.xdist_group("layout")]


LEASE_SECONDS = 30  # a killed worker's deliveries go out again this soon (the least allowed)
SWEEP_SECONDS = 2  # and the periodic sweep looks this often
SINK_DELAY = 0.3  # seconds the sink's first inbox takes to answer
SINK_STAGGER = 0.2  # and each next one this much longer (the last: 3.1 s)
SINK_INBOXES = 15
BURST_POSTS = 3


# --- instance A: the production layout ----------------------------------------------------


@dataclass
class LayoutInstance(Instance):
    """A as separate processes: 2 web processes (one `serve`), 2 workers, each in a session
    of its own so that one can be killed with everything it started."""

    workers: list[subprocess.Popen] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def _spawn(self, args: list[str], log: Path) -> subprocess.Popen:
        self.logs.append(log)
        return spawn(args, self.env, log)

    def migrate(self) -> subprocess.Popen:
        return self._spawn(["migrate", "--verbosity", "0"], self.log.with_name("A-migrate.log"))

    def start(self) -> None:
        args = ["serve", "--port", str(self.port), "--workers", "2"]
        self.proc = self._spawn(args, self.log)
        for n in range(2):
            self.workers.append(self._spawn(["worker"], self.log.with_name(f"A-worker{n}.log")))

    def stop(self) -> None:
        for worker in self.workers:
            kill_group(worker)
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.wait(timeout=10)
        super().stop()

    def tail(self, lines: int = 40) -> str:
        parts = []
        for log in self.logs:
            text = log.read_text(errors="replace") if log.exists() else "(no log)"
            parts.append(f"--- {log.name}\n" + "\n".join(text.splitlines()[-lines:]))
        return "\n".join(parts)


def layout_env(data: Path, port: int, database_url: str, redis: str) -> dict[str, str]:
    return clean_env(
        data,
        WIKISOCIAL_DOMAIN=f"localhost:{port}",
        WIKISOCIAL_DEV_FEDERATION="1",
        WIKISOCIAL_EMAIL_BACKEND="file",
        DATABASE_URL=database_url,
        REDIS_URL=redis,
        WIKISOCIAL_TASKS_BACKEND="rq",
        WIKISOCIAL_DELIVERY_LEASE_SECONDS=str(LEASE_SECONDS),
        WIKISOCIAL_SWEEP_SECONDS=str(SWEEP_SECONDS),
    )


def needs_postgres_and_redis() -> str:
    if postgres_url() is None:
        pytest.skip(
            "the production layout runs in the PostgreSQL pass (DATABASE_URL=postgresql://…)"
        )
    url = redis_url("layout")
    require_redis(url)
    return url


@pytest.fixture(scope="module")
def layout(request, tmp_path_factory) -> Iterator[Federation]:
    redis = needs_postgres_and_redis()
    flush_redis(redis)
    root = tmp_path_factory.mktemp("layout")
    db_urls, drop = fresh_databases("layout", ["A"])
    port = free_port()
    data = root / "A"
    a = LayoutInstance("A", port, data, root / "A.log", layout_env(data, port, db_urls["A"], redis))
    plugin = None
    migrate = None
    try:
        migrate = a.migrate()  # while B starts
        with running_instances(root, ["B"], "layout") as others:
            assert migrate.wait(timeout=180) == 0, a.tail()
            a.start()
            a.wait_ready()
            fed = Federation({"A": a, "B": others["B"]})
            plugin = LogsOnFailure(fed, module=request.module)
            request.config.pluginmanager.register(plugin)
            for instance, username in ((a, "ana"), (others["B"], "bob")):
                instance.create_account(username, PASSWORD)
                browser = Browser(instance, username)
                browser.login()
                fed.people[username] = browser
            yield fed
            for browser in fed.people.values():
                browser.client.close()
    finally:
        if plugin is not None:
            request.config.pluginmanager.unregister(plugin)
        if migrate is not None and migrate.poll() is None:  # timed out, or B failed to start
            kill_group(migrate)
            migrate.wait(timeout=10)
        a.stop()
        drop()
        flush_redis(redis)


def follow_each_other(fed: Federation) -> None:
    fed.ensure("ana follows bob", lambda: follow_open_account(fed, fed.ana, fed.bob))
    fed.ensure("bob follows ana", lambda: follow_open_account(fed, fed.bob, fed.ana))


# --- the federation scenario ---------------------------------------------------------------


def federation_between_the_layout_and_an_ordinary_instance(layout) -> None:
    fed = layout
    ana, bob = fed.ana, fed.bob
    follow_each_other(fed)
    delivered_post(bob, ana, f"From the ordinary instance, {unique_word('hello')}")
    on_a, on_b = delivered_post(ana, bob, f"From the production layout, {unique_word('hi')}")

    reply = unique_word("reply")
    bob.compose(f"{ana.handle} Nice, {reply}", in_reply_to=on_b.rsplit("/", 1)[1])
    wait_until(lambda: post_path(ana.page(on_a), reply), "bob's reply in the thread on A")

    bob.post(f"{on_b}/like", {"next": on_b})
    wait_until(lambda: action_count(ana.page(on_a), on_a, "like") == 1, "bob's like counted on A")
    assert "liked your post" in ana.page("/notifications")

    ana.post(f"{on_a}/delete")
    wait_until(lambda: bob.get(on_b).status_code == 404, "ana's deleted post gone on B")


# --- a worker killed mid-delivery --------------------------------------------------------------


def sink_delay(path: str) -> float:
    """How long the sink's inbox at ``path`` (/users/s<n>/inbox) takes to answer: staggered,
    so deliveries finish over a few seconds even when a worker sends them all at once."""
    number = path.split("/")[2].removeprefix("s")
    return SINK_DELAY + SINK_STAGGER * int(number) if number.isdigit() else SINK_DELAY


class Sink:
    """Many remote inboxes on one loopback server (/users/s<n>/inbox), answering 202 slowly.
    It records each POST (inbox path, activity id) when it arrives, which ones it is still
    answering and from which client port, and how many it has answered."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: list[tuple[str, str]] = []
        self.answering: dict[tuple[str, str], int] = {}  # pair → the client's port
        self.answered = 0
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: a client keeps its port

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                pair = (self.path, json.loads(body).get("id", ""))
                with sink.lock:
                    sink.seen.append(pair)
                    sink.answering[pair] = self.client_address[1]
                try:
                    time.sleep(sink_delay(self.path))
                    self.send_response(202)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                finally:
                    with sink.lock:
                        sink.answering.pop(pair, None)
                        sink.answered += 1

            def log_message(self, *args) -> None:
                pass

        class Server(ThreadingHTTPServer):
            # The default backlog (5) resets connections when a worker's concurrent POSTs
            # arrive together on a loaded machine; a reset is a failed delivery, retried
            # minutes later.
            request_queue_size = 256

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def counts(self) -> Counter:
        with self.lock:
            return Counter(self.seen)

    def held_for(self, ports: set[int]) -> set[tuple[str, str]]:
        """The deliveries the sink is still answering to clients on these ports."""
        with self.lock:
            return {pair for pair, port in self.answering.items() if port in ports}


@pytest.fixture
def sink() -> Iterator[Sink]:
    server = Sink()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


def local_tcp_ports(pid: int) -> set[int]:
    """The local ports of the TCP sockets that ``pid`` and its children hold (Linux /proc):
    which of the sink's clients is this worker."""
    inodes = set()
    for proc in {pid, *descendants(pid)}:
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{proc}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:["):
                        inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[9] in inodes:
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def add_sink_followers(a: Instance, host: str) -> None:
    """SINK_INBOXES remote accounts on the sink follow ana (written straight into A's
    database: the sink does not sign Follow activities)."""
    code = (
        "from wikisocial.accounts.models import Account\n"
        "from wikisocial.social.models import Follow\n"
        "ana = Account.objects.get(username='ana', domain='')\n"
        f"for n in range({SINK_INBOXES}):\n"
        f"    url = 'http://{host}/users/s%d' % n\n"
        f"    acct = Account.objects.create(username='s%d' % n, domain={host!r}, uri=url,\n"
        "        inbox_url=url + '/inbox', remote_url=url)\n"
        "    Follow.objects.create(follower=acct, target=ana)\n"
        f"print({JSON_MARK!r} + '1')\n"
    )
    assert a.shell_json(code) == 1


def sink_rows(a: Instance, host: str) -> list[dict]:
    code = (
        "import json\n"
        "from wikisocial.federation.models import Delivery\n"
        f"rows = Delivery.objects.filter(inbox_url__contains={host!r})\n"
        "out = [dict(activity=r.activity_id, inbox=r.inbox_url, state=r.state,\n"
        "            attempts=r.attempts) for r in rows]\n"
        f"print({JSON_MARK!r} + json.dumps(out))\n"
    )
    return a.shell_json(code)


def a_worker_killed_mid_delivery_loses_nothing(layout, sink) -> None:
    fed = layout
    ana, bob = fed.ana, fed.bob
    a = fed.instances["A"]
    assert isinstance(a, LayoutInstance)
    follow_each_other(fed)
    add_sink_followers(a, sink.host)
    total = BURST_POSTS * SINK_INBOXES

    def sending_worker() -> int | None:
        """Once some deliveries are answered but not all: the index of a worker inside some
        POSTs to the sink (the one inside most)."""
        if not 1 <= sink.answered < total - 1:
            return None
        held = [len(sink.held_for(local_tcp_ports(w.pid))) for w in a.workers]
        return held.index(max(held)) if max(held) else None

    words = [unique_word("burst") for _ in range(BURST_POSTS)]
    for word in words:
        ana.compose(f"A burst, {word}")
    index = wait_until(
        lambda: (found := sending_worker()) is not None and (found,),
        "a worker of A sending to the sink",
        timeout=60,
        interval=0.02,
    )[0]
    victim, survivor = a.workers[index], a.workers[1 - index]
    kill_group(victim)  # SIGKILL to the worker and its RQ scheduler: the machine is gone
    victim.wait(timeout=10)
    # What the victim was inside of: the POSTs the sink is still answering (it answers each
    # after a delay, even to a dead client) that did not come from the survivor (its
    # keep-alive connections are still open).
    in_flight = sink.held_for(set(range(65536)))
    held = in_flight - sink.held_for(local_tcp_ports(survivor.pid))
    assert held, "the victim was sending nothing when it was killed"

    # The survivor sends the rest; the victim's rows wait for their lease to expire, then the
    # periodic sweep (in the survivor) sends them again.
    rows = wait_until(
        lambda: (
            (found := sink_rows(a, sink.host))
            and all(r["state"] == "delivered" for r in found)
            and found
        ),
        f"all {total} deliveries to the sink recorded as delivered after the kill",
        timeout=120,
        interval=1,
    )
    wait_until(lambda: not sink.held_for(set(range(65536))), "the sink to finish answering")
    time.sleep(1)  # a third copy of anything would arrive about now
    counts = sink.counts()
    pair_of = {id(r): (urlsplit(r["inbox"]).path, r["activity"]) for r in rows}
    assert len(rows) == total
    assert set(counts) == set(pair_of.values())  # every pair arrived, nothing else did
    assert all(r["state"] == "delivered" for r in rows), rows
    # Repeats: the deliveries the killed worker was inside of, each sent again once its lease
    # expired and counted as a second attempt (also one it had sent but not yet recorded when
    # it died, and, sent once, one it had claimed but not yet sent). Every row the surviving
    # worker sent went once, at its first attempt.
    repeated = {pair for pair, n in counts.items() if n > 1}
    assert held <= repeated, (held, repeated)
    assert max(counts.values()) == 2, counts
    attempts = {pair_of[id(r)]: r["attempts"] for r in rows}
    assert all(attempts[pair] == 2 for pair in repeated), attempts
    assert set(attempts.values()) <= {1, 2}, attempts

    # B (an ordinary server) got each post once, and shows it once.
    def each_once() -> bool:
        posts = articles(bob.page("/"))
        return all(sum(word in post for post in posts) == 1 for word in words)

    wait_until(each_once, "each burst post once in bob's home feed on B")
    assert survivor.poll() is None, "the other worker died too"


def test_the_layout_federates_and_a_worker_killed_mid_delivery_loses_nothing(layout, sink):
    """Both scenarios in one test, one after the other: as two tests, xdist would run them on
    two workers at once, two whole layouts on two cores, where POSTs queue past their lease."""
    federation_between_the_layout_and_an_ordinary_instance(layout)
    a_worker_killed_mid_delivery_loses_nothing(layout, sink)
