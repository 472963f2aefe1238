"""Catch-up after a worker stop: with no worker running, 10,000 signed activities (quick: 1,000)
are accepted by the inbox of a real server; then real `wikisocial worker` processes start and
the clock runs until every one of those inbox items is processed. Also the worker's memory
after this warm-up (``memory: worker process after warm-up``, RSS of each worker process).
"""

from __future__ import annotations

import time

from bench.lib import Context, rate, rss_mb, serve, value
from bench.scenarios.delivery import ensure_django, workers
from bench.scenarios.inbox import THREADS, post_all, requests_for

NAME = "catch-up of 10,000 activities after a worker stop"
MEMORY = "memory: worker process after warm-up"
WORKERS = 2


def _unprocessed(tag: str) -> int:
    from wikisocial.federation.models import InboxItem

    mine = InboxItem.objects.filter(activity_id__contains=f"/activities/{tag}")
    return mine.filter(processed_at__isnull=True).count()


def _wait(tag: str, deadline_s: float) -> tuple[float, bool]:
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < deadline_s:
        if _unprocessed(tag) == 0:
            return elapsed, True
        time.sleep(0.2)
    return deadline_s, False


def _outcomes(tag: str) -> dict[str, int]:
    from collections import Counter

    from wikisocial.federation.models import InboxItem

    mine = InboxItem.objects.filter(activity_id__contains=f"/activities/{tag}")
    outcomes = mine.values_list("outcome", flat=True)
    return dict(Counter(o.replace(":", " ").split(" ")[0] for o in outcomes))


def _clean() -> None:
    """Deliveries the handlers queued (Accepts to the signers' made-up domains) go unsent."""
    from django_tasks_db.models import DBTaskResult

    from wikisocial.federation.models import Delivery

    Delivery.objects.filter(inbox_url__contains=".signer.example/").delete()
    DBTaskResult.objects.filter(status="READY", task_path__contains="send_deliver").delete()


def run(ctx: Context) -> list[dict]:
    ensure_django(ctx)
    count = 1000 if ctx.quick else 10_000
    tag = f"catchup{time.time_ns()}"
    with serve(ctx, "--workers", "2") as server:
        requests = requests_for(ctx, server.url, count, tag, bad_share=0.0)
        _, statuses, ingest_s = post_all(server.url, requests, THREADS)
    accepted = statuses.get(202, 0)
    with workers(ctx, WORKERS, tag="catchup") as procs:
        seconds, complete = _wait(tag, 300.0 if ctx.quick else 1200.0)
        memory = [rss_mb(p.pid) for p in procs]
    outcomes = _outcomes(tag)
    _clean()
    return [
        rate(
            NAME,
            ctx.database,
            accepted - _unprocessed(tag),
            seconds,
            activities=accepted,
            complete=complete,
            ingest_seconds=round(ingest_s, 2),
            outcomes=outcomes,
            workers=WORKERS,
            how="real `wikisocial worker` processes started after the inbox took them all",
        ),
        value(
            MEMORY,
            ctx.database,
            rss_mb=max(memory),
            rss_mb_each=memory,
            note=f"the largest of {len(memory)} workers after a catch-up of {accepted} "
            "inbox activities",
        ),
    ]
