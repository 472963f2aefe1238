"""The streaming server in real processes: `wikisocial streaming` (Granian, ASGI) on a free
loopback port, its own data folder and database (SQLite in the folder, or a PostgreSQL
database of its own when the suite runs on PostgreSQL), and posts made by another process
(`wikisocial shell`, running the fan-out at once) reaching clients over server-sent events
(httpx) and WebSocket (websockets, the token in the Sec-WebSocket-Protocol header), through
the database broker and through Redis. Also: `wikisocial run` starts it, and it stops
cleanly on SIGTERM with clients connected."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from websockets.sync.client import connect

from tests.cli.helpers import (
    JSON_MARK,
    WIKISOCIAL,
    clean_env,
    free_port,
    http_get,
    kill_group,
    port_accepts,
    run_cli,
    wait_for_http,
)

pytestmark = pytest.mark.e2e

PASSWORD = "streaming in real processes"
START_TIMEOUT = 60  # seconds for a server to answer
WAIT = 30  # seconds, at most, for an event to arrive
HEALTH = "/api/v1/streaming/health"
REDIS_URL = "redis://127.0.0.1:6379/13"
PG_SCHEMES = ("postgres://", "postgresql://", "pgsql://")


@dataclass
class Instance:
    """A data folder and database, migrated, with ana (who posts) and bea (who follows ana)."""

    data: Path
    env: dict[str, str]
    tokens: dict[str, str]

    def cli(self, *args: str, input: str | None = None, **extra: str) -> str:
        result = run_cli(list(args), self.data, input=input, env={**self.env, **extra})
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def shell(self, code: str, **extra: str):
        """Run ``code`` in `wikisocial shell`; it prints JSON_MARK and a JSON value."""
        out = self.cli("shell", "-c", code, **extra)
        for line in reversed(out.splitlines()):
            if line.startswith(JSON_MARK):
                return json.loads(line[len(JSON_MARK) :])
        raise AssertionError(f"no {JSON_MARK} line in:\n{out}")

    def post(self, text: str, **extra: str) -> str:
        """ana posts ``text`` (public); returns the post's id."""
        return self.shell(
            "import json\n"
            "from wikisocial.accounts.models import Account\n"
            "from wikisocial.posts import actions\n"
            "ana = Account.objects.get(username='ana', domain='')\n"
            f"post = actions.create_post(ana, actions.Draft(text={text!r}))\n"
            f"print({JSON_MARK!r} + json.dumps(str(post.pk)))\n",
            **extra,
        )

    def delete(self, post_id: str, **extra: str) -> None:
        self.shell(
            "from wikisocial.posts.models import Post\n"
            "from wikisocial.posts import actions\n"
            f"post = Post.objects.get(pk={post_id})\n"
            "actions.delete_post(post, post.author)\n"
            f"print({JSON_MARK!r} + 'null')\n",
            **extra,
        )


@dataclass
class Streaming:
    proc: subprocess.Popen
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=20)
        kill_group(self.proc)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)


def _database(tmp: Path) -> tuple[dict[str, str], callable]:
    """A PostgreSQL database of its own when the suite runs on PostgreSQL, else SQLite."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(PG_SCHEMES):
        return {}, lambda: None
    import psycopg

    parts = urlsplit(base)
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    name = f"wikisocial_streaming_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(maintenance, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return {"DATABASE_URL": urlunsplit(parts._replace(path=f"/{name}"))}, drop


@pytest.fixture(scope="module")
def instance(tmp_path_factory) -> Iterator[Instance]:
    root = tmp_path_factory.mktemp("streaming")
    data = root / "data"
    database, drop = _database(root)
    env = clean_env(
        data,
        WIKISOCIAL_DOMAIN=f"localhost:{free_port()}",
        # The process that posts runs the fan-out itself, at once (no worker here).
        WIKISOCIAL_TASKS_BACKEND="immediate",
        WIKISOCIAL_EMAIL_BACKEND="file",
        **database,
    )
    site = Instance(data, env, {})
    try:
        site.cli("migrate", "--verbosity", "0")
        site.tokens = site.shell(
            "import json\n"
            "from wikisocial.accounts.actions import register\n"
            "from wikisocial.api.tokens import create_personal_token\n"
            "from wikisocial.instance.models import CodeOfConduct\n"
            "from wikisocial.social.actions import follow\n"
            "users = {name: register(username=name, email=f'{name}@example.org',\n"
            f"    password={PASSWORD!r}, code_of_conduct=CodeOfConduct.current(),\n"
            "    by_operator=True) for name in ('ana', 'bea')}\n"
            "follow(users['bea'].account, users['ana'].account)\n"
            "tokens = {n: create_personal_token(u, ['read']) for n, u in users.items()}\n"
            f"print({JSON_MARK!r} + json.dumps(tokens))\n"
        )
        yield site
    finally:
        drop()


@contextlib.contextmanager
def streaming(site: Instance, tmp_path: Path, **extra: str) -> Iterator[Streaming]:
    """`wikisocial streaming` on a free port, once it answers; always stopped after."""
    port = free_port()
    log = tmp_path / f"streaming-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*WIKISOCIAL, "streaming", "--port", str(port)],
            env={**site.env, **extra},
            cwd=tempfile.gettempdir(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Streaming(proc, port, log)
    try:
        wait_for_http(proc, port, HEALTH, timeout=START_TIMEOUT, log=log)
        yield server
    finally:
        server.stop()


class EventStream:
    """Reads a server-sent-events response line by line, with a deadline."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.iter_lines()

    def next_event(self, deadline: float) -> tuple[str, str]:
        event = None
        for line in self.lines:
            if time.monotonic() > deadline:
                break
            if line.startswith("event: "):
                event = line[len("event: ") :]
            elif line.startswith("data: ") and event is not None:
                return event, line[len("data: ") :]
        raise AssertionError("the stream ended, or the deadline passed, without an event")


