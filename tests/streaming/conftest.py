"""Fixtures for the streaming tests: people (from the posts tests), the database broker, and
channels marked as having a client, as a streaming process marks them."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.posts.fixtures import ana, bea, cem  # noqa: F401
from wikisocial.streaming import brokers
from wikisocial.streaming.brokers import DatabaseBroker
from wikisocial.streaming.models import StreamMessage


@pytest.fixture(autouse=True)
def _database_broker(settings):
    """The suite runs without Redis: events go through the database broker."""
    settings.STREAMING_REDIS_URL = ""


@pytest.fixture(autouse=True)
def _database_threads(monkeypatch):
    """Each test has database threads of its own, their connections closed at its end: the
    process's threads would keep theirs from test to test (and a test database cannot be
    dropped while a connection to it stays open)."""
    threads = ThreadPoolExecutor(max_workers=brokers.DB_THREADS, thread_name_prefix="test-db")
    monkeypatch.setattr(brokers, "_db_threads", threads)
    yield
    asyncio.run(brokers.close_connections())
    threads.shutdown(wait=True)


@pytest.fixture
def connected(db):
    """connected(*channels): someone is streaming these channels now."""

    def connect(*channels: str) -> None:
        DatabaseBroker().register(list(channels))

    return connect


def sent(channel: str | None = None, event: str | None = None) -> list[tuple[str, str, str]]:
    """What was handed to the broker (channel, event, payload), oldest first."""
    rows = StreamMessage.objects.order_by("id")
    if channel is not None:
        rows = rows.filter(channel=channel)
    if event is not None:
        rows = rows.filter(event=event)
    return list(rows.values_list("channel", "event", "payload"))
