"""Carrying events from the processes that make them (web, worker) to the streaming processes.

Two brokers with the same two sides:

* the sending side (sync, in web and worker processes): ``live(channels)`` says which channels
  some streaming process has clients on, ``send(messages)`` hands messages over;
* the reading side (async, one :class:`Source` per streaming process, shared by all its
  connections): ``listen``/``forget`` channels, ``keep_alive`` the registrations, and call
  ``deliver(channel, event, payload)`` for every message.

:class:`RedisBroker` uses pub/sub (REDIS_URL); :class:`DatabaseBroker` a table that every
streaming process polls about once a second, so a single machine on SQLite needs no Redis.
Both register listened channels with an expiry time, so that nothing is sent (or serialised)
for channels nobody reads and a dead streaming process stops costing anything within minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Protocol

import orjson
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connections
from django.db.models import Max
from django.utils import timezone

logger = logging.getLogger(__name__)

Message = tuple[str, str, str]  # channel, event, payload
Deliver = Callable[[str, str, str], Awaitable[None]]

LISTENER_TTL = 180  # seconds a registration lasts unless renewed
KEEP_ALIVE = 60  # seconds between renewals
MESSAGE_TTL = 300  # seconds the database keeps a message
POLL_INTERVAL = 1.0  # seconds between two reads of the message table
POLL_BATCH = 1000  # rows read at most per query
# PostgreSQL hands out ids before commit, so a row may appear after one with a higher id: each
# read looks this many ids back and skips the ids it has already delivered.
LOOKBACK_IDS = 200


class Source(Protocol):
    async def start(self, deliver: Deliver) -> None: ...
    async def stop(self) -> None: ...
    async def listen(self, channels: list[str]) -> None: ...
    async def forget(self, channels: list[str]) -> None: ...
    async def keep_alive(self, channels: list[str]) -> None: ...


class Broker(Protocol):
    name: str

    def live(self, channels: Iterable[str]) -> set[str]: ...
    def listening(self) -> set[str]: ...
    def send(self, messages: list[Message]) -> None: ...
    def source(self) -> Source: ...


DB_THREADS = 8  # threads (each with its database connection) for the streaming process
_db_threads = ThreadPoolExecutor(max_workers=DB_THREADS, thread_name_prefix="streaming-db")


def in_thread(func: Callable) -> Callable[..., Awaitable]:
    """``func`` (sync, using the database) as a coroutine run in one of the streaming
    process's database threads. Each call starts by dropping the thread's connection if it is
    broken or too old, as Django does at the start of a request."""

    def fresh(*args, **kwargs):
        close_old_connections()
        return func(*args, **kwargs)

    return sync_to_async(fresh, thread_sensitive=False, executor=_db_threads)


async def close_connections() -> None:
    """Close the database connection of every database thread (when the process stops):
    each thread runs one closing task, the barrier keeping any from taking two."""
    barrier = threading.Barrier(DB_THREADS)

    def close() -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=5)
        connections.close_all()

    closing = sync_to_async(close, thread_sensitive=False, executor=_db_threads)
    await asyncio.gather(*(closing() for _ in range(DB_THREADS)))


# --- the database broker ----------------------------------------------------------------------


class DatabaseBroker:
    name = "database"

    def live(self, channels: Iterable[str]) -> set[str]:
        from wikisocial.streaming.models import StreamListener

        wanted = list(set(channels))
        if not wanted:
            return set()
        return set(
            StreamListener.objects.filter(
                channel__in=wanted, expires_at__gt=timezone.now()
            ).values_list("channel", flat=True)
        )

    def listening(self) -> set[str]:
        from wikisocial.streaming.models import StreamListener

        rows = StreamListener.objects.filter(expires_at__gt=timezone.now())
        return set(rows.values_list("channel", flat=True))

    def send(self, messages: list[Message]) -> None:
        from wikisocial.streaming.models import StreamMessage

        now = timezone.now()
        StreamMessage.objects.bulk_create(
            StreamMessage(channel=c, event=e, payload=p, created_at=now) for c, e, p in messages
        )

    # the streaming process's side, run in threads by DatabaseSource

    def register(self, channels: list[str]) -> None:
        from wikisocial.streaming.models import StreamListener

        until = timezone.now() + timedelta(seconds=LISTENER_TTL)
        StreamListener.objects.bulk_create(
            [StreamListener(channel=c, expires_at=until) for c in channels],
            update_conflicts=True,
            unique_fields=["channel"],
            update_fields=["expires_at"],
        )

    def latest_id(self) -> int:
        from wikisocial.streaming.models import StreamMessage

        return StreamMessage.objects.aggregate(top=Max("id"))["top"] or 0

    def fetch(self, after: int, limit: int = POLL_BATCH) -> list[tuple[int, str, str, str]]:
        from wikisocial.streaming.models import StreamMessage

        rows = StreamMessage.objects.filter(id__gt=after).order_by("id")
        return list(rows.values_list("id", "channel", "event", "payload")[:limit])

    def prune(self) -> None:
        from wikisocial.streaming.models import StreamListener, StreamMessage

        now = timezone.now()
        StreamMessage.objects.filter(created_at__lt=now - timedelta(seconds=MESSAGE_TTL)).delete()
        StreamListener.objects.filter(expires_at__lt=now).delete()

    def source(self) -> DatabaseSource:
        return DatabaseSource(self)


class DatabaseSource:
    """One polling loop per streaming process: new rows for the channels it has clients on."""

    def __init__(self, broker: DatabaseBroker, interval: float = POLL_INTERVAL) -> None:
        self.broker = broker
        self.interval = interval
        self.channels: set[str] = set()
        self.last_id = 0
        # Rows up to here were written before anyone here listened: never delivered.
        self.floor = 0
        self.delivered: OrderedDict[int, None] = OrderedDict()
        self._task: asyncio.Task | None = None

    async def start(self, deliver: Deliver) -> None:
        self.floor = self.last_id = await in_thread(self.broker.latest_id)()
        self._task = asyncio.create_task(self._run(deliver), name="streaming-db-poll")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await close_connections()

    async def listen(self, channels: list[str]) -> None:
        self.channels.update(channels)
        await in_thread(self.broker.register)(channels)

    async def forget(self, channels: list[str]) -> None:
        self.channels.difference_update(channels)

    async def keep_alive(self, channels: list[str]) -> None:
        if channels:
            await in_thread(self.broker.register)(channels)
        await in_thread(self.broker.prune)()

    async def poll(self, deliver: Deliver) -> int:
        """Read what is new once; returns how many messages were delivered."""
        count = 0
        while True:
            after = max(self.floor, self.last_id - LOOKBACK_IDS)
            rows = await in_thread(self.broker.fetch)(after)
            for pk, channel, event, payload in rows:
                if pk in self.delivered:
                    continue
                self._remember(pk)
                self.last_id = max(self.last_id, pk)
                if channel in self.channels:
                    await deliver(channel, event, payload)
                    count += 1
            if len(rows) < POLL_BATCH:
                return count

    def _remember(self, pk: int) -> None:
        self.delivered[pk] = None
        while len(self.delivered) > 4 * LOOKBACK_IDS + POLL_BATCH:
            self.delivered.popitem(last=False)

    async def _run(self, deliver: Deliver) -> None:
        while True:
            try:
                if self.channels:
                    await self.poll(deliver)
                else:
                    self.floor = self.last_id = await in_thread(self.broker.latest_id)()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("streaming: reading the message table failed; trying again")
            await asyncio.sleep(self.interval)


# --- the Redis broker -------------------------------------------------------------------------


class RedisBroker:
    """Pub/sub channels under ``prefix`` (pub/sub ignores Redis's database number, so the
    prefix keeps instances sharing a server apart), and a sorted set of listened channels
    scored by expiry time."""

    name = "redis"

    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.prefix = prefix
        self.registry = f"{prefix}listeners"
        self._client = None

    @property
    def client(self):
        if self._client is None:
            import redis

            self._client = redis.Redis.from_url(self.url, socket_timeout=5)
        return self._client

    def live(self, channels: Iterable[str]) -> set[str]:
        wanted = list(set(channels))
        if not wanted:
            return set()
        now = time.time()
        scores = self.client.zmscore(self.registry, wanted)
        return {c for c, score in zip(wanted, scores, strict=True) if score and score > now}

    def listening(self) -> set[str]:
        return {c.decode() for c in self.client.zrangebyscore(self.registry, time.time(), "+inf")}

    def send(self, messages: list[Message]) -> None:
        with self.client.pipeline(transaction=False) as pipe:
            for channel, event, payload in messages:
                pipe.publish(
                    self.prefix + channel, orjson.dumps({"event": event, "payload": payload})
                )
            pipe.execute()

    def source(self) -> RedisSource:
        return RedisSource(self)


class RedisSource:
    """One pub/sub connection per streaming process (``redis.asyncio``)."""

    def __init__(self, broker: RedisBroker) -> None:
        self.broker = broker
        self.prefix = broker.prefix
        self.control = f"{broker.prefix}control"
        self._redis = None
        self._pubsub = None
        self._task: asyncio.Task | None = None

    async def start(self, deliver: Deliver) -> None:
        import redis.asyncio

        self._redis = redis.asyncio.Redis.from_url(self.broker.url)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        # Always subscribed to something, so the reading loop has a connection to read.
        await self._pubsub.subscribe(self.control)
        self._task = asyncio.create_task(self._run(deliver), name="streaming-redis")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
        if self._redis is not None:
            with contextlib.suppress(Exception):
                await self._redis.aclose()

    async def listen(self, channels: list[str]) -> None:
        await self._pubsub.subscribe(*(self.prefix + c for c in channels))
        await self._register(channels)

    async def forget(self, channels: list[str]) -> None:
        await self._pubsub.unsubscribe(*(self.prefix + c for c in channels))

    async def keep_alive(self, channels: list[str]) -> None:
        if channels:
            await self._register(channels)
        await self._redis.zremrangebyscore(self.broker.registry, "-inf", time.time())

    async def _register(self, channels: list[str]) -> None:
        until = time.time() + LISTENER_TTL
        await self._redis.zadd(self.broker.registry, dict.fromkeys(channels, until))

    async def _run(self, deliver: Deliver) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=5.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("streaming: reading from Redis failed; trying again")
                await asyncio.sleep(1)
                continue
            if message is None or message.get("type") != "message":
                continue
            channel = message["channel"].decode()
            if not channel.startswith(self.prefix) or channel == self.control:
                continue
            try:
                data = orjson.loads(message["data"])
                await deliver(channel[len(self.prefix) :], data["event"], data["payload"])
            except Exception:
                logger.exception("streaming: a message on %s could not be delivered", channel)


# --- choosing and using the broker ------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _broker(url: str, prefix: str) -> Broker:
    if url:
        return RedisBroker(url, prefix)
    return DatabaseBroker()


def get_broker() -> Broker:
    """Redis when REDIS_URL is set (settings.STREAMING_REDIS_URL), else the database."""
    url = getattr(settings, "STREAMING_REDIS_URL", "") or ""
    return _broker(url, f"wikisocial:{settings.DOMAIN}:stream:")


def live(channels: Iterable[str]) -> set[str]:
    """Which of ``channels`` someone is connected to now (none when the broker is down:
    streaming is best effort and never fails the action that publishes)."""
    try:
        return get_broker().live(channels)
    except Exception:
        logger.exception("streaming: cannot ask the broker who is listening")
        return set()


def send(messages: list[Message], *, checked: bool = False) -> None:
    """Hand ``messages`` to the broker, keeping those for live channels (``checked``: the
    caller kept only those already). Errors are logged, never raised."""
    if not messages:
        return
    try:
        if not checked:
            listened = get_broker().live(m[0] for m in messages)
            messages = [m for m in messages if m[0] in listened]
        if messages:
            get_broker().send(messages)
    except Exception:
        logger.exception("streaming: cannot hand %d message(s) to the broker", len(messages))


def publish(stream_names: Iterable[str], event: str, payload: str) -> None:
    """Send ``event`` with ``payload`` (an entity's JSON as a string, or an id) to the channels
    named (see channels.py), those someone listens to. Call it after the commit."""
    send([(name, event, payload) for name in stream_names])