def sse(server: Streaming, path: str, token: str):
    client = httpx.Client(base_url=server.url, timeout=httpx.Timeout(10, read=WAIT))
    return client, client.stream("GET", path, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture(scope="module")
def server(instance, tmp_path_factory) -> Iterator[Streaming]:
    with streaming(instance, tmp_path_factory.mktemp("server")) as running:
        yield running


# --- the tests -------------------------------------------------------------------------------


def test_health_and_a_bad_token(server):
    assert http_get(server.port, HEALTH) == (200, b"OK")
    status, body = http_get(server.port, "/api/v1/streaming/user?access_token=wrong")
    assert status == 401
    assert json.loads(body) == {"error": "Invalid access token"}


def test_a_post_reaches_followers_over_server_sent_events(instance, server):
    client, request = sse(server, "/api/v1/streaming/user", instance.tokens["bea"])
    with client, request as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        events = EventStream(response)
        assert next(events.lines) == ":)"  # listening from here on
        post_id = instance.post("Hello over SSE")
        event, data = events.next_event(time.monotonic() + WAIT)
        assert event == "update"
        status = json.loads(data)
        assert status["id"] == post_id
        assert status["content"] == "<p>Hello over SSE</p>"
        assert status["account"]["username"] == "ana"
        assert status["favourited"] is False  # serialised for bea

        instance.delete(post_id)
        assert events.next_event(time.monotonic() + WAIT) == ("delete", post_id)


def test_a_post_reaches_a_websocket_with_the_token_as_subprotocol(instance, server):
    token = instance.tokens["bea"]
    url = f"ws://127.0.0.1:{server.port}/api/v1/streaming?stream=user"
    with connect(url, subprotocols=[token], open_timeout=10) as ws:
        assert ws.subprotocol == token
        ws.send(json.dumps({"type": "subscribe", "stream": "hashtag", "tag": "Streams"}))
        # Messages are handled in order: once this one is answered, both streams listen.
        ws.send(json.dumps({"type": "subscribe", "stream": "nothing"}))
        assert json.loads(ws.recv(timeout=WAIT)) == {
            "error": "Unknown stream type",
            "status": 400,
        }
        post_id = instance.post("Hello over WebSocket #streams")
        got = [json.loads(ws.recv(timeout=WAIT)) for _ in range(2)]
    by_stream = {tuple(m["stream"]): m for m in got}
    assert set(by_stream) == {("user",), ("hashtag", "Streams")}
    for message in got:
        assert message["event"] == "update"
        assert json.loads(message["payload"])["id"] == post_id
    assert "favourited" in json.loads(by_stream[("user",)]["payload"])
    assert "favourited" not in json.loads(by_stream[("hashtag", "Streams")]["payload"])


def test_a_bad_token_refuses_the_websocket_with_401(server):
    from websockets.exceptions import InvalidStatus

    url = f"ws://127.0.0.1:{server.port}/api/v1/streaming?stream=user"
    with pytest.raises(InvalidStatus) as raised, connect(url, subprotocols=["wrong"]):
        pass
    assert raised.value.response.status_code == 401


def test_through_redis(instance, tmp_path):
    import redis

    store = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        store.ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    registry = f"wikisocial:{instance.env['WIKISOCIAL_DOMAIN']}:stream:listeners"
    try:
        with streaming(instance, tmp_path, REDIS_URL=REDIS_URL) as server:
            assert "via Redis" in server.log.read_text()
            path = "/api/v1/streaming/public/local"
            client, request = sse(server, path, instance.tokens["ana"])
            with client, request as response:
                events = EventStream(response)
                assert next(events.lines) == ":)"
                post_id = instance.post("Hello through Redis", REDIS_URL=REDIS_URL)
                event, data = events.next_event(time.monotonic() + WAIT)
            assert store.zscore(registry, "timeline:public:local") is not None
    finally:
        store.delete(registry)
        store.close()
    assert event == "update"
    assert json.loads(data)["id"] == post_id


def test_sigterm_ends_the_streams_and_the_server(instance, tmp_path):
    with streaming(instance, tmp_path) as server:
        client, request = sse(server, "/api/v1/streaming/public", instance.tokens["ana"])
        with client, request as response:
            lines = response.iter_lines()
            assert next(lines) == ":)"
            started = time.monotonic()
            server.proc.send_signal(signal.SIGTERM)
            assert list(lines) == []  # the response ends (not cut off: no error)
        assert server.proc.wait(timeout=20) == 0
        assert time.monotonic() - started < 15
        assert not port_accepts(server.port)


def test_run_serves_the_streaming_api_beside_the_site(instance, tmp_path):
    port, stream_port = free_port(), free_port()
    env = {k: v for k, v in instance.env.items() if k != "WIKISOCIAL_DOMAIN"}
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*WIKISOCIAL, "run", "--port", str(port), "--streaming-port", str(stream_port)],
            env=env,
            cwd=tempfile.gettempdir(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_http(proc, stream_port, HEALTH, timeout=START_TIMEOUT, log=log)
        wait_for_http(proc, port, "/api/v1/instance", timeout=START_TIMEOUT, log=log)
        _status, body = http_get(port, "/api/v1/instance")
        assert json.loads(body)["urls"]["streaming_api"] == f"ws://127.0.0.1:{stream_port}"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, log.read_text()
        assert not port_accepts(stream_port)
        assert not port_accepts(port)
    finally:
        kill_group(proc)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
