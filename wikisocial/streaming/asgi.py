"""The streaming server: a raw ASGI application serving Mastodon's ``/api/v1/streaming``.

* ``GET /api/v1/streaming/health`` answers ``OK``;
* ``GET /api/v1/streaming/<stream>`` (``user``, ``public/local``, ``hashtag?tag=x`` …) or
  ``GET /api/v1/streaming?stream=<name>`` is a server-sent-events stream: ``:)`` first, a
  ``:thump`` comment every 15 seconds, and ``event: <name>`` / ``data: <payload>`` per event;
* a WebSocket at ``/api/v1/streaming`` subscribes with ``?stream=`` and with
  ``{"type": "subscribe", "stream": "hashtag", "tag": "x"}`` messages, and receives
  ``{"stream": ["user"], "event": "update", "payload": "<json string>"}``.

The token comes from ``Authorization: Bearer``, the ``access_token`` query parameter or the
``Sec-WebSocket-Protocol`` header (echoed back when the WebSocket is accepted). Errors are
Mastodon's: JSON ``{"error": ...}`` with 400/401, and a refused WebSocket upgrade answers 401.

It is served by Granian beside the WSGI app (``wikisocial streaming``): Django under ASGI is
several times slower for ordinary views, so only these long-lived connections come here.
Database work (token checks, filtering) runs in threads through ``sync_to_async``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import orjson
from django.conf import settings

from wikisocial.streaming import channels
from wikisocial.streaming.auth import Viewer, authenticate, owns_list, still_valid
from wikisocial.streaming.brokers import get_broker, in_thread
from wikisocial.streaming.channels import StreamError, Subscription
from wikisocial.streaming.hub import Closed, Hub, Inbox, Listener

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]

PREFIX = "/api/v1/streaming"
HEARTBEAT = 15.0  # seconds between two ":thump" comments
TOKEN_CHECK = 300.0  # seconds between two checks that a connection's token is still live
MAX_STREAMS = 50  # streams one WebSocket may subscribe to
MAX_MESSAGE = 64 * 1024  # bytes of one message from a WebSocket client
CORS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-headers", b"Authorization, Accept, Cache-Control"),
    (b"access-control-allow-methods", b"GET, OPTIONS"),
]


class Server:
    """The process's state: its hub (started once) and how many connections it holds."""

    def __init__(self) -> None:
        self.hub: Hub | None = None
        self.connections = 0
        self.stopping = False
        self._starting = asyncio.Lock()

    async def get_hub(self) -> Hub:
        async with self._starting:
            if self.hub is None:
                hub = Hub(get_broker().source())
                await hub.start()
                self.hub = hub
        return self.hub

    async def stop(self) -> None:
        async with self._starting:
            if self.hub is not None:
                await self.hub.stop()
                self.hub = None

    def end_connections(self) -> None:
        """Close every stream now (the server is stopping): SSE responses end, WebSockets
        close with 1001, and clients reconnect elsewhere or later."""
        self.stopping = True
        if self.hub is not None:
            self.hub.close_all("shutting down")

    def full(self) -> bool:
        return self.stopping or self.connections >= settings.STREAMING_MAX_CONNECTIONS


server = Server()


# --- reading the request ---------------------------------------------------------------------


def header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def query(scope: Scope) -> dict[str, str]:
    """The query parameters, first value of each (``stream[]=x`` read as ``stream``)."""
    params: dict[str, str] = {}
    for key, value in parse_qsl(scope.get("query_string", b"").decode("latin-1")):
        params.setdefault(key.removesuffix("[]"), value)
    return params


def token_of(scope: Scope, params: dict[str, str]) -> str | None:
    authorization = header(scope, b"authorization")
    if authorization:
        kind, _space, value = authorization.partition(" ")
        return value.strip() if kind.lower() == "bearer" else authorization.strip()
    if params.get("access_token"):
        return params["access_token"]
    protocols = scope.get("subprotocols") or []
    if protocols:
        return protocols[0]
    return header(scope, b"sec-websocket-protocol").split(",")[0].strip() or None


async def resolve(name: str, params: dict[str, str], viewer: Viewer) -> Subscription:
    sub = channels.subscription(name, params, viewer.account_id, viewer.scopes)
    if name == "list" and not await in_thread(owns_list)(viewer.account_id, sub.stream[1]):
        raise StreamError(401, "Not authorized to stream this list")
    return sub


class TokenWatch:
    """Checks now and then that the connection's token still works."""

    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer
        self.next_check = time.monotonic() + TOKEN_CHECK

    async def revoked(self) -> bool:
        if time.monotonic() < self.next_check:
            return False
        self.next_check = time.monotonic() + TOKEN_CHECK
        try:
            return not await in_thread(still_valid)(self.viewer)
        except Exception:
            logger.exception("streaming: cannot check a token; keeping the connection")
            return False


