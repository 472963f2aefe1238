"""Signed delivery to a loopback sink (bench/sink.py) with 20% of the inboxes slow, hanging or
dead, sent by real `wikisocial worker` processes against the benchmark database.

Each inbox is on its own port, so each is its own domain to federation/delivery.py (circuit
breaker included). The deliveries are queued through `federation.delivery.deliver` with a
real local sender, so every one is signed (RSA-2048, draft-cavage) on its way out. Timed from
the commit that queues them (the workers are already up and polling) until every row has left
pending/sending for the first time: delivered, or postponed after a failure; on their own,
until every row for the healthy inboxes is delivered (healthy_per_s); and until every row's
first POST has started (claimed_per_s: the rate the workers take deliveries on, which the 10 s
tail of the last hanging POSTs does not cap). Also the CPU per delivery of the workers, of the
sink and of the database's backends that serve the workers, all on the same two cores.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from bench.lib import ROOT, WIKISOCIAL, Context, free_port, rate, rss_mb, setup_django

NAME = "signed delivery to a sink (20% slow, hanging or dead)"
SHARE = {"fast": 0.80, "slow": 0.07, "hang": 0.07, "dead": 0.06}
WORKERS = 2
WORKER_READY_S = 60.0


def ensure_django(ctx: Context) -> None:
    """Django set up in this process against the benchmark database (once)."""
    from django.apps import apps

    if not apps.ready:
        setup_django(ctx.env)


def child_env(ctx: Context, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        **ctx.env,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PYTHONPATH": str(ROOT),
        "WIKISOCIAL_DEV_FEDERATION": "1",
        **extra,
    }


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by these processes (from /proc): a cost per item
    that holds on a busy machine, where wall-clock rates do not."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def _stop(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, 15)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait(timeout=10)


@contextlib.contextmanager
def workers(ctx: Context, count: int, *args: str, tag: str = "worker") -> Iterator[list]:
    """``count`` real `wikisocial worker` processes (their logs in the data folder), each ready
    (its task loop started) before this yields; all stopped afterwards."""
    procs, logs = [], []
    try:
        for n in range(count):
            log_path = Path(ctx.data_dir) / f"h2-{tag}-{n}.log"
            log = log_path.open("w")
            logs.append((log, log_path))
            procs.append(
                subprocess.Popen(
                    [*WIKISOCIAL, "worker", *args],
                    env=child_env(ctx),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        for proc, (_, path) in zip(procs, logs, strict=True):
            _wait_ready(proc, path)
        yield procs
    finally:
        for proc in procs:
            _stop(proc)
        for log, _ in logs:
            log.close()


def _wait_ready(proc: subprocess.Popen, log: Path) -> None:
    start = time.perf_counter()
    while time.perf_counter() - start < WORKER_READY_S:
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited with {proc.returncode}: {log.read_text()[-2000:]}")
        text = log.read_text(errors="replace")
        if "Starting worker" in text or "*** Listening on" in text or "Worker " in text:
            return
        time.sleep(0.1)
    raise RuntimeError(f"worker not ready in {WORKER_READY_S} s: {log.read_text()[-2000:]}")


@contextlib.contextmanager
def sink(fast: int, slow: int, hang: int, slow_seconds: float = 1.0) -> Iterator[dict]:
    """The sink process (bench/sink.py); yields {"fast": [ports], …, "received": {…}} (the
    counts are filled in when it stops)."""
    args = ["--fast", str(fast), "--slow", str(slow), "--hang", str(hang)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.sink", *args, "--slow-seconds", str(slow_seconds)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    info: dict = {"pid": proc.pid}
    try:
        info.update(json.loads(proc.stdout.readline()))
        yield info
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 15)
        try:
            out, _ = proc.communicate(timeout=10)
            for line in out.splitlines():
                info.update(json.loads(line))
        except (subprocess.TimeoutExpired, json.JSONDecodeError):
            os.killpg(proc.pid, 9)
            proc.wait(timeout=10)


def _database_pids() -> list[int]:
    """The PostgreSQL backends serving this database other than ours (the workers'), when the
    server runs on this machine; none on SQLite (its work is inside the workers' CPU)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall() if Path(f"/proc/{pid}/stat").exists()]


def _database_cpu(before: dict[int, float]) -> float:
    """CPU used by the database's backends since ``before`` (pid → CPU seconds then); one
    that started since counts whole, one that ended since is lost (none do here: the workers
    keep their connections)."""
    return sum(cpu_seconds([pid]) - before.get(pid, 0.0) for pid in _database_pids())


def plan(ctx: Context) -> tuple[int, int]:
    """(inboxes, activities): quick 100 × 10 = 1,000 deliveries; full 500 × 20 = 10,000."""
    return (100, 10) if ctx.quick else (500, 20)


def _inboxes(ports: dict) -> dict[str, str]:
    """Inbox URL → kind; dead ones are free ports nobody listens on."""
    urls = {}
    for kind in ("fast", "slow", "hang"):
        for port in ports[kind]:
            urls[f"http://127.0.0.1:{port}/users/bench/inbox"] = kind
    for port in ports["dead"]:
        urls[f"http://127.0.0.1:{port}/users/bench/inbox"] = "dead"
    return urls


def _queue(sender, urls: list[str], activities: int, run_id: str) -> list[str]:
    from django.conf import settings
    from django.db import transaction

    from wikisocial.federation.delivery import deliver

    ids = []
    with transaction.atomic():
        for k in range(activities):
            activity_id = f"{settings.SITE_URL}/bench/delivery/{run_id}/{k}"
            ids.append(activity_id)
            deliver(_activity(activity_id, sender), sender, urls)
    return ids


def _activity(activity_id: str, sender) -> dict:
    from wikisocial.federation.jsonld import CONTEXT, PUBLIC
    from wikisocial.federation.urls_util import actor_id

    me = actor_id(sender)
    note = {
        "id": f"{activity_id}/note",
        "type": "Note",
        "attributedTo": me,
        "content": "<p>" + "A benchmark note with some text in it. " * 12 + "</p>",
        "to": [PUBLIC],
        "cc": [f"{me}/followers"],
    }
    return {"@context": CONTEXT, "id": activity_id, "type": "Create", "actor": me, "object": note}


FIRST_TRY_CUTOFF = timedelta(minutes=1)


def _first_try(queued_at: datetime):
    """Rows still waiting for their first try: pending and due from when they were queued. A
    row put off after its try (a failure's backoff, at least 90 s; an open circuit, at least 5
    minutes) waits for a later time, whatever its attempts say."""
    from django.db.models import Q

    from wikisocial.federation.models import Delivery

    return Q(state=Delivery.State.PENDING, next_try_at__lte=queued_at + FIRST_TRY_CUTOFF)


def _unfinished(activity_ids: list[str], queued_at: datetime) -> int:
    """Rows not yet out of their first try: sending, or still waiting for it."""
    from django.db.models import Q

    from wikisocial.federation.models import Delivery

    mine = Delivery.objects.filter(activity_id__in=activity_ids)
    return mine.filter(Q(state=Delivery.State.SENDING) | _first_try(queued_at)).count()


def _wait(activity_ids: list[str], healthy: list[str], deadline_s: float) -> dict:
    from django.utils import timezone

    from wikisocial.federation.models import Delivery

    mine = Delivery.objects.filter(activity_id__in=activity_ids)
    queued_at = timezone.now()
    start = time.perf_counter()
    healthy_s = claimed_s = None
    while (elapsed := time.perf_counter() - start) < deadline_s:
        if healthy_s is None:
            undelivered = mine.filter(inbox_url__in=healthy).exclude(state="delivered")
            if not undelivered.exists():
                healthy_s = elapsed
        if claimed_s is None and not mine.filter(_first_try(queued_at)).exists():
            claimed_s = elapsed
        if _unfinished(activity_ids, queued_at) == 0:
            times = {"all_s": elapsed, "healthy_s": healthy_s or elapsed}
            return times | {"claimed_s": claimed_s or elapsed, "complete": True, "left": 0}
        time.sleep(0.1)
    left = _unfinished(activity_ids, queued_at)
    times = {"all_s": deadline_s, "healthy_s": healthy_s, "claimed_s": claimed_s}
    return times | {"complete": False, "left": left}


def _steady_rate(activity_ids: list[str]) -> float | None:
    """Deliveries per second while the run was in full swing: the rows delivered between the
    tenth and the ninetieth percentile of their delivery times, over that span. The whole
    run's rate also counts the wait for the last hanging inbox's timeout at the end (10 s),
    which is the length of the run, not the speed of delivery."""
    from wikisocial.federation.models import Delivery

    done = Delivery.objects.filter(activity_id__in=activity_ids, state=Delivery.State.DELIVERED)
    times = sorted(done.values_list("delivered_at", flat=True))
    if len(times) < 20:
        return None
    low, high = len(times) // 10, len(times) * 9 // 10
    span = (times[high] - times[low]).total_seconds()
    return round((high - low) / span, 1) if span > 0 else None


def _clean(activity_ids: list[str]) -> None:
    """Forget this run's rows, the retries queued for them (a later run's workers would
    otherwise spend their CPU on those no-op tasks inside its measurement) and the sink's
    domains."""
    from wikisocial.federation.models import Delivery, DomainHealth

    rows = Delivery.objects.filter(activity_id__in=activity_ids)
    ids = list(rows.values_list("pk", flat=True))
    with contextlib.suppress(ImportError):  # the database task backend keeps them in a table
        from django_tasks_db.models import DBTaskResult

        retries = DBTaskResult.objects.filter(
            status="READY", task_path="wikisocial.federation.tasks.send_delivery"
        )
        for start in range(0, len(ids), 1000):
            retries.filter(args_kwargs__args__0__in=ids[start : start + 1000]).delete()
    rows.delete()
    DomainHealth.objects.filter(domain__startswith="127.0.0.1:").delete()


def _counts(activity_ids: list[str]) -> dict[str, int]:
    from django.db.models import Count

    from wikisocial.federation.models import Delivery

    rows = Delivery.objects.filter(activity_id__in=activity_ids).values("state")
    return {r["state"]: r["n"] for r in rows.annotate(n=Count("id")).order_by()}


def measure(ctx: Context, workers_count: int = WORKERS, deadline_s: float | None = None) -> dict:
    """One run: sink up, workers up, queue, wait. Returns the result dict."""
    from wikisocial.accounts.models import Account
    from wikisocial.federation.keys import key_of
    from wikisocial.federation.urls_util import actor_id

    inbox_count, activities = plan(ctx)
    kinds = {k: round(inbox_count * share) for k, share in SHARE.items()}
    sender = Account.objects.get(pk=ctx.data["fanout_author"])
    key_of(sender)  # made before the clock starts, as it is on any instance that has posted
    actor_id(sender)  # the URLconf loaded (0.6 s), as it is in any process that has run
    deadline_s = deadline_s or (240.0 if ctx.quick else 600.0)
    run_id = f"{os.getpid()}-{time.time_ns()}"
    with sink(kinds["fast"], kinds["slow"], kinds["hang"]) as ports:
        ports["dead"] = [free_port() for _ in range(kinds["dead"])]
        urls = _inboxes(ports)
        healthy = [u for u, kind in urls.items() if kind == "fast"]
        with workers(ctx, workers_count, tag="delivery") as procs:
            pids = [p.pid for p in procs]
            cpu_before = cpu_seconds(pids)
            sink_before = cpu_seconds([ports["pid"]])
            database_before = {pid: cpu_seconds([pid]) for pid in _database_pids()}
            start = time.perf_counter()
            ids = _queue(sender, list(urls), activities, run_id)
            queued_s = time.perf_counter() - start
            timing = _wait(ids, healthy, deadline_s)
            worker_cpu = cpu_seconds(pids) - cpu_before
            sink_cpu = cpu_seconds([ports["pid"]]) - sink_before
            database_cpu = _database_cpu(database_before)
            worker_rss = [rss_mb(p.pid) for p in procs]
            states = _counts(ids)
            steady = _steady_rate(ids)
    total = len(urls) * activities
    done = total - timing["left"]
    _clean(ids)
    seconds = timing["all_s"] + queued_s
    healthy_rows = len(healthy) * activities
    healthy_s = (timing["healthy_s"] or seconds) + queued_s
    claimed_s = (timing["claimed_s"] or seconds) + queued_s
    return rate(
        NAME,
        ctx.database,
        done,
        seconds,
        deliveries=total,
        complete=timing["complete"],
        healthy_per_s=round(healthy_rows / healthy_s, 1),
        healthy_seconds=round(healthy_s, 3),
        # Until every row had its first POST started. The run itself cannot end before the
        # last POST to a hanging inbox times out (TIMEOUT, 10 s, after it started), so
        # throughput_per_s is below deliveries / (claimed_seconds + 10 s), at most 1,000/s
        # at full size however fast the workers are; this rate has no such ceiling.
        claimed_per_s=round(total / claimed_s, 1),
        steady_per_s=steady,
        claimed_seconds=round(claimed_s, 3),
        queue_seconds=round(queued_s, 3),
        inboxes=kinds,
        activities=activities,
        states=states,
        sink_received=ports.get("received"),
        workers=workers_count,
        worker_rss_mb=worker_rss,
        worker_cpu_ms_per_delivery=round(worker_cpu * 1000 / max(done, 1), 3),
        # The sink and the database share the two cores with the workers: what each costs.
        sink_cpu_ms_per_delivery=round(sink_cpu * 1000 / max(done, 1), 3),
        database_cpu_ms_per_delivery=round(database_cpu * 1000 / max(done, 1), 3),
        how="real `wikisocial worker` processes, database task queue unless ctx.env says",
        note=_note(steady, total / claimed_s, healthy_rows / healthy_s, worker_cpu, done),
    )


def _note(steady: float | None, claimed: float, healthy: float, cpu: float, done: int) -> str:
    """The report's line for this run: the rates besides the whole run's, and the workers'
    CPU per delivery."""
    return (
        f"steady {steady or 0:,.0f}/s, first POSTs started {claimed:,.0f}/s, healthy inboxes "
        f"done {healthy:,.0f}/s; workers' CPU {cpu * 1000 / max(done, 1):.2f} ms per delivery"
    )


def run(ctx: Context) -> list[dict]:
    ensure_django(ctx)
    return [measure(ctx)]
