"""The two brokers: the database one (on SQLite and PostgreSQL, whichever the suite runs on)
and the Redis one (against the real Redis at 127.0.0.1:6379; skipped with a message when
none answers). Sending keeps only channels someone listens to; each streaming process reads
what is new for its channels, once."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from wikisocial.streaming import brokers
from wikisocial.streaming.brokers import (
    DatabaseBroker,
    DatabaseSource,
    RedisBroker,
    in_thread,
    publish,
)
from wikisocial.streaming.models import StreamListener, StreamMessage

REDIS_URL = "redis://127.0.0.1:6379/14"
WAIT = 10  # seconds, at most, for a message to arrive


async def until(check, what: str, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout}s in vain for {what}")
        await asyncio.sleep(0.02)


class Collected:
    def __init__(self) -> None:
        self.items: list[tuple[str, str, str]] = []

    async def __call__(self, channel: str, event: str, payload: str) -> None:
        self.items.append((channel, event, payload))


# --- the database broker ---------------------------------------------------------------------


@pytest.mark.django_db
def test_only_channels_someone_listens_to_are_written():
    broker = DatabaseBroker()
    broker.register(["timeline:1"])
    StreamListener.objects.create(
        channel="timeline:2", expires_at=timezone.now() - timedelta(seconds=1)
    )
    publish(["timeline:1", "timeline:2", "timeline:3"], "update", "{}")
    assert list(StreamMessage.objects.values_list("channel", "event", "payload")) == [
        ("timeline:1", "update", "{}")
    ]
    assert broker.live(["timeline:1", "timeline:2", "timeline:3"]) == {"timeline:1"}
    assert broker.listening() == {"timeline:1"}


@pytest.mark.django_db
def test_registering_again_extends_the_registration():
    broker = DatabaseBroker()
    StreamListener.objects.create(
        channel="timeline:1", expires_at=timezone.now() + timedelta(seconds=5)
    )
    broker.register(["timeline:1", "timeline:9"])
    rows = dict(StreamListener.objects.values_list("channel", "expires_at"))
    assert set(rows) == {"timeline:1", "timeline:9"}
    assert rows["timeline:1"] > timezone.now() + timedelta(seconds=60)


@pytest.mark.django_db
def test_pruning_drops_old_messages_and_lapsed_registrations():
    broker = DatabaseBroker()
    old = timezone.now() - timedelta(seconds=brokers.MESSAGE_TTL + 1)
    StreamMessage.objects.create(channel="a", event="update", payload="old", created_at=old)
    StreamMessage.objects.create(channel="a", event="update", payload="new")
    StreamListener.objects.create(channel="gone", expires_at=timezone.now())
    broker.register(["kept"])
    broker.prune()
    assert list(StreamMessage.objects.values_list("payload", flat=True)) == ["new"]
    assert list(StreamListener.objects.values_list("channel", flat=True)) == ["kept"]


@pytest.mark.django_db(transaction=True)
def test_a_late_commit_below_the_last_id_is_still_read_once():
    """PostgreSQL hands ids out before commit: a row may appear below the last id read."""
    source = DatabaseSource(DatabaseBroker())
    source.channels = {"c"}
    for pk in (1000, 1002):
        StreamMessage.objects.create(id=pk, channel="c", event="update", payload=str(pk))
    StreamMessage.objects.create(id=1003, channel="other", event="update", payload="x")
    got = Collected()

    asyncio.run(source.poll(got))
    StreamMessage.objects.create(id=1001, channel="c", event="update", payload="1001")
    asyncio.run(source.poll(got))
    asyncio.run(source.poll(got))

    assert [p for _c, _e, p in got.items] == ["1000", "1002", "1001"]
    assert source.last_id == 1003


@pytest.mark.django_db(transaction=True)
def test_the_database_source_delivers_what_is_new_on_its_channels():
    broker = DatabaseBroker()
    StreamListener.objects.create(channel="timeline:1", expires_at=timezone.now())
    broker.send([("timeline:1", "update", "before anyone listened")])
    got = Collected()

    async def main():
        source = DatabaseSource(broker, interval=0.05)
        await source.start(got)
        try:
            await source.listen(["timeline:1"])
            assert await in_thread(broker.live)(["timeline:1"]) == {"timeline:1"}
            await in_thread(publish)(["timeline:1", "timeline:2"], "update", "one")
            await in_thread(broker.send)([("timeline:2", "update", "not ours")])
            await until(lambda: got.items, "the message")
            await source.forget(["timeline:1"])
            await in_thread(broker.send)([("timeline:1", "update", "after forgetting")])
            await asyncio.sleep(0.3)
        finally:
            await source.stop()

    asyncio.run(main())
    assert got.items == [("timeline:1", "update", "one")]


# --- the Redis broker ------------------------------------------------------------------------


@pytest.fixture
def redis_broker():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    prefix = f"wikisocial-test:{uuid.uuid4().hex[:8]}:"
    broker = RedisBroker(REDIS_URL, prefix)
    yield broker
    client.delete(broker.registry)
    client.close()


def test_redis_carries_messages_to_the_channels_a_process_listens_to(redis_broker):
    got = Collected()

    async def main():
        source = redis_broker.source()
        await source.start(got)
        try:
            await source.listen(["timeline:1", "timeline:public"])
            assert redis_broker.live(["timeline:1", "timeline:2"]) == {"timeline:1"}
            assert redis_broker.listening() == {"timeline:1", "timeline:public"}
            redis_broker.send([("timeline:1", "update", '{"id": "1"}')])
            redis_broker.send([("timeline:2", "update", "nobody here")])
            redis_broker.send([("timeline:public", "delete", "1")])
            await until(lambda: len(got.items) >= 2, "two messages")
            await source.forget(["timeline:1"])
            redis_broker.send([("timeline:1", "update", "after forgetting")])
            redis_broker.send([("timeline:public", "delete", "2")])
            await until(lambda: len(got.items) >= 3, "the third message")
        finally:
            await source.stop()

    asyncio.run(main())
    assert got.items == [
        ("timeline:1", "update", '{"id": "1"}'),
        ("timeline:public", "delete", "1"),
        ("timeline:public", "delete", "2"),
    ]


def test_redis_registrations_lapse_unless_kept_alive(redis_broker, monkeypatch):
    async def main():
        source = redis_broker.source()
        await source.start(Collected())
        try:
            monkeypatch.setattr(brokers, "LISTENER_TTL", -1)
            await source.listen(["a", "b"])  # registered, but lapsed at once
            assert redis_broker.live(["a", "b"]) == set()
            monkeypatch.setattr(brokers, "LISTENER_TTL", 180)
            await source.keep_alive(["b"])  # what a process still has clients on
        finally:
            await source.stop()

    asyncio.run(main())
    assert redis_broker.live(["a", "b"]) == {"b"}
    assert redis_broker.listening() == {"b"}
    assert redis_broker.client.zscore(redis_broker.registry, "a") is None  # pruned


def test_publish_uses_redis_when_configured(redis_broker, settings, monkeypatch):
    settings.STREAMING_REDIS_URL = REDIS_URL
    monkeypatch.setattr(brokers, "get_broker", lambda: redis_broker)
    got = Collected()

    async def main():
        source = redis_broker.source()
        await source.start(got)
        try:
            await source.listen(["timeline:5"])
            await in_thread(publish)(["timeline:5", "timeline:6"], "notification", "{}")
            await until(lambda: got.items, "the notification")
        finally:
            await source.stop()

    asyncio.run(main())
    assert got.items == [("timeline:5", "notification", "{}")]


def test_the_broker_follows_the_settings(settings):
    settings.STREAMING_REDIS_URL = ""
    assert isinstance(brokers.get_broker(), DatabaseBroker)
    settings.STREAMING_REDIS_URL = REDIS_URL
    chosen = brokers.get_broker()
    assert isinstance(chosen, RedisBroker)
    assert chosen.prefix == f"wikisocial:{settings.DOMAIN}:stream:"
