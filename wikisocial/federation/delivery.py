"""Outbound delivery: one signed POST of an activity to each distinct inbox, kept in the database
(the Delivery table) until it is done, so a worker that is killed loses nothing.

How a row moves:

- `deliver()` writes it as *pending* in the caller's transaction, with the body serialised once;
  on commit a `send_deliveries` task is queued per TASK_BATCH rows (one task per row cost more
  than the POST). The worker sends a task's rows concurrently (federation/sending.py), so a
  slow or hanging inbox holds one thread, not the worker.
- A worker claims a row with one atomic UPDATE (pending and due → *sending*, with a lease;
  `attempt()` for one row, `claim_many()` for a batch), signs and POSTs it, then records the
  answer, but only while it still holds that lease:
  2xx → *delivered*; 410 → *gone*; any other status below 500 except 429 → *failed* (never
  retried); 429, 5xx and no answer (timeout, network error) → *pending* again at
  now + max(Retry-After, backoff), until MAX_ATTEMPTS (about a week) → *failed*.
- A delivered row is never claimed again. A worker killed during the POST leaves the row in
  *sending*; when its lease has expired `deliver_due()` claims it again (the attempt counts). The
  only duplicate that can happen is a POST that succeeded but whose success was not recorded
  before the crash: it carries the same activity id, which receivers ignore the second time.

Per domain (DomainHealth): CIRCUIT_THRESHOLD failures in a row (5xx or no answer) open the
circuit: deliveries there are postponed, not tried, until it closes (5 minutes, doubling up to an
hour). Failures spanning DEAD_AFTER with no success in between mark the domain dead: rows
already queued become *skipped*, and `deliver()` writes new ones as *skipped*. Any answer below
500 clears all of that; a 429 also pauses the domain until its Retry-After.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import orjson
from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from wikisocial.accounts.models import Account
from wikisocial.core.db import list_rows
from wikisocial.core.http import FetchError, Signer, safe_request
from wikisocial.core.tasks import enqueue_at
from wikisocial.federation.actors import host_of
from wikisocial.federation.keys import key_of
from wikisocial.federation.models import Delivery, DomainHealth
from wikisocial.federation.signatures import load_private_key, sign_request
from wikisocial.federation.tasks import send_deliveries, send_delivery
from wikisocial.federation.urls_util import actor_id, instance_actor_id

logger = logging.getLogger(__name__)

State = Delivery.State

TIMEOUT = 10.0  # seconds for one POST, everything included (a dripping server is cut here)
# At least 3 × TIMEOUT (config/env.py): a claimed row ends within 2 × TIMEOUT (sending.py).
LEASE = timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
MAX_ATTEMPTS = 16
BACKOFF_BASE = timedelta(minutes=2)  # 2, 4, 8 … minutes, then daily: 16 attempts ≈ 6.5 days
BACKOFF_MAX = timedelta(days=1)
RETRY_AFTER_MAX = timedelta(days=1)
CIRCUIT_THRESHOLD = 10
CIRCUIT_BASE = timedelta(minutes=5)
CIRCUIT_MAX = timedelta(hours=1)
DEAD_AFTER = timedelta(days=7)
KEEP_FINISHED = timedelta(days=30)
SWEEP_GRACE = timedelta(minutes=2)  # rows this overdue lost their task (or it is far behind)
SWEEP_LIMIT = 1000
CHUNK = 500
TASK_BATCH = 50  # rows per send_deliveries task: one task's overhead shared by many POSTs
# Never retried: the URL is refused, or the inbox answered but not readably (trying again could
# only send the same activity again).
PERMANENT_ERRORS = frozenset(
    {"bad_url", "bad_scheme", "blocked_address", "too_large", "bad_encoding"}
)
CONTENT_TYPE = "application/activity+json"


@dataclass(frozen=True)
class Answer:
    """What the inbox said: a status, or None and an error when there was no answer."""

    status: int | None
    error: str = ""
    retry_after: timedelta | None = None


# --- queuing ---------------------------------------------------------------------------------


def deliver(activity: dict, sender: Account | None, inboxes: Iterable[str]) -> int:
    """Queue one signed POST of `activity` (a complete JSON-LD document with "@context" and
    "id") to each distinct inbox URL; None as sender = the instance actor. Rows are written
    in the caller's transaction; tasks are enqueued on commit. Inboxes on dead domains (kept as
    rows in state skipped), on our own domain (settings.SITE_URL's host) and duplicates (in
    this call or queued before for the same activity id) are skipped. Returns how many were
    queued."""
    body = orjson.dumps(activity).decode()
    urls = _targets(inboxes)
    return sum(_queue(activity["id"], sender, body, chunk) for chunk in _chunks(urls, CHUNK))


def _targets(inboxes: Iterable[str]) -> list[str]:
    own = host_of(settings.SITE_URL)
    urls = dict.fromkeys(u for u in inboxes if isinstance(u, str) and len(u) <= 500)
    return [
        u for u in urls if u.startswith(("https://", "http://")) and host_of(u) not in ("", own)
    ]


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _queue(activity_id: str, sender: Account | None, body: str, urls: list[str]) -> int:
    same = Delivery.objects.filter(activity_id=activity_id)
    seen = set(same.filter(inbox_url__in=urls).values_list("inbox_url", flat=True))
    new = [u for u in urls if u not in seen]
    dead = _dead_domains({host_of(u) for u in new})
    skipped = [u for u in new if host_of(u) in dead]
    live = [u for u in new if host_of(u) not in dead]
    if skipped:
        _insert_rows(activity_id, sender, body, skipped, State.SKIPPED, "the domain is marked dead")
        logger.info(
            "delivery of %s: skipped %d inbox(es) on dead domains", activity_id, len(skipped)
        )
    ids = _insert_rows(activity_id, sender, body, live, State.PENDING) if live else []
    if ids:
        transaction.on_commit(lambda: _enqueue(ids))
    return len(live)


def _insert_rows(
    activity_id: str,
    sender: Account | None,
    body: str,
    urls: list[str],
    state: str,
    last_error: str = "",
) -> list[int]:
    """Write a row per URL (those queued meanwhile by another process are left alone); the ids
    of the rows written. One statement, the URLs as one parameter and the body bound once
    (core/db.py ``list_rows``)."""
    connection = connections[router.db_for_write(Delivery)]
    now = timezone.now()
    rows = list_rows(connection, urls, sql_type="text", alias="inbox")
    if rows is None:
        made = [_row(activity_id, sender, body, u, state, last_error, now) for u in urls]
        Delivery.objects.bulk_create(made, ignore_conflicts=True)
        written = Delivery.objects.filter(activity_id=activity_id, inbox_url__in=urls)
        return list(written.filter(state=state).values_list("pk", flat=True))
    source, values = rows
    stamp = connection.ops.adapt_datetimefield_value(now)
    table = Delivery._meta.db_table
    # Only our own constant SQL pieces are put together here; every value is a parameter.
    sql = (
        f"INSERT INTO {table} (activity_id, inbox_url, sender_id, body, state, attempts, "  # noqa: S608
        "next_try_at, last_error, created_at) "
        f"SELECT %s, inbox.value, %s, %s, %s, 0, %s, %s, %s FROM {source} "
        "WHERE true ON CONFLICT DO NOTHING RETURNING id"
    )
    sender_id = sender.pk if sender is not None else None
    params = [activity_id, sender_id, body, state, stamp, last_error, stamp, values]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _row(
    activity_id: str,
    sender: Account | None,
    body: str,
    url: str,
    state: str,
    last_error: str,
    now: datetime,
) -> Delivery:
    return Delivery(
        activity_id=activity_id,
        inbox_url=url,
        sender=sender,
        body=body,
        next_try_at=now,
        state=state,
        last_error=last_error,
    )


def _dead_domains(domains: set[str]) -> set[str]:
    found = DomainHealth.objects.filter(domain__in=domains, dead=True)
    return set(found.values_list("domain", flat=True))


def _enqueue(ids: list[int]) -> None:
    for chunk in _chunks(ids, TASK_BATCH):
        send_deliveries.enqueue(chunk)


# --- one at a time ---------------------------------------------------------------------------


def attempt(delivery_id: int, now: datetime | None = None) -> str | None:
    """Claim one delivery if it is due (or its lease expired) and try it. Returns the state it
    ends in, or None when it was not due, already done, or held by another worker."""
    now = now or timezone.now()
    lease = _claim(delivery_id, now)
    if lease is None:
        return None
    row = Delivery.objects.select_related("sender").get(pk=delivery_id)
    domain = host_of(row.inbox_url)
    health = DomainHealth.objects.filter(domain=domain).first()
    held_back = _held_back(row, lease, health, now)
    if held_back is not None:
        return held_back
    answer = post(row, now)
    _note_domain(domain, answer, now)
    return _record(row, lease, answer, now)


def _held_back(
    row: Delivery, lease: datetime, health: DomainHealth | None, now: datetime
) -> str | None:
    """The state a claimed row ends in without being sent (dead domain, open circuit)."""
    domain = host_of(row.inbox_url)
    if health is not None and health.dead:
        logger.info("delivery %s to %s skipped: the domain is dead", row.activity_id, domain)
        return _finish(row, lease, State.SKIPPED, last_error="the domain is marked dead")
    if health is not None and health.open_until and health.open_until > now:
        logger.info("delivery %s to %s postponed: circuit open", row.activity_id, domain)
        return _postpone(row, lease, health.open_until + _jitter(timedelta(minutes=1)))
    return None


# --- claiming ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    """A row this worker holds (until ``lease``), with what its POST needs, so the POST can run
    in a thread that touches no database (federation/sending.py)."""

    row: Delivery
    lease: datetime
    now: datetime
    signer: Signer


def _claim(delivery_id: int, now: datetime) -> datetime | None:
    lease = now + LEASE
    rows = Delivery.objects.filter(pk=delivery_id)
    due = rows.filter(state=State.PENDING, next_try_at__lte=now)
    if due.update(state=State.SENDING, lease_until=lease):
        return lease
    expired = rows.filter(state=State.SENDING, lease_until__lt=now)
    crashed = {"attempts": F("attempts") + 1, "last_error": "the worker stopped mid-delivery"}
    if expired.update(state=State.SENDING, lease_until=lease, **crashed):
        logger.warning("delivery %d: lease expired, trying again", delivery_id)
        return lease
    return None


def claim_many(ids: Iterable[int], now: datetime) -> dict[int, datetime]:
    """`_claim` for many rows in two statements: the due ones, then those whose lease expired.
    Each is one atomic UPDATE, so a row is claimed by one worker only; RETURNING says which
    rows this one got. Returns their leases."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return {}
    lease = now + LEASE
    with transaction.atomic(using=router.db_for_write(Delivery)):
        claimed = _update_returning(
            ids,
            "state = %s, lease_until = %s",
            [State.SENDING, lease],
            "state = %s AND next_try_at <= %s",
            [State.PENDING, now],
        )
        expired = _update_returning(
            [pk for pk in ids if pk not in claimed],
            "state = %s, lease_until = %s, attempts = attempts + 1, last_error = %s",
            [State.SENDING, lease, "the worker stopped mid-delivery"],
            "state = %s AND lease_until < %s",
            [State.SENDING, now],
        )
    for pk in expired:
        logger.warning("delivery %d: lease expired, trying again", pk)
    return dict.fromkeys(claimed | expired, lease)


