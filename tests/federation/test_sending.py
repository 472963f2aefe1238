"""Sending many deliveries at once (federation/sending.py) against a real HTTP server on
127.0.0.1: POSTs a batch stopped waiting for are recorded by the recorder thread, also after
the database connection broke; a clean stop records what is in flight; claiming waits for room;
a batch claim takes rows whose lease expired and leaves held ones alone.

Tests where the recorder thread writes use transaction=True: it has its own connection, which
sees only committed rows."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler

import orjson
import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

# The loopback inbox and the short POST timeout are test_delivery's fixtures.
from tests.federation.test_delivery import (  # noqa: F401
    Inbox,
    _short_timeout,
    activity,
    answer,
)
from wikisocial.federation import delivery, sending
from wikisocial.federation.models import Delivery

State = Delivery.State


def slow(seconds: float) -> Callable[[BaseHTTPRequestHandler], None]:
    """Answer 202 after ``seconds`` (within the 0.5 s TIMEOUT these tests use)."""

    def respond(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        answer(202)(handler)

    return respond


@pytest.fixture
def sender(monkeypatch) -> Iterator[sending.Sender]:
    """A fresh Sender for the test (small pool), stopped after it."""
    fresh = sending.Sender(threads=8, max_in_flight=4)
    monkeypatch.setattr(sending, "_sender", fresh)
    monkeypatch.setattr(sending, "RECORD_PAUSE", 0.05)
    yield fresh
    fresh.shutdown(5)


def queued(inbox: Inbox, n: int = 1, **fields) -> Delivery:
    """A row as deliver() writes it, without its task."""
    values = {"next_try_at": timezone.now(), **fields}
    body = orjson.dumps(activity(n)).decode()
    return Delivery.objects.create(
        activity_id=activity(n)["id"], inbox_url=inbox.url, body=body, **values
    )


def state_of(pk: int) -> str:
    return Delivery.objects.get(pk=pk).state


def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


# --- the recorder ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_posts_a_batch_stopped_waiting_for_are_recorded_by_the_recorder(inbox, sender):
    inbox.behaviours = [slow(0.3)]
    late = queued(inbox)
    assert sending.send_many([late.pk], wait=0.01) == {}  # still running when the wait ended
    assert state_of(late.pk) == State.SENDING
    wait_for(lambda: state_of(late.pk) == State.DELIVERED)
    assert Delivery.objects.get(pk=late.pk).attempts == 1
    wait_for(lambda: sender._recorder is None)  # it exits once nothing is left
    assert len(inbox.seen) == 1


@pytest.mark.django_db(transaction=True)
def test_the_recorder_recovers_from_a_broken_connection(inbox, sender, monkeypatch):
    """The first recording fails on a connection closed under it (as after a database
    restart; on SQLite an error is raised instead); the items are put back and recorded on a
    fresh connection."""
    inbox.behaviours = [slow(0.2)]
    late = queued(inbox)
    record_many = delivery.record_many
    calls = []

    def break_first(answers):
        calls.append(threading.current_thread().name)
        if len(calls) == 1:
            if connection.vendor == "sqlite":  # Django never closes SQLite's in-memory test DB
                raise connection.Database.OperationalError("disk I/O error")
            connections["default"].ensure_connection()
            connections["default"].connection.close()  # the server went away
        return record_many(answers)

    monkeypatch.setattr(delivery, "record_many", break_first)
    sending.send_many([late.pk], wait=0.01)
    wait_for(lambda: state_of(late.pk) == State.DELIVERED)
    assert calls == ["delivery-recorder", "delivery-recorder"]
    assert len(inbox.seen) == 1


@pytest.mark.django_db(transaction=True)
def test_the_recorder_gives_up_after_a_few_tries_and_leaves_the_lease(inbox, sender, monkeypatch):
    inbox.behaviours = [slow(0.1)]
    late = queued(inbox)
    failures = []

    def down(answers):
        failures.append(1)
        raise connection.Database.OperationalError("the database is down")

    monkeypatch.setattr(delivery, "record_many", down)
    sending.send_many([late.pk], wait=0.01)
    wait_for(lambda: sender._recorder is None)
    assert len(failures) == sending.RECORD_TRIES
    held = Delivery.objects.get(pk=late.pk)
    assert held.state == State.SENDING and held.lease_until is not None  # for the sweep


# --- stopping --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_shutdown_records_the_posts_in_flight_and_claims_nothing_more(inbox, sender):
    inbox.behaviours = [slow(0.3)]
    late, later = queued(inbox, 1), queued(inbox, 2)
    sending.send_many([late.pk], wait=0.01)
    assert sending.shutdown(5) == 0
    assert state_of(late.pk) == State.DELIVERED
    assert sender._recorder is None
    assert sending.send_many([later.pk]) == {}
    assert state_of(later.pk) == State.PENDING
    assert len(inbox.seen) == 1


@pytest.mark.django_db(transaction=True)
def test_shutdown_waits_for_a_batch_sent_from_another_thread(inbox, sender):
    """As the worker's periodic sweep does: send_many(wait=None) in a thread of its own."""
    inbox.behaviours = [slow(0.3)]
    rows = [queued(inbox, n) for n in (1, 2)]

    def sweep() -> None:
        try:
            sending.send_many([row.pk for row in rows])
        finally:
            connections.close_all()

    thread = threading.Thread(target=sweep)
    thread.start()
    wait_for(lambda: len(inbox.seen) == 2)  # both POSTs are in flight
    assert sending.shutdown(5) == 0
    assert all(state_of(row.pk) == State.DELIVERED for row in rows)
    thread.join(5)