# --- HTTP: health, errors and server-sent events ----------------------------------------------


async def respond(send: Send, status: int, body: bytes, content_type: bytes, extra=()) -> None:
    headers = [(b"content-type", content_type), *CORS, *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def error(send: Send, status: int, message: str) -> None:
    body = orjson.dumps({"error": message})
    await respond(send, status, body, b"application/json; charset=utf-8")


def sse(event: str, payload: str) -> bytes:
    data = "".join(f"data: {line}\n" for line in payload.split("\n"))
    return f"event: {event}\n{data}\n".encode()


async def http(scope: Scope, receive: Receive, send: Send) -> None:
    path = scope.get("path", "")
    method = scope.get("method", "GET")
    if path.rstrip("/") == f"{PREFIX}/health":
        await respond(send, 200, b"OK", b"text/plain; charset=utf-8")
        return
    if path != PREFIX and not path.startswith(PREFIX + "/"):
        await error(send, 404, "Not found")
        return
    if method == "OPTIONS":
        await send({"type": "http.response.start", "status": 204, "headers": CORS})
        await send({"type": "http.response.body", "body": b""})
        return
    if method != "GET":
        await error(send, 405, "Method not allowed")
        return
    params = query(scope)
    rest = path[len(PREFIX) :].strip("/")
    name = (
        params.get("stream")
        if not rest
        else channels.stream_for_path(rest, channels.is_true(params.get("only_media")))
    )
    try:
        if not name:
            raise StreamError(400, "Unknown channel requested")
        viewer = await in_thread(authenticate)(token_of(scope, params))
        subscription = await resolve(name, params, viewer)
    except StreamError as exc:
        await error(send, exc.status, exc.message)
        return
    if server.full():
        await error(send, 503, "Too many connections")
        return
    server.connections += 1
    try:
        await event_stream(receive, send, viewer, subscription)
    finally:
        server.connections -= 1


async def watch_disconnect(receive: Receive, inbox: Inbox) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            inbox.close("client left")
            return


async def event_stream(receive: Receive, send: Send, viewer: Viewer, sub: Subscription) -> None:
    hub = await server.get_hub()
    inbox = Inbox()
    listener = Listener(viewer.account_id, sub.stream, inbox, sub.filtered)
    await hub.add(listener, sub.channels)
    if server.stopping:
        inbox.close("shutting down")
    watcher = asyncio.create_task(watch_disconnect(receive, inbox))
    watch = TokenWatch(viewer)
    try:
        headers = [
            (b"content-type", b"text/event-stream"),
            (b"cache-control", b"no-store"),
            (b"x-accel-buffering", b"no"),
            *CORS,
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b":)\n", "more_body": True})
        while True:
            try:
                item = await inbox.get(HEARTBEAT)
            except Closed:
                break
            if item is None:
                if await watch.revoked():
                    break
                chunk = b":thump\n"
            else:
                _stream, event, payload = item
                chunk = sse(event, payload)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        with contextlib.suppress(Exception):
            await send({"type": "http.response.body", "body": b"", "more_body": False})
    except OSError:
        pass  # the client went away mid-write
    finally:
        watcher.cancel()
        await hub.remove(listener, sub.channels)


# --- WebSocket --------------------------------------------------------------------------------


async def refuse(scope: Scope, send: Send, status: int, message: str) -> None:
    """Refuse the upgrade with an HTTP answer, as Mastodon does (401 for a bad token), when the
    server can; otherwise close before accepting (the server then answers 403)."""
    if "websocket.http.response" in (scope.get("extensions") or {}):
        body = orjson.dumps({"error": message})
        await send(
            {
                "type": "websocket.http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json; charset=utf-8"),
                    (b"x-error-message", message.encode()),
                ],
            }
        )
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 1008})