def _update_returning(
    ids: list[int], assignments: str, values: list, condition: str, params: list
) -> set[int]:
    """UPDATE the Delivery rows among ``ids`` that meet ``condition``; their ids (PostgreSQL
    and SQLite ≥ 3.35 both have RETURNING; Django's update() cannot say which rows). On
    PostgreSQL, rows another worker is claiming at this moment are skipped (SKIP LOCKED), not
    waited for: they would not meet the condition afterwards anyway."""
    if not ids:
        return set()
    connection = connections[router.db_for_write(Delivery)]
    adapt = connection.ops.adapt_datetimefield_value
    values = [adapt(v) if isinstance(v, datetime) else v for v in values]
    params = [adapt(v) if isinstance(v, datetime) else v for v in params]
    marks = ", ".join(["%s"] * len(ids))
    table = Delivery._meta.db_table
    skips = connection.features.has_select_for_update_skip_locked
    skip = " FOR UPDATE SKIP LOCKED" if skips else ""
    # Only our own constant SQL pieces and parameter marks are put together here.
    sql = (
        f"UPDATE {table} SET {assignments} WHERE id IN ("  # noqa: S608
        f"SELECT id FROM {table} WHERE id IN ({marks}) AND {condition}{skip}) RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, *ids, *params])
        return {row[0] for row in cursor.fetchall()}


def prepare(leases: dict[int, datetime], now: datetime) -> tuple[list[Claimed], dict[int, str]]:
    """The claimed rows to POST, each with its signer (every sender loaded once), and the states
    of those that end without a POST (dead domain, open circuit)."""
    rows = Delivery.objects.in_bulk(list(leases))
    domains = {host_of(row.inbox_url) for row in rows.values()}
    health = {h.domain: h for h in DomainHealth.objects.filter(domain__in=domains)}
    signers = _signers({row.sender_id for row in rows.values()})
    ready: list[Claimed] = []
    states: dict[int, str] = {}
    # Rows held back are each written (and a retry queued): one transaction for all of them,
    # not a commit per statement. Only Delivery and task rows are written here, never the
    # shared DomainHealth rows (see _note_domains).
    holding = any(h.dead or (h.open_until and h.open_until > now) for h in health.values())
    atomic = transaction.atomic(using=router.db_for_write(Delivery)) if holding else nullcontext()
    with atomic:
        for pk, row in rows.items():
            held_back = _held_back(row, leases[pk], health.get(host_of(row.inbox_url)), now)
            if held_back is None:
                ready.append(Claimed(row, leases[pk], now, signers[row.sender_id]))
            else:
                states[pk] = held_back
    return ready, states


# --- posting ---------------------------------------------------------------------------------


def _signer(sender: Account | None) -> Signer:
    key = load_private_key(key_of(sender).private_key_pem)
    key_id = f"{actor_id(sender) if sender else instance_actor_id()}#main-key"
    return lambda method, url, headers, body: sign_request(method, url, headers, body, key_id, key)


def _signers(sender_ids: set[int | None]) -> dict[int | None, Signer]:
    """A signer per sender (None: the instance actor), each sender loaded once."""
    senders = Account.objects.in_bulk([pk for pk in sender_ids if pk is not None])
    return {pk: _signer(senders[pk] if pk is not None else None) for pk in sender_ids}


def post(row: Delivery, now: datetime, signer: Signer | None = None) -> Answer:
    """One signed POST; touches no database when ``signer`` is given (so it can run in a
    thread of sending.py's pool). Never raises: every failure is an Answer."""
    try:
        response = safe_request(
            "POST",
            row.inbox_url,
            headers={"Content-Type": CONTENT_TYPE},
            content=row.body.encode(),
            signer=signer or _signer(row.sender),
            timeout=TIMEOUT,
            follow_redirects=False,
            keep_alive=True,  # one connection per inbox host for many POSTs (core/http.py)
        )
    except FetchError as exc:
        return Answer(None, f"{exc.reason}: {exc.message}")
    except Exception as exc:  # a bug must not leave the row unrecorded until its lease ends
        logger.exception("delivery %s to %s: unexpected error", row.activity_id, row.inbox_url)
        return Answer(None, f"error: {type(exc).__name__}: {exc}")
    retry_after = parse_retry_after(response.headers.get("retry-after"), now)
    return Answer(response.status, f"HTTP {response.status}", retry_after)


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A Retry-After header (seconds or an HTTP date) as a delay, at most RETRY_AFTER_MAX."""
    value = (value or "").strip()
    if re.fullmatch(r"[0-9]{1,12}", value):
        delay = timedelta(seconds=min(int(value), RETRY_AFTER_MAX.total_seconds()))
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        delay = (when if when.tzinfo else when.replace(tzinfo=UTC)) - now
    return min(max(delay, timedelta(0)), RETRY_AFTER_MAX)


def backoff(attempts: int) -> timedelta:
    """The wait after the given number of failed attempts: doubling, capped, ±25 % jitter."""
    delay = min(BACKOFF_BASE * 2 ** min(attempts - 1, 20), BACKOFF_MAX)
    return delay * 0.75 + _jitter(delay * 0.5)


def _jitter(spread: timedelta) -> timedelta:
    """A random delay between zero and `spread`."""
    return spread * random.random()  # noqa: S311 (spreading load, not a secret)


# --- recording -------------------------------------------------------------------------------


def _record(row: Delivery, lease: datetime, answer: Answer, now: datetime) -> str:
    status, attempts = answer.status, row.attempts + 1
    fields = {"attempts": attempts, "last_status": status, "last_error": answer.error[:500]}
    if status is not None and 200 <= status < 300:
        logger.info("delivered %s to %s (%d)", row.activity_id, row.inbox_url, status)
        return _finish(row, lease, State.DELIVERED, delivered_at=now, **fields)
    if status == 410:
        logger.info("inbox %s is gone (410); %s not sent", row.inbox_url, row.activity_id)
        return _finish(row, lease, State.GONE, **fields)
    if (status is not None and status < 500 and status != 429) or _permanent(answer):
        logger.warning(
            "delivery of %s to %s refused: %s", row.activity_id, row.inbox_url, answer.error
        )
        return _finish(row, lease, State.FAILED, **fields)
    if attempts >= MAX_ATTEMPTS:
        logger.warning(
            "delivery of %s to %s failed %d times; giving up: %s",
            row.activity_id,
            row.inbox_url,
            attempts,
            answer.error,
        )
        return _finish(row, lease, State.FAILED, **fields)
    when = now + max(answer.retry_after or timedelta(0), backoff(attempts))
    logger.info(
        "delivery of %s to %s failed (%s); next try at %s",
        row.activity_id,
        row.inbox_url,
        answer.error,
        when.isoformat(timespec="seconds"),
    )
    return _postpone(row, lease, when, **fields)


def _permanent(answer: Answer) -> bool:
    return answer.status is None and answer.error.partition(":")[0] in PERMANENT_ERRORS


def record_many(answers: list[tuple[Claimed, Answer]]) -> dict[int, str]:
    """Record finished POSTs, in one transaction, each only while its lease holds; their
    states. Rows that were delivered (the common case) are recorded together: one UPDATE per
    lease and status, and one for their domains' health."""
    _note_domains(answers)
    states: dict[int, str] = {}
    delivered: dict[tuple, list[Claimed]] = {}
    with transaction.atomic(using=router.db_for_write(Delivery)):
        for item, answer in answers:
            if _success(answer):
                delivered.setdefault((item.lease, item.now, answer.status), []).append(item)
            else:
                states[item.row.pk] = _record(item.row, item.lease, answer, item.now)
        for (lease, now, status), items in delivered.items():
            states |= _delivered(items, lease, now, status)
    return states


def _success(answer: Answer) -> bool:
    return answer.status is not None and 200 <= answer.status < 300


def _note_domains(answers: list[tuple[Claimed, Answer]]) -> None:
    """`_note_domain` for each answer, outside any transaction: the DomainHealth rows are
    shared by every worker, and holding their locks through a batch's transaction made
    workers deadlock on PostgreSQL. The domains that answered 2xx: one UPDATE."""
    alive: dict[datetime, set[str]] = {}
    for item, answer in answers:
        domain = host_of(item.row.inbox_url)
        if _success(answer):
            alive.setdefault(item.now, set()).add(domain)
        else:
            _note_domain(domain, answer, item.now)
    for now, domains in alive.items():
        _domains_alive(domains, now)


def _delivered(items: list[Claimed], lease: datetime, now: datetime, status: int) -> dict:
    """What `_record` does for a 2xx, for many rows claimed with the same lease."""
    held = Delivery.objects.filter(
        pk__in=[item.row.pk for item in items], state=State.SENDING, lease_until=lease
    )
    held.update(
        state=State.DELIVERED,
        lease_until=None,
        attempts=F("attempts") + 1,
        last_status=status,
        last_error=f"HTTP {status}",
        delivered_at=now,
    )
    # One line per batch at INFO (a line per POST was ~2% of a worker's CPU); each at DEBUG.
    logger.info("delivered %d POST(s) (%d)", len(items), status)
    if logger.isEnabledFor(logging.DEBUG):
        for item in items:
            row = item.row
            logger.debug("delivered %s to %s (%d)", row.activity_id, row.inbox_url, status)
    return dict.fromkeys((item.row.pk for item in items), State.DELIVERED)


def release(items: list[Claimed]) -> None:
    """Give back rows claimed but not sent (the process is exiting): pending and due again,
    while their lease holds."""
    for item in items:
        _finish(item.row, item.lease, State.PENDING, next_try_at=item.now)


def _finish(row: Delivery, lease: datetime, state: str, **fields: object) -> str:
    held = Delivery.objects.filter(pk=row.pk, state=State.SENDING, lease_until=lease)
    held.update(state=state, lease_until=None, **fields)
    return state


def _postpone(row: Delivery, lease: datetime, when: datetime, **fields: object) -> str:
    _finish(row, lease, State.PENDING, next_try_at=when, **fields)
    enqueue_at(send_delivery, when, row.pk)  # where the backend can wait; else deliver_due
    return State.PENDING


def _note_domain(domain: str, answer: Answer, now: datetime) -> None:
    """Any answer below 500 means the domain is alive; 5xx and no answer count as failures."""
    if answer.status is not None and answer.status < 500:
        pause = now + answer.retry_after if answer.status == 429 and answer.retry_after else None
        domain_alive(domain, now, pause_until=pause)
    elif not _permanent(answer):
        _domain_failed(domain, now)


def domain_alive(
    domain: str, now: datetime | None = None, *, pause_until: datetime | None = None
) -> None:
    """Close the domain's circuit and forget its failures (also revives a dead domain)."""
    now = now or timezone.now()
    if pause_until is not None:
        DomainHealth.objects.get_or_create(domain=domain)
    _mark_alive(DomainHealth.objects.filter(domain=domain), now, pause_until)


def _domains_alive(domains: set[str], now: datetime) -> None:
    """`domain_alive` (without a pause) for many domains in one UPDATE."""
    _mark_alive(DomainHealth.objects.filter(domain__in=domains), now)


def _mark_alive(
    rows: QuerySet[DomainHealth], now: datetime, pause_until: datetime | None = None
) -> None:
    rows.update(
        consecutive_failures=0,
        first_failure_at=None,
        open_until=pause_until,
        dead=False,
        marked_dead_at=None,
        last_success_at=now,
    )


def _domain_failed(domain: str, now: datetime) -> None:
    health = _count_failure(domain, now)
    if health is None:  # the domain's first failure
        DomainHealth.objects.get_or_create(domain=domain)
        health = _count_failure(domain, now)
    rows = DomainHealth.objects.filter(domain=domain)
    over = health.consecutive_failures - CIRCUIT_THRESHOLD
    if over < 0:
        return
    open_until = now + min(CIRCUIT_BASE * 2 ** min(over, 10), CIRCUIT_MAX)
    dead = health.dead or now - health.first_failure_at >= DEAD_AFTER
    if dead and not health.dead:
        logger.warning("domain %s marked dead: failing since %s", domain, health.first_failure_at)
    elif not health.open_until or health.open_until <= now:
        logger.warning(
            "circuit for %s open until %s", domain, open_until.isoformat(timespec="seconds")
        )
    rows.update(
        open_until=open_until,
        dead=dead,
        marked_dead_at=health.marked_dead_at or (now if dead else None),
    )


def _count_failure(domain: str, now: datetime) -> DomainHealth | None:
    """One more failure for the domain, and its row as it is after that, in one atomic
    statement (UPDATE … RETURNING: one query, where update-then-get took a SELECT more, and
    get_or_create one more before); None when the domain has no row yet."""
    table = DomainHealth._meta.db_table
    connection = connections[router.db_for_write(DomainHealth)]
    stamp = connection.ops.adapt_datetimefield_value(now)
    # Only our own constant SQL is put together here; the values are parameters.
    sql = (
        f"UPDATE {table} SET consecutive_failures = consecutive_failures + 1, "  # noqa: S608
        "first_failure_at = COALESCE(first_failure_at, %s) WHERE domain = %s RETURNING *"
    )
    rows = list(DomainHealth.objects.using(connection.alias).raw(sql, [stamp, domain]))
    return rows[0] if rows else None


# --- sweeping --------------------------------------------------------------------------------


def deliver_due(
    now: datetime | None = None, *, overdue_by: timedelta = timedelta(0), limit: int | None = None
) -> int:
    """Try every due row (pending with next_try_at <= now - overdue_by, or sending with an
    expired lease), oldest first, in this process. Returns how many were tried."""
    at = now or timezone.now()
    due = Delivery.objects.filter(
        Q(state=State.PENDING, next_try_at__lte=at - overdue_by)
        | Q(state=State.SENDING, lease_until__lt=at)
    )
    ids = list(due.order_by("next_try_at").values_list("pk", flat=True)[:limit])
    # Concurrently, a batch at a time: a backlog with hanging inboxes in it is not sent one
    # TIMEOUT after another. (sending.py imports this module, hence the late import.)
    from wikisocial.federation.sending import send_many

    return sum(len(send_many(chunk, now)) for chunk in _chunks(ids, TASK_BATCH))


def prune(now: datetime | None = None) -> int:
    """Forget finished rows older than KEEP_FINISHED; pending and sending rows stay."""
    cutoff = (now or timezone.now()) - KEEP_FINISHED
    done = Delivery.objects.filter(created_at__lt=cutoff).exclude(
        state__in=[State.PENDING, State.SENDING]
    )
    return done.delete()[0]


def sweep() -> int:
    """What the worker runs every minute: rows whose task was lost or whose worker died, then
    the old finished rows."""
    tried = deliver_due(overdue_by=SWEEP_GRACE, limit=SWEEP_LIMIT)
    prune()
    return tried