def test_claiming_waits_for_room_and_not_once_stopping():
    sender = sending.Sender(threads=2, max_in_flight=1)
    sender._in_flight = 1  # one POST unfinished: no room
    entered = []
    thread = threading.Thread(target=lambda: entered.append(sender._enter()))
    thread.start()
    time.sleep(0.2)
    assert entered == []  # still waiting
    sender._finished(None)  # the POST ends
    thread.join(2)
    assert entered == [True]
    sender._leave()

    sender._in_flight = 1
    thread = threading.Thread(target=lambda: entered.append(sender._enter()))
    thread.start()
    time.sleep(0.1)
    sender.shutdown(1)  # a waiting caller is let go, claiming nothing
    thread.join(2)
    assert entered == [True, False]


# --- claiming a batch ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_batch_claim_takes_due_and_expired_rows_and_leaves_held_ones(inbox):
    now = timezone.now()
    due = queued(inbox, 1, next_try_at=now - timedelta(seconds=1))
    expired = queued(
        inbox, 2, state=State.SENDING, lease_until=now - timedelta(seconds=1), attempts=1
    )
    held = queued(inbox, 3, state=State.SENDING, lease_until=now + timedelta(minutes=1))
    later = queued(inbox, 4, next_try_at=now + timedelta(minutes=1))
    done = queued(inbox, 5, state=State.DELIVERED)

    ids = [due.pk, expired.pk, held.pk, later.pk, done.pk]
    leases = delivery.claim_many([*ids, due.pk], now)
    assert set(leases) == {due.pk, expired.pk}
    assert all(lease == now + delivery.LEASE for lease in leases.values())
    taken = Delivery.objects.get(pk=expired.pk)
    assert (taken.attempts, taken.last_error) == (2, "the worker stopped mid-delivery")
    assert Delivery.objects.get(pk=held.pk).lease_until == held.lease_until
    assert delivery.claim_many(ids, now) == {}  # once only


@pytest.mark.django_db
def test_an_expired_lease_in_a_batch_is_sent_and_recorded(inbox, sender):
    lost = queued(
        inbox, state=State.SENDING, lease_until=timezone.now() - timedelta(seconds=1), attempts=1
    )
    assert sending.send_many([lost.pk]) == {lost.pk: State.DELIVERED}
    assert Delivery.objects.get(pk=lost.pk).attempts == 3  # the lost attempt counts


@pytest.mark.django_db(transaction=True)
def test_a_batch_claim_skips_rows_another_worker_is_claiming(inbox):
    """PostgreSQL: a claimer does not wait on the row locks of another one (SKIP LOCKED)."""
    if not connection.features.has_select_for_update_skip_locked:
        pytest.skip("SQLite has one writer at a time: nothing to skip")
    busy, free = queued(inbox, 1), queued(inbox, 2)
    locked, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with transaction.atomic():
                Delivery.objects.select_for_update().filter(pk=busy.pk).get()
                locked.set()
                release.wait(5)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(5)
        started = time.monotonic()
        assert set(delivery.claim_many([busy.pk, free.pk], timezone.now())) == {free.pk}
        assert time.monotonic() - started < 1
    finally:
        release.set()
        thread.join(5)
    assert state_of(busy.pk) == State.PENDING
