"""The streaming ASGI application, driven in this process through the ASGI interface: the
routes, Mastodon's errors, the server-sent-events format, the WebSocket protocol, limits and
shutdown. The broker is replaced by an in-memory source and tokens by a table, so each
message's way from the broker to the client is visible (the real token check and the real
brokers have their own tests; test_server.py runs it all in real processes)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from wikisocial.streaming import asgi, hub
from wikisocial.streaming.asgi import Server, application
from wikisocial.streaming.auth import Viewer
from wikisocial.streaming.channels import StreamError
from wikisocial.streaming.filtering import Screened
from wikisocial.streaming.hub import Closed, Hub, Inbox

WAIT = 5  # seconds, at most, for the application to answer

TOKENS = {
    "reader": Viewer(1, 11, frozenset({"read"})),
    "statuses": Viewer(2, 12, frozenset({"read:statuses"})),
    "writer": Viewer(3, 13, frozenset({"write"})),
}


class MemorySource:
    """A broker source that only records which channels the process listens to."""

    def __init__(self) -> None:
        self.channels: set[str] = set()

    async def start(self, deliver) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def listen(self, channels) -> None:
        self.channels.update(channels)

    async def forget(self, channels) -> None:
        self.channels.difference_update(channels)

    async def keep_alive(self, channels) -> None:
        pass


def fake_authenticate(raw):
    if not raw:
        raise StreamError(401, "Missing access token")
    if raw not in TOKENS:
        raise StreamError(401, "Invalid access token")
    return TOKENS[raw]


@pytest.fixture
def app(monkeypatch, settings):
    """The application with a fresh server state, an in-memory broker and fake tokens."""
    settings.STREAMING_MAX_CONNECTIONS = 10
    state = Server()
    state.hub = Hub(MemorySource())
    monkeypatch.setattr(asgi, "server", state)
    monkeypatch.setattr(asgi, "authenticate", fake_authenticate)
    monkeypatch.setattr(asgi, "still_valid", lambda viewer: True)
    monkeypatch.setattr(asgi, "owns_list", lambda account_id, list_id: list_id == "5")
    monkeypatch.setattr(hub, "screen", lambda payload, viewers: Screened())
    return state


class Connection:
    """One client of the application: what it sends in, what comes out."""

    def __init__(self, scope: dict) -> None:
        self.scope = scope
        self.inbound: asyncio.Queue = asyncio.Queue()
        self.out: list[dict] = []
        self.task = asyncio.create_task(application(scope, self.inbound.get, self.send))

    async def send(self, message: dict) -> None:
        self.out.append(message)

    async def wait_for(self, check, what: str):
        deadline = time.monotonic() + WAIT
        while True:
            found = check()
            if found:
                return found
            if self.task.done():
                self.task.result()  # raises what the application raised
                if not check():
                    raise AssertionError(f"the application ended without {what}: {self.out}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} within {WAIT}s: {self.out}")
            await asyncio.sleep(0.01)

    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.out if m["type"] == "http.response.body")

    def texts(self) -> list[dict]:
        return [json.loads(m["text"]) for m in self.out if m["type"] == "websocket.send"]

    async def finished(self) -> None:
        await asyncio.wait_for(self.task, WAIT)


def http_scope(path: str, query: str = "", headers=(), method: str = "GET") -> dict:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query.encode(),
        "headers": [(k.encode(), v.encode()) for k, v in headers],
    }


def ws_scope(query: str = "", protocols=(), headers=(), extensions=True) -> dict:
    return {
        "type": "websocket",
        "path": "/api/v1/streaming",
        "query_string": query.encode(),
        "headers": [(k.encode(), v.encode()) for k, v in headers],
        "subprotocols": list(protocols),
        "extensions": {"websocket.http.response": {}} if extensions else {},
    }


async def answer(scope: dict) -> tuple[int, dict, bytes]:
    conn = Connection(scope)
    await conn.finished()
    start = conn.out[0]
    return start["status"], dict(start["headers"]), conn.body()


def run(coro):
    return asyncio.run(coro)


# --- plain HTTP ------------------------------------------------------------------------------


def test_health(app):
    status, headers, body = run(answer(http_scope("/api/v1/streaming/health")))
    assert (status, body) == (200, b"OK")
    assert headers[b"content-type"].startswith(b"text/plain")


@pytest.mark.parametrize(
    ("path", "query", "headers", "status", "error"),
    [
        ("/api/v1/streaming/user", "", (), 401, "Missing access token"),
        ("/api/v1/streaming/user", "access_token=nope", (), 401, "Invalid access token"),
        ("/api/v1/streaming/user", "", [("authorization", "Bearer nope")], 401, None),
        ("/api/v1/streaming/user", "access_token=writer", (), 401, "scopes"),
        ("/api/v1/streaming/user/notification", "access_token=statuses", (), 401, "scopes"),
        ("/api/v1/streaming/hashtag", "access_token=reader", (), 400, "Missing tag"),
        ("/api/v1/streaming/list", "list=6&access_token=reader", (), 401, "list"),
        ("/api/v1/streaming/nothing", "access_token=reader", (), 400, "Unknown channel"),
        ("/api/v1/streaming", "access_token=reader", (), 400, "Unknown channel"),
        ("/api/v1/streaming", "stream=everything&access_token=reader", (), 400, "Unknown"),
        ("/somewhere/else", "", (), 404, "Not found"),
    ],
)
def test_mastodons_errors(app, path, query, headers, status, error):
    got, response_headers, body = run(answer(http_scope(path, query, headers)))
    assert got == status
    assert response_headers[b"content-type"].startswith(b"application/json")
    assert error is None or error in json.loads(body)["error"]


def test_cors_preflight_and_other_methods(app):
    status, headers, _body = run(answer(http_scope("/api/v1/streaming/user", method="OPTIONS")))
    assert status == 204
    assert headers[b"access-control-allow-origin"] == b"*"
    assert run(answer(http_scope("/api/v1/streaming/user", method="POST")))[0] == 405


# --- server-sent events ----------------------------------------------------------------------


def test_server_sent_events_in_mastodons_format(app):
    async def main():
        conn = Connection(
            http_scope("/api/v1/streaming/user", headers=[("authorization", "Bearer reader")])
        )
        await conn.wait_for(lambda: conn.body().startswith(b":)\n"), "the first comment")
        start = conn.out[0]
        assert start["status"] == 200
        assert dict(start["headers"])[b"content-type"] == b"text/event-stream"
        assert app.hub.source.channels == {"timeline:1", "timeline:1:notifications"}
        await app.hub.deliver("timeline:1", "update", '{"id":"9"}')
        await app.hub.deliver("timeline:1:notifications", "notification", '{"id":"3"}')
        await app.hub.deliver("timeline:2", "update", '{"id":"10"}')
        await app.hub.deliver("timeline:1", "delete", "9")
        await conn.wait_for(lambda: b"data: 9\n" in conn.body(), "the delete")
        await conn.inbound.put({"type": "http.disconnect"})
        await conn.finished()
        assert conn.body() == (
            b':)\nevent: update\ndata: {"id":"9"}\n\n'
            b'event: notification\ndata: {"id":"3"}\n\n'
            b"event: delete\ndata: 9\n\n"
        )
        assert app.hub.listeners == {}
        assert app.hub.source.channels == set()
        assert app.connections == 0

    run(main())


def test_the_stream_parameter_and_the_query_token(app):
    async def main():
        conn = Connection(http_scope("/api/v1/streaming", "stream=public:local&access_token=w"))
        await conn.finished()
        assert conn.out[0]["status"] == 401
        conn = Connection(
            http_scope("/api/v1/streaming/", "stream=hashtag&tag=Cats&access_token=writer")
        )
        await conn.wait_for(lambda: conn.body(), "the first comment")
        assert app.hub.source.channels == {"timeline:hashtag:cats"}
        await conn.inbound.put({"type": "http.disconnect"})
        await conn.finished()

    run(main())


def test_heartbeats_and_a_revoked_token_ends_the_stream(app, monkeypatch):
    monkeypatch.setattr(asgi, "HEARTBEAT", 0.02)
    monkeypatch.setattr(asgi, "TOKEN_CHECK", 0)  # checked at every heartbeat
    live = {"token": True}
    monkeypatch.setattr(asgi, "still_valid", lambda viewer: live["token"])

    async def main():
        conn = Connection(http_scope("/api/v1/streaming/public", "access_token=reader"))
        await conn.wait_for(lambda: conn.body().count(b":thump\n") >= 2, "two heartbeats")
        live["token"] = False
        await conn.finished()  # ends by itself
        assert conn.out[-1] == {"type": "http.response.body", "body": b"", "more_body": False}

    run(main())


def test_the_connection_limit(app, settings):
    settings.STREAMING_MAX_CONNECTIONS = 1

    async def main():
        first = Connection(http_scope("/api/v1/streaming/public", "access_token=reader"))
        await first.wait_for(lambda: first.body(), "the first stream")
        status, _headers, _body = await answer(
            http_scope("/api/v1/streaming/public", "access_token=reader")
        )
        assert status == 503
        refused = Connection(ws_scope("access_token=reader"))
        await refused.inbound.put({"type": "websocket.connect"})
        await refused.finished()
        assert refused.out[0]["status"] == 503
        await first.inbound.put({"type": "http.disconnect"})
        await first.finished()
        assert app.connections == 0

    run(main())


def test_stopping_ends_every_stream(app):
    async def main():
        sse = Connection(http_scope("/api/v1/streaming/public", "access_token=reader"))
        ws = Connection(ws_scope("stream=user", protocols=["reader"]))
        await ws.inbound.put({"type": "websocket.connect"})
        await sse.wait_for(lambda: sse.body(), "the stream")
        await ws.wait_for(lambda: app.hub.listeners, "the subscription")
        app.end_connections()
        await sse.finished()
        await ws.finished()
        assert sse.out[-1]["more_body"] is False
        assert ws.out[-1] == {"type": "websocket.close", "code": 1001}
        status, _h, _b = await answer(http_scope("/api/v1/streaming/public", "access_token=reader"))
        assert status == 503  # no new streams while stopping

    run(main())


# --- WebSocket -------------------------------------------------------------------------------


def test_websocket_with_the_token_as_subprotocol(app):
    async def main():
        conn = Connection(ws_scope("stream=user", protocols=["reader"]))
        await conn.inbound.put({"type": "websocket.connect"})
        await conn.wait_for(lambda: app.hub.listeners, "the subscription")
        assert conn.out[0] == {"type": "websocket.accept", "subprotocol": "reader"}

        await conn.inbound.put(
            {
                "type": "websocket.receive",
                "text": '{"type":"subscribe","stream":"hashtag","tag":"Cats"}',
            }
        )
        await conn.inbound.put(
            {"type": "websocket.receive", "text": '{"type":"subscribe","stream":["list"],"list":5}'}
        )
        await conn.wait_for(lambda: len(app.hub.source.channels) == 4, "three streams")
        await app.hub.deliver("timeline:1", "update", '{"id":"1"}')
        await app.hub.deliver("timeline:hashtag:cats", "update", '{"id":"2"}')
        await app.hub.deliver("timeline:list:5", "delete", "1")
        await conn.wait_for(lambda: len(conn.texts()) == 3, "three messages")
        assert conn.texts() == [
            {"stream": ["user"], "event": "update", "payload": '{"id":"1"}'},
            {"stream": ["hashtag", "Cats"], "event": "update", "payload": '{"id":"2"}'},
            {"stream": ["list", "5"], "event": "delete", "payload": "1"},
        ]

        await conn.inbound.put(
            {
                "type": "websocket.receive",
                "text": '{"type":"unsubscribe","stream":"hashtag","tag":"cats"}',
            }
        )
        await conn.wait_for(
            lambda: "timeline:hashtag:cats" not in app.hub.source.channels, "the unsubscription"
        )
        await app.hub.deliver("timeline:hashtag:cats", "update", '{"id":"3"}')
        await app.hub.deliver("timeline:1", "delete", "2")
        await conn.wait_for(lambda: len(conn.texts()) == 4, "the fourth message")
        assert conn.texts()[-1]["payload"] == "2"

        await conn.inbound.put({"type": "websocket.disconnect", "code": 1000})
        await conn.finished()
        assert app.hub.listeners == {}
        assert conn.out[-1]["type"] == "websocket.send"  # nothing sent after the client left

    run(main())


def test_websocket_subscription_errors_are_messages(app):
    async def main():
        conn = Connection(ws_scope("access_token=writer"))
        await conn.inbound.put({"type": "websocket.connect"})
        for text in (
            '{"type":"subscribe","stream":"user"}',
            '{"type":"subscribe","stream":"hashtag"}',
            '{"type":"subscribe","stream":"list","list":"6"}',
            '{"type":"subscribe","stream":"nothing"}',
            "not json",
            '["subscribe"]',
            '{"type":"dance","stream":"user"}',
        ):
            await conn.inbound.put({"type": "websocket.receive", "text": text})
        await conn.wait_for(lambda: len(conn.texts()) == 4, "four errors")
        assert conn.out[0] == {"type": "websocket.accept", "subprotocol": None}
        assert conn.texts() == [
            {"error": "Access token does not have the required scopes", "status": 401},
            {"error": "Missing tag name parameter", "status": 400},
            {"error": "Access token does not have the required scopes", "status": 401},
            {"error": "Unknown stream type", "status": 400},
        ]
        await conn.inbound.put({"type": "websocket.receive", "bytes": b"\x00"})
        await conn.finished()
        assert conn.out[-1] == {"type": "websocket.close", "code": 1003}

    run(main())


@pytest.mark.parametrize("extensions", [True, False])
def test_a_bad_token_refuses_the_upgrade(app, extensions):
    async def main():
        conn = Connection(ws_scope("stream=user", protocols=["nope"], extensions=extensions))
        await conn.inbound.put({"type": "websocket.connect"})
        await conn.finished()
        return conn.out

    out = run(main())
    if extensions:  # as Mastodon: an HTTP 401 instead of the upgrade
        assert out[0]["type"] == "websocket.http.response.start"
        assert out[0]["status"] == 401
        assert json.loads(out[1]["body"]) == {"error": "Invalid access token"}
    else:
        assert out == [{"type": "websocket.close", "code": 1008}]


def test_the_authorization_header_wins(app):
    async def main():
        conn = Connection(
            ws_scope(
                "stream=user", protocols=["nope"], headers=[("authorization", "Bearer reader")]
            )
        )
        await conn.inbound.put({"type": "websocket.connect"})
        await conn.wait_for(lambda: app.hub.listeners, "the subscription")
        assert conn.out[0]["type"] == "websocket.accept"
        await conn.inbound.put({"type": "websocket.disconnect", "code": 1001})
        await conn.finished()

    run(main())


# --- the hub ---------------------------------------------------------------------------------


def test_public_streams_are_screened_per_viewer(app, monkeypatch):
    def screened(payload, viewers):
        assert viewers == {1, 2}  # the public stream's viewers, not the user stream's
        return Screened(hidden={1}, payloads={2: "mine"})

    monkeypatch.setattr(hub, "screen", screened)

    async def main():
        inboxes = {n: Inbox() for n in (1, 2, 3)}
        for n in (1, 2):
            await app.hub.add(hub.Listener(n, ("public",), inboxes[n], True), ["timeline:public"])
        await app.hub.add(hub.Listener(3, ("user",), inboxes[3], False), ["timeline:public"])
        await app.hub.deliver("timeline:public", "update", "shared")
        await app.hub.deliver("timeline:public", "delete", "7")  # deletes are not screened
        return {n: [await box.get(0.1), await box.get(0.1)] for n, box in inboxes.items()}

    got = run(main())
    assert got[1] == [(("public",), "delete", "7"), None]
    assert got[2] == [(("public",), "update", "mine"), (("public",), "delete", "7")]
    assert got[3] == [(("user",), "update", "shared"), (("user",), "delete", "7")]


def test_a_client_that_cannot_keep_up_is_dropped():
    async def main():
        box = Inbox(size=2)
        for n in range(3):
            box.put(((), "update", str(n)))
        assert box.closed and box.reason == "too slow"
        with pytest.raises(Closed):
            await box.get(0.1)
        with pytest.raises(Closed):
            await box.get(0.1)

    run(main())
