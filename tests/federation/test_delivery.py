"""Outbound delivery against a real HTTP server on 127.0.0.1 (in a thread, stopped after each
test): signed POSTs, what each answer leads to, backoff, the circuit breaker, dead domains, and
what a killed worker leaves behind."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import pytest
from django.db import transaction
from django.utils import timezone

from wikisocial.config import env
from wikisocial.federation import delivery
from wikisocial.federation.delivery import deliver, deliver_due, parse_retry_after
from wikisocial.federation.keys import key_of
from wikisocial.federation.models import Delivery, DomainHealth
from wikisocial.federation.signatures import verify_any
from wikisocial.federation.tasks import send_delivery
from wikisocial.federation.urls_util import actor_id, instance_actor_id

pytestmark = pytest.mark.django_db
State = Delivery.State
Behaviour = Callable[[BaseHTTPRequestHandler], None]


# --- a remote inbox --------------------------------------------------------------------------


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: bytes


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Inbox

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.seen.append(Seen(self.path, dict(self.headers.items()), body))
        behaviours = self.server.behaviours
        (behaviours.pop(0) if len(behaviours) > 1 else behaviours[0])(self)

    def log_message(self, *args: object) -> None:
        pass


class Inbox(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[Seen] = []
        self.behaviours: list[Behaviour] = [answer(202)]  # the last one repeats
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/inbox"

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the client hanging up on a slow answer is the point of some tests


def answer(status: int, **headers: str) -> Behaviour:
    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for name, value in {"Content-Length": "0", **headers}.items():
            handler.send_header(name.replace("_", "-"), value)
        handler.end_headers()

    return respond


def hang(handler: BaseHTTPRequestHandler) -> None:
    handler.server.release.wait(5)


def drip(handler: BaseHTTPRequestHandler) -> None:
    """Headers one byte at a time, a byte every 0.1 s: would take seconds to finish."""
    for byte in b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n":
        if handler.server.release.wait(0.1):
            return
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()


@contextmanager
def running_inbox() -> Iterator[Inbox]:
    """An Inbox serving in a thread; stopped (hanging answers released) on leaving."""
    server = Inbox()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(autouse=True)
def _short_timeout(monkeypatch):
    monkeypatch.setattr(delivery, "TIMEOUT", 0.5)


def activity(n: int = 1) -> dict:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"http://localhost:8000/activities/{n}",
        "type": "Create",
        "actor": "http://localhost:8000/@ana",
        "object": {"id": f"http://localhost:8000/@ana/{n}", "type": "Note", "content": "hi"},
    }


def row(inbox: Inbox, n: int = 1) -> Delivery:
    return Delivery.objects.get(activity_id=activity(n)["id"], inbox_url=inbox.url)


# --- delivered, and signed -------------------------------------------------------------------


def test_202_is_delivered_once_with_a_valid_signature(inbox, user):
    account = user.account
    assert deliver(activity(), account, [inbox.url]) == 1

    [seen] = inbox.seen
    assert seen.headers["Content-Type"] == "application/activity+json"
    assert orjson.loads(seen.body) == activity()
    key_id = f"{actor_id(account)}#main-key"
    pem = key_of(account).public_key_pem
    verified = verify_any(
        "POST", inbox.url, seen.headers, seen.body, lambda k: pem if k == key_id else None
    )
    assert verified.key_id == key_id
    assert "digest" in verified.covered
    done = row(inbox)
    assert (done.state, done.attempts, done.last_status) == (State.DELIVERED, 1, 202)
    assert done.delivered_at is not None


def test_the_instance_actor_signs_when_there_is_no_sender(inbox):
    deliver(activity(), None, [inbox.url])
    [seen] = inbox.seen
    assert f'keyId="{instance_actor_id()}#main-key"' in seen.headers["Signature"]
    assert row(inbox).sender is None


def test_a_delivered_row_is_never_sent_again(inbox):
    deliver(activity(), None, [inbox.url])
    done = row(inbox)
    assert delivery.attempt(done.pk, timezone.now() + timedelta(days=30)) is None
    send_delivery.enqueue(done.pk)
    assert deliver_due(timezone.now() + timedelta(days=30)) == 0
    assert len(inbox.seen) == 1


def test_the_same_inbox_twice_is_one_row_and_one_post(inbox):
    assert deliver(activity(), None, [inbox.url, inbox.url]) == 1
    assert deliver(activity(), None, [inbox.url]) == 0
    assert Delivery.objects.count() == 1
    assert len(inbox.seen) == 1


def test_our_own_domain_and_non_http_urls_are_skipped(inbox, settings):
    own = [f"{settings.SITE_URL}/inbox", f"{settings.SITE_URL}/@ana/inbox"]
    assert deliver(activity(), None, [*own, "ftp://remote.example/inbox", "inbox", ""]) == 0
    assert not Delivery.objects.exists()


def test_the_post_waits_for_the_callers_commit(inbox):
    with transaction.atomic():
        assert deliver(activity(), None, [inbox.url]) == 1
        assert row(inbox).state == State.PENDING
        assert inbox.seen == []
    assert row(inbox).state == State.DELIVERED


# --- refusals: not retried -------------------------------------------------------------------


def test_410_is_gone_and_not_retried(inbox, caplog):
    inbox.behaviours = [answer(410)]
    with caplog.at_level(logging.INFO, logger="wikisocial.federation.delivery"):
        deliver(activity(), None, [inbox.url])
    gone = row(inbox)
    assert (gone.state, gone.last_status) == (State.GONE, 410)
    assert "gone (410)" in caplog.text
    assert deliver_due(timezone.now() + timedelta(days=30)) == 0
    assert len(inbox.seen) == 1


def test_400_is_failed_and_not_retried(inbox):
    inbox.behaviours = [answer(400)]
    deliver(activity(), None, [inbox.url])
    failed = row(inbox)
    assert (failed.state, failed.last_status, failed.attempts) == (State.FAILED, 400, 1)
    assert deliver_due(timezone.now() + timedelta(days=30)) == 0
    assert len(inbox.seen) == 1
    # A refusal is an answer: the domain is alive, its circuit stays closed.
    assert not DomainHealth.objects.filter(domain=inbox.domain, consecutive_failures__gt=0)


# --- retried ---------------------------------------------------------------------------------


def test_429_waits_for_retry_after_in_seconds(inbox):
    inbox.behaviours = [answer(429, Retry_After="3600"), answer(202)]
    before = timezone.now()
    deliver(activity(), None, [inbox.url])
    waiting = row(inbox)
    assert (waiting.state, waiting.last_status, waiting.attempts) == (State.PENDING, 429, 1)
    assert waiting.next_try_at >= before + timedelta(seconds=3600)
    assert deliver_due(before + timedelta(minutes=30)) == 0  # not before Retry-After
    # the whole domain pauses: another activity waits too, without a request
    deliver(activity(2), None, [inbox.url])
    assert row(inbox, 2).state == State.PENDING
    assert len(inbox.seen) == 1
    assert deliver_due(before + timedelta(hours=2)) == 2
    assert row(inbox).state == row(inbox, 2).state == State.DELIVERED


def test_429_waits_for_retry_after_as_a_date(inbox):
    later = timezone.now() + timedelta(hours=3)
    inbox.behaviours = [answer(429, Retry_After=format_datetime(later, usegmt=True))]
    deliver(activity(), None, [inbox.url])
    assert row(inbox).next_try_at >= later - timedelta(seconds=1)


def test_500_is_retried_later_with_backoff(inbox):
    inbox.behaviours = [answer(500), answer(500), answer(202)]
    before = timezone.now()
    deliver(activity(), None, [inbox.url])
    first = row(inbox)
    assert (first.state, first.last_status, first.attempts) == (State.PENDING, 500, 1)
    wait = first.next_try_at - before
    assert timedelta(seconds=89) <= wait <= timedelta(seconds=151)  # 2 min ± 25 %
    assert deliver_due() == 0  # not due yet

    assert deliver_due(first.next_try_at) == 1
    second = row(inbox)
    assert second.attempts == 2
    assert second.next_try_at - first.next_try_at >= timedelta(minutes=3)  # 4 min - 25 %

    assert deliver_due(second.next_try_at) == 1
    assert row(inbox).state == State.DELIVERED
    assert len(inbox.seen) == 3
    assert DomainHealth.objects.get(domain=inbox.domain).consecutive_failures == 0


def test_after_the_last_attempt_it_fails(inbox):
    inbox.behaviours = [answer(503)]
    deliver(activity(), None, [inbox.url])
    Delivery.objects.update(attempts=delivery.MAX_ATTEMPTS - 1)
    assert deliver_due(timezone.now() + timedelta(days=2)) == 1
    failed = row(inbox)
    assert (failed.state, failed.attempts) == (State.FAILED, delivery.MAX_ATTEMPTS)


def test_the_backoff_spreads_attempts_over_about_a_week():
    waits = [delivery.backoff(n) for n in range(1, delivery.MAX_ATTEMPTS)]
    assert timedelta(days=4) < sum(waits, timedelta()) < timedelta(days=9)
    assert all(wait <= delivery.BACKOFF_MAX * 1.25 for wait in waits)


def test_retry_after_is_parsed_and_capped():
    now = timezone.now()
    assert parse_retry_after("120", now) == timedelta(seconds=120)
    assert parse_retry_after(format_datetime(now + timedelta(hours=1), usegmt=True), now) > (
        timedelta(minutes=59)
    )
    assert parse_retry_after(format_datetime(now - timedelta(hours=1), usegmt=True), now) == (
        timedelta(0)
    )
    assert parse_retry_after("9" * 12, now) == delivery.RETRY_AFTER_MAX
    assert parse_retry_after("9" * 5000, now) is None
    for junk in (None, "", "soon", "-5", "1.5", "²"):
        assert parse_retry_after(junk, now) is None


@pytest.mark.parametrize("behaviour", [hang, drip], ids=["hangs", "drips"])
def test_a_server_that_hangs_or_drips_is_cut_off_and_retried(inbox, behaviour):
    inbox.behaviours = [behaviour]
    started = time.monotonic()
    deliver(activity(), None, [inbox.url])
    assert time.monotonic() - started < 3
    retried = row(inbox)
    assert (retried.state, retried.attempts, retried.last_status) == (State.PENDING, 1, None)
    assert retried.last_error.startswith("timeout")
    assert DomainHealth.objects.get(domain=inbox.domain).consecutive_failures == 1


# --- the domain: circuit breaker, dead, revived ----------------------------------------------


def test_the_circuit_opens_after_consecutive_failures(inbox, monkeypatch):
    monkeypatch.setattr(delivery, "CIRCUIT_THRESHOLD", 3)
    inbox.behaviours = [answer(500)]
    for n in (1, 2, 3):
        deliver(activity(n), None, [inbox.url])
    health = DomainHealth.objects.get(domain=inbox.domain)
    assert health.consecutive_failures == 3
    assert health.open_until > timezone.now() + timedelta(minutes=4)

    deliver(activity(4), None, [inbox.url])  # postponed, not tried
    postponed = row(inbox, 4)
    assert (postponed.state, postponed.attempts) == (State.PENDING, 0)
    assert postponed.next_try_at >= health.open_until
    assert len(inbox.seen) == 3

    inbox.behaviours = [answer(202)]  # once it closes, one success clears the domain
    assert deliver_due(health.open_until + timedelta(minutes=2)) == 4
    assert all(row(inbox, n).state == State.DELIVERED for n in (1, 2, 3, 4))
    cleared = DomainHealth.objects.get(domain=inbox.domain)
    assert (cleared.consecutive_failures, cleared.open_until) == (0, None)
    assert cleared.first_failure_at is None and cleared.last_success_at is not None


def test_a_domain_failing_for_a_week_is_marked_dead_and_skipped(inbox):
    week_ago = timezone.now() - timedelta(days=8)
    DomainHealth.objects.create(
        domain=inbox.domain, consecutive_failures=50, first_failure_at=week_ago
    )
    inbox.behaviours = [answer(502)]
    deliver(activity(1), None, [inbox.url])
    health = DomainHealth.objects.get(domain=inbox.domain)
    assert health.dead and health.marked_dead_at is not None

    # rows already queued are skipped when their turn comes, new ones are skipped at once
    assert deliver_due(timezone.now() + timedelta(days=1)) == 1
    assert row(inbox, 1).state == State.SKIPPED
    assert deliver(activity(2), None, [inbox.url]) == 0
    assert row(inbox, 2).state == State.SKIPPED
    assert len(inbox.seen) == 1

    delivery.domain_alive(inbox.domain)  # an operator (or a sign of life) revives it
    inbox.behaviours = [answer(202)]
    assert deliver(activity(3), None, [inbox.url]) == 1
    assert row(inbox, 3).state == State.DELIVERED


# --- durability: a killed worker -------------------------------------------------------------


def queued_without_a_task(inbox: Inbox, **fields) -> Delivery:
    """A row as a crash leaves it: written, but its task never ran."""
    values = {"next_try_at": timezone.now(), **fields}
    body = orjson.dumps(activity()).decode()
    return Delivery.objects.create(
        activity_id=activity()["id"], inbox_url=inbox.url, body=body, **values
    )


def test_an_expired_lease_is_picked_up_again(inbox):
    lost = timezone.now() - timedelta(seconds=1)
    queued_without_a_task(inbox, state=State.SENDING, lease_until=lost, attempts=1)
    assert deliver_due() == 1
    done = row(inbox)
    assert (done.state, done.attempts) == (State.DELIVERED, 3)  # the lost attempt counts
    assert len(inbox.seen) == 1


def test_a_held_lease_is_left_alone(inbox):
    held = queued_without_a_task(
        inbox, state=State.SENDING, lease_until=timezone.now() + timedelta(minutes=4)
    )
    assert deliver_due() == 0
    send_delivery.enqueue(held.pk)
    assert row(inbox).state == State.SENDING
    assert inbox.seen == []


def test_the_sweep_sends_rows_whose_task_was_lost_and_prunes_old_ones(inbox):
    queued_without_a_task(inbox, next_try_at=timezone.now() - timedelta(minutes=5))
    old = Delivery.objects.create(
        activity_id="http://localhost:8000/activities/old",
        inbox_url=inbox.url,
        body="{}",
        next_try_at=timezone.now(),
        state=State.DELIVERED,
    )
    Delivery.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    assert delivery.sweep() == 1
    assert row(inbox).state == State.DELIVERED
    assert not Delivery.objects.filter(pk=old.pk).exists()


def test_the_sweep_leaves_rows_just_due_to_their_own_task(inbox):
    queued_without_a_task(inbox, next_try_at=timezone.now() - timedelta(seconds=30))
    assert delivery.sweep() == 0
    assert row(inbox).state == State.PENDING


# --- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize("seconds", ["1", "29"])
def test_a_lease_shorter_than_three_posts_is_refused(monkeypatch, seconds):
    monkeypatch.setenv("WIKISOCIAL_DELIVERY_LEASE_SECONDS", seconds)
    with pytest.raises(env.ConfigError, match="at least 30 seconds"):
        env.delivery_lease_seconds()
    monkeypatch.setenv("WIKISOCIAL_DELIVERY_LEASE_SECONDS", "30")
    assert env.delivery_lease_seconds() == 30


def test_sqlite_without_returning_is_refused_at_start(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("WIKISOCIAL_DB_POOL_SIZE", raising=False)
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 34, 1))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.34.1")
    with pytest.raises(env.ConfigError, match=r"SQLite 3\.34\.1 is too old"):
        env.database(tmp_path)