class Session:
    """One WebSocket connection and the streams it reads."""

    def __init__(self, viewer: Viewer, hub: Hub) -> None:
        self.viewer = viewer
        self.hub = hub
        self.inbox = Inbox()
        self.listeners: dict[tuple[str, ...], tuple[Listener, Subscription]] = {}
        self.close_code = 1000

    def tell(self, data: dict) -> None:
        """A message for the client (errors), sent in order with the events."""
        self.inbox.put(((), "", orjson.dumps(data).decode()))

    async def subscribe(self, name: str, params: dict[str, str]) -> None:
        try:
            sub = await resolve(name, params, self.viewer)
        except StreamError as exc:
            self.tell({"error": exc.message, "status": exc.status})
            return
        if sub.channels in self.listeners:
            return
        if len(self.listeners) >= MAX_STREAMS:
            self.tell({"error": "Too many subscriptions", "status": 429})
            return
        listener = Listener(self.viewer.account_id, sub.stream, self.inbox, sub.filtered)
        await self.hub.add(listener, sub.channels)
        self.listeners[sub.channels] = (listener, sub)
        if server.stopping:
            self.inbox.close("shutting down")

    async def unsubscribe(self, name: str, params: dict[str, str]) -> None:
        try:
            sub = channels.subscription(name, params, self.viewer.account_id, self.viewer.scopes)
        except StreamError as exc:
            self.tell({"error": exc.message, "status": exc.status})
            return
        found = self.listeners.pop(sub.channels, None)
        if found is not None:
            await self.hub.remove(found[0], sub.channels)

    async def end(self) -> None:
        for listener, sub in self.listeners.values():
            await self.hub.remove(listener, sub.channels)
        self.listeners.clear()

    async def handle(self, text: str) -> None:
        """A message from the client: subscribe or unsubscribe; anything else is ignored."""
        if len(text) > MAX_MESSAGE:
            return
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError:
            return
        if not isinstance(data, dict):
            return
        stream = data.get("stream")
        if isinstance(stream, list):
            stream = stream[0] if stream else None
        if not isinstance(stream, str):
            return
        params = {k: str(v) for k, v in data.items() if k not in ("type", "stream")}
        if data.get("type") == "subscribe":
            await self.subscribe(stream, params)
        elif data.get("type") == "unsubscribe":
            await self.unsubscribe(stream, params)

    async def read(self, receive: Receive) -> None:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                self.close_code = 0
                self.inbox.close("client left")
                return
            if message["type"] != "websocket.receive":
                continue
            if message.get("text") is None:
                self.close_code = 1003  # Mastodon refuses binary messages
                self.inbox.close("binary message")
                return
            try:
                await self.handle(message["text"])
            except Exception:
                logger.exception("streaming: a client's message failed")
                self.tell({"error": "An unexpected error occurred", "status": 500})


async def websocket(scope: Scope, receive: Receive, send: Send) -> None:
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    params = query(scope)
    try:
        viewer = await in_thread(authenticate)(token_of(scope, params))
    except StreamError as exc:
        await refuse(scope, send, exc.status, exc.message)
        return
    if server.full():
        await refuse(scope, send, 503, "Too many connections")
        return
    server.connections += 1
    try:
        await websocket_session(scope, receive, send, viewer, params)
    finally:
        server.connections -= 1


async def websocket_session(
    scope: Scope, receive: Receive, send: Send, viewer: Viewer, params: dict[str, str]
) -> None:
    hub = await server.get_hub()
    protocols = scope.get("subprotocols") or []
    await send({"type": "websocket.accept", "subprotocol": protocols[0] if protocols else None})
    session = Session(viewer, hub)
    watch = TokenWatch(viewer)
    reader: asyncio.Task | None = None
    try:
        # The stream named in the URL first: messages are handled in order after it, so a
        # reply to a later message means that everything before it is in place.
        if params.get("stream"):
            await session.subscribe(params["stream"], params)
        reader = asyncio.create_task(session.read(receive))
        while True:
            try:
                item = await session.inbox.get(HEARTBEAT)
            except Closed:
                break
            if item is None:
                if await watch.revoked():
                    break
                continue
            stream, event, payload = item
            text = (
                orjson.dumps({"stream": list(stream), "event": event, "payload": payload}).decode()
                if stream
                else payload
            )
            await send({"type": "websocket.send", "text": text})
        if session.close_code:
            if session.inbox.reason == "shutting down":
                session.close_code = 1001
            with contextlib.suppress(Exception):
                await send({"type": "websocket.close", "code": session.close_code})
    except OSError:
        pass
    finally:
        if reader is not None:
            reader.cancel()
        await session.end()


# --- the application ------------------------------------------------------------------------


def on_stop_signal(callback: Callable[[], None]) -> None:
    """Call ``callback`` when the process is told to stop (SIGTERM, SIGINT), before the
    server's own handler. Granian waits for open connections to end before the lifespan
    shutdown, and streams never end by themselves: they must be closed on the signal."""
    loop = asyncio.get_running_loop()
    # The handlers the server set on this loop (asyncio keeps them in this mapping).
    handlers = getattr(loop, "_signal_handlers", {})
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous = handlers.get(signum)

        def chained(previous=previous) -> None:
            callback()
            if previous is not None and not previous.cancelled():
                previous._callback(*previous._args)

        try:
            loop.add_signal_handler(signum, chained)
        except (NotImplementedError, RuntimeError, ValueError):
            return  # not the main thread, or no signals here: the server's timeout applies


async def lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                on_stop_signal(server.end_connections)
                await server.get_hub()
            except Exception as exc:
                logger.exception("streaming: cannot start")
                await send({"type": "lifespan.startup.failed", "message": str(exc)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await server.stop()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def application(scope: Scope, receive: Receive, send: Send) -> None:
    kind = scope["type"]
    if kind == "http":
        await http(scope, receive, send)
    elif kind == "websocket":
        await websocket(scope, receive, send)
    elif kind == "lifespan":
        await lifespan(receive, send)
